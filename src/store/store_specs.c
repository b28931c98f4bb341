/* store_specs — job specs (docker image + input CID) registered through the API, signed by the
 * renter. First writer wins: a different spec for the same job is refused, so nobody can swap
 * the image of a job once it is known. */
#include "store/store_internal.h"

/* docker_image, input_cid, signer, signature, received_at from column `col` on. */
static void read_spec_from(db_stmt *st, int col, store_spec *sp) {
    db_col_text_copy(st, col, sp->docker_image, sizeof sp->docker_image);
    db_col_text_copy(st, col + 1, sp->input_cid, sizeof sp->input_cid);
    db_col_blob_fixed(st, col + 2, sp->signer, 20);
    size_t n;
    const uint8_t *sig = db_col_blob(st, col + 3, &n);
    if (sig && n <= sizeof sp->signature) {
        memcpy(sp->signature, sig, n);
        sp->signature_len = n;
    }
    sp->received_at = db_col_int64(st, col + 4);
}

static void read_spec(db_stmt *st, void *row) {
    memset(row, 0, sizeof(store_spec));
    read_spec_from(st, 0, row);
}

int store_spec_get(store *s, const uint8_t job_id[32], store_spec *out) {
    int rc = store_row(s, read_spec, out,
                       "SELECT docker_image, input_cid, signer, signature, received_at FROM job_specs"
                       " WHERE job_id = ?",
                       "h", job_id);
    if (rc == STORE_OK) memcpy(out->job_id, job_id, 32);
    return rc;
}

int store_spec_put(store *s, const uint8_t job_id[32], const char *image, const char *cid,
                   const uint8_t signer[20], const uint8_t *sig, size_t sig_len, int64_t now) {
    if (!image || !cid || strlen(image) >= STORE_IMAGE_MAX || strlen(cid) >= STORE_CID_MAX ||
        sig_len > 65)
        return STORE_INVALID;
    int rc = store_write(s, STORE_NOTFOUND,
                         "INSERT INTO job_specs (job_id, docker_image, input_cid, signer, signature,"
                         " received_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (job_id) DO NOTHING",
                         "httabi", job_id, image, cid, signer, sig_len ? sig : NULL, sig_len, now);
    if (rc != STORE_NOTFOUND) return rc;
    store_spec have;
    if ((rc = store_spec_get(s, job_id, &have)) != STORE_OK) return rc;
    bool same = !strcmp(have.docker_image, image) && !strcmp(have.input_cid, cid) &&
                !memcmp(have.signer, signer, 20);
    return same ? STORE_OK : STORE_DUP;
}

/* "… WHERE job_id IN (?, ?, …)" with STORE_SPEC_BATCH placeholders: one statement text (so one
 * cached statement); a short last chunk repeats its first id in the unused slots. */
#define Q8 "?,?,?,?,?,?,?,?"
_Static_assert(STORE_SPEC_BATCH == 64, "SPEC_MANY_SQL has 64 placeholders");
#define SPEC_MANY_SQL                                                                          \
    "SELECT job_id, docker_image, input_cid, signer, signature, received_at FROM job_specs"    \
    " WHERE job_id IN (" Q8 "," Q8 "," Q8 "," Q8 "," Q8 "," Q8 "," Q8 "," Q8 ")"

int store_spec_get_many(store *s, const uint8_t (*job_ids)[32], size_t n,
                        int (*cb)(void *ud, const store_spec *spec), void *ud) {
    for (size_t at = 0; at < n; at += STORE_SPEC_BATCH) {
        size_t k = n - at < STORE_SPEC_BATCH ? n - at : STORE_SPEC_BATCH;
        db_stmt *st;
        int rc = db_prepare_lit(s->db, SPEC_MANY_SQL, &st);
        if (rc != DB_OK) return store_rc(s, rc);
        for (size_t i = 0; i < STORE_SPEC_BATCH; i++) db_bind_blob(st, (int)i + 1, job_ids[at + (i < k ? i : 0)], 32);
        int stop = 0;
        while (!stop && (rc = db_step(st)) == DB_ROW) {
            store_spec sp;
            memset(&sp, 0, sizeof sp);
            db_col_blob_fixed(st, 0, sp.job_id, 32);
            read_spec_from(st, 1, &sp);
            stop = cb(ud, &sp);
        }
        db_reset(st);
        if (stop) return stop;
        if (rc != DB_DONE) return store_rc(s, rc);
    }
    return STORE_OK;
}

int store_spec_delete(store *s, const uint8_t job_id[32]) {
    return store_delete_job_keyed(s, "DELETE FROM job_specs WHERE job_id = ?", job_id);
}
