/* bus_query — the original backend's NATS request/reply queries, answered from the database:
 *   nodes.query  {"min_vram","gpu_model","min_reputation_score","online","limit","offset"}
 *                → {"nodes":[…],"count":N}
 *   jobs.query   {"renter_address","provider_address","status","limit","offset"}
 *                → {"jobs":[…],"count":N}
 * Items are the same JSON objects as the REST API's; count is the total matching the filter.
 * A bad query gets {"error":"…"}. The node registry serves nodes.query and the job dispatcher
 * jobs.query. */
#ifndef LAMDA_BUS_QUERY_H
#define LAMDA_BUS_QUERY_H

#include "bus/bus.h"
#include "core/config.h"
#include "store/store.h"

typedef enum { BUS_QUERY_NODES, BUS_QUERY_JOBS } bus_query_kind;

typedef struct bus_query bus_query;

/* Subscribe and answer until bus_query_stop. NULL on failure (logged). */
bus_query *bus_query_start(bus *b, const lamda_config *cfg, bus_query_kind kind);
void bus_query_stop(bus_query *q);

/* The answer to one query (pure but for the store): malloc'd JSON text, caller frees. */
char *bus_query_answer(store *s, bus_query_kind kind, const uint8_t *req, size_t len);

#endif
