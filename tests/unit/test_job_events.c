/* test_job_events — the JobManager handlers (job_events_prepare/apply/flush) fed crafted
 * sequences of decoded logs through the follower's APPLY phase (follower_apply_logs) against a
 * fresh SQLite store, asserting the rows. The getJobInfo lookup is replaced by a table, so no
 * RPC server is needed; the test also proves the lookup happens in prepare, before the write
 * transaction, and never from apply. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chain/follower.h"
#include "chainlog.h"
#include "core/config.h"
#include "services/job_events.h"
#include "test.h"

static lamda_config g_cfg;

static const uint8_t RENTER[20] = {0x11, 1}, PROVIDER[20] = {0x22, 2}, OLD_PROVIDER[20] = {0x33, 3};

static void job_id(uint8_t id[32], uint8_t k) {
    memset(id, 0, 32);
    id[0] = 0x10;
    id[31] = k;
}

/* The stand-in for getJobInfo: job k's provider is OLD_PROVIDER; counts calls and whether a
 * write transaction was open at the time (it must never be). */
typedef struct {
    bool tx_open; /* set by batch() while its write transaction is open */
    int calls;
    bool in_tx;
    bool fail;
} lookup_state;

static int fake_lookup(void *ud, const uint8_t id[32], uint8_t provider[20]) {
    lookup_state *st = ud;
    (void)id;
    st->calls++;
    if (st->tx_open) st->in_tx = true;
    if (st->fail) return -1;
    memcpy(provider, OLD_PROVIDER, 20);
    return 0;
}

typedef struct {
    store *s;
    job_events_ctx *ctx;
    follower_handler h;
    lookup_state look;
} fixture;

static void setup(fixture *f) {
    memset(f, 0, sizeof *f);
    f->s = cl_fresh_store();
    f->ctx = job_events_ctx_new(&g_cfg);
    job_events_defer_dispatch(f->ctx);
    job_events_set_lookup(f->ctx, fake_lookup, &f->look);
    f->h = (follower_handler){.ud = f->ctx, .prepare = job_events_prepare, .apply = job_events_apply,
                              .reset = job_events_reset, .flush = job_events_flush};
}

static void teardown(fixture *f) {
    job_events_ctx_free(f->ctx);
    store_close(f->s);
}

/* One batch as the follower applies it: prepare outside, then one transaction. */
static int batch(fixture *f, const rpc_log *logs, size_t n) {
    int rc = job_events_prepare(f->ctx, f->s, logs, n);
    if (rc < 0) return rc;
    size_t applied;
    if ((rc = store_begin(f->s)) != STORE_OK) return rc;
    f->look.tx_open = true;
    rc = follower_apply_logs(f->s, &f->h, CL_CHAIN, CL_CONTRACT, logs, n, 0, &applied);
    if (rc >= 0) rc = store_commit(f->s);
    if (rc < 0) store_rollback(f->s);
    f->look.tx_open = false;
    return rc;
}

static job_status status_of(store *s, const uint8_t id[32]) {
    store_job j;
    return store_job_get(s, id, &j) == STORE_OK ? j.status : JOB_STATUS_COUNT;
}

TEST(created_then_confirmed_then_paid) {
    fixture f;
    setup(&f);
    uint8_t id[32];
    job_id(id, 1);
    rpc_log a[] = {cl_job_created(10, 0, id, RENTER, PROVIDER, 5000)};
    CHECK_EQ_INT(batch(&f, a, 1), STORE_OK);
    store_job j;
    CHECK_EQ_INT(store_job_get(f.s, id, &j), STORE_OK);
    CHECK_EQ_INT(j.status, JOB_CREATED);
    CHECK_MEM(j.renter, RENTER, 20);
    CHECK_MEM(j.provider, PROVIDER, 20);
    CHECK_EQ_STR(j.payment, "5000");
    CHECK_EQ_INT(j.created_block, 10);
    CHECK_EQ_INT(j.created_at, 1010);

    rpc_log b[] = {cl_job_confirmed(11, 0, id, 777)};
    CHECK_EQ_INT(batch(&f, b, 1), STORE_OK);
    CHECK_EQ_INT(status_of(f.s, id), JOB_CONFIRMED);
    store_rep r;
    CHECK_EQ_INT(store_rep_get(f.s, id, &r), STORE_OK);
    CHECK_MEM(r.provider, PROVIDER, 20);
    CHECK_EQ_INT(r.confirmed_at, 777);
    CHECK_EQ_INT(f.look.calls, 0); /* the job was known: no getJobInfo */

    rpc_log c[] = {cl_payment_claimed(12, 0, id, PROVIDER, 4999)};
    CHECK_EQ_INT(batch(&f, c, 1), STORE_OK);
    CHECK_EQ_INT(store_job_get(f.s, id, &j), STORE_OK);
    CHECK_EQ_INT(j.status, JOB_PAID);
    CHECK_EQ_STR(j.paid_amount, "4999");
    int64_t n = 0;
    CHECK_EQ_INT(store_ledger_count(f.s, CL_CHAIN, CL_CONTRACT, &n), STORE_OK);
    CHECK_EQ_INT(n, 3);
    teardown(&f);
}

TEST(created_with_spec_is_assigned_and_queued) {
    fixture f;
    setup(&f);
    uint8_t id[32];
    job_id(id, 2);
    uint8_t sig[65] = {1};
    CHECK_EQ_INT(store_spec_put(f.s, id, "lamda/test:1", "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG",
                                RENTER, sig, sizeof sig, 1),
                 STORE_OK);
    rpc_log a[] = {cl_job_created(10, 0, id, RENTER, PROVIDER, 1)};
    CHECK_EQ_INT(batch(&f, a, 1), STORE_OK);
    store_job j;
    CHECK_EQ_INT(store_job_get(f.s, id, &j), STORE_OK);
    CHECK_EQ_INT(j.status, JOB_ASSIGNED);
    CHECK_EQ_STR(j.docker_image, "lamda/test:1");
    CHECK_EQ_INT(j.assigned_at, 1010);
    teardown(&f);
}

TEST(created_and_confirmed_in_one_batch_needs_no_lookup) {
    fixture f;
    setup(&f);
    uint8_t id[32];
    job_id(id, 3);
    rpc_log a[] = {cl_job_created(10, 0, id, RENTER, PROVIDER, 1), cl_job_confirmed(10, 1, id, 5)};
    CHECK_EQ_INT(batch(&f, a, 2), STORE_OK);
    CHECK_EQ_INT(status_of(f.s, id), JOB_CONFIRMED);
    store_rep r;
    CHECK_EQ_INT(store_rep_get(f.s, id, &r), STORE_OK);
    CHECK_MEM(r.provider, PROVIDER, 20);
    CHECK_EQ_INT(f.look.calls, 0);
    teardown(&f);
}

TEST(unknown_confirmed_job_is_resolved_before_the_transaction) {
    fixture f;
    setup(&f);
    uint8_t id[32], id2[32];
    job_id(id, 4);
    job_id(id2, 5);
    rpc_log a[] = {cl_job_confirmed(20, 0, id, 9), cl_job_confirmed(20, 1, id2, 9), cl_job_confirmed(21, 0, id, 9)};
    CHECK_EQ_INT(batch(&f, a, 3), STORE_OK);
    CHECK_EQ_INT(f.look.calls, 2); /* one per unknown job, the repeated confirmation asks nothing */
    CHECK(!f.look.in_tx);
    CHECK_EQ_INT(status_of(f.s, id), JOB_STATUS_COUNT); /* no job row: created before the start */
    store_rep r;
    CHECK_EQ_INT(store_rep_get(f.s, id, &r), STORE_OK);
    CHECK_MEM(r.provider, OLD_PROVIDER, 20);
    CHECK_EQ_INT(store_rep_get(f.s, id2, &r), STORE_OK);
    teardown(&f);
}

TEST(failed_lookup_writes_nothing_and_retries) {
    fixture f;
    setup(&f);
    uint8_t id[32];
    job_id(id, 6);
    f.look.fail = true;
    rpc_log a[] = {cl_job_confirmed(20, 0, id, 9)};
    CHECK(batch(&f, a, 1) < 0);
    int64_t n = -1;
    CHECK_EQ_INT(store_ledger_count(f.s, CL_CHAIN, CL_CONTRACT, &n), STORE_OK);
    CHECK_EQ_INT(n, 0);
    store_rep r;
    CHECK_EQ_INT(store_rep_get(f.s, id, &r), STORE_NOTFOUND);
    f.look.fail = false; /* the retry of the same batch */
    CHECK_EQ_INT(batch(&f, a, 1), STORE_OK);
    CHECK_EQ_INT(store_rep_get(f.s, id, &r), STORE_OK);
    teardown(&f);
}

TEST(apply_without_prepare_never_calls_the_chain) {
    fixture f;
    setup(&f);
    uint8_t id[32];
    job_id(id, 7);
    rpc_log a = cl_job_confirmed(20, 0, id, 9);
    CHECK_EQ_INT(store_begin(f.s), STORE_OK);
    f.look.tx_open = true;
    CHECK(job_events_apply(f.ctx, f.s, &a) < 0); /* unresolved: the batch is retried */
    store_rollback(f.s);
    f.look.tx_open = false;
    CHECK_EQ_INT(f.look.calls, 0);
    teardown(&f);
}

TEST(malformed_logs_are_skipped) {
    fixture f;
    setup(&f);
    uint8_t id[32];
    job_id(id, 8);
    rpc_log a = cl_job_created(10, 0, id, RENTER, PROVIDER, 1);
    a.ntopics = 3; /* provider topic missing */
    rpc_log b = cl_job_confirmed(10, 1, id, 1);
    b.data_len = 5; /* no full word */
    rpc_log logs[] = {a, b};
    CHECK_EQ_INT(batch(&f, logs, 2), STORE_OK);
    CHECK_EQ_INT(status_of(f.s, id), JOB_STATUS_COUNT);
    CHECK_EQ_INT(f.look.calls, 0);
    teardown(&f);
}

int main(void) {
    cl_load_config(&g_cfg);
    RUN(created_then_confirmed_then_paid);
    RUN(created_with_spec_is_assigned_and_queued);
    RUN(created_and_confirmed_in_one_batch_needs_no_lookup);
    RUN(unknown_confirmed_job_is_resolved_before_the_transaction);
    RUN(failed_lookup_writes_nothing_and_retries);
    RUN(apply_without_prepare_never_calls_the_chain);
    RUN(malformed_logs_are_skipped);
    config_free(&g_cfg);
    cl_cleanup();
    TEST_EXIT();
}
