/* bus_internal — for the bus module's own files only (bus_deliver.c, bus_capture.c): the
 * libnats connection behind a bus, so a second file can use libnats without a second
 * connection. */
#ifndef LAMDA_BUS_INTERNAL_H
#define LAMDA_BUS_INTERNAL_H

#include <nats/nats.h>

#include "bus/bus.h"

natsConnection *bus_nats_connection(bus *b);
/* The JetStream context of the connection (synchronous API calls). */
jsCtx *bus_jetstream(bus *b);
/* The client name given to bus_connect, for logs. */
const char *bus_client_name(bus *b);
/* err = "what: libnats status (JetStream error, detail)"; returns -1. */
int bus_fail_nats(char *err, size_t errlen, const char *what, natsStatus s, jsErrCode jerr);

#endif
