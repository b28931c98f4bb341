#include "chain/follower.h"
#include "chain/follower_fetch.h"
#include "chain/follower_prefetch.h"

#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/hex.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/shutdown.h"
#include "evm/heads_ws.h"
#include "evm/rpc_methods.h"

/* How far back a reorg search may walk before it gives up and re-derives everything from
 * start_block: far deeper than any reorg either chain has seen. */
#define REORG_SEARCH_MAX 100000
/* Remembered block hashes older than this many blocks behind the cursor are pruned. */
#define HASH_KEEP_BLOCKS 4096
#define BACKOFF_MAX_MS 5000

typedef struct {
    const follower_config *fc;
    store *s;
    rpc_client *rpc;       /* the apply side's: head checks and the reorg search */
    follower_fetcher fx;   /* FETCH: its own RPC client and the adaptive range */
    follower_prefetch *pf; /* NULL: no fetching ahead */
    heads_ws *ws;
    uint64_t chain_id;
    char lease[128];
    bool leased;
    uint64_t next;           /* first block not yet applied */
    bool have_cursor;        /* a cursor row exists: block next-1 is applied, hash below */
    uint8_t cursor_hash[32]; /* hash of block next-1 */
    long backoff_ms;
    int64_t chain_time; /* newest block time seen */
    uint64_t last_head;
    time_t last_progress;
    uint64_t progress_logs;
    struct timespec progress_t0;
    metrics_counter_t *m_applied;
    metrics_counter_t *m_reorgs;
    metrics_gauge_t *m_lag;
    metrics_gauge_t *m_cursor;
    long poll_ms; /* next polling wait while the chain is active; 0 = the configured interval */
    int64_t last_idle_ms;
} follower;

static void backoff(follower *f) {
    f->backoff_ms = f->backoff_ms ? f->backoff_ms * 2 : 100;
    if (f->backoff_ms > BACKOFF_MAX_MS) f->backoff_ms = BACKOFF_MAX_MS;
    shutdown_sleep_ms(f->backoff_ms);
}

static int open_store(follower *f) {
    while (!shutdown_requested()) {
        char err[256];
        if (store_open(f->fc->database_url, &f->s, err, sizeof err) == 0) {
            f->backoff_ms = 0;
            return 0;
        }
        log_warn("%s: database not available (%s); retrying", f->fc->name, err);
        backoff(f);
    }
    return -1;
}

/* Ask the RPC which chain it serves; a chain other than the configured one is fatal (the
 * configuration points at the wrong network), an unreachable RPC is retried. */
static int check_chain(follower *f) {
    while (!shutdown_requested()) {
        rpc_error e;
        if (rpc_chain_id(f->rpc, &f->chain_id, &e) == 0) {
            if (f->fc->expected_chain_id && f->chain_id != f->fc->expected_chain_id) {
                log_error("%s: RPC %s serves chain %" PRIu64 ", configured %" PRIu64, f->fc->name,
                          rpc_client_url(f->rpc), f->chain_id, f->fc->expected_chain_id);
                return -1;
            }
            return 0;
        }
        log_warn("%s: eth_chainId failed (%s: %s); retrying", f->fc->name, rpc_error_kind_name(e.kind),
                 e.message);
        backoff(f);
    }
    return -1;
}

static void load_cursor(follower *f) {
    uint64_t block;
    uint8_t hash[32];
    int rc = store_cursor_get(f->s, f->chain_id, f->fc->contract, &block, hash);
    if (rc == STORE_OK) {
        f->next = block + 1;
        memcpy(f->cursor_hash, hash, 32);
        f->have_cursor = true;
        log_info("%s: resuming after block %" PRIu64, f->fc->name, block);
    } else {
        /* First start: begin at the configured block, never at "latest". */
        f->next = f->fc->start_block;
        f->have_cursor = false;
        log_info("%s: no cursor yet; starting at block %" PRIu64, f->fc->name, f->fc->start_block);
    }
}

/* Checked inside every write transaction, just before its commit: on PostgreSQL the store
 * reconnects transparently after a lost connection (e.g. one that failed outside a batch, in
 * the idle sweep), and the new connection does not hold the advisory lock — by then another
 * instance may hold it. Committing anyway would make two active writers. */
static int lease_still_held(follower *f) {
    if (store_lease_held(f->s, f->lease)) return STORE_OK;
    log_warn("%s: lease lost (database connection reset); not committing, re-acquiring", f->fc->name);
    f->leased = false;
    return STORE_ERR;
}

/* Distinct entity keys of the orphaned ledger rows. */
typedef struct {
    uint8_t (*keys)[32];
    size_t n, cap;
} key_set;

static int collect_key(const rpc_log *l, void *ud) {
    key_set *ks = ud;
    uint8_t key[32] = {0}; /* the ledger's entity key: topic1, or zero bytes */
    if (l->ntopics > 1) memcpy(key, l->topics[1], 32);
    for (size_t i = 0; i < ks->n; i++) /* reorgs are shallow: a linear scan is enough */
        if (!memcmp(ks->keys[i], key, 32)) return 0;
    if (ks->n == ks->cap) {
        size_t cap = ks->cap ? ks->cap * 2 : 32;
        void *p = realloc(ks->keys, cap * 32);
        if (!p) return STORE_ERR;
        ks->keys = p;
        ks->cap = cap;
    }
    memcpy(ks->keys[ks->n++], key, 32);
    return 0;
}

/* handler.flush: rc is the transaction's state so far; a failing one discards. */
static int flush_handler(const follower_handler *h, store *s, int rc) {
    if (!h->flush) return rc;
    int r = h->flush(h->ud, s, rc < 0);
    return rc < 0 ? rc : r < 0 ? r : rc;
}

typedef struct {
    const follower_handler *h;
    store *s;
    int rc;
} replay_ctx;

/* A ledger row is already the log the handler takes: replayed as it is. */
static int replay_one(const rpc_log *l, void *ud) {
    replay_ctx *rc = ud;
    int r = rc->h->apply(rc->h->ud, rc->s, l);
    if (r < 0) rc->rc = r;
    return r < 0 ? r : 0;
}

int follower_undo_from(store *s, const follower_handler *h, uint64_t chain_id, const uint8_t contract[20],
                       uint64_t first_orphan, size_t *nkeys) {
    key_set ks = {0};
    int rc = store_ledger_each_from(s, chain_id, contract, first_orphan, collect_key, &ks);
    if (rc == STORE_OK) rc = store_ledger_delete_from(s, chain_id, contract, first_orphan);
    if (rc == STORE_OK) rc = store_block_hash_delete_from(s, chain_id, contract, first_orphan);
    for (size_t i = 0; rc == STORE_OK && i < ks.n; i++) {
        rc = h->reset(h->ud, s, ks.keys[i]);
        if (rc < 0) break;
        replay_ctx ctx = {h, s, 0};
        rc = store_ledger_each_for_key(s, chain_id, contract, ks.keys[i], replay_one, &ctx);
        if (rc == STORE_OK && ctx.rc < 0) rc = ctx.rc;
    }
    rc = flush_handler(h, s, rc);
    *nkeys = ks.n;
    free(ks.keys);
    return rc;
}

int follower_apply_logs(store *s, const follower_handler *h, uint64_t chain_id, const uint8_t contract[20],
                        const rpc_log *logs, size_t n, uint64_t keep_hash_from, size_t *applied) {
    *applied = 0;
    /* The ledger rows first, all of the batch in one call (set-based on PostgreSQL), then the
     * effects in log order: nothing in a handler reads the ledger, so the order between the
     * two within the transaction changes nothing, and a log already in the ledger (dup) is
     * skipped exactly as before (applied before: should not happen with the cursor). */
    uint8_t *dup = malloc(n ? n : 1);
    int rc = dup ? store_ledger_insert_many(s, chain_id, logs, n, dup) : STORE_ERR;
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        if (!dup[i]) {
            rc = h->apply(h->ud, s, &logs[i]);
            if (rc < 0) break;
            rc = STORE_OK;
            (*applied)++;
        }
        /* Remembered for the reorg search; blocks the prune would drop at once are not */
        if ((i + 1 == n || logs[i + 1].block_number != logs[i].block_number) && logs[i].block_number >= keep_hash_from)
            rc = store_block_hash_put(s, chain_id, contract, logs[i].block_number, logs[i].block_hash);
    }
    free(dup);
    return flush_handler(h, s, rc);
}

/* Undo everything applied from block `first_orphan` on and re-derive the touched entities, in
 * one transaction; the cursor moves to first_orphan-1 with the chain's hash for it. */
static int rollback_to(follower *f, uint64_t first_orphan, const uint8_t ancestor_hash[32]) {
    const uint8_t *c = f->fc->contract;
    size_t nkeys = 0;
    int rc = store_begin(f->s);
    if (rc != STORE_OK) return rc;
    rc = follower_undo_from(f->s, &f->fc->handler, f->chain_id, c, first_orphan, &nkeys);
    /* Genesis has no logs, so a rollback to block 0 keeps a cursor at block 0. */
    uint64_t cursor = first_orphan ? first_orphan - 1 : 0;
    if (rc >= 0) rc = store_cursor_set(f->s, f->chain_id, c, cursor, ancestor_hash);
    if (rc >= 0) rc = lease_still_held(f);
    if (rc >= 0) rc = store_commit(f->s);
    if (rc < 0) {
        store_rollback(f->s);
        return rc;
    }
    log_warn("%s: reorg: rolled back to block %" PRIu64 ", re-derived %zu entities", f->fc->name, cursor, nkeys);
    metrics_counter_inc(f->m_reorgs);
    f->next = cursor + 1;
    memcpy(f->cursor_hash, ancestor_hash, 32);
    f->have_cursor = true;
    return 0;
}
/* The chain no longer has our cursor block: find the newest remembered block it still agrees
 * with and roll back to it. */
static int handle_reorg(follower *f) {
    uint64_t floor = f->fc->start_block ? f->fc->start_block - 1 : 0;
    uint64_t b = f->next - 1;
    uint64_t walked = 0;
    while (b > floor && walked < REORG_SEARCH_MAX && !shutdown_requested()) {
        b--;
        walked++;
        uint8_t stored[32];
        int rc = store_block_hash_get(f->s, f->chain_id, f->fc->contract, b, stored);
        if (rc == STORE_NOTFOUND) continue;
        if (rc != STORE_OK) return rc;
        rpc_block_header h;
        bool found;
        rpc_error e;
        if (rpc_get_block_header(f->rpc, b, &h, &found, &e) != 0) return -1;
        if (found && !memcmp(h.hash, stored, 32)) return rollback_to(f, b + 1, h.hash);
    }
    /* Nothing remembered matches: re-derive everything from the start block. */
    log_warn("%s: reorg deeper than every remembered block; re-deriving from block %" PRIu64,
             f->fc->name, f->fc->start_block);
    rpc_block_header h;
    bool found;
    rpc_error e;
    if (rpc_get_block_header(f->rpc, floor, &h, &found, &e) != 0 || !found) return -1;
    return rollback_to(f, f->fc->start_block, h.hash);
}

static void log_progress(follower *f, uint64_t head, size_t nlogs) {
    f->progress_logs += nlogs;
    time_t now = time(NULL);
    if (now - f->last_progress < 5) return;
    if (f->last_progress != 0 && head > f->next + 100) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        double dt = (t.tv_sec - f->progress_t0.tv_sec) + (t.tv_nsec - f->progress_t0.tv_nsec) / 1e9;
        double rate = dt > 0 ? f->progress_logs / dt : 0;
        log_info("%s: backfill at block %" PRIu64 " of %" PRIu64 " (%" PRIu64 " to go), %.0f logs/s",
                 f->fc->name, f->next - 1, head, head + 1 - f->next, rate);
    }
    f->last_progress = now;
    f->progress_logs = 0;
    clock_gettime(CLOCK_MONOTONIC, &f->progress_t0);
}

/* The APPLY phase of one fetched batch: the handler's prepare outside any transaction, then
 * ledger rows, effects, the cursor advance and the lease check in one transaction. */
static int apply_batch(follower *f, const follower_batch *b, uint64_t safe) {
    const follower_handler *h = &f->fc->handler;
    size_t applied = 0;
    int rc = h->prepare ? h->prepare(h->ud, f->s, b->logs, b->n) : STORE_OK;
    if (rc < 0) return rc; /* the handler said why; nothing was written */
    rc = store_begin_bulk(f->s); /* PostgreSQL: the batch's writes are pipelined */
    uint64_t keep_from = b->to > HASH_KEEP_BLOCKS ? b->to - HASH_KEEP_BLOCKS : 0;
    if (rc >= 0) rc = follower_apply_logs(f->s, h, f->chain_id, f->fc->contract, b->logs, b->n, keep_from, &applied);
    if (rc >= 0) rc = store_block_hash_put(f->s, f->chain_id, f->fc->contract, b->to, b->end.hash);
    if (rc >= 0) rc = store_cursor_set(f->s, f->chain_id, f->fc->contract, b->to, b->end.hash);
    if (rc >= 0 && b->to % 256 == 0 && b->to > HASH_KEEP_BLOCKS)
        rc = store_block_hash_prune_below(f->s, f->chain_id, f->fc->contract, b->to - HASH_KEEP_BLOCKS);
    if (rc >= 0) rc = lease_still_held(f);
    if (rc >= 0) rc = store_commit(f->s);
    if (rc < 0) {
        if (f->leased) /* else lease_still_held said why */
            log_warn("%s: applying blocks %" PRIu64 "-%" PRIu64 " failed: %s; will retry", f->fc->name, b->from, b->to,
                     store_errmsg(f->s));
        store_rollback(f->s);
        return rc;
    }
    f->next = b->to + 1;
    memcpy(f->cursor_hash, b->end.hash, 32);
    f->have_cursor = true;
    if ((int64_t)b->end.timestamp > f->chain_time) f->chain_time = (int64_t)b->end.timestamp;
    metrics_counter_add(f->m_applied, applied);
    metrics_gauge_set(f->m_cursor, (double)b->to);
    metrics_gauge_set(f->m_lag, safe > b->to ? (double)(safe - b->to) : 0);
    log_progress(f, safe, applied);
    f->poll_ms = (long)f->fc->poll_interval_ms / 16 > 5 ? (long)f->fc->poll_interval_ms / 16 : 5;
    if (h->committed) h->committed(h->ud, f->s, b->to, (int64_t)b->end.timestamp, applied);
    return 0;
}

/* A batch fetched ahead is applied only if it starts at the cursor and its first block's
 * parent is the cursor's block as committed: a reorg (or an RPC fail-over to a node on another
 * fork) between the prefetch and now makes it stale, and it is fetched again. */
static bool batch_fits(const follower *f, const follower_batch *b) {
    return b->status == FETCH_OK && b->from == f->next &&
           (!f->have_cursor || !memcmp(b->parent_hash, f->cursor_hash, 32));
}

/* The head check before every batch, as before the fetch/apply split: the head, and does the
 * chain still have our cursor block? Every step: a reorg at the tip can replace blocks without
 * moving the head number, and the check is one cheap call. 0 and *head; 1 when the chain is
 * not yet deeper than the confirmations; negative to retry; 2 after a reorg was rolled back
 * (*rrc: its result). */
static int check_head(follower *f, uint64_t *head, int *rrc) {
    rpc_error e;
    if (rpc_block_number(f->rpc, head, &e) != 0) {
        log_warn("%s: eth_blockNumber failed (%s: %s)", f->fc->name, rpc_error_kind_name(e.kind), e.message);
        return -1;
    }
    if (*head < f->fc->confirmations) return 1;
    uint64_t safe = *head - f->fc->confirmations;
    metrics_gauge_set(f->m_lag, safe + 1 > f->next ? (double)(safe + 1 - f->next) : 0);
    if (f->have_cursor) {
        rpc_block_header h;
        bool found;
        if (rpc_get_block_header(f->rpc, f->next - 1, &h, &found, &e) != 0) return -1;
        if (!found || memcmp(h.hash, f->cursor_hash, 32) != 0) {
            if (!found && *head >= f->next - 1) return -1; /* node lagging behind itself */
            *rrc = handle_reorg(f);
            return 2;
        }
        if (h.timestamp > (uint64_t)f->chain_time) f->chain_time = (int64_t)h.timestamp;
    }
    f->last_head = *head;
    return 0;
}

/* One step: take the batch fetched ahead (or fetch one now), check the head, apply. Returns 1
 * when caught up (nothing to do), 0 after progress, negative on a failure to retry after a
 * backoff. */
static int step(follower *f) {
    /* Taken before the head check, so that the check always comes after the batch's fetch:
     * with batch_fits (parent hash = cursor hash) a batch fetched ahead is applied only if the
     * chain still agreed with the cursor after it was fetched; a reorg discards it. */
    follower_batch b;
    bool ahead = f->pf && follower_prefetch_take(f->pf, &b);
    uint64_t head;
    int rrc = 0;
    int rc = check_head(f, &head, &rrc);
    if (rc != 0) {
        if (ahead) follower_batch_free(&b);
        return rc == 2 ? (rrc < 0 ? rrc : 0) : rc;
    }
    uint64_t safe = head - f->fc->confirmations;
    if (ahead && !batch_fits(f, &b)) {
        if (b.status == FETCH_OK && b.from == f->next)
            log_info("%s: the batch fetched ahead from block %" PRIu64 " is not on the cursor's chain; fetching again",
                     f->fc->name, b.from);
        follower_batch_free(&b);
        ahead = false;
    }
    if (!ahead) {
        if (f->next > safe) return 1;
        follower_fetch(&f->fx, f->next, head, &b);
        if (b.status == FETCH_SHRUNK) return 0;
        if (b.status == FETCH_CAUGHT_UP) return 1;
        if (b.status == FETCH_FAILED) return -1;
        if (!batch_fits(f, &b)) { /* the chain moved between the check and the fetch */
            follower_batch_free(&b);
            return -1;
        }
    }
    /* Overlap: fetch the next range while this one is written, when two batches of this size
     * fit in the cap (the next one is about as large: the range adapts to the density). */
    if (f->pf && b.to < b.safe && 2 * (uint64_t)b.bytes <= f->fc->prefetch_max_bytes)
        follower_prefetch_request(f->pf, b.to + 1);
    rc = apply_batch(f, &b, safe);
    uint64_t to = b.to;
    follower_batch_free(&b);
    if (rc < 0) return rc;
    return to >= safe ? 1 : 0;
}

/* Wait for the next head: on the WebSocket's fd when subscribed, else a poll interval. Polling
 * right after a batch applied starts at a sixteenth of the interval and doubles on every empty
 * poll up to the full interval: an active chain's next block is then picked up within a few
 * milliseconds of its arrival instead of up to one full interval later, at the cost of a few
 * eth_blockNumber calls after each batch; an idle chain is polled at the configured rate. */
static void wait_for_head(follower *f) {
    long ms = (long)f->fc->poll_interval_ms;
    if (f->ws && heads_ws_connected(f->ws)) {
        struct pollfd p[2] = {{.fd = heads_ws_fd(f->ws), .events = POLLIN}, {.fd = shutdown_fd(), .events = POLLIN}};
        /* The socket is the fast path; the timeout keeps a silent socket from stalling us. */
        poll(p, shutdown_fd() >= 0 ? 2 : 1, (int)(ms * 8));
        heads_ws_ack(f->ws);
        return;
    }
    if (f->poll_ms > 0 && f->poll_ms < ms) {
        ms = f->poll_ms;
        f->poll_ms *= 2;
    } else {
        f->poll_ms = 0;
    }
    shutdown_sleep_ms(ms);
}

int follower_run(const follower_config *fc) {
    follower f;
    memset(&f, 0, sizeof f);
    f.fc = fc;
    if (open_store(&f) != 0) return 0;
    f.rpc = rpc_client_new(fc->rpc_urls, (long)fc->rpc_timeout_ms);
    follower_fetch_config ffc = {.name = fc->name, .rpc_urls = fc->rpc_urls, .rpc_timeout_ms = fc->rpc_timeout_ms,
                                 .topic0 = fc->topic0, .ntopic0 = fc->ntopic0, .confirmations = fc->confirmations,
                                 .max_range = fc->max_range};
    memcpy(ffc.contract, fc->contract, 20);
    if (!f.rpc || follower_fetcher_init(&f.fx, &ffc) != 0) {
        rpc_client_free(f.rpc);
        follower_fetcher_free(&f.fx);
        store_close(f.s);
        log_error("%s: cannot create RPC client", fc->name);
        return 1;
    }
    int ret = 0;
    if (check_chain(&f) != 0) {
        ret = shutdown_requested() ? 0 : 1;
        goto out;
    }
    char chex[43], labels[160];
    hex_encode(fc->contract, 20, chex);
    snprintf(f.lease, sizeof f.lease, "follow-%" PRIu64 "-%s", f.chain_id, chex + 2);
    snprintf(labels, sizeof labels, "follower=\"%s\",chain=\"%" PRIu64 "\"", fc->name, f.chain_id);
    f.m_applied = metrics_counter("lamda_events_applied_total", "Chain logs applied to the database", labels);
    f.m_reorgs = metrics_counter("lamda_reorgs_total", "Chain reorganisations rolled back", labels);
    f.m_lag = metrics_gauge("lamda_follower_lag_blocks", "Blocks between the confirmed head and the cursor", labels);
    f.m_cursor = metrics_gauge("lamda_follower_cursor_block", "Last block fully applied", labels);
    if (fc->ws_url) f.ws = heads_ws_start(fc->ws_url, NULL, NULL);
    if (fc->prefetch_max_bytes > 0 && !(f.pf = follower_prefetch_start(&f.fx)))
        log_warn("%s: cannot start the prefetch thread; fetching and applying in turn", fc->name);

    bool said_standby = false;
    bool backfilling = false; /* a step returned "more to do" since the last catch-up */
    while (!shutdown_requested()) {
        if (!f.leased) {
            bool got = false;
            if (store_lease_acquire(f.s, f.lease, &got) != STORE_OK) {
                backoff(&f);
                continue;
            }
            if (!got) {
                if (!said_standby) log_info("%s: another instance holds the lease; standing by", fc->name);
                said_standby = true;
                shutdown_sleep_ms(500);
                continue;
            }
            f.leased = true;
            said_standby = false;
            log_info("%s: lease acquired on chain %" PRIu64 " contract %s", fc->name, f.chain_id, chex);
            load_cursor(&f);
        }
        int rc = step(&f);
        if (rc < 0) {
            if (f.leased && !store_lease_held(f.s, f.lease)) {
                log_warn("%s: lease lost (database connection reset); re-acquiring", fc->name);
                f.leased = false;
            }
            backoff(&f);
            continue;
        }
        f.backoff_ms = 0;
        if (rc == 0) backfilling = true;
        if (rc == 1) {
            if (backfilling) {
                backfilling = false;
                log_info("%s: caught up at block %" PRIu64, fc->name, f.next ? f.next - 1 : 0);
            }
            /* Waiting for blocks runs no statement: the cache of the batches applied (up to
             * 8 MB) is given back here when the process has gone quiet (services/idle_trim.c). */
            store_idle(f.s);
            if (fc->stop_when_caught_up) {
                log_info("%s: caught up at block %" PRIu64 "; stopping", fc->name, f.next ? f.next - 1 : 0);
                break;
            }
            if (fc->handler.idle) {
                /* about once per poll interval, however often the adaptive polling wakes */
                struct timespec t;
                clock_gettime(CLOCK_MONOTONIC, &t);
                int64_t now_ms = (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
                if (now_ms - f.last_idle_ms >= (int64_t)fc->poll_interval_ms) {
                    f.last_idle_ms = now_ms;
                    fc->handler.idle(fc->handler.ud, f.s, f.chain_time);
                }
            }
            wait_for_head(&f);
        }
    }
out:
    follower_prefetch_stop(f.pf);
    follower_fetcher_free(&f.fx);
    heads_ws_stop(f.ws);
    rpc_client_free(f.rpc);
    store_close(f.s);
    return ret;
}
