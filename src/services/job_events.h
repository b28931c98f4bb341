/* job_events — what each JobManager log does to the database (the follower that feeds it is
 * built in services/wiring.c).
 *
 * All JobManager effects live here, because one follower (one cursor, one ledger) serves the
 * contract: whichever process holds its lease — `job-dispatcher` or `reputation-service` —
 * applies every effect, so both run it and the lease elects one writer.
 *   JobCreated   → job row (created); if a spec signed by the renter is present (or the
 *                  jobId-from-CID mode is on): job → assigned + an outbox message, same txn.
 *   JobConfirmed → job → confirmed, and a pending reputation update (job id unique), same txn.
 *                  The provider comes from the job row, else from getJobInfo by eth_call,
 *                  asked by job_events_prepare before the batch's transaction begins.
 *   PaymentClaimed → job → paid with the amount. */
#ifndef LAMDA_JOB_EVENTS_H
#define LAMDA_JOB_EVENTS_H

#include "chain/follower.h"
#include "core/config.h"

/* The follower handler pieces, exposed for tests and rebuilds. ud is a job_events_ctx. */
typedef struct job_events_ctx job_events_ctx;
job_events_ctx *job_events_ctx_new(const lamda_config *cfg);
void job_events_ctx_free(job_events_ctx *ctx);
/* follower_handler.prepare: outside the transaction, the provider (getJobInfo) of each of the
 * batch's confirmed jobs that the database does not know, the batch does not create earlier
 * and no update row already covers; apply then finds it without an RPC. STORE_ERR (logged) when
 * a lookup fails: the batch is retried. */
int job_events_prepare(void *ud, store *s, const rpc_log *logs, size_t n);
int job_events_apply(void *ud, store *s, const rpc_log *log);
/* How prepare finds a job's provider on chain: getJobInfo by eth_call by default; tests
 * replace it. 0 and provider filled, or non-zero. */
typedef int (*job_events_lookup)(void *ud, const uint8_t job_id[32], uint8_t provider[20]);
void job_events_set_lookup(job_events_ctx *ctx, job_events_lookup fn, void *ud);
int job_events_reset(void *ud, store *s, const uint8_t key[32]);
const uint8_t (*job_events_topics(size_t *n))[32];
/* Batch created jobs: JobCreated logs queue their job (up to 2,048) and the queue is inserted
 * (set-based on PostgreSQL), its candidate specs bound and its jobs dispatched — specs looked up
 * in one query — before any other kind of log is applied and by job_events_flush, which the
 * follower must then call (handler.flush) before it commits. Without this call every
 * JobCreated is inserted and dispatched at once. */
void job_events_defer_dispatch(job_events_ctx *ctx);
int job_events_flush(void *ud, store *s, bool discard);

#endif
