/* domain_json — the one JSON form of each domain object: a provider, a job, and the provider
 * and job statistics. The REST API (src/api) and the NATS queries (services/nats_queries.c)
 * both answer with these, so a client sees the same object whichever way it asks; the OpenAPI
 * schemas (api/openapi_schemas.c) describe them field for field. */
#ifndef LAMDA_VIEW_DOMAIN_JSON_H
#define LAMDA_VIEW_DOMAIN_JSON_H

#include <cjson/cJSON.h>

#include "store/store.h"
#include "view/json_writer.h"

/* Page sizes of every list of domain objects, REST and NATS alike. */
#define VIEW_LIMIT_DEFAULT 100
#define VIEW_LIMIT_MAX 1000

void view_provider_write(view_jw *w, const store_provider *p);
void view_job_write(view_jw *w, const store_job *j);
/* One kind of paginated list, the same over REST and NATS: the rows come from list (the
 * store's list function), each written by write. */
typedef struct {
    const char *key; /* the member holding the rows: "jobs", "nodes" */
    size_t row_size; /* sizeof one row */
    size_t row_hint; /* bytes one row usually takes as JSON */
    int (*list)(store *s, const void *filter, void *rows, int cap, int *n, int64_t *total);
    view_write_fn write;
} view_page;
extern const view_page view_jobs_page;  /* store_job_filter, store_job rows */
extern const view_page view_nodes_page; /* store_provider_filter, store_provider rows */

/* view_provider_write's text parsed, for a response built as a cJSON tree. */
cJSON *view_provider_json(const store_provider *p);

/* GET /api/v1/jobs/stats's object. */
cJSON *view_job_stats_json(const store_job_summary *sum);
/* GET /api/v1/nodes/stats's object without its GPU model lists (the caller adds those). */
cJSON *view_provider_stats_json(const store_provider_summary *sum);

#endif
