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
 * of each remaining row, read back from the ledger as the same rpc_log), all in one
 * transaction; then it scans forward again.
 *
 * One active writer: a lease per (chain, contract) elects one follower among processes; the
 * others wait and take over when it dies.
 *
 * Each batch goes through two phases (docs/design.md §3): FETCH (follower_fetch.c: head, range,
 * eth_getLogs, decode, block times — RPC only, no database) and APPLY (this file: the one
 * write transaction — ledger rows, effects, cursor, lease check, commit). No RPC happens while
 * the write transaction is open: a handler that needs the chain does it in its prepare hook,
 * before the transaction begins. While batch N is applied, batch N+1 is fetched ahead on a
 * second thread (follower_prefetch.c), within prefetch_max_bytes. Logs are rpc_log
 * throughout (evm/rpc_logs.h), the same struct the ledger stores and replays. */
#ifndef LAMDA_FOLLOWER_H
#define LAMDA_FOLLOWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "evm/rpc_logs.h"
#include "store/store.h"

typedef struct {
    void *ud;
    /* Before a batch's write transaction begins, outside any transaction, with every log of the
     * batch: do what needs the chain (RPC) or a read of the store ahead of the writes, so that
     * apply never calls the RPC inside the transaction. Negative: the batch is retried after a
     * backoff, nothing written. Not called for a reorg's replay (replayed logs must be
     * applicable from the database alone). May be NULL. */
    int (*prepare)(void *ud, store *s, const rpc_log *logs, size_t n);
    /* Apply one log's effects inside the batch transaction (new, or replayed from the ledger
     * after a reorg: the same struct either way). Unknown logs: return STORE_OK. A negative
     * store code rolls the whole batch back; it is retried after a backoff. */
    int (*apply)(void *ud, store *s, const rpc_log *log);
    /* Reorg: forget what was derived for this entity (topic1) before its remaining ledger logs
     * are applied again. Inside the same transaction. */
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
    /* Memory the follower may hold in the batch fetched ahead while the previous one is being
     * written (FOLLOWER_PREFETCH_MAX_MB). 0: no prefetch, fetch and apply take turns. */
    uint64_t prefetch_max_bytes;
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

/* ---- the APPLY phase's building blocks, exported for the domain tests ----------------------
 * Both run inside the caller's open transaction and leave committing (or rolling back) to it. */

/* Ledger rows and effects of one batch of logs, in order: each log's ledger row, then
 * h->apply (skipped when the row was already there); then h->flush. Block hashes of blocks
 * with logs at or above keep_hash_from are remembered for the reorg search. *applied counts
 * the logs whose effects ran. Negative store code on failure (the flush is told to discard). */
int follower_apply_logs(store *s, const follower_handler *h, uint64_t chain_id, const uint8_t contract[20],
                        const rpc_log *logs, size_t n, uint64_t keep_hash_from, size_t *applied);

/* Reorg undo: delete the ledger rows and remembered hashes from block first_orphan on, and
 * re-derive every entity they touched (h->reset, then h->apply of its remaining ledger rows
 * in order, then h->flush). *nkeys = the number of entities re-derived. The cursor is the
 * caller's. */
int follower_undo_from(store *s, const follower_handler *h, uint64_t chain_id, const uint8_t contract[20],
                       uint64_t first_orphan, size_t *nkeys);

#endif
