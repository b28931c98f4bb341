/* routes_ops — operational routes: liveness, readiness (with checks other services register),
 * Prometheus metrics and the OpenAPI document. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "core/metrics.h"
#include "store/store.h"

#define MAX_CHECKS 16

/* g_ready_lock guards g_checks: services register from their own threads while API threads
 * read. Checks run with the lock held, which is why they must be fast. */
static pthread_mutex_t g_ready_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char name[48];
    api_ready_fn fn;
    void *arg;
} g_checks[MAX_CHECKS];
static int g_nchecks;

int api_readiness_register(const char *name, api_ready_fn fn, void *arg) {
    if (!name || !*name || strlen(name) >= sizeof g_checks[0].name || !fn) return -1;
    int rc = -1;
    pthread_mutex_lock(&g_ready_lock);
    for (int i = 0; i < g_nchecks; i++)
        if (!strcmp(g_checks[i].name, name)) {
            g_checks[i].fn = fn;
            g_checks[i].arg = arg;
            rc = 0;
            goto out;
        }
    if (g_nchecks < MAX_CHECKS) {
        strcpy(g_checks[g_nchecks].name, name);
        g_checks[g_nchecks].fn = fn;
        g_checks[g_nchecks].arg = arg;
        g_nchecks++;
        rc = 0;
    }
out:
    pthread_mutex_unlock(&g_ready_lock);
    return rc;
}

void api_readiness_unregister(const char *name) {
    pthread_mutex_lock(&g_ready_lock);
    for (int i = 0; i < g_nchecks; i++)
        if (!strcmp(g_checks[i].name, name)) {
            g_checks[i] = g_checks[--g_nchecks];
            break;
        }
    pthread_mutex_unlock(&g_ready_lock);
}

/* The original backend's bare liveness object (no envelope), which its load balancers and
 * monitors read; the answering service is always the gateway, in `lamda all` too. */
static void health(api_ctx *c) {
    static const char body[] = "{\"status\":\"healthy\",\"service\":\"api-gateway\"}";
    api_send(c, 200, "application/json", body, sizeof body - 1);
}

static void add_check(cJSON *checks, const char *name, bool ok, const char *detail) {
    cJSON *o = cJSON_AddObjectToObject(checks, name);
    cJSON_AddBoolToObject(o, "ok", ok);
    if (detail && *detail) cJSON_AddStringToObject(o, "detail", detail);
}

static void ready(api_ctx *c) {
    cJSON *d = cJSON_CreateObject();
    cJSON *checks = cJSON_AddObjectToObject(d, "checks");
    bool all = true;
    store *s = api_write_store(c, false);
    if (!s) {
        add_check(checks, "database", false, "cannot connect");
        all = false;
    } else if (store_ping(s) != STORE_OK) {
        add_check(checks, "database", false, "ping failed");
        all = false;
    } else {
        add_check(checks, "database", true, store_backend_name(s));
    }
    pthread_mutex_lock(&g_ready_lock);
    for (int i = 0; i < g_nchecks; i++) {
        char detail[160] = "";
        bool ok = g_checks[i].fn(g_checks[i].arg, detail, sizeof detail) == 0;
        detail[sizeof detail - 1] = '\0';
        add_check(checks, g_checks[i].name, ok, detail);
        all = all && ok;
    }
    pthread_mutex_unlock(&g_ready_lock);
    cJSON_AddStringToObject(d, "status", all ? "ready" : "not ready");
    if (all) api_ok(c, 200, d);
    else api_error_data(c, 503, d, "not ready");
}

static void metrics(api_ctx *c) {
    size_t len;
    char *txt = metrics_render(&len);
    if (!txt) {
        api_error(c, 503, "out of memory");
        return;
    }
    api_send(c, 200, "text/plain; version=0.0.4; charset=utf-8", txt, len);
    free(txt);
}

static void openapi(api_ctx *c) {
    size_t len = 0;
    const char *doc = api_openapi_json(&len);
    if (!doc) {
        api_error(c, 503, "document not available");
        return;
    }
    api_send(c, 200, "application/json", doc, len);
}

const api_route api_routes_ops[] = {
    {"GET", "/health", health, "Liveness: the process serves HTTP (no database access)", "ops", API_F_NO_RATELIMIT, {{0}}, NULL, "Health", NULL},
    {"GET", "/ready", ready, "Readiness: database reachable and every registered check passing; 503 with details otherwise", "ops", API_F_NO_RATELIMIT, {{0}}, NULL, "ReadyResponse", "503=NotReady"},
    {"GET", "/metrics", metrics, "Prometheus metrics (text format 0.0.4)", "ops", API_F_NO_RATELIMIT, {{0}}, NULL, "Metrics", NULL},
    {"GET", "/api/openapi.json", openapi, "This OpenAPI 3 document, generated from the route table", "ops", 0, {{0}}, NULL, "OpenApiDocument", NULL},
    {NULL, NULL, NULL, NULL, NULL, 0, {{0}}, NULL, NULL, NULL},
};
