/* router — method + path pattern → handler, path parameters, query strings, route metrics.
 *
 * Patterns are literal segments and `{name}` segments. When several routes match a path, the
 * one with the fewest parameters wins, so `/api/v1/nodes/stats` beats `/api/v1/nodes/{address}`
 * whatever the table order. Matching is on h2o's normalised path (no "." / ".." segments);
 * one trailing '/' is ignored. */
#include <stdio.h>
#include <string.h>

#include "api/internal.h"
#include "core/hex.h"
#include "core/metrics.h"

#define MAX_ROUTES 64
#define MAX_SEGS 8

typedef struct {
    const api_route *r;
    int nseg;
    struct {
        const char *s;
        size_t len;
        bool param;
    } seg[MAX_SEGS];
    int nparams;
    metrics_counter_t *count[5]; /* status classes 1xx..5xx */
    metrics_histogram_t *latency;
} compiled_route;

static compiled_route g_routes[MAX_ROUTES];
static size_t g_nroutes;
/* Requests that matched no route (404/405/OPTIONS), per class. */
static metrics_counter_t *g_other_count[5];
static metrics_histogram_t *g_other_latency;

static int compile(const api_route *r, compiled_route *out) {
    memset(out, 0, sizeof *out);
    out->r = r;
    const char *p = r->pattern;
    if (*p != '/') return -1;
    if (p[1] == '\0') p++; /* "/" itself: no segments */
    while (*p) {
        p++; /* skip '/' */
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (out->nseg == MAX_SEGS || len == 0) return -1;
        bool param = len > 2 && p[0] == '{' && p[len - 1] == '}';
        out->seg[out->nseg].s = p;
        out->seg[out->nseg].len = len;
        out->seg[out->nseg].param = param;
        out->nseg++;
        if (param && ++out->nparams > API_MAX_PARAMS) return -1;
        p += len;
    }
    char labels[256];
    static const char *cls[5] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    for (int i = 0; i < 5; i++) {
        snprintf(labels, sizeof labels, "route=\"%s\",method=\"%s\",code=\"%s\"", r->pattern, r->method, cls[i]);
        out->count[i] = metrics_counter("lamda_http_requests_total", "HTTP requests by route, method and status class.", labels);
    }
    snprintf(labels, sizeof labels, "route=\"%s\",method=\"%s\"", r->pattern, r->method);
    out->latency = metrics_histogram("lamda_http_request_duration_seconds", "HTTP request latency by route.", labels, NULL, 0);
    return 0;
}

int api_router_init(void) {
    if (g_nroutes) return 0;
    const api_route *tables[] = {api_routes_ops,    api_routes_nodes,  api_routes_jobs,     api_routes_reputation,
                                  api_routes_admin,  api_routes_events, api_routes_dashboard};
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const api_route *r = tables[t]; r->method; r++) {
            if (g_nroutes == MAX_ROUTES || compile(r, &g_routes[g_nroutes]) != 0) return -1;
            g_nroutes++;
        }
    static const char *cls[5] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    char labels[128];
    for (int i = 0; i < 5; i++) {
        snprintf(labels, sizeof labels, "route=\"other\",method=\"other\",code=\"%s\"", cls[i]);
        g_other_count[i] = metrics_counter("lamda_http_requests_total", "HTTP requests by route, method and status class.", labels);
    }
    g_other_latency = metrics_histogram("lamda_http_request_duration_seconds", "HTTP request latency by route.",
                                        "route=\"other\",method=\"other\"", NULL, 0);
    return 0;
}

size_t api_router_count(void) { return g_nroutes; }
const api_route *api_router_get(size_t i) { return i < g_nroutes ? g_routes[i].r : NULL; }

void api_router_observe(int index, const char *method, int status, double seconds) {
    (void)method;
    int cls = status / 100 - 1;
    if (cls < 0 || cls > 4) cls = 4;
    if (index >= 0 && (size_t)index < g_nroutes) {
        metrics_counter_inc(g_routes[index].count[cls]);
        metrics_histogram_observe(g_routes[index].latency, seconds);
    } else {
        metrics_counter_inc(g_other_count[cls]);
        metrics_histogram_observe(g_other_latency, seconds);
    }
}

long api_pct_decode(const char *s, size_t len, bool plus_space, char *out, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (o + 1 >= cap) return -1;
        unsigned char ch = (unsigned char)s[i];
        if (ch == '%') {
            if (len - i < 3) return -1;
            int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
            if (hi < 0 || lo < 0) return -1;
            ch = (unsigned char)(hi << 4 | lo);
            i += 2;
        } else if (ch == '+' && plus_space) {
            ch = ' ';
        }
        if (ch == 0) return -1;
        out[o++] = (char)ch;
    }
    if (o >= cap) return -1;
    out[o] = '\0';
    return (long)o;
}

api_match_result api_router_match(const char *method, size_t mlen, const char *path, size_t plen,
                                   h2o_mem_pool_t *pool, int *index, char **params, int *nparams,
                                   char *allow, size_t allowlen) {
    /* Split the path into segments once. */
    struct {
        const char *s;
        size_t len;
    } seg[MAX_SEGS];
    int nseg = 0;
    if (plen == 0 || path[0] != '/') return API_MATCH_NOT_FOUND;
    size_t i = 1;
    /* One trailing '/' names the same resource, as the original backend (Fiber, non-strict
     * routing) answered it: clients written against it may send /api/v1/nodes/. */
    if (path[plen - 1] == '/') plen--;
    while (i <= plen) {
        size_t j = i;
        while (j < plen && path[j] != '/') j++;
        if (nseg == MAX_SEGS) return API_MATCH_NOT_FOUND;
        seg[nseg].s = path + i;
        seg[nseg].len = j - i;
        if (seg[nseg].len == 0) return API_MATCH_NOT_FOUND; /* "//" or trailing '/' */
        nseg++;
        i = j + 1;
    }
    int best = -1, best_params = 99;
    bool path_known = false;
    char methods[64] = "";
    for (size_t r = 0; r < g_nroutes; r++) {
        compiled_route *cr = &g_routes[r];
        if (cr->nseg != nseg) continue;
        bool m = true;
        for (int k = 0; k < nseg && m; k++)
            m = cr->seg[k].param || (cr->seg[k].len == seg[k].len && memcmp(cr->seg[k].s, seg[k].s, seg[k].len) == 0);
        if (!m) continue;
        path_known = true;
        size_t ml = strlen(cr->r->method);
        bool same = (ml == mlen && memcmp(cr->r->method, method, mlen) == 0) ||
                    (mlen == 4 && memcmp(method, "HEAD", 4) == 0 && !strcmp(cr->r->method, "GET"));
        if (same && cr->nparams < best_params) {
            best = (int)r;
            best_params = cr->nparams;
        }
        if (!strstr(methods, cr->r->method) && strlen(methods) + ml + 3 < sizeof methods) {
            if (*methods) strcat(methods, ", ");
            strcat(methods, cr->r->method);
        }
    }
    if (best < 0) {
        if (!path_known) return API_MATCH_NOT_FOUND;
        snprintf(allow, allowlen, "%s, OPTIONS", methods);
        return API_MATCH_BAD_METHOD;
    }
    compiled_route *cr = &g_routes[best];
    int np = 0;
    for (int k = 0; k < nseg; k++) {
        if (!cr->seg[k].param) continue;
        char *out = h2o_mem_alloc_pool(pool, seg[k].len + 1);
        if (api_pct_decode(seg[k].s, seg[k].len, false, out, seg[k].len + 1) < 0) return API_MATCH_BAD_PATH;
        params[np++] = out;
    }
    *nparams = np;
    *index = best;
    if (allow && allowlen) snprintf(allow, allowlen, "%s, OPTIONS", methods);
    return API_MATCH_OK;
}

int api_query_parse(api_ctx *c, const char *qs, size_t len) {
    c->query_parsed = true;
    c->nquery = 0;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && qs[j] != '&') j++;
        if (j > i) {
            const char *eq = memchr(qs + i, '=', j - i);
            size_t klen = eq ? (size_t)(eq - (qs + i)) : j - i;
            const char *v = eq ? eq + 1 : qs + j;
            size_t vlen = eq ? (size_t)(qs + j - v) : 0;
            if (c->nquery == API_MAX_QUERY) return -1;
            char *k = h2o_mem_alloc_pool(&c->req->pool, klen + 1);
            char *vv = h2o_mem_alloc_pool(&c->req->pool, vlen + 1);
            if (api_pct_decode(qs + i, klen, true, k, klen + 1) < 0) return -1;
            if (api_pct_decode(v, vlen, true, vv, vlen + 1) < 0) return -1;
            c->query[c->nquery].key = k;
            c->query[c->nquery].val = vv;
            c->nquery++;
        }
        i = j + 1;
    }
    return 0;
}

const char *api_query(api_ctx *c, const char *key) {
    for (int i = 0; i < c->nquery; i++)
        if (!strcmp(c->query[i].key, key)) return c->query[i].val;
    return NULL;
}
