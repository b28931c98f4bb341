/* api — the REST API gateway (`lamda api-gateway`): libh2o-evloop, one event loop and one
 * SO_REUSEPORT listening socket per thread (API_THREADS), each thread with its own database
 * connection. Routes, envelope and hardening: the README's API section and docs/api-auth.md; the route
 * table itself is served as OpenAPI 3 at GET /api/openapi.json.
 *
 * This header is the surface the wiring (services/wiring.c) uses: the entry point with the
 * hooks through which the services serve what the API cannot (POST /api/jobs), and the
 * readiness checks. */
#ifndef LAMDA_API_H
#define LAMDA_API_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/config.h"

typedef struct store store;

/* What the API needs from the services, given when it starts (services/wiring.c builds it):
 * the API calls down into nothing above it, and nothing here is global. */
typedef struct {
    /* POST /api/jobs: handle a job-spec submission. body/len is the raw request body (already
     * size-limited, not NUL-terminated). Return 0 and set *http_status (200/201/202) and
     * optionally *data (the envelope's data, ownership passes to the API); or return non-zero
     * with *http_status (4xx/503) and a message in err. s is this thread's store (NULL when
     * the database is unreachable). Called from any API thread. NULL: 503 "job specs not
     * available". */
    int (*submit_job_spec)(const void *ud, store *s, const char *body, size_t len, char *err, size_t errlen,
                           int *http_status, cJSON **data);
    const void *ud; /* passed to every hook */
} api_hooks;

/* The service entry point: serves until shutdown_requested(), then stops accepting, lets
 * in-flight requests finish and returns 0; non-zero (after logging) when it cannot start
 * (port in use, bad TLS files, …). hooks is copied; NULL is no hooks. */
int api_gateway_run(const lamda_config *cfg, const api_hooks *hooks);

/* ---- readiness ------------------------------------------------------------------------------ */

/* A readiness check: return 0 when ready; otherwise non-zero with a short reason in detail
 * (NUL-terminated, no secrets). Called from API threads concurrently: must be thread-safe
 * and fast (no network round trip; report state the service already keeps). */
typedef int (*api_ready_fn)(void *arg, char *detail, size_t detail_len);

/* Register a named check shown by GET /ready (e.g. "nats", "follower_bsc"). The name is
 * copied; registering a name again replaces its check. At most 16 checks. 0 or -1. */
int api_readiness_register(const char *name, api_ready_fn fn, void *arg);
/* Remove a check (a service stopping). */
void api_readiness_unregister(const char *name);

#endif
