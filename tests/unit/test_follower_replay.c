/* test_follower_replay — the reorg undo (follower_undo_from: delete the orphaned ledger rows,
 * reset every entity they touched, re-derive it from its remaining rows) on crafted sequences,
 * with the real handlers and a fresh SQLite store, no servers. The property: after undoing
 * from block B, the chain-derived rows equal those of a database that only ever saw the logs
 * below B (except what the design keeps on purpose: reputation updates and outbox rows). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "chain/follower.h"
#include "chainlog.h"
#include "core/config.h"
#include "services/job_events.h"
#include "services/node_events.h"
#include "test.h"

static lamda_config g_cfg;

static int undo(store *s, const follower_handler *h, uint64_t first_orphan, size_t *nkeys) {
    int rc = store_begin(s);
    if (rc != STORE_OK) return rc;
    rc = follower_undo_from(s, h, CL_CHAIN, CL_CONTRACT, first_orphan, nkeys);
    if (rc >= 0) rc = store_commit(s);
    if (rc < 0) store_rollback(s);
    return rc;
}

/* ---- providers ------------------------------------------------------------------------------ */

static const uint8_t P1[20] = {0x70, 1}, P2[20] = {0x70, 2}, P3[20] = {0x70, 3};
static const follower_handler NODE = {.apply = node_events_apply, .reset = node_events_reset};

/* The chain-derived provider fields agree (the row's own timestamps are wall-clock). */
static bool same_provider(store *a, store *b, const uint8_t addr[20]) {
    store_provider x, y;
    int ra = store_provider_get(a, addr, &x), rb = store_provider_get(b, addr, &y);
    if (ra != rb) return false;
    if (ra != STORE_OK) return true;
    return !strcmp(x.gpu_model, y.gpu_model) && x.vram == y.vram && x.last_seen == y.last_seen &&
           x.is_online == y.is_online && x.is_registered == y.is_registered &&
           x.total_jobs_completed == y.total_jobs_completed && x.reputation_score == y.reputation_score &&
           x.registered_block == y.registered_block;
}

TEST(node_undo_equals_never_seen) {
    rpc_log kept[] = {cl_node_registered(1, 0, P1, "A100", 40960), cl_node_heartbeat(2, 0, P1, 2000),
                      cl_job_count(3, 0, P1, 1), cl_node_registered(4, 0, P2, "T4", 16384)};
    rpc_log orphaned[] = {cl_node_heartbeat(11, 0, P1, 9000), cl_job_count(12, 0, P1, 2),
                          cl_node_registered(13, 0, P2, "L4", 24576), cl_node_registered(14, 0, P3, "X", 1),
                          cl_node_heartbeat(14, 1, P3, 9100)};
    store *a = cl_fresh_store(), *b = cl_fresh_store();
    CHECK_EQ_INT(cl_apply_batch(a, &NODE, kept, 4), STORE_OK);
    CHECK_EQ_INT(cl_apply_batch(a, &NODE, orphaned, 5), STORE_OK);
    CHECK_EQ_INT(cl_apply_batch(b, &NODE, kept, 4), STORE_OK);
    store_provider p;
    CHECK_EQ_INT(store_provider_get(a, P3, &p), STORE_OK);
    size_t nkeys = 0;
    CHECK_EQ_INT(undo(a, &NODE, 11, &nkeys), STORE_OK);
    CHECK_EQ_INT(nkeys, 3); /* P1, P2, P3: each once however many rows it had */
    CHECK(same_provider(a, b, P1));
    CHECK(same_provider(a, b, P2));
    CHECK(same_provider(a, b, P3));
    CHECK_EQ_INT(store_provider_get(a, P1, &p), STORE_OK);
    CHECK_EQ_INT(p.last_seen, 2000);
    CHECK_EQ_INT(p.total_jobs_completed, 1);
    int64_t na = 0, nb = 0;
    store_ledger_count(a, CL_CHAIN, CL_CONTRACT, &na);
    store_ledger_count(b, CL_CHAIN, CL_CONTRACT, &nb);
    CHECK_EQ_INT(na, nb);
    /* The canonical chain's blocks then apply as on a database that never saw the fork. */
    rpc_log fork[] = {cl_node_heartbeat(11, 0, P2, 9500)};
    CHECK_EQ_INT(cl_apply_batch(a, &NODE, fork, 1), STORE_OK);
    CHECK_EQ_INT(cl_apply_batch(b, &NODE, fork, 1), STORE_OK);
    CHECK(same_provider(a, b, P2));
    store_close(a);
    store_close(b);
}

TEST(undo_above_everything_changes_nothing) {
    rpc_log logs[] = {cl_node_registered(1, 0, P1, "A", 1), cl_job_count(2, 0, P1, 4)};
    store *a = cl_fresh_store();
    CHECK_EQ_INT(cl_apply_batch(a, &NODE, logs, 2), STORE_OK);
    size_t nkeys = 9;
    CHECK_EQ_INT(undo(a, &NODE, 3, &nkeys), STORE_OK);
    CHECK_EQ_INT(nkeys, 0);
    store_provider p;
    CHECK_EQ_INT(store_provider_get(a, P1, &p), STORE_OK);
    CHECK_EQ_INT(p.total_jobs_completed, 4);
    store_close(a);
}

/* ---- jobs ------------------------------------------------------------------------------------ */

static const uint8_t RENTER[20] = {0x11}, PROV[20] = {0x22}, OLD_PROV[20] = {0x33};

static void job_id(uint8_t id[32], uint8_t k) {
    memset(id, 0, 32);
    id[0] = 0x10;
    id[31] = k;
}

static int g_lookups;
static int lookup(void *ud, const uint8_t id[32], uint8_t provider[20]) {
    (void)ud;
    (void)id;
    g_lookups++;
    memcpy(provider, OLD_PROV, 20);
    return 0;
}

static job_status status_of(store *s, const uint8_t id[32]) {
    store_job j;
    return store_job_get(s, id, &j) == STORE_OK ? j.status : JOB_STATUS_COUNT;
}

TEST(job_undo_rederives_and_keeps_updates) {
    job_events_ctx *ctx = job_events_ctx_new(&g_cfg);
    job_events_defer_dispatch(ctx);
    job_events_set_lookup(ctx, lookup, NULL);
    follower_handler h = {.ud = ctx, .prepare = job_events_prepare, .apply = job_events_apply,
                          .reset = job_events_reset, .flush = job_events_flush};
    uint8_t j0[32], j1[32], j2[32], j3[32];
    job_id(j0, 0); /* created before the start block: known only through getJobInfo */
    job_id(j1, 1);
    job_id(j2, 2);
    job_id(j3, 3);
    rpc_log kept[] = {cl_job_confirmed(1, 0, j0, 100), cl_job_created(1, 1, j1, RENTER, PROV, 10),
                      cl_job_created(2, 0, j2, RENTER, PROV, 20), cl_job_confirmed(3, 0, j1, 300)};
    rpc_log orphaned[] = {cl_job_confirmed(11, 0, j2, 1100), cl_payment_claimed(12, 0, j1, PROV, 10),
                          cl_job_created(13, 0, j3, RENTER, PROV, 30), cl_payment_claimed(13, 1, j0, OLD_PROV, 5)};
    store *a = cl_fresh_store();
    g_lookups = 0;
    CHECK_EQ_INT(cl_apply_batch(a, &h, kept, 4), STORE_OK);
    CHECK_EQ_INT(cl_apply_batch(a, &h, orphaned, 4), STORE_OK);
    CHECK_EQ_INT(g_lookups, 1);
    CHECK_EQ_INT(status_of(a, j1), JOB_PAID);
    CHECK_EQ_INT(status_of(a, j2), JOB_CONFIRMED);

    size_t nkeys = 0;
    CHECK_EQ_INT(undo(a, &h, 11, &nkeys), STORE_OK);
    CHECK_EQ_INT(nkeys, 4);
    CHECK_EQ_INT(g_lookups, 1); /* j0's replay found its update row: no RPC in the transaction */
    store_job j;
    CHECK_EQ_INT(store_job_get(a, j1, &j), STORE_OK);
    CHECK_EQ_INT(j.status, JOB_CONFIRMED);
    CHECK_EQ_STR(j.paid_amount, "");
    CHECK_EQ_INT(j.confirmed_at, 300);
    CHECK_EQ_INT(status_of(a, j2), JOB_CREATED);
    CHECK_EQ_INT(status_of(a, j3), JOB_STATUS_COUNT);
    CHECK_EQ_INT(status_of(a, j0), JOB_STATUS_COUNT);
    /* Kept on purpose (job_events_reset): an increment may already be mined. */
    store_rep r;
    CHECK_EQ_INT(store_rep_get(a, j2, &r), STORE_OK);
    CHECK_EQ_INT(store_rep_get(a, j0, &r), STORE_OK);
    CHECK_MEM(r.provider, OLD_PROV, 20);
    int64_t n = 0;
    CHECK_EQ_INT(store_ledger_count(a, CL_CHAIN, CL_CONTRACT, &n), STORE_OK);
    CHECK_EQ_INT(n, 4);
    job_events_ctx_free(ctx);
    store_close(a);
}

int main(void) {
    cl_load_config(&g_cfg);
    RUN(node_undo_equals_never_seen);
    RUN(undo_above_everything_changes_nothing);
    RUN(job_undo_rederives_and_keeps_updates);
    config_free(&g_cfg);
    cl_cleanup();
    TEST_EXIT();
}
