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

/* The change the log's effect merges into: the batch's entry for the provider when buffering
 * (st set), else *one, written by the caller at once. */
static store_provider_change *change_for(node_events_state *st, const uint8_t provider[20], store_provider_change *one) {
    if (st) {
        if (!st->pending && !(st->pending = store_provider_changes_new())) return NULL;
        return store_provider_changes_at(st->pending, provider);
    }
    memset(one, 0, sizeof *one);
    memcpy(one->address, provider, 20);
    return one;
}

int node_events_apply(void *ud, store *s, const rpc_log *l) {
    node_events_state *st = ud;
    if (l->ntopics < 2) return STORE_OK;
    uint8_t provider[20];
    if (abi_topic_address(l->topics[1], provider) != 0) return STORE_OK;
    abi_dec d;
    abi_dec_init(&d, l->data, l->data_len);
    store_provider_change one, *c;

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
        if ((c = change_for(st, provider, &one)))
            store_provider_change_register(c, gpu, v, (int64_t)l->block_time, l->block_number);
        free(gpu);
    } else if (!memcmp(l->topics[0], CONTRACT_TOPIC_NODE_HEARTBEAT, 32)) {
        u256 ts;
        if (abi_dec_u256(&d, &ts) != 0) {
            skip(l, "NodeHeartbeat");
            return STORE_OK;
        }
        if ((c = change_for(st, provider, &one))) store_provider_change_heartbeat(c, sat_i64(&ts));
    } else if (!memcmp(l->topics[0], CONTRACT_TOPIC_JOB_COUNT_INCREMENTED, 32)) {
        u256 count;
        if (abi_dec_u256(&d, &count) != 0) {
            skip(l, "JobCountIncremented");
            return STORE_OK;
        }
        if ((c = change_for(st, provider, &one))) store_provider_change_job_count(c, sat_i64(&count));
    } else {
        return STORE_OK;
    }
    if (!c) return STORE_ERR; /* out of memory: the batch is retried */
    return st ? STORE_OK : store_provider_apply_changes(s, c, 1);
}

int node_events_flush(void *ud, store *s, bool discard) {
    node_events_state *st = ud;
    if (!st || !st->pending) return STORE_OK;
    int rc = discard ? STORE_OK : store_provider_changes_write(s, st->pending);
    /* Freed, not kept: a backfill's set holds every provider; the next batch starts small. */
    store_provider_changes_free(st->pending);
    st->pending = NULL;
    return rc;
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

