/* follower_fetch — the FETCH phase of a follower batch (follower.h): the confirmed head, the next
 * block range, eth_getLogs, decoding, the consistency checks and block times. RPC only: it
 * never touches the database, so it can run on the prefetch thread while the previous batch
 * is being written. It owns the adaptive range (growth, shrinking on refusals and timeouts,
 * the density target). Internal to src/chain/. It includes nothing of the store (not even
 * follower.h, whose handler takes one): the include graph itself keeps this phase off the
 * database. */
#ifndef LAMDA_FOLLOWER_FETCH_H
#define LAMDA_FOLLOWER_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "evm/rpc_logs.h"
#include "evm/rpc_methods.h"

/* What the fetch needs of the follower's configuration (follower_config), copied once. */
typedef struct {
    const char *name; /* for logs */
    const config_url_list *rpc_urls;
    uint64_t rpc_timeout_ms;
    uint8_t contract[20];
    const uint8_t (*topic0)[32];
    size_t ntopic0;
    uint64_t confirmations;
    uint64_t max_range;
} follower_fetch_config;

typedef enum {
    FETCH_OK,        /* a batch: logs of [from, to], sorted, consistent, with block times */
    FETCH_CAUGHT_UP, /* from is above the confirmed head: nothing to fetch yet */
    FETCH_SHRUNK,    /* the provider refused the range; it was halved: fetch again now */
    FETCH_FAILED,    /* RPC down or an inconsistent answer (logged): retry after a backoff */
} fetch_status;

typedef struct {
    fetch_status status;
    uint64_t head, safe; /* the head seen and head - confirmations */
    uint64_t from, to;
    rpc_block_header end;     /* header of block `to` */
    uint8_t parent_hash[32];  /* parent of block `from`: must be the cursor's hash to apply */
    rpc_log *logs;            /* owned, sorted by (block, log index), block_time filled */
    size_t n;
    size_t bytes;             /* what the decoded batch holds in memory */
} follower_batch;

typedef struct {
    follower_fetch_config fc;
    rpc_client *rpc; /* its own client: the fetch may run on another thread than the apply */
    uint64_t range;
    uint64_t range_ceiling; /* below the last size the provider refused, while ceiling_ttl > 0 */
    unsigned ceiling_ttl;   /* successful fetches left before growing past the ceiling again */
} follower_fetcher;

int follower_fetcher_init(follower_fetcher *fx, const follower_fetch_config *fc);
void follower_fetcher_free(follower_fetcher *fx);

/* Fetch the batch that starts at block `from`. head: the chain head when the caller has just
 * read it, or 0 to ask the RPC. Fills *b (status always set); free with follower_batch_free. */
void follower_fetch(follower_fetcher *fx, uint64_t from, uint64_t head, follower_batch *b);
void follower_batch_free(follower_batch *b);

#endif
