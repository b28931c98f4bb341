/* store_replica — read-your-writes across a PostgreSQL primary and its streaming standby.
 *
 * A write returns the primary's WAL position after its commit; a later read that carries it is
 * served by the standby only once the standby has replayed that far, and by the primary
 * otherwise. SQLite has no replicas: every position is "replayed". */
#include <ctype.h>
#include <string.h>

#include "store/store_internal.h"

bool store_lsn_valid(const char *lsn) {
    /* PostgreSQL's pg_lsn text: two hexadecimal numbers of 1 to 8 digits, "16/B374D848". */
    const char *slash = lsn ? strchr(lsn, '/') : NULL;
    if (!slash) return false;
    size_t hi = (size_t)(slash - lsn), lo = strlen(slash + 1);
    if (hi < 1 || hi > 8 || lo < 1 || lo > 8) return false;
    for (const char *p = lsn; *p; p++)
        if (p != slash && !isxdigit((unsigned char)*p)) return false;
    return true;
}

int store_wal_position(store *s, char *out, size_t cap) {
    if (db_backend(s->db) != DB_POSTGRES) return STORE_NOTFOUND;
    db_stmt *st;
    /* The insert position, not pg_current_wal_lsn() (the write position): with
     * synchronous_commit off a commit record may be inserted but not yet written, and a
     * position before it would let a standby that lacks the commit answer. */
    int rc = store_prepare(s, &st, "SELECT pg_current_wal_insert_lsn()::text", "");
    if (rc != STORE_OK) return rc;
    rc = db_step(st);
    if (rc == DB_ROW) db_col_text_copy(st, 0, out, cap);
    db_reset(st);
    return rc == DB_ROW ? STORE_OK : store_rc(s, rc);
}

int store_replayed_to(store *s, const char *lsn, bool *yes) {
    *yes = true;
    if (db_backend(s->db) != DB_POSTGRES) return STORE_OK;
    if (!store_lsn_valid(lsn)) return STORE_INVALID;
    /* On a server that is not in recovery (a primary, a promoted standby) the replay position is
     * NULL: it has everything it committed. (Integers, not booleans: results arrive as text.) */
    int64_t v = 0;
    int rc = store_int64(
        s, &v,
        "SELECT CASE WHEN pg_last_wal_replay_lsn() IS NULL OR pg_last_wal_replay_lsn() >= CAST(? AS pg_lsn)"
        " THEN 1 ELSE 0 END",
        "t", lsn); /* a SELECT without FROM: always a row */
    if (rc == STORE_OK) *yes = v != 0;
    return rc;
}
