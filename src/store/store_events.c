/* store_events — reading and pruning the trigger-written events table (store_events.h). */
#include "store/store_events.h"
#include "store/store_internal.h"

static void copy_short(char *out, size_t cap, const char *s) {
    snprintf(out, cap, "%s", s ? s : "");
}

int store_events_after(store *s, int64_t after, int64_t upto, int limit,
                       int (*cb)(void *ud, const store_event *e), void *ud) {
    db_stmt *st;
    int rc =
        store_prepare(s, &st,
                      "SELECT id, kind, job_id, provider, renter, status, prev_status, is_online,"
                      " job_count, created_ms FROM events WHERE id > ? AND (CAST(? AS BIGINT) < 0 OR id <= ?)"
                      " ORDER BY id LIMIT ?",
                      "iiii", after, upto, upto, (int64_t)limit);
    if (rc != STORE_OK) return rc;
    int ret = STORE_OK;
    while ((rc = db_step(st)) == DB_ROW) {
        store_event e;
        memset(&e, 0, sizeof e);
        e.id = db_col_int64(st, 0);
        const char *k = db_col_text(st, 1);
        e.kind = !strcmp(k, "node") ? STORE_EV_NODE : !strcmp(k, "dispatch") ? STORE_EV_DISPATCH : STORE_EV_JOB;
        e.has_job = db_col_blob_fixed(st, 2, e.job_id, 32) == 0;
        e.has_provider = db_col_blob_fixed(st, 3, e.provider, 20) == 0;
        e.has_renter = db_col_blob_fixed(st, 4, e.renter, 20) == 0;
        copy_short(e.status, sizeof e.status, db_col_text(st, 5));
        copy_short(e.prev_status, sizeof e.prev_status, db_col_text(st, 6));
        e.is_online = db_col_is_null(st, 7) ? -1 : db_col_int64(st, 7) != 0;
        e.job_count = db_col_int64(st, 8);
        e.created_ms = db_col_int64(st, 9);
        if ((ret = cb(ud, &e)) != 0) break;
    }
    if (ret == 0 && rc != DB_DONE) ret = store_rc(s, rc);
    db_reset(st);
    return ret;
}

int store_events_bounds(store *s, int64_t *min_id, int64_t *max_id) {
    int64_t v[2];
    int rc = store_row(s, store_read_int64_pair, v,
                       /* one aggregate per subquery: SQLite answers a lone MIN or MAX from the
                        * end of the index, but both in one SELECT read every row */
                       "SELECT (SELECT COALESCE(MIN(id), 0) FROM events), (SELECT COALESCE(MAX(id), 0) FROM events)",
                       ""); /* aggregates without GROUP BY: always a row */
    if (rc == STORE_OK) {
        *min_id = v[0];
        *max_id = v[1];
    }
    return rc;
}

int store_events_prune(store *s, int64_t cutoff_ms, int64_t *deleted) {
    int64_t n = 0;
    int rc = store_count(s, &n, "DELETE FROM events WHERE created_ms < ?", "i", cutoff_ms);
    if (deleted) *deleted = rc == STORE_OK ? n : 0;
    return rc;
}

int store_events_clock_ms(store *s, int64_t *ms) {
    return store_int64(s, ms,
                       db_backend(s->db) == DB_POSTGRES
                           ? "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint"
                           : "SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
                       ""); /* a SELECT without FROM: always a row */
}

int store_events_open_tx_before(store *s, int64_t since_ms, int64_t *n) {
    *n = 0;
    if (db_backend(s->db) != DB_POSTGRES) return STORE_OK;
    return store_int64(s, n,
                       "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                       " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
                       " AND xact_start < to_timestamp(CAST(? AS BIGINT) / 1000.0)",
                       "i", since_ms); /* count(*): always a row */
}
