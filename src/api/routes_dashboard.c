/* routes_dashboard — the operator dashboard: its embedded files (dashboard_assets.h) at
 * /dashboard (and /), and GET /api/dashboard/summary, the aggregates it shows. The page then
 * follows GET /api/events for live changes. Nothing here is secret: counts, block numbers,
 * public addresses and job ids, all of which the other public routes serve too. */
#include <string.h>
#include <time.h>

#include "api/dashboard_assets.h"
#include "api/internal.h"
#include "api/sse.h"
#include "core/hex.h"
#include "core/address.h"
#include "store/store_dashboard.h"

static const api_asset *asset(const char *name) {
    for (const api_asset *a = api_dashboard_assets; a->name; a++)
        if (!strcmp(a->name, name)) return a;
    return NULL;
}

static void send_asset(api_ctx *c, const api_asset *a) {
    /* The page loads only its own files and talks only to this API. */
    api_header(c, "content-security-policy",
               "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    api_header(c, "x-content-type-options", "nosniff");
    api_header(c, "cache-control", "no-cache");
    api_send(c, 200, a->media, a->body, a->len);
}

static void file(api_ctx *c, const char *name);
static void page(api_ctx *c) { file(c, "index.html"); }

static void file(api_ctx *c, const char *name) {
    const api_asset *a = asset(name);
    if (!a) {
        api_error(c, 500, "dashboard not built in");
        return;
    }
    send_asset(c, a);
}
static void app_js(api_ctx *c) { file(c, "app.js"); }
static void style_css(api_ctx *c) { file(c, "style.css"); }

static const char *const rep_key[STORE_REP_STATE_COUNT] = {"pending", "in_flight", "mined", "failed"};

static void summary(api_ctx *c) {
    store *s = api_store(c, true);
    if (!s) return;
    const lamda_config *cfg = api_cfg(c);
    store_job_summary js;
    store_provider_summary ps;
    int64_t depth = 0, rep[STORE_REP_STATE_COUNT] = {0}, awaiting = 0, oldest = 0;
    store_dash_cursor cur[16];
    store_dash_dispatch dis[20];
    int ncur = 0, ndis = 0;
    int64_t first = (int64_t)time(NULL) / 60 - (STORE_DASH_MINUTES - 1);
    int64_t created[STORE_DASH_MINUTES], dispatched[STORE_DASH_MINUTES], completed[STORE_DASH_MINUTES];
    int rc = store_job_stats(s, &js);
    if (rc == STORE_OK) rc = store_provider_stats(s, &ps);
    if (rc == STORE_OK) rc = store_outbox_depth(s, &depth);
    if (rc == STORE_OK) rc = store_delivery_stats(s, &awaiting, &oldest);
    if (rc == STORE_OK) rc = store_rep_counts(s, rep);
    if (rc == STORE_OK) rc = store_dash_cursors(s, cur, 16, &ncur);
    if (rc == STORE_OK) rc = store_dash_recent_dispatches(s, dis, 20, &ndis);
    if (rc == STORE_OK) rc = store_dash_per_minute(s, first, created, dispatched, completed);
    if (rc != STORE_OK) {
        api_store_error(c, rc);
        return;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "now", (double)time(NULL));
    cJSON_AddNumberToObject(d, "last_event_id", (double)api_sse_hub_head());
    cJSON *fl = cJSON_AddArrayToObject(d, "followers");
    for (int i = 0; i < ncur; i++) {
        char a[ADDRESS_STR_LEN], t[32];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "chain_id", (double)cur[i].chain_id);
        cJSON_AddStringToObject(o, "contract", address_format(cur[i].contract, a));
        cJSON_AddNumberToObject(o, "cursor_block", (double)cur[i].block);
        /* the start block of whichever followed contract this is (backfill progress) */
        uint64_t start = 0;
        if (cfg->have_job_manager && !memcmp(cfg->job_manager, cur[i].contract, 20)) start = cfg->job_manager_start_block;
        else if (cfg->have_node_reputation && !memcmp(cfg->node_reputation, cur[i].contract, 20))
            start = cfg->node_reputation_start_block;
        cJSON_AddNumberToObject(o, "start_block", (double)start);
        view_fmt_time(cur[i].updated_at, t);
        cJSON_AddStringToObject(o, "updated_at", t);
        cJSON_AddItemToArray(fl, o);
    }
    cJSON *p = cJSON_AddObjectToObject(d, "providers");
    cJSON_AddNumberToObject(p, "total", (double)ps.total);
    cJSON_AddNumberToObject(p, "online", (double)ps.online);
    cJSON_AddNumberToObject(p, "offline", (double)(ps.total - ps.online));
    cJSON_AddNumberToObject(p, "registered", (double)ps.registered);
    cJSON *j = cJSON_AddObjectToObject(d, "jobs");
    cJSON_AddNumberToObject(j, "total", (double)js.total);
    cJSON *bs = cJSON_AddObjectToObject(j, "by_status");
    for (int i = 0; i < JOB_STATUS_COUNT; i++)
        cJSON_AddNumberToObject(bs, store_job_status_name((job_status)i), (double)js.by_status[i]);
    cJSON_AddNumberToObject(d, "outbox_depth", (double)depth);
    /* dispatched, not yet acknowledged by the provider's agent (services/job_delivery.c) */
    cJSON_AddNumberToObject(d, "awaiting_agent", (double)awaiting);
    cJSON *r = cJSON_AddObjectToObject(d, "reputation");
    for (int i = 0; i < STORE_REP_STATE_COUNT; i++) cJSON_AddNumberToObject(r, rep_key[i], (double)rep[i]);
    cJSON *pm = cJSON_AddObjectToObject(d, "per_minute");
    cJSON_AddNumberToObject(pm, "first_minute", (double)first);
    cJSON *sc = cJSON_AddArrayToObject(pm, "created"), *sd = cJSON_AddArrayToObject(pm, "dispatched"),
          *sp = cJSON_AddArrayToObject(pm, "completed");
    for (int i = 0; i < STORE_DASH_MINUTES; i++) {
        cJSON_AddItemToArray(sc, cJSON_CreateNumber((double)created[i]));
        cJSON_AddItemToArray(sd, cJSON_CreateNumber((double)dispatched[i]));
        cJSON_AddItemToArray(sp, cJSON_CreateNumber((double)completed[i]));
    }
    cJSON *rd = cJSON_AddArrayToObject(d, "recent_dispatches");
    for (int i = 0; i < ndis; i++) {
        char jid[67], a[ADDRESS_STR_LEN], t1[32], t2[32];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "job_id", hex_encode(dis[i].job_id, 32, jid));
        cJSON_AddStringToObject(o, "provider_address", address_format(dis[i].provider, a));
        cJSON_AddStringToObject(o, "status", dis[i].status);
        view_fmt_time(dis[i].queued_at, t1);
        view_fmt_time(dis[i].sent_at, t2);
        cJSON_AddStringToObject(o, "queued_at", t1);
        cJSON_AddStringToObject(o, "dispatched_at", t2);
        cJSON_AddItemToArray(rd, o);
    }
    api_ok(c, 200, d);
}

const api_route api_routes_dashboard[] = {
    {"GET", "/", page, "The operator dashboard (the same page as /dashboard)", "dashboard", 0, {{0}}, NULL, "Html", NULL},
    {"GET", "/dashboard", page, "The operator dashboard: a live view of followers, providers, jobs, outbox and reputation", "dashboard", 0, {{0}}, NULL, "Html", NULL},
    {"GET", "/dashboard/app.js", app_js, "The dashboard's script", "dashboard", 0, {{0}}, NULL, "JavaScript", NULL},
    {"GET", "/dashboard/style.css", style_css, "The dashboard's style sheet", "dashboard", 0, {{0}}, NULL, "Css", NULL},
    {"GET", "/api/dashboard/summary", summary, "The dashboard's aggregates: followers, providers, jobs by status, outbox, reputation, per-minute counts, last 20 dispatches", "dashboard", 0, {{0}}, NULL, "DashboardSummaryResponse", NULL},
    {NULL, NULL, NULL, NULL, NULL, 0, {{0}}, NULL, NULL, NULL},
};
