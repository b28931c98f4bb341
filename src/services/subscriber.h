/* subscriber — a NATS subscription whose messages are handled with a database connection of
 * its own (agent.status, nodes.query, jobs.query).
 *
 * libnats runs one subscription's callbacks on one thread, one at a time, so the connection is
 * never shared and needs no lock. It is opened when a message first needs it, and again on a
 * later message after a failure, so a database that is down at start does not stop the
 * subscription. Stopping waits for the message being handled before closing the connection. */
#ifndef LAMDA_SUBSCRIBER_H
#define LAMDA_SUBSCRIBER_H

#include <stddef.h>

#include "bus/bus.h"
#include "store/store.h"

typedef struct subscriber subscriber;

/* Handle one message; subscriber_store gives the connection. ud as given to subscriber_start. */
typedef void (*subscriber_fn)(subscriber *sub, void *ud, bus *b, const bus_msg *m);

/* Subscribe (queue: a queue group, or NULL). NULL with a reason in err when the subscription
 * fails or memory runs out. database_url must outlive the subscriber. */
subscriber *subscriber_start(bus *b, const char *subject, const char *queue, const char *database_url,
                             subscriber_fn fn, void *ud, char *err, size_t errlen);
/* This subscription's connection, opened on first use; NULL with a reason in err when the
 * database cannot be reached. Only from inside subscriber_fn. */
store *subscriber_store(subscriber *sub, char *err, size_t errlen);
/* Unsubscribe, wait for a message being handled, close the connection. NULL is a no-op. */
void subscriber_stop(subscriber *sub);

#endif
