/* outbox_publisher — drains the NATS outbox to JetStream, exactly once per job.
 *
 * Each unsent row is published to its stored subject (lamda.dispatch.<provider>) with
 * Nats-Msg-Id = jobId and marked sent only after the server's ack. A crash between the ack and
 * the mark makes the next run publish again; the stream's duplicate window drops that copy.
 * The stream serves JetStream consumers; the same loop runs job_delivery, which hands each job
 * to the agent's core subscription until the agent reports (services/job_delivery.h). The loop
 * sleeps on this process's commit notification (store_notify), with a 100 ms fallback poll
 * for rows other processes write. */
#ifndef LAMDA_OUTBOX_PUBLISHER_H
#define LAMDA_OUTBOX_PUBLISHER_H

#include "bus/bus.h"
#include "core/config.h"

/* Publish until shutdown. Needs its own store connection (opened here). NATS or database
 * outages are retried with backoff; rows wait in the outbox meanwhile. */
int outbox_publisher_run(const lamda_config *cfg, bus *b);

#endif
