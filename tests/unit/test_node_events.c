/* test_node_events — the NodeReputation handler (node_events_apply/reset) fed crafted
 * sequences of decoded logs through the follower's APPLY phase (follower_apply_logs) against a
 * fresh SQLite store, asserting the provider rows. node_events needs nothing but the store: it
 * has no prepare hook and calls no RPC. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "chain/follower.h"
#include "chainlog.h"
#include "services/node_events.h"
#include "test.h"

static const uint8_t P1[20] = {0x70, 1}, P2[20] = {0x70, 2};

static const follower_handler H = {.apply = node_events_apply, .reset = node_events_reset};

static int batch(store *s, const rpc_log *logs, size_t n) { return cl_apply_batch(s, &H, logs, n); }

TEST(registered_then_heartbeat_then_job_count) {
    store *s = cl_fresh_store();
    rpc_log a[] = {cl_node_registered(5, 0, P1, "RTX 4090", 24576)};
    CHECK_EQ_INT(batch(s, a, 1), STORE_OK);
    store_provider p;
    CHECK_EQ_INT(store_provider_get(s, P1, &p), STORE_OK);
    CHECK(p.is_registered);
    CHECK_EQ_STR(p.gpu_model, "RTX 4090");
    CHECK_EQ_INT(p.vram, 24576);
    CHECK_EQ_INT(p.registered_block, 5);

    rpc_log b[] = {cl_node_heartbeat(6, 0, P1, 5000), cl_job_count(7, 0, P1, 3)};
    CHECK_EQ_INT(batch(s, b, 2), STORE_OK);
    CHECK_EQ_INT(store_provider_get(s, P1, &p), STORE_OK);
    CHECK_EQ_INT(p.last_seen, 5000);
    CHECK(p.is_online);
    CHECK_EQ_INT(p.total_jobs_completed, 3);
    CHECK_EQ_INT(store_provider_get(s, P2, &p), STORE_NOTFOUND);
    store_close(s);
}

TEST(re_registration_updates_the_specs) {
    store *s = cl_fresh_store();
    rpc_log a[] = {cl_node_registered(5, 0, P1, "RTX 3090", 24000), cl_node_registered(9, 2, P1, "H100", 81920)};
    CHECK_EQ_INT(batch(s, a, 2), STORE_OK);
    store_provider p;
    CHECK_EQ_INT(store_provider_get(s, P1, &p), STORE_OK);
    CHECK_EQ_STR(p.gpu_model, "H100");
    CHECK_EQ_INT(p.vram, 81920);
    store_close(s);
}

TEST(a_batch_applied_twice_changes_nothing_more) {
    store *s = cl_fresh_store();
    rpc_log a[] = {cl_node_registered(5, 0, P1, "A", 1), cl_job_count(6, 0, P1, 1)};
    CHECK_EQ_INT(batch(s, a, 2), STORE_OK);
    rpc_log b[] = {cl_job_count(7, 0, P1, 2)};
    CHECK_EQ_INT(batch(s, b, 1), STORE_OK);
    CHECK_EQ_INT(batch(s, a, 2), STORE_OK); /* the ledger rows exist: the effects are skipped */
    store_provider p;
    CHECK_EQ_INT(store_provider_get(s, P1, &p), STORE_OK);
    CHECK_EQ_INT(p.total_jobs_completed, 2);
    int64_t n = 0;
    CHECK_EQ_INT(store_ledger_count(s, CL_CHAIN, CL_CONTRACT, &n), STORE_OK);
    CHECK_EQ_INT(n, 3);
    store_close(s);
}

TEST(malformed_and_absurd_values) {
    store *s = cl_fresh_store();
    rpc_log bad = cl_node_registered(5, 0, P2, "X", 1);
    bad.data_len = 40; /* the string's offset points past the data */
    rpc_log huge = cl_node_registered(5, 1, P1, "Y", 1);
    memset(huge.data + 32, 0xff, 32); /* vram 2^256-1: capped, not wrapped */
    rpc_log logs[] = {bad, huge};
    CHECK_EQ_INT(batch(s, logs, 2), STORE_OK);
    store_provider p;
    CHECK_EQ_INT(store_provider_get(s, P2, &p), STORE_NOTFOUND);
    CHECK_EQ_INT(store_provider_get(s, P1, &p), STORE_OK);
    CHECK_EQ_INT(p.vram, (int64_t)1 << 40);
    store_close(s);
}

TEST(reset_forgets_the_provider) {
    store *s = cl_fresh_store();
    rpc_log a[] = {cl_node_registered(5, 0, P1, "A", 1)};
    CHECK_EQ_INT(batch(s, a, 1), STORE_OK);
    uint8_t key[32];
    cl_addr_topic(key, P1);
    CHECK_EQ_INT(node_events_reset(NULL, s, key), STORE_OK);
    store_provider p;
    CHECK_EQ_INT(store_provider_get(s, P1, &p), STORE_NOTFOUND);
    CHECK_EQ_INT(node_events_reset(NULL, s, key), STORE_OK); /* already gone: fine */
    store_close(s);
}

static bool same_provider(const store_provider *a, const store_provider *b) {
    return !memcmp(a->address, b->address, 20) && !strcmp(a->gpu_model, b->gpu_model) && a->vram == b->vram &&
           a->last_seen == b->last_seen && a->is_online == b->is_online && a->is_registered == b->is_registered &&
           a->total_jobs_completed == b->total_jobs_completed && a->reputation_score == b->reputation_score &&
           a->registered_block == b->registered_block;
}

/* The services' handler (a node_events_state: effects merged per provider, written at flush)
 * leaves the same rows as one log at a time, whatever the order within the batch: heartbeats
 * out of time order, a registration between heartbeats, counts going up and down, and a
 * provider that existed before the batch. */
TEST(merged_batch_equals_one_log_at_a_time) {
    store *one = cl_fresh_store(), *merged = cl_fresh_store();
    node_events_state st = {0};
    const follower_handler M = {.ud = &st, .apply = node_events_apply, .reset = node_events_reset,
                                .flush = node_events_flush};
    rpc_log before[] = {cl_node_registered(4, 0, P2, "A100", 40000), cl_node_heartbeat(4, 1, P2, 9000)};
    CHECK_EQ_INT(batch(one, before, 2), STORE_OK);
    CHECK_EQ_INT(cl_apply_batch(merged, &M, before, 2), STORE_OK);
    rpc_log b[] = {cl_node_heartbeat(5, 0, P1, 7000), cl_node_registered(5, 1, P1, "RTX 3090", 24000),
                   cl_node_heartbeat(6, 0, P1, 6000), cl_job_count(6, 1, P1, 4), cl_job_count(7, 0, P1, 2),
                   cl_node_registered(7, 1, P1, "H100", 81920), cl_node_heartbeat(8, 0, P2, 8000),
                   cl_job_count(8, 1, P2, 9), cl_node_heartbeat(9, 0, P1, 7500)};
    size_t n = sizeof b / sizeof b[0];
    CHECK_EQ_INT(batch(one, b, n), STORE_OK);
    CHECK_EQ_INT(cl_apply_batch(merged, &M, b, n), STORE_OK);
    CHECK(st.pending == NULL); /* freed at flush */
    const uint8_t *addrs[] = {P1, P2};
    for (int i = 0; i < 2; i++) {
        store_provider x, y;
        CHECK_EQ_INT(store_provider_get(one, addrs[i], &x), STORE_OK);
        CHECK_EQ_INT(store_provider_get(merged, addrs[i], &y), STORE_OK);
        CHECK(same_provider(&x, &y));
    }
    store_provider p;
    CHECK_EQ_INT(store_provider_get(merged, P1, &p), STORE_OK);
    CHECK_EQ_STR(p.gpu_model, "H100");
    CHECK_EQ_INT(p.last_seen, 7500);
    CHECK_EQ_INT(p.total_jobs_completed, 2);
    CHECK_EQ_INT(store_provider_get(merged, P2, &p), STORE_OK);
    CHECK_EQ_INT(p.last_seen, 9000); /* older heartbeat than the row's: kept */
    CHECK_EQ_STR(p.gpu_model, "A100");
    CHECK_EQ_INT(p.total_jobs_completed, 9);
    store_close(one);
    store_close(merged);
}

int main(void) {
    RUN(registered_then_heartbeat_then_job_count);
    RUN(re_registration_updates_the_specs);
    RUN(a_batch_applied_twice_changes_nothing_more);
    RUN(malformed_and_absurd_values);
    RUN(reset_forgets_the_provider);
    RUN(merged_batch_equals_one_log_at_a_time);
    cl_cleanup();
    TEST_EXIT();
}
