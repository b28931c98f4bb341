/* rpc — Ethereum JSON-RPC client over HTTP(S) (libcurl), with response validation, error
 * classification, retries with backoff and URL failover.
 *
 * THREADS: an rpc_client is NOT thread-safe. It owns one curl easy handle that is kept alive
 * between calls (connection reuse); create one client per thread.
 *
 * Everything a server sends is untrusted: responses are size-capped, parsed with cJSON (whose
 * compiled-in nesting limit bounds recursion), and validated (a JSON object with "jsonrpc",
 * the id we sent, exactly one of "result"/"error"). Anything else is an rpc_error, never a
 * crash. The pure parsers (rpc_parse_*) are what the fuzzer drives.
 *
 * Layers: this file is the transport and the JSON-RPC envelope only; rpc_logs.h decodes
 * eth_getLogs on top of it, and rpc_methods.h has the typed methods on top of both. */
#ifndef LAMDA_RPC_H
#define LAMDA_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/config.h"

typedef enum {
    RPC_OK = 0,
    RPC_TRANSIENT,      /* connect/timeout/reset, HTTP 5xx/429, rate limits, malformed reply */
    RPC_RANGE,          /* eth_getLogs range or result count too large: shrink and retry */
    RPC_REVERT,         /* execution reverted; revert data in rpc_error.revert_data */
    RPC_NONCE_TOO_LOW,  /* nonce already used */
    RPC_ALREADY_KNOWN,  /* the same transaction is already in the pool */
    RPC_UNDERPRICED,    /* replacement/transaction underpriced */
    RPC_FATAL,          /* any other JSON-RPC error, or a bad request on our side */
} rpc_error_kind;

#define RPC_REVERT_MAX 1024 /* revert data kept; longer data sets revert_truncated */

typedef struct {
    rpc_error_kind kind;
    int http_status; /* last HTTP status, 0 when no response was received */
    long code;       /* JSON-RPC error code, 0 when the error is not a JSON-RPC error */
    char message[256];
    uint8_t revert_data[RPC_REVERT_MAX];
    size_t revert_len;
    bool revert_truncated;
} rpc_error;

/* "transient", "range", "revert", "nonce_too_low", "already_known", "underpriced", "fatal". */
const char *rpc_error_kind_name(rpc_error_kind k);

typedef struct {
    long timeout_ms;         /* per HTTP request, default 10000 */
    int max_attempts;        /* per call, over all URLs, default 5 (>= 1) */
    long backoff_base_ms;    /* first retry delay, default 50; doubles per attempt */
    long backoff_max_ms;     /* cap, default 2000 */
    size_t max_response;     /* response body cap in bytes, default 256 MiB */
} rpc_options;

void rpc_options_default(rpc_options *o);

typedef struct rpc_client rpc_client;

/* New client over urls (failover order, copied); timeout_ms <= 0 keeps the default. Returns
 * NULL on allocation failure or an empty list. */
rpc_client *rpc_client_new(const config_url_list *urls, long timeout_ms);
/* Same, from a plain array and full options (o may be NULL for defaults). */
rpc_client *rpc_client_new_urls(const char *const *urls, int n, const rpc_options *o);
void rpc_client_free(rpc_client *c);
/* The URL the next call will try first (the last one that answered well). */
const char *rpc_client_url(const rpc_client *c);

/* Call method with params_json (a JSON array as text; NULL = "[]"). On success returns 0 and
 * *result owns the "result" value (cJSON_Delete it; it may be a JSON null). On failure returns
 * -1, *result is NULL and err says why. Transient failures are retried per the options,
 * rotating through the URLs; the backoff sleep ends early on shutdown. err may be NULL. */
int rpc_call(rpc_client *c, const char *method, const char *params_json, cJSON **result,
             rpc_error *err);

typedef struct {
    const char *method;      /* in */
    const char *params_json; /* in, NULL = "[]" */
    cJSON *result;           /* out, owned by the caller when non-NULL */
    rpc_error err;           /* out, kind RPC_OK when result is set */
} rpc_batch_item;

/* One HTTP request carrying n calls. Responses are matched by id, in any order. Returns 0 when
 * the batch as a whole was answered (each item then has a result or its own err; an item the
 * server left out gets a TRANSIENT err), -1 when it was not (err filled, no results). Whole-
 * batch transient failures are retried like rpc_call. Free results with rpc_batch_clear. */
int rpc_batch(rpc_client *c, rpc_batch_item *items, size_t n, rpc_error *err);
void rpc_batch_clear(rpc_batch_item *items, size_t n);

/* Parses one response body; id is the one the request was sent with, http its status (0 when
 * unknown). Returns 0 when done, -1 with err filled (a TRANSIENT err is retried). */
typedef int (*rpc_body_parser)(const char *body, size_t len, long id, int http, void *ctx,
                               rpc_error *err);

/* rpc_call with the caller's own decoding of the body (eth_getLogs reads it without a cJSON
 * tree). Same retries, failover and shutdown behaviour as rpc_call. */
int rpc_call_parsed(rpc_client *c, const char *method, const char *params_json,
                    rpc_body_parser parse, void *ctx, rpc_error *err);

/* For the layers above: fill or clear an rpc_error (message formatted, truncated to fit). */
void rpc_error_set(rpc_error *err, rpc_error_kind kind, int http, long code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void rpc_error_clear(rpc_error *err);

/* ---- pure parsers (no I/O; fuzzed) ------------------------------------------------------ */

/* Classify a JSON-RPC error (code, message, optional error.data) into err. http_status is the
 * HTTP status it came with (0 if unknown). */
void rpc_classify(long code, const char *message, const cJSON *data, int http_status,
                  rpc_error *err);

/* Validate a single response body against the id we sent. 0 + *result (owned) or -1 + err. */
int rpc_parse_response(const char *body, size_t len, long id, cJSON **result, rpc_error *err);
/* The same, knowing the HTTP status: a result that came with an error status is refused. */
int rpc_parse_response_http(const char *body, size_t len, long id, int http, cJSON **result,
                            rpc_error *err);

/* Validate a batch response body for ids first_id .. first_id+n-1 and fill items. Same return
 * convention as rpc_batch. */
int rpc_parse_batch_response(const char *body, size_t len, long first_id, rpc_batch_item *items,
                             size_t n, rpc_error *err);

/* Strict QUANTITY parsing: "0x" + 1..64 hex digits, value in range. */
int rpc_parse_u64(const cJSON *v, uint64_t *out);
int rpc_parse_u256(const cJSON *v, uint8_t out[32]);
/* Strict DATA parsing: "0x" + even number of hex digits, exactly n bytes. */
int rpc_parse_fixed(const cJSON *v, uint8_t *out, size_t n);
/* Variable-length DATA ("0x" + even hex) into a malloc'd buffer (NULL when empty). */
int rpc_parse_bytes(const cJSON *v, uint8_t **out, size_t *outlen);


#endif
