/* store_dispatch — binding a job spec to a job: the one move that copies the docker image and
 * input CID onto the job row. Guarded by state, so a job is assigned at most once. */
#include "store/store_internal.h"

int store_job_assign(store *s, const uint8_t job_id[32], const char *image, const char *cid, int64_t ts) {
    int rc = store_write_lit(
        s, STORE_NOTFOUND,
        "UPDATE jobs SET status = 'assigned', docker_image = ?, input_cid = ?, assigned_at = ?,"
        " updated_at = ? WHERE job_id = ? AND status = 'created'",
        "ttiih", image, cid, ts, ts, job_id);
    if (rc != STORE_NOTFOUND) return rc;
    store_job j;
    rc = store_job_get(s, job_id, &j);
    if (rc != STORE_OK) return rc;
    snprintf(s->errmsg, sizeof s->errmsg, "job is %s, not created", store_job_status_name(j.status));
    return STORE_INVALID;
}
