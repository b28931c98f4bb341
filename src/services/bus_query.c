#include "services/bus_query.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/address.h"
#include "core/json_strict.h"
#include "core/json_text.h"
#include "core/log.h"
#include "services/subscriber.h"
#include "view/domain_json.h"

#define QUERY_MAX_BYTES 8192

struct bus_query {
    bus_query_kind kind;
    subscriber *sub;
};

static char *error_json(const char *msg) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", msg);
    char *t = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return t;
}

/* Optional non-negative integer field; -1 when present but not one. */
static int64_t int_field(const cJSON *o, const char *k, int64_t def) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!v || cJSON_IsNull(v)) return def;
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9.0e15 || v->valuedouble != (double)(int64_t)v->valuedouble)
        return -1;
    return (int64_t)v->valuedouble;
}

static int addr_field(const cJSON *o, const char *k, uint8_t out[20], bool *present) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    *present = false;
    if (!v || cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring)) return 0;
    if (!cJSON_IsString(v) || address_parse(v->valuestring, strlen(v->valuestring), out) != ADDRESS_OK) return -1;
    *present = true;
    return 0;
}

static int paging(const cJSON *o, int64_t *limit, int64_t *offset, const char **err) {
    *limit = int_field(o, "limit", VIEW_LIMIT_DEFAULT);
    *offset = int_field(o, "offset", 0);
    if (*limit <= 0 || *limit > VIEW_LIMIT_MAX) *err = "limit must be 1..1000";
    else if (*offset < 0) *err = "offset must be a non-negative integer";
    return *err ? -1 : 0;
}

/* {"<key>":[rows…],"count":total} for the page f selects, as a NUL-terminated malloc'd string
 * (NULL when out of memory). */
static char *page_text(store *s, const view_page *pg, const void *f, int64_t limit) {
    char *rows = calloc((size_t)limit, pg->row_size);
    if (!rows) return NULL;
    int n = 0;
    int64_t total = 0;
    if (pg->list(s, f, rows, (int)limit, &n, &total) != STORE_OK) {
        free(rows);
        return error_json("database error");
    }
    view_jw w;
    view_jw_init(&w, 512 + (size_t)n * pg->row_hint);
    VIEW_JW_LIT(&w, "{\"");
    view_jw_raw(&w, pg->key, strlen(pg->key));
    VIEW_JW_LIT(&w, "\":[");
    view_jw_rows(&w, rows, pg->row_size, n, pg->write);
    free(rows);
    VIEW_JW_LIT(&w, "],\"count\":");
    view_jw_int(&w, total);
    view_jw_raw(&w, "}", 2); /* with the terminating NUL */
    if (w.oom) {
        view_jw_free(&w);
        return NULL;
    }
    return w.p;
}

static char *answer_nodes(store *s, const cJSON *q) {
    const char *err = NULL;
    store_provider_filter f = {.online = -1};
    f.min_vram = int_field(q, "min_vram", 0);
    f.min_reputation = int_field(q, "min_reputation_score", 0);
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(q, "gpu_model");
    const cJSON *on = cJSON_GetObjectItemCaseSensitive(q, "online");
    if (f.min_vram < 0 || f.min_reputation < 0) err = "min_vram and min_reputation_score must be non-negative integers";
    else if (g && !cJSON_IsNull(g) && (!cJSON_IsString(g) || strlen(g->valuestring) >= STORE_GPU_MODEL_MAX)) err = "gpu_model must be a string";
    else if (on && !cJSON_IsNull(on) && !cJSON_IsBool(on)) err = "online must be true or false";
    if (err || paging(q, &f.limit, &f.offset, &err) != 0) return error_json(err);
    if (cJSON_IsString(g) && *g->valuestring) f.gpu_model = g->valuestring;
    if (cJSON_IsBool(on)) f.online = cJSON_IsTrue(on) ? 1 : 0;
    return page_text(s, &view_nodes_page, &f, f.limit);
}

static char *answer_jobs(store *s, const cJSON *q) {
    const char *err = NULL;
    uint8_t renter[20], provider[20];
    bool has_r, has_p;
    store_job_filter f = {.status = -1};
    if (addr_field(q, "renter_address", renter, &has_r) != 0 || addr_field(q, "provider_address", provider, &has_p) != 0)
        return error_json("renter_address and provider_address must be addresses");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(q, "status");
    if (st && !cJSON_IsNull(st)) {
        job_status js;
        if (!cJSON_IsString(st) || store_job_status_parse(st->valuestring, &js) != 0) return error_json("unknown status");
        f.status = (int)js;
    }
    if (paging(q, &f.limit, &f.offset, &err) != 0) return error_json(err);
    f.renter = has_r ? renter : NULL;
    f.provider = has_p ? provider : NULL;
    return page_text(s, &view_jobs_page, &f, f.limit);
}

char *bus_query_answer(store *s, bus_query_kind kind, const uint8_t *req, size_t len) {
    if (len > QUERY_MAX_BYTES) return error_json("query too large");
    /* The HTTP query routes' rule (core/json_strict.h): one object, known fields only. */
    static const char *const node_fields[] = {"min_vram", "gpu_model", "min_reputation_score", "online", "limit", "offset", NULL};
    static const char *const job_fields[] = {"renter_address", "provider_address", "status", "limit", "offset", NULL};
    char why[128];
    cJSON *q = len ? json_strict_object((const char *)req, len, kind == BUS_QUERY_NODES ? node_fields : job_fields, why,
                                        sizeof why)
                   : cJSON_CreateObject();
    if (!q) return error_json(len ? why : "out of memory");
    char *out = kind == BUS_QUERY_NODES ? answer_nodes(s, q) : answer_jobs(s, q);
    cJSON_Delete(q);
    return out;
}

static void on_query(subscriber *sub, void *ud, bus *b, const bus_msg *m) {
    bus_query *q = ud;
    if (!m->reply || !*m->reply) return; /* a query nobody waits for */
    char err[256];
    store *s = subscriber_store(sub, err, sizeof err);
    char *out = s ? bus_query_answer(s, q->kind, m->data, m->len) : error_json("database unavailable");
    if (out) bus_respond(b, m, out, strlen(out));
    free(out);
}

bus_query *bus_query_start(bus *b, const lamda_config *cfg, bus_query_kind kind) {
    bus_query *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    q->kind = kind;
    char err[256];
    const char *subject = kind == BUS_QUERY_NODES ? "nodes.query" : "jobs.query";
    /* A queue group: several instances share the queries instead of all answering. */
    q->sub = subscriber_start(b, subject, "lamda-query", cfg->database_url, on_query, q, err, sizeof err);
    if (!q->sub) {
        log_warn("%s subscription failed: %s", subject, err);
        free(q);
        return NULL;
    }
    return q;
}

void bus_query_stop(bus_query *q) {
    if (!q) return;
    subscriber_stop(q->sub);
    free(q);
}
