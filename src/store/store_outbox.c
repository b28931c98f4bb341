/* store_outbox — NATS messages waiting to be published. A message is added in the same
 * transaction as the job it dispatches; the publisher drains it (JetStream, Nats-Msg-Id = job
 * id) and marks it sent. One message per job, ever (job_id is unique). */
#include <stdlib.h>

#include "store/store_internal.h"

int store_outbox_add(store *s, const uint8_t job_id[32], const char *subject, const uint8_t *payload,
                     size_t len, int64_t now) {
    if (!subject || strlen(subject) >= sizeof ((store_outbox_row *)0)->subject) return STORE_INVALID;
    int rc = store_write_lit(s, STORE_DUP,
                             "INSERT INTO outbox (job_id, subject, payload, created_at, attempts)"
                             " VALUES (?, ?, ?, ?, 0) ON CONFLICT (job_id) DO NOTHING",
                             "htbi", job_id, subject, payload ? payload : (const uint8_t *)"", len, now);
    if (rc == STORE_OK) store_notify_mark(s); /* wake the publisher when this commits */
    return rc;
}

int store_outbox_pending(store *s, int limit, store_outbox_row *rows, int *n) {
    *n = 0;
    db_stmt *st;
    int rc = store_prepare(s, &st,
                           "SELECT id, job_id, subject, payload, created_at, attempts FROM outbox"
                           " WHERE sent_at IS NULL ORDER BY id LIMIT ?",
                           "i", (int64_t)limit);
    if (rc != STORE_OK) return rc;
    while (*n < limit && (rc = db_step(st)) == DB_ROW) {
        store_outbox_row *r = &rows[*n];
        memset(r, 0, sizeof *r);
        r->id = db_col_int64(st, 0);
        db_col_blob_fixed(st, 1, r->job_id, 32);
        db_col_text_copy(st, 2, r->subject, sizeof r->subject);
        if (!(r->payload = store_col_blob_dup(st, 3, &r->payload_len))) {
            db_reset(st);
            store_outbox_rows_free(rows, *n);
            *n = 0;
            return STORE_ERR;
        }
        r->created_at = db_col_int64(st, 4);
        r->attempts = db_col_int64(st, 5);
        (*n)++;
    }
    db_reset(st);
    if (rc == DB_ROW || rc == DB_DONE) return STORE_OK;
    store_outbox_rows_free(rows, *n);
    *n = 0;
    return store_rc(s, rc);
}

void store_outbox_rows_free(store_outbox_row *rows, int n) {
    for (int i = 0; i < n; i++) {
        free(rows[i].payload);
        rows[i].payload = NULL;
    }
}

int store_outbox_mark_sent(store *s, int64_t id, int64_t now) {
    return store_write(s, STORE_NOTFOUND, "UPDATE outbox SET sent_at = ? WHERE id = ?", "ii", now, id);
}

int store_outbox_bump_attempts(store *s, int64_t id) {
    return store_write(s, STORE_NOTFOUND, "UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", "i", id);
}

int store_outbox_depth(store *s, int64_t *unsent) {
    /* count(*): always a row */
    return store_int64(s, unsent, "SELECT count(*) FROM outbox WHERE sent_at IS NULL", "");
}
