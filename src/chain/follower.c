#include "chain/follower.h"

#include <inttypes.h>
#include <malloc.h>
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
/* After eth_getLogs refused a range, this many successful batches stay below it before the
 * follower probes larger ranges again (provider limits rarely change, but they may). */
#define RANGE_CEILING_TTL 64
/* A batch aims at no more than this many logs: the range shrinks after a fuller answer and
 * stops growing past half of it, so a dense stretch of chain cannot make one response (and
 * its decoded logs) hundreds of megabytes. */
#define BATCH_LOGS_TARGET 20000

typedef struct {
    const follower_config *fc;
    store *s;
    rpc_client *rpc;
    heads_ws *ws;
    uint64_t chain_id;
    char lease[128];
    bool leased;
    uint64_t next;           /* first block not yet applied */
    bool have_cursor;        /* a cursor row exists: block next-1 is applied, hash below */
    uint8_t cursor_hash[32]; /* hash of block next-1 */
    uint64_t range;
    uint64_t range_ceiling; /* below the last size the provider refused, while ceiling_ttl > 0 */
    unsigned ceiling_ttl;   /* successful batches left before growing past the ceiling again */
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

void follower_log_from_ledger(const store_log *in, chain_log *out) {
    memset(out, 0, sizeof *out);
    out->chain_id = in->chain_id;
    memcpy(out->contract, in->contract, 20);
    out->ntopics = in->ntopics;
    memcpy(out->topics, in->topics, sizeof out->topics);
    out->data = in->data;
    out->data_len = in->data_len;
    out->block_number = in->block_number;
    memcpy(out->block_hash, in->block_hash, 32);
    memcpy(out->tx_hash, in->tx_hash, 32);
    out->log_index = in->log_index;
    out->block_time = in->block_time;
    out->replay = true;
}

static void to_store_log(const follower *f, const chain_log *l, store_log *out) {
    memset(out, 0, sizeof *out);
    out->chain_id = f->chain_id;
    memcpy(out->tx_hash, l->tx_hash, 32);
    out->log_index = l->log_index;
    out->block_number = l->block_number;
    memcpy(out->block_hash, l->block_hash, 32);
    memcpy(out->contract, l->contract, 20);
    out->ntopics = l->ntopics;
    memcpy(out->topics, l->topics, sizeof out->topics);
    if (l->ntopics > 0) memcpy(out->topic0, l->topics[0], 32);
    if (l->ntopics > 1) memcpy(out->entity_key, l->topics[1], 32);
    out->data = l->data;
    out->data_len = l->data_len;
    out->block_time = l->block_time;
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
    bool oom;
} key_set;

static int collect_key(const store_log *l, void *ud) {
    key_set *ks = ud;
    for (size_t i = 0; i < ks->n; i++) /* reorgs are shallow: a linear scan is enough */
        if (!memcmp(ks->keys[i], l->entity_key, 32)) return 0;
    if (ks->n == ks->cap) {
        size_t cap = ks->cap ? ks->cap * 2 : 32;
        void *p = realloc(ks->keys, cap * 32);
        if (!p) {
            ks->oom = true;
            return STORE_ERR;
        }
        ks->keys = p;
        ks->cap = cap;
    }
    memcpy(ks->keys[ks->n++], l->entity_key, 32);
    return 0;
}

/* handler.flush: rc is the transaction's state so far; a failing one discards. */
static int flush_handler(follower *f, int rc) {
    if (!f->fc->handler.flush) return rc;
    int r = f->fc->handler.flush(f->fc->handler.ud, f->s, rc < 0);
    return rc < 0 ? rc : r < 0 ? r : rc;
}

typedef struct {
    follower *f;
    int rc;
} replay_ctx;

static int replay_one(const store_log *l, void *ud) {
    replay_ctx *rc = ud;
    chain_log cl;
    follower_log_from_ledger(l, &cl);
    int r = rc->f->fc->handler.apply(rc->f->fc->handler.ud, rc->f->s, &cl);
    if (r < 0) rc->rc = r;
    return r < 0 ? r : 0;
}

/* Undo everything applied from block `first_orphan` on and re-derive the touched entities, in
 * one transaction; the cursor moves to first_orphan-1 with the chain's hash for it. */
static int rollback_to(follower *f, uint64_t first_orphan, const uint8_t ancestor_hash[32]) {
    const uint8_t *c = f->fc->contract;
    key_set ks = {0};
    int rc = store_begin(f->s);
    if (rc != STORE_OK) return rc;
    rc = store_ledger_each_from(f->s, f->chain_id, c, first_orphan, collect_key, &ks);
    if (rc == STORE_OK) rc = store_ledger_delete_from(f->s, f->chain_id, c, first_orphan);
    if (rc == STORE_OK) rc = store_block_hash_delete_from(f->s, f->chain_id, c, first_orphan);
    for (size_t i = 0; rc == STORE_OK && i < ks.n; i++) {
        rc = f->fc->handler.reset(f->fc->handler.ud, f->s, ks.keys[i]);
        if (rc < 0) break;
        replay_ctx ctx = {f, 0};
        rc = store_ledger_each_for_key(f->s, f->chain_id, c, ks.keys[i], replay_one, &ctx);
        if (rc == STORE_OK && ctx.rc < 0) rc = ctx.rc;
    }
    rc = flush_handler(f, rc);
    /* Genesis has no logs, so a rollback to block 0 keeps a cursor at block 0. */
    uint64_t cursor = first_orphan ? first_orphan - 1 : 0;
    if (rc >= 0) rc = store_cursor_set(f->s, f->chain_id, c, cursor, ancestor_hash);
    if (rc >= 0) rc = lease_still_held(f);
    if (rc >= 0) rc = store_commit(f->s);
    free(ks.keys);
    if (rc < 0) {
        store_rollback(f->s);
        return rc;
    }
    log_warn("%s: reorg: rolled back to block %" PRIu64 ", re-derived %zu entities", f->fc->name, cursor, ks.n);
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

static int cmp_logs(const void *a, const void *b) {
    const rpc_log *x = a, *y = b;
    if (x->block_number != y->block_number) return x->block_number < y->block_number ? -1 : 1;
    return x->log_index < y->log_index ? -1 : x->log_index > y->log_index;
}

/* Block times: taken from the logs (blockTimestamp) when the node sends them, else from the
 * block headers, fetched in one batch request per distinct block. */
static int fill_block_times(follower *f, rpc_log *logs, size_t n, int64_t *times) {
    size_t i = 0;
    while (i < n) {
        if (logs[i].has_block_time) {
            times[i] = (int64_t)logs[i].block_time;
            i++;
            continue;
        }
        rpc_block_header h;
        bool found;
        rpc_error e;
        if (rpc_get_block_header(f->rpc, logs[i].block_number, &h, &found, &e) != 0 || !found) return -1;
        if (memcmp(h.hash, logs[i].block_hash, 32) != 0) return -1; /* reorg in flight: retry */
        uint64_t bn = logs[i].block_number;
        for (; i < n && logs[i].block_number == bn; i++) times[i] = (int64_t)h.timestamp;
    }
    return 0;
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

/* One step: fetch and apply the next range. Returns 1 when caught up (nothing to do), 0 after
 * progress, negative on a failure to retry after a backoff. */
static int step(follower *f) {
    rpc_error e;
    uint64_t head;
    if (rpc_block_number(f->rpc, &head, &e) != 0) {
        log_warn("%s: eth_blockNumber failed (%s: %s)", f->fc->name, rpc_error_kind_name(e.kind), e.message);
        return -1;
    }
    if (head < f->fc->confirmations) return 1;
    uint64_t safe = head - f->fc->confirmations;
    metrics_gauge_set(f->m_lag, safe + 1 > f->next ? (double)(safe + 1 - f->next) : 0);

    /* Reorg check: does the chain still have our cursor block? Every step: a reorg at the tip
     * can replace blocks without moving the head number, and the check is one cheap call. */
    if (f->have_cursor) {
        rpc_block_header h;
        bool found;
        if (rpc_get_block_header(f->rpc, f->next - 1, &h, &found, &e) != 0) return -1;
        if (!found || memcmp(h.hash, f->cursor_hash, 32) != 0) {
            if (!found && head >= f->next - 1) return -1; /* node lagging behind itself */
            int rc = handle_reorg(f);
            return rc < 0 ? rc : 0;
        }
        if (h.timestamp > (uint64_t)f->chain_time) f->chain_time = (int64_t)h.timestamp;
    }
    f->last_head = head;

    uint64_t from = f->next;
    if (from > safe) return 1;
    uint64_t to = safe;
    if (to - from + 1 > f->range) to = from + f->range - 1;

    rpc_block_header end;
    bool found;
    if (rpc_get_block_header(f->rpc, to, &end, &found, &e) != 0) return -1;
    if (!found) return -1;

    rpc_log *logs = NULL;
    size_t n = 0;
    if (rpc_get_logs(f->rpc, from, to, (const uint8_t(*)[20])f->fc->contract, 1, f->fc->topic0, f->fc->ntopic0,
                     &logs, &n, &e) != 0) {
        if (e.kind == RPC_RANGE || e.kind == RPC_TRANSIENT) {
            /* Shrink on provider limits and on timeouts (a big range can time out). */
            uint64_t old = f->range;
            f->range = f->range > 1 ? f->range / 2 : 1;
            if (e.kind == RPC_RANGE) {
                /* Remember the refusal: growing straight back to it after every success would
                 * make every other request a refused one under a fixed provider limit. */
                uint64_t ceil = old > 1 ? old - 1 : 1;
                if (f->ceiling_ttl == 0 || ceil < f->range_ceiling) f->range_ceiling = ceil;
                f->ceiling_ttl = RANGE_CEILING_TTL;
                log_info("%s: eth_getLogs range %" PRIu64 " refused (%s); now %" PRIu64, f->fc->name, old,
                         e.message, f->range);
                return 0;
            }
        }
        log_warn("%s: eth_getLogs %" PRIu64 "-%" PRIu64 " failed (%s: %s)", f->fc->name, from, to,
                 rpc_error_kind_name(e.kind), e.message);
        return -1;
    }
    if (n > 1) qsort(logs, n, sizeof *logs, cmp_logs); /* logs may be NULL when n == 0 (UB for qsort) */

    int64_t *times = calloc(n ? n : 1, sizeof *times);
    int rc = times ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        /* A removed log or one from a block other than the canonical end block means the
         * chain moved under us: fetch again. Logs outside the range are a broken RPC. */
        if (logs[i].removed || logs[i].block_number < from || logs[i].block_number > to ||
            (logs[i].block_number == to && memcmp(logs[i].block_hash, end.hash, 32) != 0) ||
            memcmp(logs[i].address, f->fc->contract, 20) != 0) {
            log_warn("%s: inconsistent eth_getLogs answer for %" PRIu64 "-%" PRIu64 "; refetching", f->fc->name,
                     from, to);
            rc = -1;
        }
    }
    if (rc == 0) rc = fill_block_times(f, logs, n, times);
    if (rc != 0) {
        free(times);
        rpc_logs_free(logs, n);
        return -1;
    }

    /* Effects, ledger rows and the cursor advance: one transaction. */
    size_t applied = 0;
    rc = store_begin_bulk(f->s); /* PostgreSQL: the batch's writes are pipelined */
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        chain_log cl;
        memset(&cl, 0, sizeof cl);
        cl.chain_id = f->chain_id;
        memcpy(cl.contract, logs[i].address, 20);
        cl.ntopics = logs[i].ntopics;
        memcpy(cl.topics, logs[i].topics, sizeof cl.topics);
        cl.data = logs[i].data;
        cl.data_len = logs[i].data_len;
        cl.block_number = logs[i].block_number;
        memcpy(cl.block_hash, logs[i].block_hash, 32);
        memcpy(cl.tx_hash, logs[i].tx_hash, 32);
        cl.log_index = logs[i].log_index;
        cl.block_time = times[i];
        store_log sl;
        to_store_log(f, &cl, &sl);
        rc = store_ledger_insert(f->s, &sl);
        if (rc == STORE_DUP) { /* applied before (should not happen with the cursor; harmless) */
            rc = STORE_OK;
            continue;
        }
        if (rc != STORE_OK) break;
        rc = f->fc->handler.apply(f->fc->handler.ud, f->s, &cl);
        if (rc < 0) break;
        rc = STORE_OK;
        applied++;
        /* Remembered for the reorg search; blocks the prune below would drop at once are not */
        if ((i + 1 == n || logs[i + 1].block_number != logs[i].block_number) &&
            logs[i].block_number + HASH_KEEP_BLOCKS >= to)
            rc = store_block_hash_put(f->s, f->chain_id, f->fc->contract, logs[i].block_number, logs[i].block_hash);
    }
    rc = flush_handler(f, rc);
    if (rc >= 0) rc = store_block_hash_put(f->s, f->chain_id, f->fc->contract, to, end.hash);
    if (rc >= 0) rc = store_cursor_set(f->s, f->chain_id, f->fc->contract, to, end.hash);
    if (rc >= 0 && to % 256 == 0 && to > HASH_KEEP_BLOCKS)
        rc = store_block_hash_prune_below(f->s, f->chain_id, f->fc->contract, to - HASH_KEEP_BLOCKS);
    if (rc >= 0) rc = lease_still_held(f);
    if (rc >= 0) rc = store_commit(f->s);
    free(times);
    rpc_logs_free(logs, n);
    if (rc < 0) {
        if (f->leased) /* else lease_still_held said why */
            log_warn("%s: applying blocks %" PRIu64 "-%" PRIu64 " failed: %s; will retry", f->fc->name, from, to,
                     store_errmsg(f->s));
        store_rollback(f->s);
        return rc;
    }
    f->next = to + 1;
    memcpy(f->cursor_hash, end.hash, 32);
    f->have_cursor = true;
    if ((int64_t)end.timestamp > f->chain_time) f->chain_time = (int64_t)end.timestamp;
    metrics_counter_add(f->m_applied, applied);
    metrics_gauge_set(f->m_cursor, (double)to);
    metrics_gauge_set(f->m_lag, safe > to ? (double)(safe - to) : 0);
    uint64_t cap = f->fc->max_range;
    if (f->ceiling_ttl > 0) {
        f->ceiling_ttl--;
        if (f->range_ceiling < cap) cap = f->range_ceiling;
    }
    if (n > BATCH_LOGS_TARGET) {
        /* Too many logs for one batch: aim the next range at the target from this density. */
        uint64_t r = (uint64_t)((double)(to - from + 1) * BATCH_LOGS_TARGET / (double)n);
        f->range = r ? r : 1;
    } else if (n <= BATCH_LOGS_TARGET / 2 && f->range < cap) {
        f->range = f->range * 2 > cap ? cap : f->range * 2;
    }
    log_progress(f, safe, applied);
    f->poll_ms = (long)f->fc->poll_interval_ms / 16 > 5 ? (long)f->fc->poll_interval_ms / 16 : 5;
    if (f->fc->handler.committed) f->fc->handler.committed(f->fc->handler.ud, f->s, to, (int64_t)end.timestamp, applied);
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
    f.range = fc->max_range < 100 ? fc->max_range : 100;
    if (open_store(&f) != 0) return 0;
    f.rpc = rpc_client_new(fc->rpc_urls, (long)fc->rpc_timeout_ms);
    if (!f.rpc) {
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
                /* A backfill's batches left freed memory in the allocator's arenas; give it back
                 * now that the follower settles to one block at a time. */
                backfilling = false;
                log_info("%s: caught up at block %" PRIu64, fc->name, f.next ? f.next - 1 : 0);
                malloc_trim(0);
            }
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
    heads_ws_stop(f.ws);
    rpc_client_free(f.rpc);
    store_close(f.s);
    return ret;
}
