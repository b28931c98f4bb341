/* cors — Cross-Origin Resource Sharing with a configured list of origins (API_CORS_ORIGINS):
 * "*" allows any origin (no credentials), otherwise exact, case-insensitive origin matches. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/internal.h"

#define MAX_ORIGINS 32

struct api_cors {
    bool any;
    int n;
    char *origin[MAX_ORIGINS];
};

api_cors *api_cors_new(const char *origins) {
    api_cors *c = calloc(1, sizeof *c);
    if (!c || !origins) return c;
    const char *p = origins;
    while (*p) {
        while (*p == ',' || *p == ' ' || *p == '\t') p++;
        const char *e = p;
        while (*e && *e != ',') e++;
        const char *t = e;
        while (t > p && (t[-1] == ' ' || t[-1] == '\t')) t--;
        if (t > p) {
            if (t - p == 1 && *p == '*') c->any = true;
            else if (c->n < MAX_ORIGINS) {
                c->origin[c->n] = strndup(p, (size_t)(t - p));
                if (!c->origin[c->n]) {
                    api_cors_free(c);
                    return NULL;
                }
                /* "https://app.example/" and "https://app.example" name the same origin. */
                size_t l = strlen(c->origin[c->n]);
                if (l > 1 && c->origin[c->n][l - 1] == '/') c->origin[c->n][l - 1] = '\0';
                c->n++;
            }
        }
        p = e;
    }
    return c;
}

void api_cors_free(api_cors *c) {
    if (!c) return;
    for (int i = 0; i < c->n; i++) free(c->origin[i]);
    free(c);
}

bool api_cors_allowed(const api_cors *c, const char *origin, size_t len, bool *wildcard) {
    *wildcard = false;
    if (!c || !origin) return false;
    if (c->any) {
        *wildcard = true;
        return true;
    }
    for (int i = 0; i < c->n; i++)
        if (strlen(c->origin[i]) == len && strncasecmp(c->origin[i], origin, len) == 0) return true;
    return false;
}

static const char *allowed_origin_header(api_ctx *c, const api_cors *cors) {
    size_t len;
    const char *o = api_req_header(c, "origin", &len);
    bool wild;
    if (!o || !api_cors_allowed(cors, o, len, &wild)) return NULL;
    if (wild) return "*";
    return h2o_strdup(&c->req->pool, o, len).base;
}

void api_cors_apply(api_ctx *c, const api_cors *cors) {
    const char *o = allowed_origin_header(c, cors);
    if (!o) return;
    api_header(c, "access-control-allow-origin", o);
    if (strcmp(o, "*") != 0) api_header(c, "vary", "Origin");
    api_header(c, "access-control-expose-headers", "Retry-After, Lamda-Commit-LSN");
}

void api_cors_preflight(api_ctx *c, const api_cors *cors, const char *allow) {
    size_t len;
    bool is_preflight = api_req_header(c, "origin", &len) && api_req_header(c, "access-control-request-method", &len);
    api_header(c, "allow", allow);
    if (is_preflight) {
        const char *o = allowed_origin_header(c, cors);
        if (!o) {
            api_error(c, 403, "origin not allowed");
            return;
        }
        api_header(c, "access-control-allow-origin", o);
        if (strcmp(o, "*") != 0) api_header(c, "vary", "Origin");
        api_header(c, "access-control-allow-methods", allow);
        api_header(c, "access-control-allow-headers", "Authorization, Content-Type, X-Signature, X-Timestamp, Lamda-Min-LSN");
        api_header(c, "access-control-max-age", "600");
    }
    api_send(c, 204, NULL, "", 0);
}
