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

static int batch(store *s, const rpc_log *logs, size_t n) {
    size_t applied;
    int rc = store_begin(s);
    if (rc != STORE_OK) return rc;
    rc = follower_apply_logs(s, &H, CL_CHAIN, CL_CONTRACT, logs, n, 0, &applied);
    if (rc >= 0) rc = store_commit(s);
    if (rc < 0) store_rollback(s);
    return rc;
}

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

int main(void) {
    RUN(registered_then_heartbeat_then_job_count);
    RUN(re_registration_updates_the_specs);
    RUN(a_batch_applied_twice_changes_nothing_more);
    RUN(malformed_and_absurd_values);
    RUN(reset_forgets_the_provider);
    cl_cleanup();
    TEST_EXIT();
}
