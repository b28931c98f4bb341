#include "chain/follower_fetch.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/* After eth_getLogs refused a range, this many successful batches stay below it before the
 * follower probes larger ranges again (provider limits rarely change, but they may). */
#define RANGE_CEILING_TTL 64
/* A batch aims at no more than this many logs: the range shrinks after a fuller answer and
 * stops growing past half of it, so a dense stretch of chain cannot make one response (and
 * its decoded logs) hundreds of megabytes. */
#define BATCH_LOGS_TARGET 20000
#define FETCH_FIRST_RANGE 10

int follower_fetcher_init(follower_fetcher *fx, const follower_fetch_config *fc) {
    memset(fx, 0, sizeof *fx);
    fx->fc = *fc;
    /* The first range is small: nothing is known of the density yet, and on a chain of
     * 1,000-log blocks a first range of 100 blocks was one 50 MB answer (the follower peaked at
     * 109 MB, make bench). Doubling reaches the usual ranges of a sparse chain in a few more
     * batches. */
    fx->range = fc->max_range < FETCH_FIRST_RANGE ? fc->max_range : FETCH_FIRST_RANGE;
    fx->rpc = rpc_client_new(fc->rpc_urls, (long)fc->rpc_timeout_ms);
    return fx->rpc ? 0 : -1;
}

void follower_fetcher_free(follower_fetcher *fx) {
    rpc_client_free(fx->rpc);
    fx->rpc = NULL;
}

void follower_batch_free(follower_batch *b) {
    rpc_logs_free(b->logs, b->n);
    b->logs = NULL;
    b->n = 0;
}

static int cmp_logs(const void *a, const void *b) {
    const rpc_log *x = a, *y = b;
    if (x->block_number != y->block_number) return x->block_number < y->block_number ? -1 : 1;
    return x->log_index < y->log_index ? -1 : x->log_index > y->log_index;
}

/* Block times: taken from the logs (blockTimestamp) when the node sends them, else from the
 * block headers, one request per distinct block. Written into the logs themselves, so every
 * later phase reads one field. */
static int fill_block_times(follower_fetcher *fx, rpc_log *logs, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (logs[i].has_block_time) {
            i++;
            continue;
        }
        rpc_block_header h;
        bool found;
        rpc_error e;
        if (rpc_get_block_header(fx->rpc, logs[i].block_number, &h, &found, &e) != 0 || !found) return -1;
        if (memcmp(h.hash, logs[i].block_hash, 32) != 0) return -1; /* reorg in flight: retry */
        uint64_t bn = logs[i].block_number;
        for (; i < n && logs[i].block_number == bn; i++) {
            logs[i].block_time = h.timestamp;
            logs[i].has_block_time = true;
        }
    }
    return 0;
}

/* A removed log or one from a block other than the canonical end block means the chain moved
 * under us: fetch again. Logs outside the range or from another address are a broken RPC. */
static bool consistent(const follower_fetcher *fx, const follower_batch *b) {
    for (size_t i = 0; i < b->n; i++) {
        const rpc_log *l = &b->logs[i];
        if (l->removed || l->block_number < b->from || l->block_number > b->to ||
            (l->block_number == b->to && memcmp(l->block_hash, b->end.hash, 32) != 0) ||
            memcmp(l->address, fx->fc.contract, 20) != 0)
            return false;
    }
    return true;
}

/* After a successful fetch of n logs over [from, to]: the next range. */
static void adapt_range(follower_fetcher *fx, uint64_t from, uint64_t to, size_t n) {
    uint64_t cap = fx->fc.max_range;
    if (fx->ceiling_ttl > 0) {
        fx->ceiling_ttl--;
        if (fx->range_ceiling < cap) cap = fx->range_ceiling;
    }
    if (n > BATCH_LOGS_TARGET) {
        /* Too many logs for one batch: aim the next range at the target from this density. */
        uint64_t r = (uint64_t)((double)(to - from + 1) * BATCH_LOGS_TARGET / (double)n);
        fx->range = r ? r : 1;
    } else if (n <= BATCH_LOGS_TARGET / 2 && fx->range < cap) {
        fx->range = fx->range * 2 > cap ? cap : fx->range * 2;
    }
}

/* eth_getLogs failed: shrink on provider limits and on timeouts (a big range can time out).
 * Returns the status to report. */
static fetch_status on_logs_error(follower_fetcher *fx, const follower_batch *b, const rpc_error *e) {
    const follower_fetch_config *fc = &fx->fc;
    if (e->kind == RPC_RANGE || e->kind == RPC_TRANSIENT) {
        uint64_t old = fx->range;
        fx->range = fx->range > 1 ? fx->range / 2 : 1;
        if (e->kind == RPC_RANGE) {
            /* Remember the refusal: growing straight back to it after every success would
             * make every other request a refused one under a fixed provider limit. */
            uint64_t ceil = old > 1 ? old - 1 : 1;
            if (fx->ceiling_ttl == 0 || ceil < fx->range_ceiling) fx->range_ceiling = ceil;
            fx->ceiling_ttl = RANGE_CEILING_TTL;
            log_info("%s: eth_getLogs range %" PRIu64 " refused (%s); now %" PRIu64, fc->name, old, e->message,
                     fx->range);
            return FETCH_SHRUNK;
        }
    }
    log_warn("%s: eth_getLogs %" PRIu64 "-%" PRIu64 " failed (%s: %s)", fc->name, b->from, b->to,
             rpc_error_kind_name(e->kind), e->message);
    return FETCH_FAILED;
}

void follower_fetch(follower_fetcher *fx, uint64_t from, uint64_t head, follower_batch *b) {
    const follower_fetch_config *fc = &fx->fc;
    memset(b, 0, sizeof *b);
    b->status = FETCH_FAILED;
    b->from = from;
    rpc_error e;
    if (head == 0 && rpc_block_number(fx->rpc, &head, &e) != 0) {
        log_warn("%s: eth_blockNumber failed (%s: %s)", fc->name, rpc_error_kind_name(e.kind), e.message);
        return;
    }
    b->head = head;
    if (head < fc->confirmations || from > head - fc->confirmations) {
        b->safe = head >= fc->confirmations ? head - fc->confirmations : 0;
        b->status = FETCH_CAUGHT_UP;
        return;
    }
    b->safe = head - fc->confirmations;
    b->to = b->safe;
    if (b->to - from + 1 > fx->range) b->to = from + fx->range - 1;

    bool found;
    if (rpc_get_block_header(fx->rpc, b->to, &b->end, &found, &e) != 0 || !found) return;
    if (from == b->to) {
        memcpy(b->parent_hash, b->end.parent_hash, 32);
    } else {
        rpc_block_header first;
        if (rpc_get_block_header(fx->rpc, from, &first, &found, &e) != 0 || !found) return;
        memcpy(b->parent_hash, first.parent_hash, 32);
    }
    if (rpc_get_logs(fx->rpc, from, b->to, (const uint8_t(*)[20])fc->contract, 1, fc->topic0, fc->ntopic0, &b->logs,
                     &b->n, &e) != 0) {
        b->status = on_logs_error(fx, b, &e);
        return;
    }
    if (b->n > 1) qsort(b->logs, b->n, sizeof *b->logs, cmp_logs); /* logs may be NULL when n == 0 */
    if (!consistent(fx, b)) {
        log_warn("%s: inconsistent eth_getLogs answer for %" PRIu64 "-%" PRIu64 "; refetching", fc->name, from,
                 b->to);
        follower_batch_free(b);
        return;
    }
    if (fill_block_times(fx, b->logs, b->n) != 0) {
        follower_batch_free(b);
        return;
    }
    b->bytes = b->n * sizeof *b->logs;
    for (size_t i = 0; i < b->n; i++) b->bytes += b->logs[i].data_len;
    adapt_range(fx, from, b->to, b->n);
    b->status = FETCH_OK;
}
