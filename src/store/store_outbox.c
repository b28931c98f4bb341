/* store_outbox — NATS messages waiting to be published. A message is added in the same
 * transaction as the job it dispatches; the publisher drains it (JetStream, Nats-Msg-Id = job
 * id) and marks it sent. One message per job, ever (job_id is unique). */
#include <stdlib.h>

#include "store/store_internal.h"

int store_outbox_add(store *s, const uint8_t job_id[32], const char *subject, const uint8_t *payload,
                     size_t len, int64_t now) {
    if (!subject || strlen(subject) >= sizeof ((store_outbox_row *)0)->subject) return STORE_INVALID;
    db_stmt *st;
    int rc = db_prepare_lit(s->db,
                        "INSERT INTO outbox (job_id, subject, payload, created_at, attempts)"
                        " VALUES (?, ?, ?, ?, 0) ON CONFLICT (job_id) DO NOTHING",
                        &st);
    if (rc != DB_OK) return store_rc(s, rc);
    db_bind_blob(st, 1, job_id, 32);
    db_bind_text(st, 2, subject);
    db_bind_blob(st, 3, payload ? payload : (const uint8_t *)"", len);
    db_bind_int64(st, 4, now);
    rc = store_run_write(s, st, STORE_DUP);
    if (rc == STORE_OK) store_notify_mark(s); /* wake the publisher when this commits */
    return rc;
}

int store_outbox_pending(store *s, int limit, store_outbox_row *rows, int *n) {
    *n = 0;
    db_stmt *st;
    int rc = db_prepare(s->db,
                        "SELECT id, job_id, subject, payload, created_at, attempts FROM outbox"
                        " WHERE sent_at IS NULL ORDER BY id LIMIT ?",
                        &st);
    if (rc != DB_OK) return store_rc(s, rc);
    db_bind_int64(st, 1, limit);
    while (*n < limit && (rc = db_step(st)) == DB_ROW) {
        store_outbox_row *r = &rows[*n];
        memset(r, 0, sizeof *r);
        r->id = db_col_int64(st, 0);
        db_col_blob_fixed(st, 1, r->job_id, 32);
        db_col_text_copy(st, 2, r->subject, sizeof r->subject);
        size_t len;
        const uint8_t *p = db_col_blob(st, 3, &len);
        r->payload = malloc(len + 1);
        if (!r->payload) {
            db_reset(st);
            store_outbox_rows_free(rows, *n);
            *n = 0;
            return STORE_ERR;
        }
        if (len) memcpy(r->payload, p, len);
        r->payload[len] = 0;
        r->payload_len = len;
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

static int update_by_id(store *s, const char *sql, int64_t id, const int64_t *now) {
    db_stmt *st;
    int rc = db_prepare(s->db, sql, &st);
    if (rc != DB_OK) return store_rc(s, rc);
    int i = 1;
    if (now) db_bind_int64(st, i++, *now);
    db_bind_int64(st, i, id);
    return store_run_write(s, st, STORE_NOTFOUND);
}

int store_outbox_mark_sent(store *s, int64_t id, int64_t now) {
    return update_by_id(s, "UPDATE outbox SET sent_at = ? WHERE id = ?", id, &now);
}

int store_outbox_bump_attempts(store *s, int64_t id) {
    return update_by_id(s, "UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", id, NULL);
}

int store_outbox_depth(store *s, int64_t *unsent) {
    db_stmt *st;
    int rc = db_prepare(s->db, "SELECT count(*) FROM outbox WHERE sent_at IS NULL", &st);
    if (rc != DB_OK) return store_rc(s, rc);
    return store_query_int64(s, st, unsent); /* count(*): always a row */
}
