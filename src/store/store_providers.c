/* store_providers — the provider table, derived from NodeReputation events (registration,
 * heartbeats, job counts) plus the offline sweep. Every write is one upsert statement. */
#include <time.h>

#include "store/db_array.h"
#include "store/store_internal.h"

#define PROVIDER_COLS                                                                          \
    "SELECT address, gpu_model, vram, last_seen, is_online, is_registered,"                    \
    " total_jobs_completed, reputation_score, registered_block, created_at, updated_at"        \
    " FROM providers"

static void read_provider(db_stmt *st, void *row) {
    store_provider *p = row;
    memset(p, 0, sizeof *p);
    db_col_blob_fixed(st, 0, p->address, 20);
    db_col_text_copy(st, 1, p->gpu_model, sizeof p->gpu_model);
    p->vram = db_col_int64(st, 2);
    p->last_seen = db_col_int64(st, 3);
    p->is_online = db_col_int64(st, 4) != 0;
    p->is_registered = db_col_int64(st, 5) != 0;
    p->total_jobs_completed = db_col_int64(st, 6);
    p->reputation_score = db_col_int64(st, 7);
    p->registered_block = db_col_int64(st, 8);
    p->created_at = db_col_int64(st, 9);
    p->updated_at = db_col_int64(st, 10);
}

/* The upsert of a merged change (store_provider_change): the registration's columns only when
 * the change has one (excluded.is_registered = 1), last_seen a maximum, online/registered
 * turned on, never off. The job count's columns are set by the second form only, so a change
 * without a count leaves them alone (and a new row gets their default, 0). */
#define PROVIDER_INSERT                                                                            \
    "INSERT INTO providers (address, gpu_model, vram, last_seen, is_online, is_registered,"        \
    " registered_block, total_jobs_completed, reputation_score, created_at, updated_at)"
#define PROVIDER_MERGE                                                                             \
    " ON CONFLICT (address) DO UPDATE SET"                                                         \
    " gpu_model = CASE WHEN excluded.is_registered = 1 THEN excluded.gpu_model ELSE providers.gpu_model END," \
    " vram = CASE WHEN excluded.is_registered = 1 THEN excluded.vram ELSE providers.vram END,"     \
    " registered_block = CASE WHEN excluded.is_registered = 1 THEN excluded.registered_block"      \
    " ELSE providers.registered_block END,"                                                        \
    " is_registered = CASE WHEN excluded.is_registered = 1 THEN 1 ELSE providers.is_registered END," \
    " last_seen = CASE WHEN excluded.last_seen > providers.last_seen THEN excluded.last_seen"      \
    " ELSE providers.last_seen END,"                                                               \
    " is_online = CASE WHEN excluded.is_online = 1 THEN 1 ELSE providers.is_online END,"           \
    " updated_at = excluded.updated_at"
#define PROVIDER_MERGE_COUNT                                                                       \
    ", total_jobs_completed = excluded.total_jobs_completed, reputation_score = excluded.reputation_score"
#define PROVIDER_ROW " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
/* The same rows from arrays: created_at and updated_at (now) first, then one array per column.
 * Each address at most once per statement (ON CONFLICT DO UPDATE cannot touch a row twice). */
#define PROVIDER_UNNEST                                                                            \
    " SELECT a, g, v, ls, o, r, rb, c, c, ?::bigint, ?::bigint FROM unnest(?::bytea[], ?::text[],"  \
    " ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[])"                \
    " AS u(a, g, v, ls, o, r, rb, c)"

static const char *const PROVIDER_SQL[2][2] = { /* [postgres][has_count] */
    {PROVIDER_INSERT PROVIDER_ROW PROVIDER_MERGE, PROVIDER_INSERT PROVIDER_ROW PROVIDER_MERGE PROVIDER_MERGE_COUNT},
    {PROVIDER_INSERT PROVIDER_UNNEST PROVIDER_MERGE, PROVIDER_INSERT PROVIDER_UNNEST PROVIDER_MERGE PROVIDER_MERGE_COUNT},
};

static int apply_one(store *s, const store_provider_change *c, int64_t now) {
    int64_t count = c->has_count ? c->count : 0;
    return store_count_lit(s, NULL, PROVIDER_SQL[0][c->has_count], "atiiiiiiiii", c->address, c->gpu_model,
                           c->vram, c->last_seen, (int64_t)c->online, (int64_t)c->registered,
                           c->registered_block, count, count, now, now);
}

#define PROVIDER_CHUNK 4096

/* The changes with (or without) a count, PROVIDER_CHUNK per statement. */
static int apply_pg(store *s, const store_provider_change *c, size_t n, bool with_count, int64_t now) {
    db_array a[8];
    static const db_array_type types[8] = {DB_ARRAY_BYTEA, DB_ARRAY_TEXT, DB_ARRAY_INT8, DB_ARRAY_INT8,
                                           DB_ARRAY_INT8,  DB_ARRAY_INT8, DB_ARRAY_INT8, DB_ARRAY_INT8};
    for (int k = 0; k < 8; k++) db_array_init(&a[k], types[k]);
    int rc = STORE_OK;
    for (size_t i = 0; rc == STORE_OK && i < n;) {
        for (int k = 0; k < 8; k++) db_array_clear(&a[k]);
        for (; i < n && a[0].n < PROVIDER_CHUNK; i++) {
            if (c[i].has_count != with_count) continue;
            db_array_blob(&a[0], c[i].address, 20);
            db_array_text(&a[1], c[i].gpu_model);
            db_array_int64(&a[2], c[i].vram);
            db_array_int64(&a[3], c[i].last_seen);
            db_array_int64(&a[4], c[i].online);
            db_array_int64(&a[5], c[i].registered);
            db_array_int64(&a[6], c[i].registered_block);
            db_array_int64(&a[7], with_count ? c[i].count : 0);
        }
        if (a[0].n == 0) break;
        db_stmt *st;
        rc = store_rc(s, db_prepare_lit(s->db, PROVIDER_SQL[1][with_count], &st));
        if (rc != STORE_OK) break;
        db_bind_int64(st, 1, now);
        db_bind_int64(st, 2, now);
        for (int k = 0; k < 8; k++) db_bind_array(st, 3 + k, &a[k]);
        rc = store_run_count(s, st, NULL);
    }
    for (int k = 0; k < 8; k++) db_array_free(&a[k]);
    return rc;
}

int store_provider_apply_changes(store *s, const store_provider_change *c, size_t n) {
    int64_t now = (int64_t)time(NULL);
    if (db_backend(s->db) == DB_POSTGRES && n > 1) {
        int rc = apply_pg(s, c, n, false, now);
        return rc == STORE_OK ? apply_pg(s, c, n, true, now) : rc;
    }
    for (size_t i = 0; i < n; i++) {
        int rc = apply_one(s, &c[i], now);
        if (rc != STORE_OK) return rc;
    }
    return STORE_OK;
}

/* One event is a change of one: the same statement as a batch's merged changes. */
static store_provider_change one(const uint8_t addr[20]) {
    store_provider_change c;
    memset(&c, 0, sizeof c);
    memcpy(c.address, addr, 20);
    return c;
}

int store_provider_register(store *s, const uint8_t addr[20], const char *gpu_model, uint64_t vram,
                            int64_t block_time, uint64_t block_number) {
    store_provider_change c = one(addr);
    store_provider_change_register(&c, gpu_model, vram, block_time, block_number);
    return store_provider_apply_changes(s, &c, 1);
}

int store_provider_heartbeat(store *s, const uint8_t addr[20], int64_t ts) {
    store_provider_change c = one(addr);
    store_provider_change_heartbeat(&c, ts);
    return store_provider_apply_changes(s, &c, 1);
}

int store_provider_set_job_count(store *s, const uint8_t addr[20], int64_t count) {
    store_provider_change c = one(addr); /* the chain's job count is the reputation score */
    store_provider_change_job_count(&c, count);
    return store_provider_apply_changes(s, &c, 1);
}

int store_provider_delete(store *s, const uint8_t addr[20]) {
    return store_write(s, STORE_NOTFOUND, "DELETE FROM providers WHERE address = ?", "a", addr);
}

int store_provider_sweep_offline(store *s, int64_t cutoff_ts, int *changed) {
    int64_t n = 0;
    int rc = store_count(
        s, &n, "UPDATE providers SET is_online = 0, updated_at = ? WHERE is_online = 1 AND last_seen < ?",
        "ii", (int64_t)time(NULL), cutoff_ts);
    if (changed) *changed = (int)n;
    return rc;
}

int store_provider_get(store *s, const uint8_t addr[20], store_provider *out) {
    return store_get_by_key(s, PROVIDER_COLS " WHERE address = ?", addr, 20, read_provider, out);
}

static int provider_bind(db_stmt *st, const void *filter) {
    const store_provider_filter *f = filter;
    int i = 1;
    if (f->min_vram > 0) db_bind_int64(st, i++, f->min_vram);
    if (f->min_reputation > 0) db_bind_int64(st, i++, f->min_reputation);
    if (f->online >= 0) db_bind_int64(st, i++, f->online ? 1 : 0);
    if (f->gpu_model) db_bind_text(st, i++, f->gpu_model);
    return i;
}

int store_provider_list(store *s, const store_provider_filter *f, store_provider *out, int cap,
                        int *n, int64_t *total) {
    char where[160];
    /* The WHERE clause is composed from constant fragments; values are always bound. A minimum
     * of 0 means any, and is left out: every stored vram and score is >= 0, and without those
     * terms the default query's total is a counter and its page walks the online index. */
    const char *terms[] = {f->min_vram > 0 ? "vram >= ?" : NULL,
                           f->min_reputation > 0 ? "reputation_score >= ?" : NULL,
                           f->online >= 0 ? "is_online = ?" : NULL,
                           f->gpu_model ? "lower(gpu_model) = lower(?)" : NULL};
    store_where(terms, 4, where, sizeof where);
    /* The counters (migration 0006) hold the total and the count per is_online, what
     * GET /api/nodes and /api/v1/nodes ask by default; a minimum or a GPU model (a search of
     * POST /api/nodes/query or ?min_vram=…) is counted. */
    store_count_key k = {"providers", NULL, f->online < 0 ? "total" : f->online ? "online" : "offline"};
    if (f->min_vram > 0 || f->min_reputation > 0 || f->gpu_model) k.list = NULL;
    const store_page_query q = {"providers", PROVIDER_COLS, "reputation_score DESC, address", where, provider_bind,
                                read_provider, sizeof *out, k};
    return store_page(s, &q, f, f->limit, f->offset, out, cap, n, total);
}

static void read_summary(db_stmt *st, void *row) {
    store_provider_summary *out = row;
    out->total = db_col_int64(st, 0);
    out->online = db_col_int64(st, 1);
    out->registered = db_col_int64(st, 2);
    out->total_vram = db_col_int64(st, 3);
    out->total_jobs_completed = db_col_int64(st, 4);
    out->reputation_sum = db_col_int64(st, 5);
}

int store_provider_stats(store *s, store_provider_summary *out) {
    memset(out, 0, sizeof *out);
    return store_row(s, read_summary, out,
                     "SELECT count(*), COALESCE(SUM(is_online), 0), COALESCE(SUM(is_registered), 0),"
                     " COALESCE(SUM(vram), 0), COALESCE(SUM(total_jobs_completed), 0),"
                     " COALESCE(SUM(reputation_score), 0) FROM providers",
                     ""); /* aggregates without GROUP BY: always a row */
}

int store_provider_gpu_counts(store *s, int (*cb)(void *ud, const char *model, int64_t n), void *ud) {
    db_stmt *st;
    int rc = store_prepare(
        s, &st, "SELECT gpu_model, count(*) FROM providers WHERE gpu_model <> '' GROUP BY gpu_model", "");
    if (rc != STORE_OK) return rc;
    int stop = 0;
    while (!stop && (rc = db_step(st)) == DB_ROW) stop = cb(ud, db_col_text(st, 0), db_col_int64(st, 1));
    db_reset(st);
    if (stop) return stop;
    return store_rc(s, rc);
}
