/* store_dispatch — binding a job spec to a job: the one move that copies the docker image and
 * input CID onto the job row. Guarded by state, so a job is assigned at most once. */
#include "store/store_internal.h"

int store_job_assign(store *s, const uint8_t job_id[32], const char *image, const char *cid, int64_t ts) {
    db_stmt *st;
    int rc = db_prepare_lit(s->db,
                        "UPDATE jobs SET status = 'assigned', docker_image = ?, input_cid = ?, assigned_at = ?,"
                        " updated_at = ? WHERE job_id = ? AND status = 'created'",
                        &st);
    if (rc != DB_OK) return store_rc(s, rc);
    db_bind_text(st, 1, image);
    db_bind_text(st, 2, cid);
    db_bind_int64(st, 3, ts);
    db_bind_int64(st, 4, ts);
    db_bind_blob(st, 5, job_id, 32);
    if ((rc = store_run_write(s, st, STORE_NOTFOUND)) != STORE_NOTFOUND) return rc;
    store_job j;
    rc = store_job_get(s, job_id, &j);
    if (rc != STORE_OK) return rc;
    snprintf(s->errmsg, sizeof s->errmsg, "job is %s, not created", store_job_status_name(j.status));
    return STORE_INVALID;
}
