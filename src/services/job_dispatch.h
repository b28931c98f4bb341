/* job_dispatch — binding a job to its spec and queueing its NATS message, exactly once.
 *
 * A job is dispatched when two things are both present: the JobCreated event (the job row)
 * and a spec signed by the job's renter (or, in the jobId-from-CID mode, the jobId itself).
 * Whichever arrives second calls job_dispatch_try inside its own transaction, so the state
 * change (created → assigned) and the outbox row commit together; the outbox row is unique per
 * job and the publisher sends it with Nats-Msg-Id = jobId, so no job is ever sent twice. */
#ifndef LAMDA_JOB_DISPATCH_H
#define LAMDA_JOB_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "store/store.h"

/* Inside the caller's transaction: if the job exists in state created and a usable spec is
 * there, assign it and add its outbox message. *dispatched tells whether it happened.
 * Returns STORE_OK when there was simply nothing to do (no spec yet, spec by someone other
 * than the renter — logged), or a negative store error to roll back. */
int job_dispatch_try(store *s, const lamda_config *cfg, const uint8_t job_id[32], int64_t now,
                     bool *dispatched);

/* The same for jobs the caller has just inserted in state created in this transaction (the
 * JobCreated path): no read-back of the rows, and the specs of all n looked up together (one
 * query per STORE_SPEC_BATCH jobs). jobs[i].created_at is the time recorded as assigned_at.
 * The docker_image and input_cid of a dispatched job are filled in. */
int job_dispatch_created(store *s, const lamda_config *cfg, store_job *jobs, size_t n, size_t *dispatched);

/* The stored (internal) subject of a provider's messages: "lamda.dispatch.<EIP-55 address>".
 * The stream republishes it to "jobs.dispatch.<EIP-55 address>". */
void job_dispatch_subject(const uint8_t provider[20], char out[64]);

/* The NATS message for a bound job (both key sets: the seed's and the published agent's).
 * Returns a malloc'd JSON string (caller frees), or NULL on allocation failure. */
char *job_dispatch_message(const store_job *j);

#endif
