/* outbox_publisher — drains the NATS outbox to JetStream, exactly once per job.
 *
 * Each unsent row is published to its stored subject (lamda.dispatch.<provider>) with
 * Nats-Msg-Id = jobId and marked sent only after the server's ack. A crash between the ack and
 * the mark makes the next run publish again; the stream's duplicate window drops that copy,
 * and the stream's RePublish (lamda.dispatch.> → jobs.dispatch.>) fires only for the stored
 * copy, so core subscribers get each job once. */
#ifndef LAMDA_OUTBOX_PUBLISHER_H
#define LAMDA_OUTBOX_PUBLISHER_H

#include "bus/bus.h"
#include "core/config.h"

/* Publish until shutdown. Needs its own store connection (opened here). NATS or database
 * outages are retried with backoff; rows wait in the outbox meanwhile. */
int outbox_publisher_run(const lamda_config *cfg, bus *b);

#endif
