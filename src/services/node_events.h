/* node_events — what each NodeReputation log does to the provider table. Used by the node
 * registry's follower; pure decoding + store calls, so it also serves rebuilds and tests. */
#ifndef LAMDA_NODE_EVENTS_H
#define LAMDA_NODE_EVENTS_H

#include "chain/follower.h"
#include "core/config.h"

/* The topic0 values the node registry follows (static storage), and their count in *n. */
const uint8_t (*node_events_topics(size_t *n))[32];

/* A follower configuration for NodeReputation on opBNB from the settings: chain, contract,
 * topics, start block, confirmations and the common follower settings. The caller sets the
 * handler (and may rename it). */
void node_events_follower_config(const lamda_config *cfg, follower_config *fc);

/* follower_handler.apply: NodeRegistered → upsert specs; NodeHeartbeat → last seen, online;
 * JobCountIncremented → job count and reputation (the chain is authoritative). A log that does
 * not decode is logged and skipped (it cannot be applied later either). */
int node_events_apply(void *ud, store *s, const chain_log *log);
/* follower_handler.reset: forget the provider whose address is in key (topic1). */
int node_events_reset(void *ud, store *s, const uint8_t key[32]);

#endif
