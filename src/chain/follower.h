/* follower — turns one contract's logs on one chain into database changes, with no event lost
 * and none applied twice (docs/design.md §3).
 *
 * The invariant every part of this module keeps: a batch's effects, its ledger rows and the
 * cursor advance commit in ONE transaction. The cursor is the last block whose logs are fully
 * applied; after any stop the follower resumes at cursor+1 (or at start_block when no cursor
 * exists — never "from latest"), scanning contiguous ranges with no gap and no overlap.
 *
 * Reorgs: the follower remembers the hash of every block it ends a batch on or saw a log in
 * (among the last few thousand).
 * When the chain's hash for the cursor block differs, it walks back to the newest remembered
 * block the chain still agrees with, deletes the orphaned ledger rows, and re-derives every
 * entity those rows touched from the ledger rows that remain (handler.reset, then handler.apply
 * with replay set), all in one transaction; then it scans forward again.
 *
 * One active writer: a lease per (chain, contract) elects one follower among processes; the
 * others wait and take over when it dies. */
#ifndef LAMDA_FOLLOWER_H
#define LAMDA_FOLLOWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "store/store.h"

/* One log, as fetched from the chain or replayed from the ledger. */
typedef struct {
    uint64_t chain_id;
    uint8_t contract[20];
    uint8_t topics[4][32];
    uint8_t ntopics;
    const uint8_t *data; /* borrowed for the call */
    size_t data_len;
    uint64_t block_number;
    uint8_t block_hash[32];
    uint8_t tx_hash[32];
    uint64_t log_index;
    int64_t block_time;
    bool replay; /* re-derived from the ledger after a reorg: do not trigger side effects twice */
} chain_log;

typedef struct {
    void *ud;
    /* Apply one new log's effects inside the batch transaction. Unknown logs: return STORE_OK.
     * A negative store code rolls the whole batch back; it is retried after a backoff. */
    int (*apply)(void *ud, store *s, const chain_log *log);
    /* Reorg: forget what was derived for this entity (topic1) before its remaining ledger logs
     * are applied again (replay = true). Inside the same transaction. */
    int (*reset)(void *ud, store *s, const uint8_t key[32]);
    /* After the last apply of a batch or of a reorg's replay, inside the transaction, before
     * the cursor advance and the commit: finish work the handler queued during apply (e.g.
     * one spec lookup for all the batch's new jobs). discard = the transaction is being rolled
     * back: drop the queued work. A negative store code rolls the batch back. May be NULL. */
    int (*flush)(void *ud, store *s, bool discard);
    /* After a batch committed (outside the transaction). May be NULL. */
    void (*committed)(void *ud, store *s, uint64_t block, int64_t block_time, size_t nlogs);
    /* Called about once per poll interval while caught up, with the newest chain time seen.
     * May be NULL. */
    void (*idle)(void *ud, store *s, int64_t chain_time);
} follower_handler;

typedef struct {
    const char *name; /* for logs and metrics, e.g. "job-manager" */
    const config_url_list *rpc_urls;
    const char *ws_url;         /* NULL: poll only */
    uint64_t expected_chain_id; /* 0: accept what the RPC reports */
    uint8_t contract[20];
    const uint8_t (*topic0)[32]; /* the events to fetch (one filter covers all) */
    size_t ntopic0;
    uint64_t start_block;
    uint64_t confirmations;
    uint64_t poll_interval_ms;
    uint64_t max_range;
    uint64_t rpc_timeout_ms;
    const char *database_url;
    /* Operator tools (lamda rebuild): return 0 as soon as the cursor reaches the confirmed
     * head instead of following forever. */
    bool stop_when_caught_up;
    follower_handler handler;
} follower_config;

/* Follow until shutdown_requested() (or, with stop_when_caught_up, until the cursor reaches the
 * confirmed head). Returns 0 on a clean stop, non-zero on a fatal error
 * (wrong chain id, unusable configuration), after logging it. Outages of the RPC or the
 * database are not fatal: they are retried with backoff, forever. */
int follower_run(const follower_config *fc);

/* A store_log (ledger row) as a chain_log; topics come from the ledger's stored topics. */
void follower_log_from_ledger(const store_log *in, chain_log *out);

#endif
