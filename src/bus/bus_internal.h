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

#define STREAM_API_WAIT_MS 5000 /* how long a JetStream API call may take */
#define NS_PER_MS 1000000LL     /* JetStream durations are nanoseconds */
/* Options for the JetStream API calls: the default domain, STREAM_API_WAIT_MS. */
void bus_js_options(jsOptions *jo);
/* Look up the stream sc->Name, creating it with sc when it does not exist: 0 with *si (the
 * caller destroys it; its Config is set) and *created, or -1 with err. */
int bus_stream_find_or_add(bus *b, jsStreamConfig *sc, jsStreamInfo **si, bool *created, char *err,
                           size_t errlen);
/* 0 when the stream has `want` replicas, or -1 with err naming both (an existing stream's count
 * is not changed by lamda). */
int bus_stream_check_replicas(const jsStreamInfo *si, int want, char *err, size_t errlen);
/* The stream stores exactly these n subjects, in this order. */
bool bus_stream_same_subjects(const jsStreamConfig *c, const char *const *want, size_t n);

#endif
