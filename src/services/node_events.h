/* node_events — what each NodeReputation log does to the provider table. Used by the node
 * registry's follower; pure decoding + store calls, so it also serves rebuilds and tests. */
#ifndef LAMDA_NODE_EVENTS_H
#define LAMDA_NODE_EVENTS_H

#include <stdbool.h>
#include <time.h>

#include "chain/follower.h"
#include "core/config.h"

/* The topic0 values the node registry follows (static storage), and their count in *n. */
const uint8_t (*node_events_topics(size_t *n))[32];

/* The offline rule's state: providers whose last heartbeat is older than
 * PROVIDER_OFFLINE_AFTER in chain time go offline, checked after each batch and while idle. */
typedef struct {
    int64_t offline_after_s;
    time_t last_sweep;
    bool every_batch; /* a rebuild: sweep after every batch, not at most once a second */
    /* The open batch's effects merged per provider, written at flush (created at the first
     * apply, freed at flush): one upsert per provider per batch instead of one per log. */
    store_provider_changes *pending;
} node_events_state;

/* follower_handler.apply: NodeRegistered → upsert specs; NodeHeartbeat → last seen, online;
 * JobCountIncremented → job count and reputation (the chain is authoritative). A log that does
 * not decode is logged and skipped (it cannot be applied later either). With a
 * node_events_state as ud the effect is merged into st->pending and written by
 * node_events_flush (nothing reads providers within a batch); with ud NULL it is written at once. */
int node_events_apply(void *ud, store *s, const rpc_log *log);
/* follower_handler.flush: write the batch's merged effects (or drop them on discard). */
int node_events_flush(void *ud, store *s, bool discard);
/* follower_handler.reset: forget the provider whose address is in key (topic1). */
int node_events_reset(void *ud, store *s, const uint8_t key[32]);
/* follower_handler.idle and .committed (ud is a node_events_state): the offline sweep. */
void node_events_idle(void *ud, store *s, int64_t chain_time);
void node_events_committed(void *ud, store *s, uint64_t block, int64_t block_time, size_t nlogs);

#endif
