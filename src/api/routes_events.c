/* routes_events — the Server-Sent Events routes (sse.h): a job's changes, the job and node
 * changes of one provider and/or renter (or of everything), and the nodes' changes. */
#include <string.h>

#include "api/internal.h"
#include "api/sse.h"

#define K(kind) (1u << (kind))

static void job_events(api_ctx *c) {
    api_sse_filter f;
    memset(&f, 0, sizeof f);
    f.kinds = K(STORE_EV_JOB) | K(STORE_EV_DISPATCH);
    if (api_param_job_id(c, 0, f.job_id) != 0) return;
    f.by_job = true;
    api_sse_serve(c, &f);
}

static void events(api_ctx *c) {
    api_sse_filter f;
    memset(&f, 0, sizeof f);
    f.kinds = K(STORE_EV_JOB) | K(STORE_EV_DISPATCH) | K(STORE_EV_NODE);
    if (api_query_address(c, "provider_address", f.provider, &f.by_provider) != 0) return;
    if (api_query_address(c, "renter_address", f.renter, &f.by_renter) != 0) return;
    /* A renter has jobs, not nodes: node events carry no renter and drop out by themselves. */
    api_sse_serve(c, &f);
}

static void node_events(api_ctx *c) {
    api_sse_filter f;
    memset(&f, 0, sizeof f);
    f.kinds = K(STORE_EV_NODE);
    if (api_query_address(c, "provider_address", f.provider, &f.by_provider) != 0) return;
    api_sse_serve(c, &f);
}

#define LAST_ID {"last_event_id", "query", "integer", "resume after this event id (as the Last-Event-ID header; the header wins)"}

const api_route api_routes_events[] = {
    {"GET", "/api/jobs/{id}/events", job_events,
     "Server-Sent Events: each status change and the dispatch of one job", "events", API_F_NO_CACHE,
     {{"id", "path", "string", "job id, 0x + 64 hex digits"}, LAST_ID, {0}}, NULL, "EventStream", NULL},
    {"GET", "/api/events", events,
     "Server-Sent Events: job status changes, dispatches and node changes, optionally of one provider and/or renter", "events", API_F_NO_CACHE,
     {{"provider_address", "query", "string", "only this provider's jobs and node"},
      {"renter_address", "query", "string", "only this renter's jobs"}, LAST_ID, {0}},
     NULL, "EventStream", NULL},
    {"GET", "/api/nodes/events", node_events,
     "Server-Sent Events: providers going online/offline, registering, and job-count changes", "events", API_F_NO_CACHE,
     {{"provider_address", "query", "string", "only this provider"}, LAST_ID, {0}}, NULL, "EventStream", NULL},
    {NULL, NULL, NULL, NULL, NULL, 0, {{0}}, NULL, NULL, NULL},
};
