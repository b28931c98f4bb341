/* job_delivery — acknowledged delivery of dispatched jobs to their providers' agents (issue #16).
 *
 * A job counts as delivered when its provider's agent reports on agent.status. Until then each
 * pass hands due jobs to jobs.dispatch.<provider> with bus_deliver_many, which tells from the
 * server's "no responders" answers whether a subscription took the copy:
 *   - nobody subscribed: the job waits and is tried again on a back-off (100 ms doubling, capped
 *     at JOB_REDELIVERY_MAX_BACKOFF), so it goes out within that cap of the agent resubscribing;
 *   - a subscription took it: no second copy unless the agent stays silent for JOB_ACK_WAIT;
 *   - a crash while a copy was in flight: treated as delivered (never a second copy at once).
 * Deadlines: not acknowledged JOB_DELIVERY_TIMEOUT after dispatch → the job is undelivered
 * (reason in error_message); running without a further report for JOB_RUN_TIMEOUT → stalled.
 * The full argument and the remaining duplicate window are in docs/design.md and
 * docs/reliability.md. */
#ifndef LAMDA_JOB_DELIVERY_H
#define LAMDA_JOB_DELIVERY_H

#include <stdint.h>

#include "bus/bus.h"
#include "core/config.h"
#include "store/store.h"

typedef struct job_delivery job_delivery;

/* Registers the metrics. NULL when out of memory. */
job_delivery *job_delivery_new(const lamda_config *cfg);
void job_delivery_free(job_delivery *d);

/* One pass on s: crash recovery (first pass only), the deadlines (at most once a second), then
 * every due delivery when the bus is connected. *next_ms is how long the caller may sleep
 * before the next delivery falls due (capped at 1 s). Returns STORE_OK or a store error. */
int job_delivery_pass(job_delivery *d, store *s, bus *b, long *next_ms);

/* Back-off after `probes` attempts that found nobody subscribed: 100 ms · 2^(probes−1),
 * capped at max_ms. */
int64_t job_delivery_backoff_ms(int64_t probes, uint64_t max_ms);

/* The agents' subject for a provider: "jobs.dispatch.<EIP-55 address>". */
void job_delivery_subject(const uint8_t provider[20], char out[64]);

#endif
