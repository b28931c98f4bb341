/* store_specs — job specs (docker image + input CID) registered through the API, signed by the
 * renter. First writer wins: a different spec for the same job is refused, so nobody can swap
 * the image of a job once it is known. */
#include "store/store_internal.h"

int store_spec_get(store *s, const uint8_t job_id[32], store_spec *out) {
    db_stmt *st;
    int rc = db_prepare(s->db,
                        "SELECT docker_image, input_cid, signer, signature, received_at FROM job_specs"
                        " WHERE job_id = ?",
                        &st);
    if (rc != DB_OK) return store_rc(s, rc);
    db_bind_blob(st, 1, job_id, 32);
    rc = db_step(st);
    if (rc == DB_ROW) {
        memset(out, 0, sizeof *out);
        memcpy(out->job_id, job_id, 32);
        db_col_text_copy(st, 0, out->docker_image, sizeof out->docker_image);
        db_col_text_copy(st, 1, out->input_cid, sizeof out->input_cid);
        db_col_blob_fixed(st, 2, out->signer, 20);
        size_t n;
        const uint8_t *sig = db_col_blob(st, 3, &n);
        if (sig && n <= sizeof out->signature) {
            memcpy(out->signature, sig, n);
            out->signature_len = n;
        }
        out->received_at = db_col_int64(st, 4);
    }
    db_reset(st);
    return rc == DB_DONE ? STORE_NOTFOUND : store_rc(s, rc);
}

int store_spec_put(store *s, const uint8_t job_id[32], const char *image, const char *cid,
                   const uint8_t signer[20], const uint8_t *sig, size_t sig_len, int64_t now) {
    if (!image || !cid || strlen(image) >= STORE_IMAGE_MAX || strlen(cid) >= STORE_CID_MAX ||
        sig_len > 65)
        return STORE_INVALID;
    db_stmt *st;
    int rc = db_prepare(s->db,
                        "INSERT INTO job_specs (job_id, docker_image, input_cid, signer, signature,"
                        " received_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (job_id) DO NOTHING",
                        &st);
    if (rc != DB_OK) return store_rc(s, rc);
    db_bind_blob(st, 1, job_id, 32);
    db_bind_text(st, 2, image);
    db_bind_text(st, 3, cid);
    db_bind_blob(st, 4, signer, 20);
    db_bind_blob(st, 5, sig_len ? sig : NULL, sig_len);
    db_bind_int64(st, 6, now);
    rc = db_run(st);
    int64_t n = db_changes(st);
    db_reset(st);
    if (rc != DB_OK) return store_rc(s, rc);
    if (n) return STORE_OK;
    store_spec have;
    if ((rc = store_spec_get(s, job_id, &have)) != STORE_OK) return rc;
    bool same = !strcmp(have.docker_image, image) && !strcmp(have.input_cid, cid) &&
                !memcmp(have.signer, signer, 20);
    return same ? STORE_OK : STORE_DUP;
}
