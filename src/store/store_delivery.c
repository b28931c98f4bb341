/* store_delivery — the copies of each job handed to its provider's agent, until the agent
 * reports (docs/design.md "Acknowledged delivery"). The state machine lives in
 * services/job_delivery.c; this file only reads and moves rows, each move guarded by the
 * state it leaves so a late or repeated call changes nothing. */
#include <stdlib.h>

#include "store/store_internal.h"

static const char *const state_names[] = {"waiting", "sending", "delivered", "acked", "expired"};
#define N_STATES ((int)(sizeof state_names / sizeof *state_names))

const char *store_delivery_state_name(store_delivery_state st) {
    return store_name_of(state_names, N_STATES, (int)st);
}

static store_delivery_state parse_state(const char *t) {
    int i = store_name_index(state_names, N_STATES, t);
    return i >= 0 ? (store_delivery_state)i : STORE_DELIVERY_EXPIRED; /* unknown text: never sent again */
}

int store_delivery_add(store *s, const uint8_t job_id[32], const uint8_t provider[20], const char *subject,
                       int64_t now) {
    if (!subject || strlen(subject) >= sizeof ((store_delivery *)0)->subject) return STORE_INVALID;
    int rc =
        store_write_lit(s, STORE_DUP,
                        "INSERT INTO deliveries (job_id, provider, subject, state, next_at_ms, created_at)"
                        " VALUES (?, ?, ?, 'waiting', 0, ?) ON CONFLICT (job_id) DO NOTHING",
                        "hati", job_id, provider, subject, now);
    if (rc == STORE_OK) store_notify_mark(s);
    return rc;
}

int store_delivery_recover(store *s, int64_t *n) {
    *n = 0;
    return store_count(s, n, "UPDATE deliveries SET state = 'delivered' WHERE state = 'sending'", "");
}

#define ROW_COLS                                                                                            \
    "d.job_id, d.provider, d.subject, d.state, d.probes, d.copies, d.next_at_ms, d.sent_at_ms, d.created_at," \
    " o.payload"

static int read_rows(store *s, db_stmt *st, int limit, store_delivery *rows, int *n) {
    int rc;
    *n = 0;
    while (*n < limit && (rc = db_step(st)) == DB_ROW) {
        store_delivery *r = &rows[*n];
        memset(r, 0, sizeof *r);
        db_col_blob_fixed(st, 0, r->job_id, 32);
        db_col_blob_fixed(st, 1, r->provider, 20);
        db_col_text_copy(st, 2, r->subject, sizeof r->subject);
        r->state = parse_state(db_col_text(st, 3));
        r->probes = db_col_int64(st, 4);
        r->copies = db_col_int64(st, 5);
        r->next_at_ms = db_col_int64(st, 6);
        r->sent_at_ms = db_col_is_null(st, 7) ? 0 : db_col_int64(st, 7);
        r->created_at = db_col_int64(st, 8);
        if (!(r->payload = store_col_blob_dup(st, 9, &r->payload_len))) {
            db_reset(st);
            store_delivery_rows_free(rows, *n);
            *n = 0;
            return STORE_ERR;
        }
        (*n)++;
    }
    if (*n == limit) rc = DB_DONE;
    db_reset(st);
    if (rc == DB_DONE) return STORE_OK;
    store_delivery_rows_free(rows, *n);
    *n = 0;
    return store_rc(s, rc);
}

int store_delivery_due(store *s, int64_t now_ms, int64_t ack_wait_ms, int limit, store_delivery *rows, int *n) {
    db_stmt *st;
    /* Waiting rows that are due, and delivered ones whose agent stayed silent past the ack
     * wait (they go round again: the second copy this may give is the documented window). */
    int rc = store_prepare(s, &st,
                           "SELECT " ROW_COLS " FROM deliveries d JOIN outbox o ON o.job_id = d.job_id"
                           " WHERE (d.state = 'waiting' AND d.next_at_ms <= ?)"
                           " OR (d.state = 'delivered' AND d.sent_at_ms <= ?)"
                           " ORDER BY d.next_at_ms, d.created_at LIMIT ?",
                           "iii", now_ms, now_ms - ack_wait_ms, (int64_t)limit);
    if (rc != STORE_OK) return rc;
    return read_rows(s, st, limit, rows, n);
}

int store_delivery_overdue(store *s, int64_t created_before, int limit, store_delivery *rows, int *n) {
    db_stmt *st;
    int rc = store_prepare(s, &st,
                           "SELECT " ROW_COLS " FROM deliveries d JOIN outbox o ON o.job_id = d.job_id"
                           " WHERE d.state IN ('waiting', 'sending', 'delivered') AND d.created_at <= ?"
                           " ORDER BY d.created_at LIMIT ?",
                           "ii", created_before, (int64_t)limit);
    if (rc != STORE_OK) return rc;
    return read_rows(s, st, limit, rows, n);
}

void store_delivery_rows_free(store_delivery *rows, int n) {
    for (int i = 0; i < n; i++) {
        free(rows[i].payload);
        rows[i].payload = NULL;
    }
}

int store_delivery_mark(store *s, const uint8_t job_id[32], store_delivery_state from, store_delivery_state to,
                        int64_t now_ms, int64_t next_at_ms) {
    /* One statement per move, so each names its source state literally. */
    const char *sql = NULL;
    switch (to) {
    case STORE_DELIVERY_SENDING:
        sql = from == STORE_DELIVERY_WAITING
                  ? "UPDATE deliveries SET state = 'sending', sent_at_ms = ? WHERE job_id = ? AND state = 'waiting'"
                  : "UPDATE deliveries SET state = 'sending', sent_at_ms = ? WHERE job_id = ? AND state = 'delivered'";
        break;
    case STORE_DELIVERY_DELIVERED:
        sql = "UPDATE deliveries SET state = 'delivered', copies = copies + 1, sent_at_ms = ?"
              " WHERE job_id = ? AND state = 'sending'";
        break;
    case STORE_DELIVERY_WAITING:
        sql = "UPDATE deliveries SET state = 'waiting', probes = probes + 1, next_at_ms = ?"
              " WHERE job_id = ? AND state = 'sending'";
        now_ms = next_at_ms;
        break;
    default: return STORE_INVALID;
    }
    return store_write(s, STORE_NOTFOUND, sql, "ih", now_ms, job_id);
}

int store_delivery_ack(store *s, const uint8_t job_id[32], const uint8_t provider[20], int64_t now) {
    return store_write(s, STORE_NOTFOUND,
                       "UPDATE deliveries SET state = 'acked', acked_at = ?"
                       " WHERE job_id = ? AND provider = ? AND state <> 'acked'",
                       "iha", now, job_id, provider);
}

int store_delivery_settle_moved(store *s, int64_t now, int64_t *settled) {
    /* A job in a state only its agent's work leads to — running, completed, failed or stalled
     * (a report through the provider's signed PUT), or paid (the provider claimed it on chain)
     * — has reached its agent, whatever reports we missed: sending it again would only be a
     * duplicate. A renter's confirmation alone proves nothing about the agent (a renter may
     * confirm at once), so a confirmed job is still delivered. */
    return store_count(
        s, settled,
        "UPDATE deliveries SET state = 'acked', acked_at = ?"
        " WHERE state IN ('waiting', 'delivered') AND job_id IN"
        " (SELECT job_id FROM jobs WHERE status IN ('running', 'completed', 'failed', 'stalled', 'paid'))",
        "i", now);
}

int store_delivery_expire(store *s, const uint8_t job_id[32], const char *reason) {
    return store_write(s, STORE_NOTFOUND,
                       "UPDATE deliveries SET state = 'expired', reason = ?"
                       " WHERE job_id = ? AND state IN ('waiting', 'sending', 'delivered')",
                       "th", reason, job_id);
}

int store_delivery_stats(store *s, int64_t *awaiting, int64_t *oldest_created_at) {
    int64_t v[2] = {0, 0};
    int rc = store_row(s, store_read_int64_pair, v,
                       "SELECT count(*), COALESCE(MIN(created_at), 0) FROM deliveries"
                       " WHERE state IN ('waiting', 'sending', 'delivered')",
                       ""); /* aggregates without GROUP BY: always a row */
    *awaiting = v[0];
    *oldest_created_at = v[1];
    return rc;
}

int store_delivery_redispatch(store *s, const uint8_t job_id[32], const char *subject, int64_t now) {
    store_job j;
    int rc = store_job_get(s, job_id, &j);
    if (rc != STORE_OK) return rc;
    if (j.status != JOB_UNDELIVERED && j.status != JOB_STALLED && j.status != JOB_ASSIGNED) {
        snprintf(s->errmsg, sizeof s->errmsg, "job is %s; only assigned, undelivered or stalled jobs are redispatched",
                 store_job_status_name(j.status));
        return STORE_INVALID;
    }
    rc = store_write(s, STORE_NOTFOUND,
                     "UPDATE jobs SET status = 'assigned', error_message = NULL, updated_at = ?"
                     " WHERE job_id = ? AND status IN ('assigned', 'undelivered', 'stalled')",
                     "ih", now, job_id);
    if (rc != STORE_OK) return rc;
    /* A fresh delivery: its deadline counts from now, and it goes out at the next pass. */
    rc = store_write(s, STORE_NOTFOUND,
                     "UPDATE deliveries SET state = 'waiting', next_at_ms = 0, created_at = ?, reason = NULL,"
                     " acked_at = NULL WHERE job_id = ?",
                     "ih", now, job_id);
    if (rc == STORE_NOTFOUND) rc = store_delivery_add(s, job_id, j.provider, subject, now); /* dispatched before 0002 */
    if (rc == STORE_OK) store_notify_mark(s);
    return rc;
}

int store_jobs_stalled(store *s, int64_t running_before, int limit, uint8_t (*ids)[32], int64_t *running_at, int *n) {
    db_stmt *st;
    *n = 0;
    /* The base is lamda's own clock when the agent first reported (acked_at): running_at is
     * the agent's timestamp, which may be days old (a replayed or skewed report) and would
     * stall a job the moment it starts. running_at only for jobs without a delivery row. */
    int rc = store_prepare(s, &st,
                           "SELECT j.job_id, COALESCE(d.acked_at, j.running_at, 0) FROM jobs j"
                           " LEFT JOIN deliveries d ON d.job_id = j.job_id"
                           " WHERE j.status = 'running' AND COALESCE(d.acked_at, j.running_at, 0) <= ?"
                           " ORDER BY 2 LIMIT ?",
                           "ii", running_before, (int64_t)limit);
    if (rc != STORE_OK) return rc;
    while (*n < limit && (rc = db_step(st)) == DB_ROW) {
        db_col_blob_fixed(st, 0, ids[*n], 32);
        running_at[*n] = db_col_int64(st, 1);
        (*n)++;
    }
    if (*n == limit) rc = DB_DONE;
    db_reset(st);
    return store_rc(s, rc);
}
