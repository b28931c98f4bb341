/* follower_prefetch — fetches the follower's next batch on a second thread while the current one
 * is being written (issue #17: overlap fetch and apply). One slot: at most one batch is fetched
 * ahead, so with the batch being applied at most two are in memory; the caller starts a
 * prefetch only when two batches of the current size fit in its memory cap.
 *
 * A thread rather than the event loop: the follower has none (libcurl easy handles and the
 * store's calls block), and a thread needs no change to either. The thread owns the fetcher
 * (its own RPC client and the range) between request and take; the follower touches the
 * fetcher only when no request is outstanding. Nothing else is shared. Internal to src/chain/. */
#ifndef LAMDA_FOLLOWER_PREFETCH_H
#define LAMDA_FOLLOWER_PREFETCH_H

#include "chain/follower_fetch.h"

typedef struct follower_prefetch follower_prefetch;

/* NULL when the thread cannot be started (the follower then fetches in turn). */
follower_prefetch *follower_prefetch_start(follower_fetcher *fx);
/* Start fetching the batch at `from` (there must be no outstanding request). */
void follower_prefetch_request(follower_prefetch *p, uint64_t from);
/* Wait for the outstanding request's batch and move it to *b: true. No request: false. */
bool follower_prefetch_take(follower_prefetch *p, follower_batch *b);
/* Drop whatever is outstanding (waiting for a fetch in progress to end). */
void follower_prefetch_discard(follower_prefetch *p);
/* Stop and join the thread, dropping what is outstanding. NULL is fine. */
void follower_prefetch_stop(follower_prefetch *p);

#endif
