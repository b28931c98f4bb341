/* Fuzz the API's request-line handling: route matching with path parameters
 * (api_router_match), percent-decoding (api_pct_decode) and query-string parsing
 * (api_query_parse). Input: "METHOD PATH[?QUERY]". Properties: no crash, no read past len,
 * decoded text is NUL-terminated, never longer than its input, and holds no NUL. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int inited;
    if (!inited) {
        if (api_router_init() != 0) abort();
        inited = 1;
    }
    const char *s = (const char *)data;
    const char *sp = memchr(s, ' ', size);
    size_t mlen = sp ? (size_t)(sp - s) : 0;
    const char *path = sp ? sp + 1 : s;
    size_t rest = size - (size_t)(path - s);
    const char *q = memchr(path, '?', rest);
    size_t plen = q ? (size_t)(q - path) : rest;

    h2o_req_t req;
    memset(&req, 0, sizeof req);
    h2o_mem_init_pool(&req.pool);

    int index = -1, nparams = 0;
    char *params[API_MAX_PARAMS];
    char allow[128];
    api_match_result m = api_router_match(s, mlen, path, plen, &req.pool, &index, params, &nparams, allow, sizeof allow);
    if (m == API_MATCH_OK) {
        if (index < 0 || (size_t)index >= api_router_count() || nparams > API_MAX_PARAMS) abort();
        for (int i = 0; i < nparams; i++)
            if (strlen(params[i]) > plen) abort();
    }

    char *out = malloc(rest + 1);
    if (out) {
        long n = api_pct_decode(path, rest, true, out, rest + 1);
        if (n >= 0 && ((size_t)n > rest || strlen(out) != (size_t)n)) abort();
        free(out);
    }

    if (q) {
        api_ctx c;
        memset(&c, 0, sizeof c);
        c.req = &req;
        size_t qlen = rest - plen - 1;
        if (api_query_parse(&c, q + 1, qlen) == 0) {
            if (c.nquery > API_MAX_QUERY) abort();
            for (int i = 0; i < c.nquery; i++)
                if (strlen(c.query[i].key) > qlen || strlen(c.query[i].val) > qlen) abort();
            (void)api_query(&c, "limit");
        }
    }
    h2o_mem_clear_pool(&req.pool);
    return 0;
}
