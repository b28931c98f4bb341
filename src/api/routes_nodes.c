/* routes_nodes — providers: the seed's /api/nodes… and the original's /api/v1/nodes….
 * Lists are sorted by reputation_score descending, then address (store_provider_list). */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "core/address.h"
#include "store/store.h"

/* Parse "true"/"false"/"any" (online filter). */
static int online_param(api_ctx *c, int def, int *out) {
    const char *v = api_query(c, "online");
    *out = def;
    if (!v) return 0;
    if (!strcmp(v, "true") || !strcmp(v, "1")) *out = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "0")) *out = 0;
    else if (!strcmp(v, "any")) *out = -1;
    else {
        api_error(c, 400, "invalid online: expected true, false or any");
        return -1;
    }
    return 0;
}

static int read_filter(api_ctx *c, store_provider_filter *f, int online_def) {
    memset(f, 0, sizeof *f);
    if (api_query_int(c, "min_vram", 0, 0, INT64_MAX / 2, &f->min_vram) ||
        api_query_int(c, "min_reputation_score", 0, 0, INT64_MAX / 2, &f->min_reputation) ||
        api_query_int(c, "limit", VIEW_LIMIT_DEFAULT, 1, VIEW_LIMIT_MAX, &f->limit) ||
        api_query_int(c, "offset", 0, 0, 1000000000, &f->offset) || online_param(c, online_def, &f->online))
        return -1;
    const char *g = api_query(c, "gpu_model");
    if (g) {
        if (!*g || strlen(g) >= STORE_GPU_MODEL_MAX) {
            api_error(c, 400, "invalid gpu_model: 1 to %d bytes", STORE_GPU_MODEL_MAX - 1);
            return -1;
        }
        f->gpu_model = g;
    }
    return 0;
}

static void list(api_ctx *c, const store_provider_filter *f) {
    api_list(c, &view_nodes_page, f, f->limit, f->offset);
}

/* GET /api/nodes: the seed's "active nodes" (online unless ?online=any|false). */
static void nodes_active(api_ctx *c) {
    store_provider_filter f;
    if (read_filter(c, &f, 1) == 0) list(c, &f);
}

/* GET /api/v1/nodes: every provider unless ?online= is given (the original's behaviour). */
static void nodes_all(api_ctx *c) {
    store_provider_filter f;
    if (read_filter(c, &f, -1) == 0) list(c, &f);
}

/* Body fields become query parameters, so a POST query and a GET share one validator. */
int api_body_as_query(api_ctx *c, const cJSON *body, const api_body_field *allowed) {
    static const char *const type_names[] = {"a string", "an integer", "true or false"};
    c->nquery = 0;
    for (const cJSON *it = body->child; it; it = it->next) {
        const api_body_field *f = allowed;
        while (f->name && !(it->string && !strcmp(f->name, it->string))) f++;
        if (!f->name) {
            api_error(c, 400, "unknown field \"%.64s\"", it->string ? it->string : "");
            return -1;
        }
        if (cJSON_IsNull(it)) continue;
        char num[32];
        const char *v = NULL;
        if (f->type == API_FIELD_STRING && cJSON_IsString(it)) v = it->valuestring;
        else if (f->type == API_FIELD_BOOL && cJSON_IsBool(it)) v = cJSON_IsTrue(it) ? "true" : "false";
        else if (f->type == API_FIELD_INT && cJSON_IsNumber(it) && it->valuedouble == (double)(int64_t)it->valuedouble &&
                 it->valuedouble > -1e15 && it->valuedouble < 1e15) {
            snprintf(num, sizeof num, "%lld", (long long)it->valuedouble);
            v = num;
        }
        if (!v) {
            api_error(c, 400, "invalid field \"%s\": expected %s", it->string, type_names[f->type]);
            return -1;
        }
        if (c->nquery == API_MAX_QUERY) {
            api_error(c, 400, "too many fields");
            return -1;
        }
        c->query[c->nquery].key = h2o_strdup(&c->req->pool, it->string, strlen(it->string)).base;
        c->query[c->nquery].val = h2o_strdup(&c->req->pool, v, strlen(v)).base;
        c->nquery++;
    }
    return 0;
}

/* POST /api/nodes/query {min_vram, gpu_model, min_reputation_score, online, limit, offset}. */
static void nodes_query(api_ctx *c) {
    static const api_body_field allowed[] = {{"min_vram", API_FIELD_INT}, {"gpu_model", API_FIELD_STRING},
                                             {"min_reputation_score", API_FIELD_INT}, {"online", API_FIELD_BOOL},
                                             {"limit", API_FIELD_INT}, {"offset", API_FIELD_INT}, {NULL, 0}};
    cJSON *body = api_body_json(c);
    if (!body) return;
    int rc = api_body_as_query(c, body, allowed);
    store_provider_filter f;
    if (rc == 0 && read_filter(c, &f, -1) == 0) list(c, &f);
    cJSON_Delete(body);
}

static void node_get(api_ctx *c) {
    uint8_t addr[20];
    store_provider p;
    int rc = api_path_provider(c, 0, addr, &p);
    if (rc == STORE_NOTFOUND) api_error(c, 404, "node not found");
    else if (rc == STORE_OK) api_ok_object(c, 512, view_nodes_page.write, &p);
}

static int add_gpu_count(void *ud, const char *model, int64_t n) {
    return cJSON_AddNumberToObject((cJSON *)ud, model, (double)n) ? 0 : STORE_ERR;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static void node_stats(api_ctx *c) {
    store *s = api_store(c, true);
    if (!s) return;
    store_provider_summary sum;
    int rc = store_provider_stats(s, &sum);
    if (rc != STORE_OK) {
        api_store_error(c, rc);
        return;
    }
    cJSON *d = view_provider_stats_json(&sum);
    cJSON *counts = cJSON_AddObjectToObject(d, "gpu_model_counts");
    rc = store_provider_gpu_counts(s, add_gpu_count, counts);
    if (rc != STORE_OK) {
        cJSON_Delete(d);
        api_store_error(c, rc);
        return;
    }
    /* Models sorted bytewise here, not by the database, whose collation differs per backend. */
    int n = cJSON_GetArraySize(counts);
    const char **names = n ? malloc((size_t)n * sizeof *names) : NULL;
    if (n && !names) {
        cJSON_Delete(d);
        api_error(c, 500, "out of memory");
        return;
    }
    int k = 0;
    for (const cJSON *e = counts->child; e; e = e->next) names[k++] = e->string;
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    cJSON *models = cJSON_AddArrayToObject(d, "gpu_models");
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(models, cJSON_CreateString(names[i]));
    free(names);
    api_ok(c, 200, d);
}

#define P_ADDR {"address", "path", "string", "provider wallet address (0x + 40 hex, any case; mixed case must be EIP-55)"}
#define Q_NODE_FILTERS                                                                                          \
    {"min_vram", "query", "integer", "minimum VRAM (MiB)"},                                                      \
    {"gpu_model", "query", "string", "exact GPU model, case-insensitive"},                                       \
    {"min_reputation_score", "query", "integer", "minimum reputation score"},                                    \
    {"online", "query", "string", "true, false or any"},                                                         \
    {"limit", "query", "integer", "page size, 1..1000, default 100"},                                            \
    {"offset", "query", "integer", "rows to skip"}

const api_route api_routes_nodes[] = {
    {"GET", "/api/nodes", nodes_active, "List online nodes (sorted by reputation_score desc)", "nodes", 0, {Q_NODE_FILTERS}, NULL, "NodeListResponse", NULL},
    {"GET", "/api/nodes/{address}", node_get, "One node", "nodes", 0, {P_ADDR}, NULL, "ProviderResponse", NULL},
    {"POST", "/api/nodes/query", nodes_query, "Query nodes with a JSON filter {min_vram, gpu_model, min_reputation_score, online, limit, offset}", "nodes", API_F_JSON_BODY, {{0}}, "NodeQuery", "NodeListResponse", NULL},
    {"GET", "/api/v1/nodes", nodes_all, "List nodes (sorted by reputation_score desc)", "nodes", 0, {Q_NODE_FILTERS}, NULL, "NodeListResponse", NULL},
    {"GET", "/api/v1/nodes/stats", node_stats, "Node statistics", "nodes", 0, {{0}}, NULL, "NodeStatsResponse", NULL},
    {"GET", "/api/v1/nodes/{address}", node_get, "One node", "nodes", 0, {P_ADDR}, NULL, "ProviderResponse", NULL},
    {NULL, NULL, NULL, NULL, NULL, 0, {{0}}, NULL, NULL, NULL},
};
