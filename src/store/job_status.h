/* job_status — the states of a job and which moves between them are allowed.
 *
 *   created → assigned → running → completed | failed      (agent reports; a report may skip
 *                                                           steps, e.g. created → completed)
 *   created | assigned | running | completed | failed → confirmed   (JobConfirmed: the chain
 *                                                           is authoritative and wins)
 *   any state but paid / cancelled → paid                  (PaymentClaimed, also authoritative)
 *   created | assigned | undelivered → cancelled
 *   assigned → undelivered   (no agent acknowledged it before JOB_DELIVERY_TIMEOUT)
 *   running → stalled        (no report from the agent for JOB_RUN_TIMEOUT)
 *   undelivered → running | completed | failed, stalled → completed | failed (a late report
 *                                                           from the provider still counts)
 *   undelivered | stalled → assigned only by an operator's redispatch (store_delivery_redispatch)
 *
 * failed is terminal for agent reports (nothing moves it to running/completed/failed again);
 * paid and cancelled are terminal. Moving to the state a job is already in is not a
 * transition (false): callers treat it as a repeated report. */
#ifndef LAMDA_JOB_STATUS_H
#define LAMDA_JOB_STATUS_H

#include <stdbool.h>

typedef enum {
    JOB_CREATED = 0,
    JOB_ASSIGNED,
    JOB_RUNNING,
    JOB_COMPLETED,
    JOB_FAILED,
    JOB_CONFIRMED,
    JOB_PAID,
    JOB_CANCELLED,
    JOB_UNDELIVERED, /* after the enum's original values: they are compared by order above */
    JOB_STALLED,
    JOB_STATUS_COUNT
} job_status;

/* "created", "assigned", … ; "unknown" for out-of-range values. */
const char *store_job_status_name(job_status s);
/* Parse a lowercase status name; returns 0, or -1 when unknown. */
int store_job_status_parse(const char *name, job_status *out);
bool store_job_transition_allowed(job_status from, job_status to);

#endif
