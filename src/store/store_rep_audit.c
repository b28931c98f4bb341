/* store_rep_audit — see store_rep_audit.h. */
#include "store/store_rep_audit.h"

#include <time.h>

#include "store/store_internal.h"

#define CONFIRMED "j.status IN ('confirmed', 'paid')"
#define NO_ROW "NOT EXISTS (SELECT 1 FROM reputation_updates r WHERE r.job_id = j.job_id)"

int store_rep_tally_each(store *s, int (*cb)(const store_rep_tally *t, void *ud), void *ud) {
    db_stmt *st;
    int rc = store_prepare(s, &st,
                           "SELECT p, sum(c), sum(pe), sum(si), sum(mi), sum(fa), sum(nr) FROM ("
                           " SELECT j.provider AS p, 1 AS c, 0 AS pe, 0 AS si, 0 AS mi, 0 AS fa, 1 AS nr"
                           "  FROM jobs j WHERE " CONFIRMED " AND " NO_ROW
                           " UNION ALL"
                           " SELECT r.provider, 1, CASE WHEN r.state = 'pending' THEN 1 ELSE 0 END,"
                           "  CASE WHEN r.state = 'signed' THEN 1 ELSE 0 END,"
                           "  CASE WHEN r.state = 'mined' THEN 1 ELSE 0 END,"
                           "  CASE WHEN r.state = 'failed' THEN 1 ELSE 0 END, 0 FROM reputation_updates r"
                           " UNION ALL"
                           " SELECT address, 0, 0, 0, 0, 0, 0 FROM providers WHERE total_jobs_completed > 0"
                           ") t GROUP BY p ORDER BY p",
                           "");
    if (rc != STORE_OK) return rc;
    int ret = STORE_OK;
    while ((rc = db_step(st)) == DB_ROW) {
        store_rep_tally t;
        memset(&t, 0, sizeof t);
        if (db_col_blob_fixed(st, 0, t.provider, 20) != 0) continue;
        t.confirmed = db_col_int64(st, 1);
        t.by_state[STORE_REP_PENDING] = db_col_int64(st, 2);
        t.by_state[STORE_REP_SIGNED] = db_col_int64(st, 3);
        t.by_state[STORE_REP_MINED] = db_col_int64(st, 4);
        t.by_state[STORE_REP_FAILED] = db_col_int64(st, 5);
        t.without_row = db_col_int64(st, 6);
        if ((ret = cb(&t, ud)) != 0) break;
    }
    db_reset(st);
    if (ret != 0) return ret;
    return rc == DB_DONE ? STORE_OK : store_rc(s, rc);
}

int store_rep_add_missing(store *s, const uint8_t provider[20], int64_t now, int64_t *added) {
    *added = 0;
    return store_count(s, added,
                       "INSERT INTO reputation_updates (job_id, provider, state, attempts, confirmed_at,"
                       " created_at, updated_at) SELECT j.job_id, j.provider, 'pending', 0,"
                       " coalesce(j.confirmed_at, 0), ?, ? FROM jobs j WHERE j.provider = ? AND " CONFIRMED
                       " AND " NO_ROW " ON CONFLICT (job_id) DO NOTHING",
                       "iia", now, now, provider);
}

int store_rep_requeue_failed(store *s, const uint8_t provider[20], int64_t n, int64_t *done) {
    *done = 0;
    return store_count(s, done,
                       "UPDATE reputation_updates SET state = 'pending', nonce = NULL, raw_tx = NULL,"
                       " tx_hash = NULL, sent_at = NULL, mined_block = NULL, updated_at = ?"
                       " WHERE job_id IN (SELECT job_id FROM reputation_updates WHERE provider = ?"
                       " AND state = 'failed' ORDER BY created_at, job_id LIMIT ?)",
                       "iai", (int64_t)time(NULL), provider, n);
}

int store_rep_settle_covered(store *s, const uint8_t provider[20], int64_t n, const char *note, int64_t *done) {
    *done = 0;
    return store_count(s, done,
                       "UPDATE reputation_updates SET state = 'mined', last_error = ?, updated_at = ?"
                       " WHERE job_id IN (SELECT job_id FROM reputation_updates WHERE provider = ?"
                       " AND state = 'pending' ORDER BY created_at, job_id LIMIT ?)",
                       "tiai", note, (int64_t)time(NULL), provider, n);
}
