#include "services/node_events.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/address.h"
#include "core/hex.h"
#include "core/log.h"
#include "core/u256.h"
#include "evm/abi.h"
#include "evm/contracts.h"

#define NODE_VRAM_MAX (UINT64_C(1) << 40)

const uint8_t (*node_events_topics(size_t *n))[32] {
    static uint8_t topics[3][32];
    memcpy(topics[0], CONTRACT_TOPIC_NODE_REGISTERED, 32);
    memcpy(topics[1], CONTRACT_TOPIC_NODE_HEARTBEAT, 32);
    memcpy(topics[2], CONTRACT_TOPIC_JOB_COUNT_INCREMENTED, 32);
    *n = 3;
    return (const uint8_t(*)[32])topics;
}

/* uint256 → int64 for times and counts; absurd values saturate instead of wrapping. */
static int64_t sat_i64(const u256 *v) {
    uint64_t x;
    if (u256_to_u64(v, &x) != 0 || x > INT64_MAX) return INT64_MAX;
    return (int64_t)x;
}

static void skip(const rpc_log *l, const char *what) {
    char tx[67];
    hex_encode(l->tx_hash, 32, tx);
    log_warn("node-registry: skipping malformed %s log (tx %s, index %llu)", what, tx,
             (unsigned long long)l->log_index);
}

int node_events_apply(void *ud, store *s, const rpc_log *l) {
    (void)ud;
    if (l->ntopics < 2) return STORE_OK;
    uint8_t provider[20];
    if (abi_topic_address(l->topics[1], provider) != 0) return STORE_OK;
    abi_dec d;
    abi_dec_init(&d, l->data, l->data_len);

    if (!memcmp(l->topics[0], CONTRACT_TOPIC_NODE_REGISTERED, 32)) {
        char *gpu = NULL;
        size_t gpulen = 0;
        u256 vram;
        if (abi_dec_string(&d, &gpu, &gpulen) != 0 || abi_dec_u256(&d, &vram) != 0) {
            free(gpu);
            skip(l, "NodeRegistered");
            return STORE_OK;
        }
        /* Provider-chosen text: the store bounds its length; a NUL inside cuts it there. */
        /* Provider-chosen number: capped far above any real card (2^40 MiB) so sums over
         * millions of providers cannot overflow a 64-bit column. */
        uint64_t v;
        if (u256_to_u64(&vram, &v) != 0 || v > NODE_VRAM_MAX) v = NODE_VRAM_MAX;
        int rc = store_provider_register(s, provider, gpu, v, l->block_time, l->block_number);
        free(gpu);
        return rc;
    }
    if (!memcmp(l->topics[0], CONTRACT_TOPIC_NODE_HEARTBEAT, 32)) {
        u256 ts;
        if (abi_dec_u256(&d, &ts) != 0) {
            skip(l, "NodeHeartbeat");
            return STORE_OK;
        }
        return store_provider_heartbeat(s, provider, sat_i64(&ts));
    }
    if (!memcmp(l->topics[0], CONTRACT_TOPIC_JOB_COUNT_INCREMENTED, 32)) {
        u256 count;
        if (abi_dec_u256(&d, &count) != 0) {
            skip(l, "JobCountIncremented");
            return STORE_OK;
        }
        return store_provider_set_job_count(s, provider, sat_i64(&count));
    }
    return STORE_OK;
}

int node_events_reset(void *ud, store *s, const uint8_t key[32]) {
    (void)ud;
    int rc = store_provider_delete(s, key + 12);
    return rc == STORE_NOTFOUND ? STORE_OK : rc;
}

/* Chain time, not the wall clock: a stalled chain or a backfill must not mark everyone
 * offline, and a replayed history must give the same answer. */
void node_events_idle(void *ud, store *s, int64_t chain_time) {
    node_events_state *st = ud;
    time_t now = time(NULL);
    if (chain_time <= 0 || (!st->every_batch && now == st->last_sweep)) return;
    st->last_sweep = now;
    int changed = 0;
    if (store_provider_sweep_offline(s, chain_time - st->offline_after_s, &changed) == STORE_OK && changed > 0)
        log_info("node-registry: %d provider(s) went offline (no heartbeat for %llds of chain time)", changed,
                 (long long)st->offline_after_s);
}

void node_events_committed(void *ud, store *s, uint64_t block, int64_t block_time, size_t nlogs) {
    (void)block;
    (void)nlogs;
    node_events_idle(ud, s, block_time);
}

