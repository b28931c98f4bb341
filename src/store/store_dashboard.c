/* store_dashboard — aggregate reads for the operator dashboard (store_dashboard.h). */
#include "store/store_dashboard.h"
#include "store/store_internal.h"

int store_dash_cursors(store *s, store_dash_cursor *out, int cap, int *n) {
    *n = 0;
    db_stmt *st;
    int rc = store_prepare(
        s, &st,
        "SELECT chain_id, contract, block_number, updated_at FROM cursors ORDER BY chain_id, contract", "");
    if (rc != STORE_OK) return rc;
    while (*n < cap && (rc = db_step(st)) == DB_ROW) {
        store_dash_cursor *c = &out[(*n)++];
        c->chain_id = (uint64_t)db_col_int64(st, 0);
        db_col_blob_fixed(st, 1, c->contract, 20);
        c->block = db_col_int64(st, 2);
        c->updated_at = db_col_int64(st, 3);
    }
    db_reset(st);
    return rc == DB_ROW ? STORE_OK : store_rc(s, rc);
}

int store_dash_recent_dispatches(store *s, store_dash_dispatch *out, int cap, int *n) {
    *n = 0;
    db_stmt *st;
    int rc = store_prepare(s, &st,
                           "SELECT o.job_id, j.provider, j.status, o.created_at, o.sent_at FROM outbox o"
                           " LEFT JOIN jobs j ON j.job_id = o.job_id WHERE o.sent_at IS NOT NULL"
                           " ORDER BY o.sent_at DESC, o.id DESC LIMIT ?",
                           "i", (int64_t)cap);
    if (rc != STORE_OK) return rc;
    while (*n < cap && (rc = db_step(st)) == DB_ROW) {
        store_dash_dispatch *d = &out[(*n)++];
        db_col_blob_fixed(st, 0, d->job_id, 32);
        db_col_blob_fixed(st, 1, d->provider, 20);
        db_col_text_copy(st, 2, d->status, sizeof d->status);
        d->queued_at = db_col_int64(st, 3);
        d->sent_at = db_col_int64(st, 4);
    }
    db_reset(st);
    return rc == DB_ROW ? STORE_OK : store_rc(s, rc);
}

static int buckets(store *s, const char *sql, int64_t first_minute, int64_t out[STORE_DASH_MINUTES]) {
    db_stmt *st;
    int rc = store_prepare(s, &st, sql, "i", first_minute * 60);
    if (rc != STORE_OK) return rc;
    while ((rc = db_step(st)) == DB_ROW) {
        int64_t i = db_col_int64(st, 0) - first_minute;
        if (i >= 0 && i < STORE_DASH_MINUTES) out[i] = db_col_int64(st, 1);
    }
    db_reset(st);
    return store_rc(s, rc);
}

int store_dash_per_minute(store *s, int64_t first_minute, int64_t created[STORE_DASH_MINUTES],
                          int64_t dispatched[STORE_DASH_MINUTES], int64_t completed[STORE_DASH_MINUTES]) {
    memset(created, 0, STORE_DASH_MINUTES * sizeof *created);
    memset(dispatched, 0, STORE_DASH_MINUTES * sizeof *dispatched);
    memset(completed, 0, STORE_DASH_MINUTES * sizeof *completed);
    int rc = buckets(s, "SELECT created_at / 60, count(*) FROM jobs WHERE created_at >= ? GROUP BY created_at / 60",
                     first_minute, created);
    if (rc == STORE_OK)
        rc = buckets(s, "SELECT sent_at / 60, count(*) FROM outbox WHERE sent_at >= ? GROUP BY sent_at / 60",
                     first_minute, dispatched);
    if (rc == STORE_OK)
        rc = buckets(s, "SELECT completed_at / 60, count(*) FROM jobs WHERE completed_at >= ? GROUP BY completed_at / 60",
                     first_minute, completed);
    return rc;
}
