/* api internals shared by the files of src/api: the request context handed to handlers, the
 * route table, and the helpers handlers use to read input and answer. Not for other modules. */
#ifndef LAMDA_API_INTERNAL_H
#define LAMDA_API_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <h2o.h>

#include "api/api.h"
#include "core/config.h"
#include "store/store.h"
#include "view/domain_json.h"

#define API_MAX_PARAMS 4   /* path parameters per route */
#define API_MAX_QUERY 32   /* query parameters kept per request; more → 400 */

typedef struct api_server api_server;
typedef struct api_thread api_thread;
typedef struct api_ctx api_ctx;

/* ---- route table ---------------------------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *in;   /* "path" or "query" */
    const char *type; /* "string", "integer" or "number" */
    const char *desc;
} api_param;

enum {
    API_F_AUTH = 1,         /* needs credentials (documented in OpenAPI as security) */
    API_F_NO_RATELIMIT = 2, /* probes: /health, /ready, /metrics */
    API_F_JSON_BODY = 4,    /* takes a JSON request body */
    API_F_NO_LOG = 8,       /* no access-log line (none yet; kept for probes if needed) */
    API_F_ADMIN_ONLY = 16,  /* with API_F_AUTH: the admin bearer token only (routes_admin.c) */
    API_F_NO_CACHE = 32,    /* a GET never served from the response cache (streams; probes are not either) */
};

typedef void (*api_handler)(api_ctx *c);

typedef struct {
    const char *method;  /* "GET", "POST", "PUT" */
    const char *pattern; /* "/api/nodes/{address}" */
    api_handler fn;
    const char *summary;
    const char *tag;
    unsigned flags;
    api_param params[10]; /* terminated by a zero entry */
    /* The OpenAPI contract (openapi.c): schema names from api_schemas. request: the JSON body
     * (NULL: none). response: the success body. codes: statuses beyond the ones every route
     * of its kind may answer (400, 500, 503; 404 with a path parameter; 413/415 with a body;
     * 429 unless unlimited), space-separated; a 2xx one has the response schema, "503=Name"
     * names its own, others the Error schema. */
    const char *request;
    const char *response;
    const char *codes;
} api_route;

/* One body schema of the OpenAPI document (openapi_schemas.c). media: the content type when
 * it is a whole response body (NULL: a part only). data: when set, the schema is the success
 * envelope {"success":true,"data":<data>} and json is NULL; else json is the schema text. */
typedef struct {
    const char *name;
    const char *media;
    const char *data;
    const char *json;
} api_schema;

extern const api_schema api_schemas[]; /* terminated by {NULL} */
const api_schema *api_schema_find(const char *name);

/* Each routes_*.c file exports its table, terminated by {NULL}. */
extern const api_route api_routes_ops[];
extern const api_route api_routes_nodes[];
extern const api_route api_routes_jobs[];
extern const api_route api_routes_reputation[];
extern const api_route api_routes_admin[];
extern const api_route api_routes_events[];    /* routes_events.c */
extern const api_route api_routes_dashboard[]; /* routes_dashboard.c */

/* ---- per-request context -------------------------------------------------------------------- */

struct api_ctx {
    h2o_req_t *req;
    api_thread *thr;
    api_server *srv;
    const api_route *route; /* NULL when unmatched */
    int route_index;
    char *param[API_MAX_PARAMS]; /* decoded path parameters (pool memory, NUL-terminated) */
    int nparams;
    bool query_parsed;
    int nquery;
    struct {
        char *key, *val;
    } query[API_MAX_QUERY];
    store *store;      /* the connection api_store/api_write_store last gave this request */
    const char *cache_key; /* a cacheable GET: its key (pool memory), to store a 200 under */
    size_t cache_klen;
    int64_t cache_gen;     /* the change generation when the request began */
    bool used_primary; /* a write: later reads of this request stay on the primary */
    int status;      /* response status once answered, 0 before */
    size_t bytes;    /* response body bytes */
};

/* ---- router (router.c) ---------------------------------------------------------------------- */

/* Build the route table (all tables concatenated) and its metrics. Call once. */
int api_router_init(void);
size_t api_router_count(void);
const api_route *api_router_get(size_t i);

typedef enum { API_MATCH_OK, API_MATCH_NOT_FOUND, API_MATCH_BAD_METHOD, API_MATCH_BAD_PATH } api_match_result;

/* Match method + path (no query) against the table. On OK sets *route, *index and fills
 * params (decoded into pool). On BAD_METHOD writes the allowed methods ("GET, OPTIONS") to
 * allow. BAD_PATH: a parameter is not valid percent-encoding. */
api_match_result api_router_match(const char *method, size_t mlen, const char *path, size_t plen,
                                   h2o_mem_pool_t *pool, int *index, char **params, int *nparams,
                                   char *allow, size_t allowlen);

/* Percent-decode s[0..len) into out (capacity cap >= len+1 is always enough); '+' becomes a
 * space when plus_space. Rejects malformed escapes and NUL. Returns the decoded length or -1. */
long api_pct_decode(const char *s, size_t len, bool plus_space, char *out, size_t cap);

/* Query string (without '?') into c->query. -1 on bad encoding or too many parameters. */
int api_query_parse(api_ctx *c, const char *qs, size_t len);
/* The first value of key, or NULL. */
const char *api_query(api_ctx *c, const char *key);

/* Per-route metrics. */
void api_router_observe(int index, const char *method, int status, double seconds);

/* ---- HTTP framing (framing.c) ---------------------------------------------------------------- */

/* The limit to give h2o: above API_MAX_BODY so the handler answers oversized bodies itself. */
size_t api_framing_h2o_limit(uint64_t max_body);
/* NULL when the request's framing is unambiguous; else why not (answer 400). Marks an HTTP/1.1
 * connection to close after the response. */
const char *api_framing_check(h2o_req_t *req);
/* Rewrite h2o's own 413 (bodies beyond even its limit) into the JSON error envelope. */
void api_framing_register(h2o_pathconf_t *pc, uint64_t max_body);

/* ---- responses (respond.c) ------------------------------------------------------------------ */

/* {"success":true,"data":data}; takes ownership of data (NULL → null). */
void api_ok(api_ctx *c, int status, cJSON *data);
/* {"success":false,"error":msg}. */
void api_error(api_ctx *c, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* {"success":false,"error":msg,"data":data}; takes ownership of data. */
void api_error_data(api_ctx *c, int status, cJSON *data, const char *msg);
/* Any body with a content type (copied). */
void api_send(api_ctx *c, int status, const char *content_type, const char *body, size_t len);
/* The same for a body that stays valid until the request is done (a cached body the request's
 * pool holds a reference to): sent without a copy, and never stored in the cache again. */
void api_send_stable(api_ctx *c, int status, const char *content_type, const char *body, size_t len);
/* Add a response header (name lowercase; value copied into the request pool). */
void api_header(api_ctx *c, const char *name, const char *value);

/* ---- input helpers (respond.c): each answers 400 itself and returns -1 on bad input --------- */

int api_param_address(api_ctx *c, int i, uint8_t out[20]);
int api_param_job_id(api_ctx *c, int i, uint8_t out[32]);
/* Optional query integer within [min,max]; *out = def when absent. */
int api_query_int(api_ctx *c, const char *key, int64_t def, int64_t min, int64_t max, int64_t *out);
/* Optional query address; *present = false when absent. */
int api_query_address(api_ctx *c, const char *key, uint8_t out[20], bool *present);
/* Parse the request body as a JSON object (400 on empty/malformed/not an object). */
cJSON *api_body_json(api_ctx *c);

/* Text helpers. */
int api_parse_address_str(const char *s, size_t len, uint8_t out[20], const char **why);

/* ---- the envelope as text (respond.c), for the row writers of view/domain_json.h ---------- */

/* {"success":true,"data":<what the caller writes>}: begin, write the data value, send (which
 * also frees w; a failed allocation becomes a 503). */
void api_ok_begin(view_jw *w, size_t hint);
void api_ok_send(api_ctx *c, int status, view_jw *w);
void api_list_end(view_jw *w, int n, int64_t total, int64_t limit, int64_t offset);
/* {"success":true,"data":<obj as write writes it>} with status 200. */
void api_ok_object(api_ctx *c, size_t hint, view_write_fn write, const void *obj);

/* Answer with the page of rows filter selects (limit rows from offset, both already checked):
 * {"success":true,"data":{"<key>":[…],"count":n,"total":…,"limit":…,"offset":…}}; 503 when
 * the database is unreachable or memory runs out. */
void api_list(api_ctx *c, const view_page *pg, const void *filter, int64_t limit, int64_t offset);
/* The provider named by path parameter i: STORE_OK (*p filled) or STORE_NOTFOUND; -1 when
 * the request was answered already (a bad address, the database unreachable). */
int api_path_provider(api_ctx *c, int i, uint8_t addr[20], store_provider *p);
/* One field a JSON body may have, and the JSON type its value must have (core/json_strict.h:
 * no coercion, so "100" is not an integer and "true" not a boolean). */
typedef enum { API_FIELD_STRING, API_FIELD_INT, API_FIELD_BOOL } api_field_type;
typedef struct {
    const char *name;
    api_field_type type;
} api_body_field;

/* Replace c->query by the members of a JSON object (null = absent); a member not in allowed
 * (ended by {NULL}) or not of its field's type is a 400. */
int api_body_as_query(api_ctx *c, const cJSON *body, const api_body_field *allowed);

/* Free the calling API thread's RPC client (routes_reputation.c). */
void api_reputation_thread_exit(void);

/* ---- server services for handlers (http_server.c) ---------------------------------------------- */

const lamda_config *api_cfg(api_ctx *c);
/* This thread's store, opened on first use; NULL (and a 503 already sent when respond) if the
 * database is unreachable. */
store *api_store(api_ctx *c, bool respond);
/* The primary (DATABASE_URL), for routes that write; api_store is for reads, which go to
 * DATABASE_READ_URL when it is set. Same NULL/503 rule as api_store. */
store *api_write_store(api_ctx *c, bool respond);
/* A 200 to a cacheable GET (api_send): store it, send its ETag, and answer 304 instead when
 * the request's If-None-Match names it. Returns true when it sent the 304. */
bool api_cache_response(api_ctx *c, const char *content_type, const char *body, size_t len);
/* A successful response to a request that used the primary: a non-GET one is a write, which
 * invalidates this process's response cache (api_send calls it). */
void api_note_write(api_ctx *c);
/* After a successful write with a replica configured: the Lamda-Commit-LSN header, the WAL
 * position a client sends back as Lamda-Min-LSN to read its own write (called by api_send). */
void api_commit_position_header(api_ctx *c);
/* After a STORE_CONN/ERR result: answer 503 (store errors are never the client's fault). */
void api_store_error(api_ctx *c, int rc);
/* The client's address as a rate-limit key (IPv4, or an IPv6 /64) and as text; key length. */
size_t api_peer_key(h2o_req_t *req, uint8_t key[16], char *ip, size_t iplen);
/* Header value of name (lowercase) or NULL; *len set. */
const char *api_req_header(api_ctx *c, const char *name, size_t *len);
/* Cached OpenAPI document. */
const char *api_openapi_json(size_t *len);

/* ---- openapi.c -------------------------------------------------------------------------------- */
/* Generate the document from the route table; malloc'd. */
char *api_openapi_build(size_t *len);

/* ---- ratelimit.c ------------------------------------------------------------------------------ */

typedef struct api_ratelimit api_ratelimit;
api_ratelimit *api_ratelimit_new(uint64_t per_second);
void api_ratelimit_free(api_ratelimit *rl);
/* key: up to 16 bytes (IPv4 or IPv6 address). Returns true when allowed; otherwise false
 * and *retry_after_s = seconds until a token is available (>= 1). now_ms monotonic. */
bool api_ratelimit_take(api_ratelimit *rl, const uint8_t *key, size_t keylen, uint64_t now_ms,
                        uint64_t *retry_after_s);

/* ---- cors.c ----------------------------------------------------------------------------------- */

typedef struct api_cors api_cors;
api_cors *api_cors_new(const char *origins); /* "*" or comma-separated list; NULL = none */
void api_cors_free(api_cors *cors);
/* Whether origin is allowed; *echo = the Access-Control-Allow-Origin value to send. */
bool api_cors_allowed(const api_cors *cors, const char *origin, size_t len, bool *wildcard);
/* Add CORS headers to a normal response when the request has an allowed Origin. */
void api_cors_apply(api_ctx *c, const api_cors *cors);
/* Answer OPTIONS (preflight or not) for a path whose methods are allow. */
void api_cors_preflight(api_ctx *c, const api_cors *cors, const char *allow);

/* ---- auth.c ------------------------------------------------------------------------------------ */

typedef struct api_replay api_replay;
api_replay *api_replay_new(size_t capacity);
void api_replay_free(api_replay *r);
/* Remember a hash of (signer, message) until expires_s; false when it was already used (a replay). */
bool api_replay_check_and_add(api_replay *r, const uint8_t hash[32], int64_t now_s, int64_t expires_s);
/* Constant-time equality of a and b (lengths may differ; time depends on len(b) only). */
bool api_ct_equal(const char *a, size_t alen, const char *b, size_t blen);
/* The canonical job-status message (docs/api-auth.md). Returns its length or -1. */
int api_status_message(const uint8_t job_id[32], const char *status, int64_t ts, char *out, size_t cap);
api_replay *api_server_replay(api_ctx *c);
/* The hooks api_gateway_run was given (members NULL when absent). */
const api_hooks *api_server_hooks(api_ctx *c);

#endif
