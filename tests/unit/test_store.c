/* test_store — the storage suite. Every test body runs against SQLite (a fresh file each) and,
 * when LAMDA_TEST_PG_URL is set, against PostgreSQL (a fresh schema each); otherwise the
 * PostgreSQL cases print "ok - … # skip". */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/db.h"
#include "store/migrations.h"
#include "store/store.h"
#include "store/store_events.h"
#include "store/store_internal.h" /* store_prepare: the binding list is checked here */
#include "core/utf8.h"
#include "test.h"

static char g_dir[64];
static const char *g_pg;   /* LAMDA_TEST_PG_URL */
static bool g_on_pg;
static char g_url[512];
static int g_seq;

/* A URL to an empty database of the backend under test. */
static const char *fresh_url(void) {
    if (!g_on_pg) {
        snprintf(g_url, sizeof g_url, "sqlite:%s/sub/t%d.db", g_dir, ++g_seq);
        return g_url;
    }
    db *d;
    char err[256];
    if (db_open(g_pg, &d, err, sizeof err) != DB_OK) {
        fprintf(stderr, "  cannot reach %s: %s\n", g_pg, err);
        exit(1);
    }
    db_exec(d, "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
    db_close(d);
    snprintf(g_url, sizeof g_url, "%s", g_pg);
    return g_url;
}

static store *fresh_store(void) {
    store *s = NULL;
    char err[512];
    int rc = store_open(fresh_url(), &s, err, sizeof err);
    if (rc != STORE_OK) {
        fprintf(stderr, "  store_open: %s\n", err);
        exit(1);
    }
    return s;
}

static void fill(uint8_t *p, size_t n, uint8_t seed) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(seed + i * 7);
}

static int64_t raw_count(const char *sql) {
    db *d;
    char err[256];
    int64_t v = -1;
    if (db_open(g_url, &d, err, sizeof err) != DB_OK) return -1;
    db_stmt *st;
    if (db_prepare(d, sql, &st) == DB_OK && db_step(st) == DB_ROW) v = db_col_int64(st, 0);
    db_reset(st);
    db_close(d);
    return v;
}

/* ---- migrations ---------------------------------------------------------------------------- */

/* The number of embedded migrations for g_url's backend: versions may have gaps (numbers are
 * reserved per branch), so it is not the highest version. */
static int64_t known_migrations(void) {
    const char *be = strncmp(g_url, "sqlite", 6) == 0 ? "sqlite" : "postgres";
    int64_t n = 0;
    for (const store_migration *m = store_migrations; m->backend; m++) n += strcmp(m->backend, be) == 0;
    return n;
}

TEST(migrations_idempotent) {
    store *s = fresh_store();
    int64_t v = 0;
    CHECK_EQ_INT(store_schema_version(s, &v), STORE_OK);
    CHECK_EQ_INT(v, store_schema_version_known());
    CHECK(v >= 1);
    store_close(s);
    char err[512];
    CHECK_EQ_INT(store_migrate_only(g_url, err, sizeof err), STORE_OK);
    CHECK_EQ_INT(store_migrate_only(g_url, err, sizeof err), STORE_OK);
    CHECK_EQ_INT(raw_count("SELECT count(*) FROM schema_migrations"), known_migrations());
}

TEST(migrations_concurrent) {
    fresh_url();
    enum { N = 4 };
    pid_t pids[N];
    for (int i = 0; i < N; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            char err[512];
            store *s;
            int rc = store_open(g_url, &s, err, sizeof err);
            if (rc != STORE_OK) fprintf(stderr, "  child: %s\n", err);
            else store_close(s);
            _exit(rc == STORE_OK ? 0 : 1);
        }
    }
    for (int i = 0; i < N; i++) {
        int st = -1;
        waitpid(pids[i], &st, 0);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    CHECK_EQ_INT(raw_count("SELECT count(*) FROM schema_migrations"), known_migrations());
    CHECK_EQ_INT(raw_count("SELECT count(*) FROM jobs"), 0);
}

TEST(migrations_refuse_newer_schema) {
    store *s = fresh_store();
    store_close(s);
    db *d;
    char err[512];
    CHECK_EQ_INT(db_open(g_url, &d, err, sizeof err), DB_OK);
    CHECK_EQ_INT(db_exec(d, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)"),
                 DB_OK);
    db_close(d);
    err[0] = 0;
    CHECK_EQ_INT(store_open(g_url, &s, err, sizeof err), STORE_ERR);
    CHECK(strstr(err, "newer") != NULL);
    CHECK(strstr(err, "9999") != NULL);
}

/* ---- ledger, cursors, block hashes, transactions ------------------------------------------ */

/* A ledger row on chain 97; topics[1] is its entity key. */
static rpc_log mklog(uint64_t block, uint64_t idx, uint8_t seed) {
    rpc_log l;
    memset(&l, 0, sizeof l);
    fill(l.tx_hash, 32, seed);
    l.log_index = idx;
    l.block_number = block;
    fill(l.block_hash, 32, (uint8_t)block);
    fill(l.address, 20, 1);
    l.ntopics = 3;
    fill(l.topics[0], 32, 2);
    fill(l.topics[1], 32, (uint8_t)(seed % 3));
    fill(l.topics[2], 32, 9);
    l.block_time = 1700000000 + block;
    return l;
}

typedef struct {
    int n;
    uint64_t blocks[16], idx[16];
    size_t data_len[16];
    uint8_t ntopics[16];
    bool data_ok;
} seen;

static int collect(const rpc_log *l, void *ud) {
    seen *s = ud;
    if (s->n < 16) {
        s->blocks[s->n] = l->block_number;
        s->idx[s->n] = l->log_index;
        s->data_len[s->n] = l->data_len;
        s->ntopics[s->n] = l->ntopics;
        if (l->data_len == 5 && memcmp(l->data, "\x00\x01\xff\x00\x7f", 5) == 0) s->data_ok = true;
    }
    s->n++;
    return 0;
}

static int stop_at_two(const rpc_log *l, void *ud) {
    (void)l;
    return ++*(int *)ud == 2 ? 42 : 0;
}

TEST(ledger_duplicate_and_order) {
    store *s = fresh_store();
    rpc_log a = mklog(10, 1, 100);
    static const uint8_t data[5] = {0, 1, 0xff, 0, 0x7f};
    a.data = (uint8_t *)data;
    a.data_len = 5;
    CHECK_EQ_INT(store_ledger_insert(s, 97, &a), STORE_OK);
    CHECK_EQ_INT(store_ledger_insert(s, 97, &a), STORE_DUP);
    int64_t n = 0;
    CHECK_EQ_INT(store_ledger_count(s, 97, a.address, &n), STORE_OK);
    CHECK_EQ_INT(n, 1);
    /* out of order on purpose */
    rpc_log b = mklog(12, 0, 101), c = mklog(10, 0, 102), d = mklog(11, 5, 103);
    CHECK_EQ_INT(store_ledger_insert(s, 97, &b), STORE_OK);
    CHECK_EQ_INT(store_ledger_insert(s, 97, &c), STORE_OK);
    CHECK_EQ_INT(store_ledger_insert(s, 97, &d), STORE_OK);
    seen sn = {0};
    CHECK_EQ_INT(store_ledger_each_from(s, 97, a.address, 0, collect, &sn), STORE_OK);
    CHECK_EQ_INT(sn.n, 4);
    CHECK(sn.blocks[0] == 10 && sn.idx[0] == 0 && sn.blocks[1] == 10 && sn.idx[1] == 1);
    CHECK(sn.blocks[2] == 11 && sn.blocks[3] == 12);
    CHECK(sn.data_ok);
    CHECK_EQ_INT(sn.ntopics[0], 3);
    CHECK_EQ_INT(sn.data_len[0], 0);
    memset(&sn, 0, sizeof sn);
    CHECK_EQ_INT(store_ledger_each_for_key(s, 97, a.address, a.topics[1], collect, &sn), STORE_OK);
    CHECK_EQ_INT(sn.n, 2); /* seeds 100..103 mod 3 = 1,2,0,1: a and d share the key */
    CHECK(sn.blocks[0] == 10 && sn.blocks[1] == 11);
    memset(&sn, 0, sizeof sn);
    CHECK_EQ_INT(store_ledger_each_for_key(s, 97, a.address, b.topics[1], collect, &sn), STORE_OK);
    CHECK_EQ_INT(sn.n, 1);
    uint8_t other[20] = {0};
    memset(&sn, 0, sizeof sn);
    CHECK_EQ_INT(store_ledger_each_for_key(s, 97, other, a.topics[1], collect, &sn), STORE_OK);
    CHECK_EQ_INT(sn.n, 0); /* another contract */
    int calls = 0;
    CHECK_EQ_INT(store_ledger_each_from(s, 97, a.address, 0, stop_at_two, &calls), 42);
    CHECK_EQ_INT(store_ledger_delete_from(s, 97, a.address, 11), STORE_OK);
    CHECK_EQ_INT(store_ledger_count(s, 97, a.address, &n), STORE_OK);
    CHECK_EQ_INT(n, 2);
    /* a re-applied log after the undo is new again */
    CHECK_EQ_INT(store_ledger_insert(s, 97, &b), STORE_OK);
    store_close(s);
}

TEST(duplicate_inside_transaction_keeps_it_usable) {
    store *s = fresh_store();
    rpc_log a = mklog(5, 0, 1), b = mklog(5, 1, 2);
    CHECK_EQ_INT(store_ledger_insert(s, 97, &a), STORE_OK);
    CHECK_EQ_INT(store_begin(s), STORE_OK);
    CHECK_EQ_INT(store_ledger_insert(s, 97, &a), STORE_DUP);
    CHECK_EQ_INT(store_ledger_insert(s, 97, &b), STORE_OK);
    CHECK_EQ_INT(store_commit(s), STORE_OK);
    int64_t n = 0;
    store_ledger_count(s, 97, a.address, &n);
    CHECK_EQ_INT(n, 2);
    store_close(s);
}

/* The batch inserts (set-based on PostgreSQL) report exactly what one insert per row would:
 * a row already in the table and a second copy within the array are dups, inside a bulk
 * (pipelined) transaction too. */
TEST(many_row_inserts_report_duplicates) {
    store *s = fresh_store();
    rpc_log a = mklog(5, 0, 1), b = mklog(5, 1, 2), c = mklog(6, 0, 3);
    CHECK_EQ_INT(store_ledger_insert(s, 97, &a), STORE_OK);
    CHECK_EQ_INT(store_begin_bulk(s), STORE_OK);
    rpc_log logs[] = {b, a, c, b};
    uint8_t dup[4];
    CHECK_EQ_INT(store_ledger_insert_many(s, 97, logs, 4, dup), STORE_OK);
    CHECK_EQ_INT(dup[0], 0);
    CHECK_EQ_INT(dup[1], 1);
    CHECK_EQ_INT(dup[2], 0);
    CHECK_EQ_INT(dup[3], 1);
    store_job j[3];
    memset(j, 0, sizeof j);
    for (int i = 0; i < 3; i++) {
        fill(j[i].job_id, 32, (uint8_t)(40 + (i == 2 ? 0 : i)));
        fill(j[i].renter, 20, 7);
        fill(j[i].provider, 20, 8);
        snprintf(j[i].payment, sizeof j[i].payment, "%d", 100 + i);
        j[i].status = JOB_CREATED;
        j[i].created_at = 1000 + i;
    }
    CHECK_EQ_INT(store_job_insert(s, &j[1]), STORE_OK);
    uint8_t ins[3];
    CHECK_EQ_INT(store_job_insert_many(s, j, 3, ins), STORE_OK);
    CHECK_EQ_INT(ins[0], 1);
    CHECK_EQ_INT(ins[1], 0);
    CHECK_EQ_INT(ins[2], 0); /* the same id as j[0] */
    CHECK_EQ_INT(store_commit(s), STORE_OK);
    int64_t n = 0;
    store_ledger_count(s, 97, a.address, &n);
    CHECK_EQ_INT(n, 3);
    store_job got;
    CHECK_EQ_INT(store_job_get(s, j[0].job_id, &got), STORE_OK);
    CHECK_EQ_STR(got.payment, "100");
    CHECK_EQ_INT(got.assigned_at, 0);
    store_close(s);
}

TEST(cursor_and_block_hashes) {
    store *s = fresh_store();
    uint8_t c[20], h[32], got[32];
    fill(c, 20, 3);
    fill(h, 32, 4);
    uint64_t block = 0;
    CHECK_EQ_INT(store_cursor_get(s, 56, c, &block, got), STORE_NOTFOUND);
    CHECK_EQ_INT(store_cursor_set(s, 56, c, 1000, h), STORE_OK);
    CHECK_EQ_INT(store_cursor_get(s, 56, c, &block, got), STORE_OK);
    CHECK_EQ_INT(block, 1000);
    CHECK_MEM(got, h, 32);
    h[0] ^= 0xff;
    CHECK_EQ_INT(store_cursor_set(s, 56, c, 1001, h), STORE_OK);
    CHECK_EQ_INT(store_cursor_get(s, 56, c, &block, got), STORE_OK);
    CHECK_EQ_INT(block, 1001);
    CHECK_MEM(got, h, 32);
    CHECK_EQ_INT(store_cursor_get(s, 97, c, &block, got), STORE_NOTFOUND);
    for (uint64_t b = 100; b < 110; b++) {
        fill(h, 32, (uint8_t)b);
        CHECK_EQ_INT(store_block_hash_put(s, 56, c, b, h), STORE_OK);
    }
    CHECK_EQ_INT(store_block_hash_get(s, 56, c, 105, got), STORE_OK);
    fill(h, 32, 105);
    CHECK_MEM(got, h, 32);
    fill(h, 32, 200);
    CHECK_EQ_INT(store_block_hash_put(s, 56, c, 105, h), STORE_OK); /* replace */
    CHECK_EQ_INT(store_block_hash_get(s, 56, c, 105, got), STORE_OK);
    CHECK_MEM(got, h, 32);
    CHECK_EQ_INT(store_block_hash_delete_from(s, 56, c, 107), STORE_OK);
    CHECK_EQ_INT(store_block_hash_get(s, 56, c, 107, got), STORE_NOTFOUND);
    CHECK_EQ_INT(store_block_hash_get(s, 56, c, 106, got), STORE_OK);
    CHECK_EQ_INT(store_block_hash_prune_below(s, 56, c, 103), STORE_OK);
    CHECK_EQ_INT(store_block_hash_get(s, 56, c, 102, got), STORE_NOTFOUND);
    CHECK_EQ_INT(store_block_hash_get(s, 56, c, 103, got), STORE_OK);
    store_close(s);
}

static store_job mkjob(uint8_t seed, uint8_t renter, uint8_t provider, int64_t created_at) {
    store_job j;
    memset(&j, 0, sizeof j);
    fill(j.job_id, 32, seed);
    j.job_id[31] = seed;
    fill(j.renter, 20, renter);
    fill(j.provider, 20, provider);
    snprintf(j.payment, sizeof j.payment, "%s", "115792089237316195423570985008687907853269984665640564039457584007913129639935");
    j.status = JOB_CREATED;
    snprintf(j.docker_image, sizeof j.docker_image, "alpine:3");
    j.created_block = 77;
    j.created_at = created_at;
    return j;
}

TEST(transaction_rolls_back_together) {
    store *s = fresh_store();
    rpc_log l = mklog(20, 0, 9);
    uint8_t h[32] = {1};
    store_job j = mkjob(1, 1, 2, 100);
    CHECK_EQ_INT(store_begin(s), STORE_OK);
    CHECK_EQ_INT(store_ledger_insert(s, 97, &l), STORE_OK);
    CHECK_EQ_INT(store_job_insert(s, &j), STORE_OK);
    CHECK_EQ_INT(store_cursor_set(s, 97, l.address, 20, h), STORE_OK);
    CHECK_EQ_INT(store_rollback(s), STORE_OK);
    int64_t n = -1;
    uint64_t block;
    store_job got;
    CHECK_EQ_INT(store_ledger_count(s, 97, l.address, &n), STORE_OK);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(store_job_get(s, j.job_id, &got), STORE_NOTFOUND);
    CHECK_EQ_INT(store_cursor_get(s, 97, l.address, &block, h), STORE_NOTFOUND);
    CHECK_EQ_INT(store_begin(s), STORE_OK);
    CHECK_EQ_INT(store_begin(s), STORE_ERR); /* no nesting */
    CHECK_EQ_INT(store_ledger_insert(s, 97, &l), STORE_OK);
    CHECK_EQ_INT(store_job_insert(s, &j), STORE_OK);
    CHECK_EQ_INT(store_cursor_set(s, 97, l.address, 20, h), STORE_OK);
    CHECK_EQ_INT(store_commit(s), STORE_OK);
    CHECK_EQ_INT(store_ledger_count(s, 97, l.address, &n), STORE_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(store_job_get(s, j.job_id, &got), STORE_OK);
    CHECK_EQ_INT(store_cursor_get(s, 97, l.address, &block, h), STORE_OK);
    CHECK_EQ_INT(block, 20);
    store_close(s);
}

/* ---- providers ----------------------------------------------------------------------------- */

TEST(providers) {
    store *s = fresh_store();
    uint8_t a[20], b[20], c[20];
    fill(a, 20, 10);
    fill(b, 20, 20);
    fill(c, 20, 30);
    store_provider p;
    CHECK_EQ_INT(store_provider_get(s, a, &p), STORE_NOTFOUND);
    CHECK_EQ_INT(store_provider_register(s, a, "RTX 4090", 24576, 1000, 5), STORE_OK);
    CHECK_EQ_INT(store_provider_get(s, a, &p), STORE_OK);
    CHECK_EQ_STR(p.gpu_model, "RTX 4090");
    CHECK_EQ_INT(p.vram, 24576);
    CHECK_EQ_INT(p.last_seen, 1000);
    CHECK(p.is_online && p.is_registered);
    CHECK_EQ_INT(p.registered_block, 5);
    CHECK_MEM(p.address, a, 20);
    /* heartbeat never moves last_seen backwards */
    CHECK_EQ_INT(store_provider_heartbeat(s, a, 900), STORE_OK);
    store_provider_get(s, a, &p);
    CHECK_EQ_INT(p.last_seen, 1000);
    CHECK_EQ_INT(store_provider_heartbeat(s, a, 1300), STORE_OK);
    store_provider_get(s, a, &p);
    CHECK_EQ_INT(p.last_seen, 1300);
    /* re-register updates specs, keeps last_seen at the max */
    CHECK_EQ_INT(store_provider_register(s, a, "rtx 4090 ti", UINT64_MAX, 1100, 6), STORE_OK);
    store_provider_get(s, a, &p);
    CHECK_EQ_INT(p.vram, INT64_MAX);
    CHECK_EQ_INT(p.last_seen, 1300);
    CHECK_EQ_STR(p.gpu_model, "rtx 4090 ti");
    /* heartbeat of an unknown provider creates an unregistered row */
    CHECK_EQ_INT(store_provider_heartbeat(s, b, 1200), STORE_OK);
    store_provider_get(s, b, &p);
    CHECK(p.is_online && !p.is_registered);
    CHECK_EQ_INT(store_provider_set_job_count(s, b, 7), STORE_OK);
    CHECK_EQ_INT(store_provider_set_job_count(s, c, 3), STORE_OK);
    store_provider_get(s, b, &p);
    CHECK_EQ_INT(p.total_jobs_completed, 7);
    CHECK_EQ_INT(p.reputation_score, 7);
    CHECK_EQ_INT(p.last_seen, 1200);
    store_provider_register(s, b, "A100", 81920, 1200, 7);
    store_provider_register(s, c, "A100", 40960, 1250, 8);
    /* a long model name is cut, not refused */
    char longname[600];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    uint8_t d[20];
    fill(d, 20, 40);
    CHECK_EQ_INT(store_provider_register(s, d, longname, 1, 10, 9), STORE_OK);
    store_provider_get(s, d, &p);
    CHECK_EQ_INT(strlen(p.gpu_model), STORE_GPU_MODEL_MAX - 1);

    int changed = -1;
    CHECK_EQ_INT(store_provider_sweep_offline(s, 1225, &changed), STORE_OK);
    CHECK_EQ_INT(changed, 2); /* b (1200) and d (10) */
    store_provider_get(s, b, &p);
    CHECK(!p.is_online);

    store_provider out[8];
    int n = 0;
    int64_t total = 0;
    store_provider_filter f = {.online = -1};
    CHECK_EQ_INT(store_provider_list(s, &f, out, 8, &n, &total), STORE_OK);
    CHECK_EQ_INT(n, 4);
    CHECK_EQ_INT(total, 4);
    CHECK_MEM(out[0].address, b, 20); /* reputation 7 */
    CHECK_MEM(out[1].address, c, 20); /* reputation 3 */
    f = (store_provider_filter){.online = 1};
    CHECK_EQ_INT(store_provider_list(s, &f, out, 8, &n, &total), STORE_OK);
    CHECK_EQ_INT(total, 2);
    f = (store_provider_filter){.online = -1, .gpu_model = "a100"};
    CHECK_EQ_INT(store_provider_list(s, &f, out, 8, &n, &total), STORE_OK);
    CHECK_EQ_INT(total, 2);
    f = (store_provider_filter){.online = -1, .gpu_model = "A100", .min_vram = 50000};
    CHECK_EQ_INT(store_provider_list(s, &f, out, 8, &n, &total), STORE_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_MEM(out[0].address, b, 20);
    f = (store_provider_filter){.online = -1, .min_reputation = 3};
    CHECK_EQ_INT(store_provider_list(s, &f, out, 8, &n, &total), STORE_OK);
    CHECK_EQ_INT(total, 2);
    f = (store_provider_filter){.online = -1, .limit = 1, .offset = 1};
    CHECK_EQ_INT(store_provider_list(s, &f, out, 8, &n, &total), STORE_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(total, 4);
    CHECK_MEM(out[0].address, c, 20);
    f = (store_provider_filter){.online = -1, .offset = 10};
    CHECK_EQ_INT(store_provider_list(s, &f, out, 8, &n, &total), STORE_OK);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(total, 4);

    store_provider_summary sum;
    CHECK_EQ_INT(store_provider_delete(s, a), STORE_OK); /* drop the saturated vram */
    CHECK_EQ_INT(store_provider_delete(s, a), STORE_NOTFOUND);
    CHECK_EQ_INT(store_provider_stats(s, &sum), STORE_OK);
    CHECK_EQ_INT(sum.total, 3);
    CHECK_EQ_INT(sum.online, 1);
    CHECK_EQ_INT(sum.registered, 3);
    CHECK_EQ_INT(sum.total_vram, 81920 + 40960 + 1);
    CHECK_EQ_INT(sum.total_jobs_completed, 10);
    store_close(s);
}

/* ---- jobs ------------------------------------------------------------------------------------- */

TEST(job_status_rule) {
    CHECK(store_job_transition_allowed(JOB_CREATED, JOB_ASSIGNED));
    CHECK(store_job_transition_allowed(JOB_ASSIGNED, JOB_RUNNING));
    CHECK(store_job_transition_allowed(JOB_CREATED, JOB_COMPLETED));
    CHECK(store_job_transition_allowed(JOB_RUNNING, JOB_FAILED));
    CHECK(store_job_transition_allowed(JOB_RUNNING, JOB_CONFIRMED));
    CHECK(store_job_transition_allowed(JOB_FAILED, JOB_CONFIRMED));
    CHECK(store_job_transition_allowed(JOB_CONFIRMED, JOB_PAID));
    CHECK(!store_job_transition_allowed(JOB_FAILED, JOB_RUNNING));
    CHECK(!store_job_transition_allowed(JOB_FAILED, JOB_COMPLETED));
    CHECK(!store_job_transition_allowed(JOB_COMPLETED, JOB_RUNNING));
    CHECK(!store_job_transition_allowed(JOB_CONFIRMED, JOB_COMPLETED));
    CHECK(!store_job_transition_allowed(JOB_PAID, JOB_CONFIRMED));
    CHECK(!store_job_transition_allowed(JOB_RUNNING, JOB_RUNNING));
    CHECK(!store_job_transition_allowed(JOB_CANCELLED, JOB_PAID));
    CHECK(!store_job_transition_allowed(JOB_RUNNING, JOB_CREATED));
    /* delivery deadlines (issue #16): set from assigned / running only; late reports and the
     * chain still move such jobs on; nothing but a redispatch brings them back to assigned */
    CHECK(store_job_transition_allowed(JOB_ASSIGNED, JOB_UNDELIVERED));
    CHECK(store_job_transition_allowed(JOB_RUNNING, JOB_STALLED));
    CHECK(!store_job_transition_allowed(JOB_CREATED, JOB_UNDELIVERED));
    CHECK(!store_job_transition_allowed(JOB_COMPLETED, JOB_STALLED));
    CHECK(store_job_transition_allowed(JOB_UNDELIVERED, JOB_RUNNING));
    CHECK(store_job_transition_allowed(JOB_STALLED, JOB_COMPLETED));
    CHECK(!store_job_transition_allowed(JOB_STALLED, JOB_RUNNING));
    CHECK(store_job_transition_allowed(JOB_UNDELIVERED, JOB_CONFIRMED));
    CHECK(store_job_transition_allowed(JOB_STALLED, JOB_PAID));
    CHECK(!store_job_transition_allowed(JOB_UNDELIVERED, JOB_ASSIGNED));
    CHECK_EQ_STR(store_job_status_name(JOB_UNDELIVERED), "undelivered");
    CHECK_EQ_STR(store_job_status_name(JOB_STALLED), "stalled");
    for (int i = 0; i < JOB_STATUS_COUNT; i++) {
        job_status js;
        CHECK_EQ_INT(store_job_status_parse(store_job_status_name((job_status)i), &js), 0);
        CHECK_EQ_INT(js, i);
    }
    job_status js;
    CHECK_EQ_INT(store_job_status_parse("Running", &js), -1);
    CHECK(store_amount_valid("0"));
    CHECK(!store_amount_valid(""));
    CHECK(!store_amount_valid("-1"));
    CHECK(!store_amount_valid("1.5"));
    char big[80];
    memset(big, '9', 79);
    big[79] = 0;
    CHECK(!store_amount_valid(big));
    big[78] = 0;
    CHECK(store_amount_valid(big));
}

TEST(jobs) {
    store *s = fresh_store();
    store_job j = mkjob(1, 1, 2, 100), got;
    CHECK_EQ_INT(store_job_insert(s, &j), STORE_OK);
    CHECK_EQ_INT(store_job_insert(s, &j), STORE_DUP);
    store_job bad = mkjob(2, 1, 2, 100);
    snprintf(bad.payment, sizeof bad.payment, "12a");
    CHECK_EQ_INT(store_job_insert(s, &bad), STORE_INVALID);
    CHECK_EQ_INT(store_job_get(s, j.job_id, &got), STORE_OK);
    CHECK_MEM(got.job_id, j.job_id, 32);
    CHECK_MEM(got.renter, j.renter, 20);
    CHECK_MEM(got.provider, j.provider, 20);
    CHECK_EQ_STR(got.payment, j.payment);
    CHECK_EQ_INT(got.status, JOB_CREATED);
    CHECK_EQ_STR(got.docker_image, "alpine:3");
    CHECK_EQ_STR(got.input_cid, "");
    CHECK_EQ_INT(got.assigned_at, 0);
    CHECK_EQ_INT(got.created_block, 77);

    CHECK_EQ_INT(store_job_transition(s, j.job_id, JOB_RUNNING, 110, NULL, NULL), STORE_OK);
    CHECK_EQ_INT(store_job_transition(s, j.job_id, JOB_RUNNING, 111, NULL, NULL), STORE_INVALID);
    CHECK_EQ_INT(store_job_transition(s, j.job_id, JOB_COMPLETED, 120, "QmOut", NULL), STORE_OK);
    CHECK_EQ_INT(store_job_transition(s, j.job_id, JOB_FAILED, 121, NULL, "late"), STORE_INVALID);
    CHECK_EQ_INT(store_job_set_paid(s, j.job_id, "5", 125), STORE_OK);
    store_job_get(s, j.job_id, &got);
    /* paid is authoritative: it may arrive before the confirmation is seen */
    CHECK_EQ_INT(got.status, JOB_PAID);
    CHECK_EQ_STR(got.paid_amount, "5");
    CHECK_EQ_INT(got.paid_at, 125);
    CHECK_EQ_INT(got.running_at, 110);
    CHECK_EQ_INT(got.completed_at, 120);
    CHECK_EQ_STR(got.output_cid, "QmOut");
    CHECK_EQ_STR(got.error_message, "");
    CHECK_EQ_INT(got.updated_at, 125);
    CHECK_EQ_INT(store_job_transition(s, j.job_id, JOB_CONFIRMED, 126, NULL, NULL), STORE_INVALID);

    store_job k = mkjob(3, 1, 2, 200);
    CHECK_EQ_INT(store_job_insert(s, &k), STORE_OK);
    CHECK_EQ_INT(store_job_transition(s, k.job_id, JOB_FAILED, 210, NULL, "oom"), STORE_OK);
    CHECK_EQ_INT(store_job_transition(s, k.job_id, JOB_COMPLETED, 211, "x", NULL), STORE_INVALID);
    CHECK_EQ_INT(store_job_transition(s, k.job_id, JOB_CONFIRMED, 212, NULL, NULL), STORE_OK);
    CHECK_EQ_INT(store_job_set_paid(s, k.job_id, "1.5", 213), STORE_INVALID);
    store_job_get(s, k.job_id, &got);
    CHECK_EQ_INT(got.status, JOB_CONFIRMED);
    CHECK_EQ_STR(got.error_message, "oom");
    CHECK_EQ_INT(got.failed_at, 210);
    CHECK_EQ_INT(got.confirmed_at, 212);
    CHECK_EQ_STR(got.output_cid, "");

    uint8_t none[32] = {0};
    CHECK_EQ_INT(store_job_transition(s, none, JOB_RUNNING, 1, NULL, NULL), STORE_NOTFOUND);
    CHECK_EQ_INT(store_job_transition(s, k.job_id, JOB_CREATED, 1, NULL, NULL), STORE_INVALID);
    CHECK_EQ_INT(store_job_delete(s, k.job_id), STORE_OK);
    CHECK_EQ_INT(store_job_delete(s, k.job_id), STORE_NOTFOUND);
    store_close(s);
}

TEST(job_lists) {
    store *s = fresh_store();
    /* 30 jobs: renters 1/2 alternate, providers 5/6/7 cycle, created_at 1000+i */
    CHECK_EQ_INT(store_begin(s), STORE_OK);
    for (int i = 0; i < 30; i++) {
        store_job j = mkjob((uint8_t)(10 + i), (uint8_t)(1 + i % 2), (uint8_t)(5 + i % 3), 1000 + i);
        CHECK_EQ_INT(store_job_insert(s, &j), STORE_OK);
        if (i % 5 == 0) CHECK_EQ_INT(store_job_transition(s, j.job_id, JOB_RUNNING, 2000, NULL, NULL), STORE_OK);
    }
    CHECK_EQ_INT(store_commit(s), STORE_OK);
    store_job out[40];
    int n = 0;
    int64_t total = 0;
    store_job_filter f = {.status = -1};
    CHECK_EQ_INT(store_job_list(s, &f, out, 40, &n, &total), STORE_OK);
    CHECK_EQ_INT(n, 30);
    CHECK_EQ_INT(total, 30);
    CHECK_EQ_INT(out[0].created_at, 1029);
    CHECK_EQ_INT(out[29].created_at, 1000);
    uint8_t p5[20], r2[20];
    fill(p5, 20, 5);
    fill(r2, 20, 2);
    f = (store_job_filter){.provider = p5, .status = -1, .limit = 4, .offset = 0};
    CHECK_EQ_INT(store_job_list(s, &f, out, 40, &n, &total), STORE_OK);
    CHECK_EQ_INT(total, 10);
    CHECK_EQ_INT(n, 4);
    CHECK_EQ_INT(out[0].created_at, 1027);
    CHECK_EQ_INT(out[3].created_at, 1018);
    f.offset = 8;
    CHECK_EQ_INT(store_job_list(s, &f, out, 40, &n, &total), STORE_OK);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(out[1].created_at, 1000);
    f = (store_job_filter){.renter = r2, .provider = p5, .status = -1};
    CHECK_EQ_INT(store_job_list(s, &f, out, 40, &n, &total), STORE_OK);
    CHECK_EQ_INT(total, 5); /* odd i with i%3==0: 3,9,15,21,27 */
    f = (store_job_filter){.status = JOB_RUNNING};
    CHECK_EQ_INT(store_job_list(s, &f, out, 40, &n, &total), STORE_OK);
    CHECK_EQ_INT(total, 6);
    CHECK_EQ_INT(out[0].status, JOB_RUNNING);
    f = (store_job_filter){.renter = r2, .status = JOB_RUNNING, .limit = 2};
    CHECK_EQ_INT(store_job_list(s, &f, out, 40, &n, &total), STORE_OK);
    CHECK_EQ_INT(total, 3); /* i = 5, 15, 25 */
    CHECK_EQ_INT(n, 2);
    f = (store_job_filter){.status = -1, .limit = 100};
    CHECK_EQ_INT(store_job_list(s, &f, out, 3, &n, &total), STORE_OK); /* cap wins */
    CHECK_EQ_INT(n, 3);
    store_job_summary sum;
    CHECK_EQ_INT(store_job_stats(s, &sum), STORE_OK);
    CHECK_EQ_INT(sum.total, 30);
    CHECK_EQ_INT(sum.by_status[JOB_RUNNING], 6);
    CHECK_EQ_INT(sum.by_status[JOB_CREATED], 24);
    store_close(s);
}

/* The queries the services run every second while idle read a few pages, not the tables: with
 * nearly every job in one status SQLite took status = 'running' for the whole table and read
 * every job each second (migration 0008), and MIN and MAX of events in one SELECT read every
 * event. 20,000 jobs (and their 20,000 events) are a few thousand pages; each query here must
 * stay within a few dozen. SQLite only: PostgreSQL does not report pages read per connection. */
static store_job nth_job(int i) {
    store_job j = mkjob(0, 1, (uint8_t)(5 + i % 50), 1000 + i);
    memcpy(j.job_id + 24, &i, sizeof i); /* distinct ids */
    return j;
}

TEST(idle_queries_read_few_pages) {
    store *s = fresh_store();
    enum { N = 20000 };
    CHECK_EQ_INT(store_begin_bulk(s), STORE_OK);
    for (int i = 0; i < N; i++) {
        store_job j = nth_job(i);
        CHECK_EQ_INT(store_job_insert(s, &j), STORE_OK);
    }
    CHECK_EQ_INT(store_commit(s), STORE_OK);
    /* The statistics of a long-running database, where nearly every job has one status:
     * PRAGMA optimize at each close gathers them, and they are what made the planner choose
     * to read the whole table. Then a few jobs start. */
    if (!g_on_pg) CHECK_EQ_INT(db_exec(s->db, "ANALYZE"), DB_OK);
    CHECK_EQ_INT(store_begin(s), STORE_OK);
    for (int i = 7; i < N; i += 4000) {
        store_job j = nth_job(i);
        CHECK_EQ_INT(store_job_transition(s, j.job_id, JOB_RUNNING, 2000, NULL, NULL), STORE_OK);
    }
    CHECK_EQ_INT(store_commit(s), STORE_OK);
    CHECK_EQ_INT(raw_count("SELECT count(*) FROM jobs"), N);
    CHECK(raw_count("SELECT count(*) FROM events") >= N);
    uint8_t ids[8][32];
    int64_t at[8];
    int n = 0;
    db_release_memory(s->db); /* an empty page cache: every page the query needs is a read */
    int64_t before = db_pages_read(s->db);
    CHECK_EQ_INT(store_jobs_stalled(s, 5000, 8, ids, at, &n), STORE_OK);
    int64_t stalled_pages = db_pages_read(s->db) - before;
    CHECK_EQ_INT(n, 5);
    int64_t lo = 0, hi = 0;
    db_release_memory(s->db);
    before = db_pages_read(s->db);
    CHECK_EQ_INT(store_events_bounds(s, &lo, &hi), STORE_OK);
    int64_t bounds_pages = db_pages_read(s->db) - before;
    CHECK(lo >= 1 && hi - lo + 1 >= N);
    /* Pages once read stay cached, until the process asks every connection to give its cache
     * back (services/idle_trim.c): the next statement on the connection drops it. */
    before = db_pages_read(s->db);
    CHECK_EQ_INT(store_events_bounds(s, &lo, &hi), STORE_OK);
    int64_t cached_pages = db_pages_read(s->db) - before;
    db_release_everywhere();
    before = db_pages_read(s->db);
    CHECK_EQ_INT(store_events_bounds(s, &lo, &hi), STORE_OK);
    int64_t after_release_pages = db_pages_read(s->db) - before;
    if (!g_on_pg) {
        CHECK_EQ_INT(cached_pages, 0);
        CHECK_EQ_INT(after_release_pages, bounds_pages);
        CHECK(before > 0);
        CHECK(stalled_pages > 0 && stalled_pages < 40);
        CHECK(bounds_pages > 0 && bounds_pages < 40);
        if (stalled_pages >= 40 || bounds_pages >= 40)
            fprintf(stderr, "  pages read: stalled jobs %lld, events bounds %lld\n", (long long)stalled_pages, (long long)bounds_pages);
    }
    store_close(s);
}

/* ---- specs, outbox, reputation ------------------------------------------------------------------ */

TEST(specs) {
    store *s = fresh_store();
    uint8_t id[32], signer[20], sig[65];
    fill(id, 32, 1);
    fill(signer, 20, 2);
    fill(sig, 65, 3);
    store_spec sp;
    CHECK_EQ_INT(store_spec_get(s, id, &sp), STORE_NOTFOUND);
    CHECK_EQ_INT(store_spec_put(s, id, "img:1", "QmIn", signer, sig, 65, 500), STORE_OK);
    CHECK_EQ_INT(store_spec_put(s, id, "img:1", "QmIn", signer, sig, 65, 501), STORE_OK);
    CHECK_EQ_INT(store_spec_put(s, id, "img:2", "QmIn", signer, sig, 65, 502), STORE_DUP);
    CHECK_EQ_INT(store_spec_get(s, id, &sp), STORE_OK);
    CHECK_EQ_STR(sp.docker_image, "img:1");
    CHECK_EQ_STR(sp.input_cid, "QmIn");
    CHECK_MEM(sp.signer, signer, 20);
    CHECK_EQ_INT(sp.signature_len, 65);
    CHECK_MEM(sp.signature, sig, 65);
    CHECK_EQ_INT(sp.received_at, 500);
    store_close(s);
}

/* Candidates: one per (job, signer), caps per signer and in total, expiry, and the binding of
 * the renter's at JobCreated (issue 21, spec squatting). */
TEST(spec_candidates) {
    store *s = fresh_store();
    uint8_t id[32], id2[32], renter[20], squatter[20], sig[65];
    fill(id, 32, 1);
    fill(id2, 32, 9);
    fill(renter, 20, 2);
    fill(squatter, 20, 4);
    fill(sig, 65, 3);
    store_spec_caps caps = {2, 3, 100};
    CHECK_EQ_INT(store_spec_candidate_put(s, id, "evil:1", "QmIn", squatter, sig, 65, 1000, &caps), STORE_OK);
    CHECK_EQ_INT(store_spec_candidate_put(s, id, "img:1", "QmIn", renter, sig, 65, 1001, &caps), STORE_OK);
    CHECK_EQ_INT(store_spec_candidate_put(s, id, "img:1", "QmIn", renter, sig, 65, 1002, &caps), STORE_OK);
    CHECK_EQ_INT(store_spec_candidate_put(s, id, "img:2", "QmIn", renter, sig, 65, 1003, &caps), STORE_DUP);
    CHECK_EQ_INT(store_spec_candidate_put(s, id2, "evil:1", "QmIn", squatter, sig, 65, 1004, &caps), STORE_OK);
    uint8_t id3[32];
    fill(id3, 32, 11);
    CHECK_EQ_INT(store_spec_candidate_put(s, id3, "evil:1", "QmIn", squatter, sig, 65, 1005, &caps), STORE_SPEC_CAP_SIGNER);
    CHECK_EQ_INT(store_spec_candidate_put(s, id3, "img:1", "QmIn", renter, sig, 65, 1005, &caps), STORE_SPEC_CAP_TOTAL);
    CHECK_EQ_INT(store_spec_candidates_bind(s, id, renter), STORE_OK);
    store_spec sp;
    CHECK_EQ_INT(store_spec_get(s, id, &sp), STORE_OK);
    CHECK_EQ_STR(sp.docker_image, "img:1");
    CHECK_MEM(sp.signer, renter, 20);
    int64_t n = -1;
    CHECK_EQ_INT(store_spec_candidate_count(s, &n), STORE_OK);
    CHECK_EQ_INT(n, 1); /* only id2's is left */
    CHECK_EQ_INT(store_spec_candidates_bind(s, id2, renter), STORE_NOTFOUND); /* not the renter's */
    CHECK_EQ_INT(store_spec_get(s, id2, &sp), STORE_NOTFOUND);
    CHECK_EQ_INT(store_spec_candidate_put(s, id, "x:1", "QmIn", renter, sig, 65, 1200, &caps), STORE_OK);
    CHECK_EQ_INT(store_spec_candidate_count(s, &n), STORE_OK);
    CHECK_EQ_INT(n, 1); /* the put at 1200 expired everything older than 1100 first */
    store_close(s);
}

TEST(outbox) {
    store *s = fresh_store();
    uint8_t j1[32], j2[32];
    fill(j1, 32, 1);
    fill(j2, 32, 2);
    const uint8_t payload[] = "{\"jobId\":\"0x01\"}\0tail";
    CHECK_EQ_INT(store_outbox_add(s, j1, "lamda.dispatch.0xAb", payload, sizeof payload, 10), STORE_OK);
    CHECK_EQ_INT(store_outbox_add(s, j1, "lamda.dispatch.0xAb", payload, sizeof payload, 11), STORE_DUP);
    CHECK_EQ_INT(store_outbox_add(s, j2, "lamda.dispatch.0xCd", (const uint8_t *)"x", 1, 12), STORE_OK);
    int64_t depth = 0;
    CHECK_EQ_INT(store_outbox_depth(s, &depth), STORE_OK);
    CHECK_EQ_INT(depth, 2);
    store_outbox_row rows[4];
    int n = 0;
    CHECK_EQ_INT(store_outbox_pending(s, 4, rows, &n), STORE_OK);
    CHECK_EQ_INT(n, 2);
    CHECK_MEM(rows[0].job_id, j1, 32);
    CHECK_EQ_STR(rows[0].subject, "lamda.dispatch.0xAb");
    CHECK_EQ_INT(rows[0].payload_len, sizeof payload);
    CHECK_MEM(rows[0].payload, payload, sizeof payload);
    CHECK_EQ_INT(rows[0].created_at, 10);
    int64_t id1 = rows[0].id, id2 = rows[1].id;
    CHECK(id2 > id1);
    store_outbox_rows_free(rows, n);
    CHECK_EQ_INT(store_outbox_bump_attempts(s, id1), STORE_OK);
    CHECK_EQ_INT(store_outbox_mark_sent(s, id2, 20), STORE_OK);
    CHECK_EQ_INT(store_outbox_mark_sent(s, 999999, 20), STORE_NOTFOUND);
    CHECK_EQ_INT(store_outbox_pending(s, 4, rows, &n), STORE_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(rows[0].attempts, 1);
    store_outbox_rows_free(rows, n);
    CHECK_EQ_INT(store_outbox_depth(s, &depth), STORE_OK);
    CHECK_EQ_INT(depth, 1);
    store_close(s);
}

TEST(reputation_and_nonces) {
    store *s = fresh_store();
    uint8_t j1[32], j2[32], j3[32], prov[20];
    fill(j1, 32, 1);
    fill(j2, 32, 2);
    fill(j3, 32, 3);
    fill(prov, 20, 9);
    CHECK_EQ_INT(store_rep_add(s, j1, prov, 1000, 10), STORE_OK);
    CHECK_EQ_INT(store_rep_add(s, j1, prov, 1000, 11), STORE_DUP);
    CHECK_EQ_INT(store_rep_add(s, j2, prov, 1001, 12), STORE_OK);
    CHECK_EQ_INT(store_rep_add(s, j3, prov, 1002, 13), STORE_OK);
    store_rep r;
    CHECK_EQ_INT(store_rep_get(s, j1, &r), STORE_OK);
    CHECK_EQ_INT(r.state, STORE_REP_PENDING);
    CHECK(!r.has_nonce && !r.has_tx_hash && r.raw_tx_len == 0);
    CHECK_EQ_INT(r.confirmed_at, 1000);
    /* sign j2 with nonce 4, j1 with nonce 5 */
    CHECK_EQ_INT(store_rep_get(s, j2, &r), STORE_OK);
    r.state = STORE_REP_SIGNED;
    r.has_nonce = true;
    r.nonce = 4;
    r.raw_tx_len = 120;
    fill(r.raw_tx, 120, 5);
    r.has_tx_hash = true;
    fill(r.tx_hash, 32, 6);
    r.attempts = 1;
    r.sent_at = 50;
    CHECK_EQ_INT(store_rep_update(s, &r), STORE_OK);
    store_rep r1;
    store_rep_get(s, j1, &r1);
    r1.state = STORE_REP_SIGNED;
    r1.has_nonce = true;
    r1.nonce = 5;
    snprintf(r1.last_error, sizeof r1.last_error, "nonce too low");
    CHECK_EQ_INT(store_rep_update(s, &r1), STORE_OK);
    store_rep rows[4];
    int n = 0;
    CHECK_EQ_INT(store_rep_list_state(s, STORE_REP_SIGNED, 4, rows, &n), STORE_OK);
    CHECK_EQ_INT(n, 2);
    CHECK_MEM(rows[0].job_id, j2, 32);
    CHECK_EQ_INT(rows[0].nonce, 4);
    CHECK_EQ_INT(rows[0].raw_tx_len, 120);
    CHECK_MEM(rows[0].raw_tx, r.raw_tx, 120);
    CHECK(rows[0].has_tx_hash);
    CHECK_MEM(rows[0].tx_hash, r.tx_hash, 32);
    CHECK_EQ_INT(rows[0].sent_at, 50);
    CHECK_EQ_STR(rows[1].last_error, "nonce too low");
    CHECK(!rows[1].has_tx_hash && rows[1].raw_tx_len == 0); /* NULL stays NULL */
    r.state = STORE_REP_MINED;
    r.mined_block = 777;
    CHECK_EQ_INT(store_rep_update(s, &r), STORE_OK);
    CHECK_EQ_INT(store_rep_get(s, j2, &r), STORE_OK);
    CHECK_EQ_INT(r.mined_block, 777);
    int64_t counts[STORE_REP_STATE_COUNT];
    CHECK_EQ_INT(store_rep_counts(s, counts), STORE_OK);
    CHECK_EQ_INT(counts[STORE_REP_PENDING], 1);
    CHECK_EQ_INT(counts[STORE_REP_SIGNED], 1);
    CHECK_EQ_INT(counts[STORE_REP_MINED], 1);
    CHECK_EQ_INT(counts[STORE_REP_FAILED], 0);
    uint8_t none[32] = {0};
    memcpy(r.job_id, none, 32);
    CHECK_EQ_INT(store_rep_update(s, &r), STORE_NOTFOUND);
    uint64_t next = 0;
    CHECK_EQ_INT(store_nonce_get(s, 5611, prov, &next), STORE_NOTFOUND);
    CHECK_EQ_INT(store_nonce_set(s, 5611, prov, 6), STORE_OK);
    CHECK_EQ_INT(store_nonce_set(s, 5611, prov, 7), STORE_OK);
    CHECK_EQ_INT(store_nonce_get(s, 5611, prov, &next), STORE_OK);
    CHECK_EQ_INT(next, 7);
    store_close(s);
}

/* ---- leases ------------------------------------------------------------------------------------ */

TEST(lease_exclusive) {
    store *a = fresh_store(), *b = NULL;
    char err[512];
    CHECK_EQ_INT(store_open(g_url, &b, err, sizeof err), STORE_OK);
    bool got = false;
    CHECK_EQ_INT(store_lease_acquire(a, "job-dispatcher", &got), STORE_OK);
    CHECK(got);
    CHECK(store_lease_held(a, "job-dispatcher"));
    CHECK_EQ_INT(store_lease_acquire(b, "job-dispatcher", &got), STORE_OK);
    CHECK(!got);
    CHECK(!store_lease_held(b, "job-dispatcher"));
    CHECK_EQ_INT(store_lease_acquire(b, "node-registry", &got), STORE_OK); /* another name */
    CHECK(got);
    store_close(a);
    CHECK_EQ_INT(store_lease_acquire(b, "job-dispatcher", &got), STORE_OK);
    CHECK(got);
    CHECK(store_lease_held(b, "job-dispatcher"));
    CHECK_EQ_INT(store_lease_release(b, "job-dispatcher"), STORE_OK);
    CHECK(!store_lease_held(b, "job-dispatcher"));
    store_close(b);
}

/* ---- driver details ------------------------------------------------------------------------------ */

TEST(driver_placeholders_and_nulls) {
    store *s = fresh_store();
    store_close(s);
    db *d;
    char err[256];
    CHECK_EQ_INT(db_open(g_url, &d, err, sizeof err), DB_OK);
    db_stmt *st;
    /* a '?' inside a literal is not a parameter */
    CHECK_EQ_INT(db_prepare(d, "SELECT '?', ? || 'x', ?", &st), DB_OK);
    db_bind_text(st, 1, "a");
    db_bind_null(st, 2);
    CHECK_EQ_INT(db_step(st), DB_ROW);
    CHECK_EQ_STR(db_col_text(st, 0), "?");
    CHECK_EQ_STR(db_col_text(st, 1), "ax");
    CHECK(db_col_is_null(st, 2));
    CHECK_EQ_INT(db_step(st), DB_DONE);
    db_reset(st);
    /* A failed bind is sticky: the statement does not run with the parameter left NULL. */
    CHECK_EQ_INT(db_exec(d, "CREATE TABLE bindt (a TEXT, b TEXT)"), DB_OK);
    CHECK_EQ_INT(db_prepare(d, "INSERT INTO bindt (a, b) VALUES (?, ?)", &st), DB_OK);
    CHECK_EQ_INT(db_bind_text(st, 1, "x"), DB_OK);
    CHECK(db_bind_text(st, 3, "out of range") != DB_OK);
    CHECK_EQ_INT(db_bind_text(st, 2, "y"), DB_OK);
    CHECK_EQ_INT(db_run(st), DB_ERR);
    db_reset(st);
    CHECK_EQ_INT(db_prepare(d, "SELECT count(*) FROM bindt", &st), DB_OK);
    CHECK_EQ_INT(db_step(st), DB_ROW);
    CHECK_EQ_INT((int)db_col_int64(st, 0), 0);
    db_reset(st);
    CHECK_EQ_INT(db_prepare(d, "INSERT INTO bindt (a, b) VALUES (?, ?)", &st), DB_OK); /* reset clears it */
    db_bind_text(st, 1, "x");
    db_bind_text(st, 2, "y");
    CHECK_EQ_INT(db_run(st), DB_OK);
    db_reset(st);
    CHECK_EQ_INT(db_exec(d, "DROP TABLE bindt"), DB_OK);
    CHECK_EQ_INT(db_prepare(d, "SELECT nosuchcolumn FROM jobs", &st), d && db_backend(d) == DB_SQLITE ? DB_ERR : DB_OK);
    if (db_backend(d) == DB_POSTGRES) {
        CHECK_EQ_INT(db_step(st), DB_ERR);
        db_reset(st);
    }
    CHECK(db_errmsg(d)[0] != 0);
    CHECK_EQ_INT(db_ping(d), DB_OK);
    db_close(d);
    CHECK_EQ_INT(db_open("mysql://x", &d, err, sizeof err), DB_ERR);
}

/* The sticky bind error reaches every way a statement runs: db_step (a read) and db_run inside
 * db_begin_bulk (pipelined on PostgreSQL), not only a plain db_run. */
TEST(failed_bind_stops_step_and_bulk_run) {
    store *s = fresh_store();
    store_close(s);
    db *d;
    char err[256];
    CHECK_EQ_INT(db_open(g_url, &d, err, sizeof err), DB_OK);
    db_stmt *st;
    CHECK_EQ_INT(db_prepare(d, "SELECT ? || 'x'", &st), DB_OK);
    CHECK(db_bind_int64(st, 2, 7) != DB_OK);
    CHECK_EQ_INT(db_bind_text(st, 1, "a"), DB_OK);
    CHECK_EQ_INT(db_step(st), DB_ERR);
    CHECK_EQ_INT(db_step(st), DB_ERR); /* still: only db_reset clears it */
    db_reset(st);
    CHECK_EQ_INT(db_exec(d, "CREATE TABLE bindb (a TEXT)"), DB_OK);
    CHECK_EQ_INT(db_begin_bulk(d), DB_OK);
    CHECK_EQ_INT(db_prepare(d, "INSERT INTO bindb (a) VALUES (?)", &st), DB_OK);
    CHECK(db_bind_blob(st, 0, "z", 1) != DB_OK);
    CHECK_EQ_INT(db_run(st), DB_ERR);
    db_reset(st);
    CHECK_EQ_INT(db_rollback(d), DB_OK);
    CHECK_EQ_INT(db_prepare(d, "SELECT count(*) FROM bindb", &st), DB_OK);
    CHECK_EQ_INT(db_step(st), DB_ROW);
    CHECK_EQ_INT((int)db_col_int64(st, 0), 0);
    db_reset(st);
    CHECK_EQ_INT(db_exec(d, "DROP TABLE bindb"), DB_OK);
    db_close(d);
}

/* A bind list that does not match the statement binds nothing and says so; a matching one binds
 * every kind of letter, NULL pointers as SQL NULL. */
TEST(store_prepare_checks_the_bind_list) {
    store *s = fresh_store();
    db_stmt *st;
    CHECK_EQ_INT(store_prepare(s, &st, "SELECT ?, ?", "iz", (int64_t)1, (int64_t)2), STORE_ERR);
    CHECK(strstr(store_errmsg(s), "z") != NULL);
    CHECK_EQ_INT(store_prepare(s, &st, "SELECT ?, ?", "iii", (int64_t)1, (int64_t)2, (int64_t)3), STORE_ERR);
    CHECK_EQ_INT(store_prepare(s, &st, "SELECT ?, ?", "i", (int64_t)1), STORE_ERR);
    int64_t got = 0;
    CHECK_EQ_INT(store_int64(s, &got, "SELECT CAST(? AS BIGINT) + 1", "i", (int64_t)41), STORE_OK);
    CHECK_EQ_INT((int)got, 42);
    uint8_t addr[20] = {0xab}, hash[32] = {0xcd};
    int64_t seven = 7;
    /* PostgreSQL needs each parameter's type; SQLite would turn a blob cast to BYTEA into a number */
    const char *blob = db_backend(s->db) == DB_POSTGRES ? "BYTEA" : "BLOB";
    char sql[300];
    snprintf(sql, sizeof sql,
             "SELECT CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS %s), CAST(? AS %s),"
             " CAST(? AS %s), CAST(? AS %s), CAST(? AS BIGINT)", blob, blob, blob, blob);
    CHECK_EQ_INT(store_prepare(s, &st, sql,
                               "pptahbbi", &seven, (const int64_t *)NULL, "x", addr, hash, "yz", (size_t)2,
                               (const void *)NULL, (size_t)0, (int64_t)-1),
                 STORE_OK);
    CHECK_EQ_INT(db_step(st), DB_ROW);
    CHECK_EQ_INT((int)db_col_int64(st, 0), 7);
    CHECK(db_col_is_null(st, 1));
    CHECK_EQ_STR(db_col_text(st, 2), "x");
    uint8_t a2[20], h2[32];
    CHECK(db_col_blob_fixed(st, 3, a2, 20) == 0 && memcmp(a2, addr, 20) == 0);
    CHECK(db_col_blob_fixed(st, 4, h2, 32) == 0 && memcmp(h2, hash, 32) == 0);
    CHECK(db_col_is_null(st, 6));
    CHECK_EQ_INT((int)db_col_int64(st, 7), -1);
    db_reset(st);
    store_close(s);
}

/* A chain string is any bytes: stored as valid UTF-8 (PostgreSQL would refuse the row, and the
 * follower's batch with it, for ever), invalid bytes as U+FFFD, cut between characters. */
TEST(provider_strings_are_stored_as_utf8) {
    store *s = fresh_store();
    uint8_t a[20] = {0x11};
    CHECK_EQ_INT(store_provider_register(s, a, "RTX\xff\xfe 4090 caf\xc3\xa9", 8192, 1000, 1), STORE_OK);
    store_provider p;
    CHECK_EQ_INT(store_provider_get(s, a, &p), STORE_OK);
    CHECK_EQ_STR(p.gpu_model, "RTX\xef\xbf\xbd\xef\xbf\xbd 4090 caf\xc3\xa9");
    char longm[300];
    for (int i = 0; i < 299; i++) longm[i] = i % 2 ? '\xa9' : '\xc3';
    longm[299] = 0;
    a[0] = 0x12;
    CHECK_EQ_INT(store_provider_register(s, a, longm, 8192, 1000, 2), STORE_OK);
    CHECK_EQ_INT(store_provider_get(s, a, &p), STORE_OK);
    CHECK(utf8_valid(p.gpu_model, strlen(p.gpu_model)));
    CHECK(strlen(p.gpu_model) > 0);
    store_close(s);
}

#define RUN_ON(name)                                                                             \
    do {                                                                                         \
        g_on_pg = false;                                                                         \
        test_failed_ = 0;                                                                        \
        name();                                                                                  \
        printf("%s - %s (sqlite)\n", test_failed_ ? "not ok" : "ok", #name);                    \
        test_total_failed_ += test_failed_;                                                      \
        if (g_pg) {                                                                              \
            g_on_pg = true;                                                                      \
            test_failed_ = 0;                                                                    \
            name();                                                                              \
            printf("%s - %s (postgres)\n", test_failed_ ? "not ok" : "ok", #name);              \
            test_total_failed_ += test_failed_;                                                  \
        } else {                                                                                 \
            printf("ok - %s (postgres) # skip LAMDA_TEST_PG_URL not set\n", #name);              \
        }                                                                                        \
        fflush(stdout);                                                                          \
    } while (0)

int main(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/lamda-store-XXXXXX");
    if (!mkdtemp(g_dir)) return 1;
    g_pg = getenv("LAMDA_TEST_PG_URL");
    if (g_pg && !*g_pg) g_pg = NULL;
    RUN(job_status_rule);
    RUN_ON(migrations_idempotent);
    RUN_ON(migrations_concurrent);
    RUN_ON(migrations_refuse_newer_schema);
    RUN_ON(ledger_duplicate_and_order);
    RUN_ON(duplicate_inside_transaction_keeps_it_usable);
    RUN_ON(many_row_inserts_report_duplicates);
    RUN_ON(cursor_and_block_hashes);
    RUN_ON(transaction_rolls_back_together);
    RUN_ON(providers);
    RUN_ON(jobs);
    RUN_ON(job_lists);
    RUN_ON(idle_queries_read_few_pages);
    RUN_ON(specs);
    RUN_ON(spec_candidates);
    RUN_ON(outbox);
    RUN_ON(reputation_and_nonces);
    RUN_ON(lease_exclusive);
    RUN_ON(driver_placeholders_and_nulls);
    RUN_ON(failed_bind_stops_step_and_bulk_run);
    RUN_ON(store_prepare_checks_the_bind_list);
    RUN_ON(provider_strings_are_stored_as_utf8);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "  could not clean %s\n", g_dir);
    TEST_EXIT();
}
