/* store_spec_candidates — specs for job ids the chain does not know yet (issue 21, spec
 * squatting). Each signer may have one candidate per job id; which one counts is decided only
 * when JobCreated names the renter. Bounded: candidates older than a TTL are dropped, and the
 * caller caps how many a signer, and everyone together, may hold (store_spec_candidate_put). */
#include "store/db_array.h"
#include "store/store_internal.h"

typedef struct {
    char image[STORE_IMAGE_MAX], cid[STORE_CID_MAX];
} candidate;

static void read_candidate(db_stmt *st, void *row) {
    candidate *c = row;
    db_col_text_copy(st, 0, c->image, sizeof c->image);
    db_col_text_copy(st, 1, c->cid, sizeof c->cid);
}

int store_spec_candidate_put(store *s, const uint8_t job_id[32], const char *image, const char *cid,
                             const uint8_t signer[20], const uint8_t *sig, size_t sig_len, int64_t now,
                             const store_spec_caps *caps) {
    if (!image || !cid || strlen(image) >= STORE_IMAGE_MAX || strlen(cid) >= STORE_CID_MAX || sig_len > 65)
        return STORE_INVALID;
    int rc = store_write(s, STORE_OK, "DELETE FROM job_spec_candidates WHERE received_at < ?", "i",
                         now - caps->ttl_s);
    if (rc != STORE_OK) return rc;

    /* The signer's own candidate for this job: the same spec again is fine, another is not
     * (first writer wins, as in job_specs, so a replayed older signature cannot undo it). */
    candidate have;
    rc = store_row(s, read_candidate, &have,
                   "SELECT docker_image, input_cid FROM job_spec_candidates WHERE job_id = ? AND signer = ?",
                   "ha", job_id, signer);
    if (rc == STORE_OK) return !strcmp(have.image, image) && !strcmp(have.cid, cid) ? STORE_OK : STORE_DUP;
    if (rc != STORE_NOTFOUND) return rc;

    int64_t mine = 0, all = 0;
    rc = store_int64(s, &mine, "SELECT COUNT(*) FROM job_spec_candidates WHERE signer = ?", "a", signer);
    if (rc != STORE_OK) return rc; /* count(*): always a row */
    if (mine >= caps->per_signer) return STORE_SPEC_CAP_SIGNER;
    if ((rc = store_spec_candidate_count(s, &all)) != STORE_OK) return rc;
    if (all >= caps->total) return STORE_SPEC_CAP_TOTAL;

    rc = store_write(
        s, STORE_DUP,
        "INSERT INTO job_spec_candidates (job_id, signer, docker_image, input_cid, signature, received_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, signer) DO NOTHING",
        "hattbi", job_id, signer, image, cid, sig_len ? sig : NULL, sig_len, now);
    return rc == STORE_DUP ? STORE_OK : rc; /* a concurrent identical insert: same outcome */
}

int store_spec_candidates_bind(store *s, const uint8_t job_id[32], const uint8_t renter[20]) {
    /* The renter's candidate becomes the job's spec; a spec already in job_specs (sent after
     * JobCreated) is kept. "WHERE true": SQLite needs a WHERE before ON CONFLICT in
     * INSERT … SELECT, to tell the upsert clause from a join's ON. */
    int bound =
        store_write(s, STORE_NOTFOUND,
                    "INSERT INTO job_specs (job_id, docker_image, input_cid, signer, signature, received_at)"
                    " SELECT job_id, docker_image, input_cid, signer, signature, received_at"
                    " FROM job_spec_candidates WHERE job_id = ? AND signer = ? AND true"
                    " ON CONFLICT (job_id) DO NOTHING",
                    "ha", job_id, renter);
    if (bound != STORE_OK && bound != STORE_NOTFOUND) return bound;
    int rc = store_delete_job_keyed(s, "DELETE FROM job_spec_candidates WHERE job_id = ?", job_id);
    if (rc != STORE_OK && rc != STORE_NOTFOUND) return rc;
    return bound;
}

int store_spec_candidates_bind_jobs(store *s, const store_job *jobs, size_t n) {
    /* Candidates are rare (a spec sent before its createJob is mined) and short-lived: one look
     * at the table usually saves the batch every bind. */
    int64_t any = 0;
    int rc = store_int64(s, &any, "SELECT count(*) FROM (SELECT 1 FROM job_spec_candidates LIMIT 1) c", "");
    if (rc != STORE_OK || !any || n == 0) return rc;
    if (db_backend(s->db) != DB_POSTGRES || n < 2) {
        for (size_t i = 0; i < n; i++) {
            int rc = store_spec_candidates_bind(s, jobs[i].job_id, jobs[i].renter);
            if (rc != STORE_OK && rc != STORE_NOTFOUND) return rc;
        }
        return STORE_OK;
    }
    /* As store_spec_candidates_bind, for every job in two statements. */
    db_array ids, renters;
    db_array_init(&ids, DB_ARRAY_BYTEA);
    db_array_init(&renters, DB_ARRAY_BYTEA);
    for (size_t i = 0; i < n; i++) {
        db_array_blob(&ids, jobs[i].job_id, 32);
        db_array_blob(&renters, jobs[i].renter, 20);
    }
    db_stmt *st;
    rc = store_rc(s, db_prepare(s->db,
                                    "INSERT INTO job_specs (job_id, docker_image, input_cid, signer, signature, received_at)"
                                    " SELECT c.job_id, c.docker_image, c.input_cid, c.signer, c.signature, c.received_at"
                                    " FROM job_spec_candidates c JOIN unnest(?::bytea[], ?::bytea[]) AS u(j, r)"
                                    " ON c.job_id = u.j AND c.signer = u.r ON CONFLICT (job_id) DO NOTHING",
                                    &st));
    if (rc == STORE_OK) {
        db_bind_array(st, 1, &ids);
        db_bind_array(st, 2, &renters);
        rc = store_run_count(s, st, NULL);
    }
    if (rc == STORE_OK) rc = store_rc(s, db_prepare(s->db, "DELETE FROM job_spec_candidates WHERE job_id = ANY(?::bytea[])", &st));
    if (rc == STORE_OK) {
        db_bind_array(st, 1, &ids);
        rc = store_run_count(s, st, NULL);
    }
    db_array_free(&ids);
    db_array_free(&renters);
    return rc;
}

int store_spec_candidate_count(store *s, int64_t *n) {
    return store_int64(s, n, "SELECT COUNT(*) FROM job_spec_candidates", ""); /* count(*): always a row */
}
