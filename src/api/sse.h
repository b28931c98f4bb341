/* sse — Server-Sent Events for the API: the change feed of the events table (store_events.h)
 * pushed to clients as text/event-stream, resumable with Last-Event-ID.
 *
 *   sse_format.c  one event row → its SSE text; which rows a stream's filter keeps
 *   sse_hub.c     one poller thread per process reads new rows by id into a ring
 *   sse_stream.c  the h2o streaming responses, fed from the ring on their own loop thread
 *   routes_events.c  the routes
 *
 * Internal to src/api. */
#ifndef LAMDA_API_SSE_H
#define LAMDA_API_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "store/store_events.h"

typedef struct api_ctx api_ctx;

/* What a stream wants. kinds: bit (1 << store_event_kind). A set key must match. */
typedef struct {
    unsigned kinds;
    bool by_job, by_provider, by_renter;
    uint8_t job_id[32];
    uint8_t provider[20];
    uint8_t renter[20];
} api_sse_filter;

bool api_sse_match(const api_sse_filter *f, const store_event *e);
/* "id: N\nevent: KIND\ndata: {json}\n\n" into out; returns its length, or 0 when cap is too
 * small. */
size_t api_sse_format(const store_event *e, char *out, size_t cap);

/* ---- hub (sse_hub.c) ---------------------------------------------------------------------- */

/* Start the poller (its own store connection). Events with ids up to the table's current
 * maximum are left to the database catch-up path. 0 or -1. */
int api_sse_hub_start(const lamda_config *cfg);
void api_sse_hub_stop(void);
/* Highest id the hub has settled (every lower id is in the ring, in the database or a hole
 * that will never fill); -1 before the hub read the table once. */
int64_t api_sse_hub_head(void);
/* Lowest id held in the ring minus one: ids <= this must come from the database. */
int64_t api_sse_hub_floor(void);
/* Append to out (up to cap bytes) the SSE text of ring events with after < id <= head that f
 * keeps. Returns the id up to which the ring was scanned (>= after), or -1 when after is below
 * the ring's floor (use the database). *len is the bytes written. */
int64_t api_sse_hub_collect(int64_t after, const api_sse_filter *f, char *out, size_t cap, size_t *len);

/* ---- streams (sse_stream.c) ---------------------------------------------------------------- */

/* Answer the request with an event stream of f, starting after the client's Last-Event-ID
 * (header, or ?last_event_id= for clients that cannot set headers), else at the current head.
 * Applies the per-IP and total connection caps (429 / 503). */
void api_sse_serve(api_ctx *c, const api_sse_filter *f);
void api_sse_config(const lamda_config *cfg);

#endif
