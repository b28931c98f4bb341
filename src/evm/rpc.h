/* rpc — Ethereum JSON-RPC client over HTTP(S) (libcurl), with response validation, error
 * classification, retries with backoff and URL failover, and typed methods (rpc_methods.c).
 *
 * THREADS: an rpc_client is NOT thread-safe. It owns one curl easy handle that is kept alive
 * between calls (connection reuse); create one client per thread.
 *
 * Everything a server sends is untrusted: responses are size-capped, parsed with cJSON (whose
 * compiled-in nesting limit bounds recursion), and validated (a JSON object with "jsonrpc",
 * the id we sent, exactly one of "result"/"error"). Anything else is an rpc_error, never a
 * crash. The pure parsers (rpc_parse_*) are what the fuzzer drives. eth_getLogs bodies are
 * first read by a one-pass scanner (rpc_logs_scan.c) that accepts only what the cJSON path
 * accepts, identically, and hands everything else to the cJSON path. */
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

/* ---- pure parsers (no I/O; fuzzed) ------------------------------------------------------ */

/* Classify a JSON-RPC error (code, message, optional error.data) into err. http_status is the
 * HTTP status it came with (0 if unknown). */
void rpc_classify(long code, const char *message, const cJSON *data, int http_status,
                  rpc_error *err);

/* Validate a single response body against the id we sent. 0 + *result (owned) or -1 + err. */
int rpc_parse_response(const char *body, size_t len, long id, cJSON **result, rpc_error *err);

/* Validate a batch response body for ids first_id .. first_id+n-1 and fill items. Same return
 * convention as rpc_batch. */
int rpc_parse_batch_response(const char *body, size_t len, long first_id, rpc_batch_item *items,
                             size_t n, rpc_error *err);

/* Strict QUANTITY parsing: "0x" + 1..64 hex digits, value in range. */
int rpc_parse_u64(const cJSON *v, uint64_t *out);
int rpc_parse_u256(const cJSON *v, uint8_t out[32]);
/* Strict DATA parsing: "0x" + even number of hex digits, exactly n bytes. */
int rpc_parse_fixed(const cJSON *v, uint8_t *out, size_t n);

/* ---- typed methods (rpc_methods.c) ---------------------------------------------------------
 * Each returns 0 on success or -1 with err filled. Hex fields of the result are parsed
 * strictly: a missing field, a non-hex value or an overlong one is a TRANSIENT "malformed
 * response" error (another provider may answer correctly). Quantities that can exceed 64 bits
 * (fees, values) are 32-byte big-endian arrays; block numbers, nonces and gas are uint64. */

/* Block selectors: a number, or one of these tags. */
#define RPC_BLOCK_LATEST UINT64_MAX
#define RPC_BLOCK_PENDING (UINT64_MAX - 1)
#define RPC_BLOCK_SAFE (UINT64_MAX - 2)
#define RPC_BLOCK_FINALIZED (UINT64_MAX - 3)

int rpc_chain_id(rpc_client *c, uint64_t *out, rpc_error *err);
int rpc_block_number(rpc_client *c, uint64_t *out, rpc_error *err);

typedef struct {
    uint64_t number;
    uint8_t hash[32];
    uint8_t parent_hash[32];
    uint64_t timestamp;
    bool has_base_fee; /* false before London / on chains without EIP-1559 */
    uint8_t base_fee[32];
} rpc_block_header;

/* eth_getBlockByNumber(block, false), header fields only. *found is false (and 0 returned)
 * when the node has no such block yet. The latest base fee comes from here (block =
 * RPC_BLOCK_LATEST): we use it instead of eth_feeHistory. */
int rpc_get_block_header(rpc_client *c, uint64_t block, rpc_block_header *out, bool *found,
                         rpc_error *err);
/* Parse a block object (the "result" of eth_getBlockByNumber). */
int rpc_parse_block_header(const cJSON *v, rpc_block_header *out);

typedef struct {
    uint8_t address[20];
    uint8_t topics[4][32];
    uint8_t ntopics;
    uint8_t *data; /* owned; NULL when data_len == 0 */
    size_t data_len;
    uint64_t block_number;
    uint8_t block_hash[32];
    uint8_t tx_hash[32];
    uint64_t tx_index;
    uint64_t log_index;
    bool removed;
    bool has_block_time; /* the optional "blockTimestamp" newer nodes (geth 1.14+, anvil) send */
    uint64_t block_time;
} rpc_log;

void rpc_logs_free(rpc_log *logs, size_t n);

/* Parse an array of log objects into *out (n entries, free with rpc_logs_free). Every log
 * must carry every field (removed defaults to false); one bad log fails the whole array. */
int rpc_parse_logs(const cJSON *arr, rpc_log **out, size_t *n);

/* eth_getLogs over [from, to] for any of addrs (naddrs >= 1) and, when ntopic0 > 0, topic0 in
 * the given list. A RANGE error means: split the range and ask again. */
int rpc_get_logs(rpc_client *c, uint64_t from, uint64_t to, const uint8_t (*addrs)[20],
                 size_t naddrs, const uint8_t (*topic0)[32], size_t ntopic0, rpc_log **out,
                 size_t *n, rpc_error *err);

/* ---- the eth_getLogs fast path (rpc_logs_scan.c) -------------------------------------------
 * rpc_scan_logs_response validates a response body and decodes its "result" log array in one
 * pass, without a cJSON tree. It returns 0 (with the logs and their count as rpc_parse_logs gives them) only
 * when rpc_parse_response + rpc_parse_logs would accept the body with identical structs;
 * otherwise -1, meaning "not decided here": an error answer, anything malformed, and rare
 * forms it leaves to cJSON (escapes in keys or decoded fields, non-strict or 64+ character
 * numbers, nesting deeper than 64, a UTF-8 BOM). The differential test and the fuzzer check
 * that an accepted body is accepted identically by the cJSON path. */
int rpc_scan_logs_response(const char *body, size_t len, long id, rpc_log **out, size_t *n);

/* The combined parser rpc_get_logs uses: the scan, and on -1 the cJSON path for the exact
 * verdict and error. 0 + logs; -1 + err exactly as rpc_parse_response fills it; -2 when the
 * envelope is fine but "result" is not a valid log array (err: TRANSIENT "malformed response:
 * bad eth_getLogs result", as rpc_get_logs reports it). */
int rpc_parse_logs_response(const char *body, size_t len, long id, rpc_log **out, size_t *n,
                            rpc_error *err);

/* rpc_call("eth_getLogs", params_json) decoded by rpc_parse_logs_response. Same returns; a -2
 * is not retried (as a bad result after rpc_call never was). */
int rpc_call_logs(rpc_client *c, const char *params_json, rpc_log **out, size_t *n,
                  rpc_error *err);

/* eth_call at the latest block; from may be NULL. *out is malloc'd (free it); may be NULL with
 * *outlen 0 for an empty return. A revert is RPC_REVERT with the revert data in err. */
int rpc_eth_call(rpc_client *c, const uint8_t *from, const uint8_t to[20], const uint8_t *data,
                 size_t len, uint8_t **out, size_t *outlen, rpc_error *err);

/* eth_estimateGas; from and value (32-byte big-endian) may be NULL. */
int rpc_estimate_gas(rpc_client *c, const uint8_t *from, const uint8_t to[20],
                     const uint8_t *data, size_t len, const uint8_t *value, uint64_t *gas,
                     rpc_error *err);

int rpc_gas_price(rpc_client *c, uint8_t out[32], rpc_error *err);
int rpc_max_priority_fee(rpc_client *c, uint8_t out[32], rpc_error *err);

/* eth_getTransactionCount(addr, pending ? "pending" : "latest"). */
int rpc_get_transaction_count(rpc_client *c, const uint8_t addr[20], bool pending,
                              uint64_t *nonce, rpc_error *err);

/* eth_sendRawTransaction; hash is the 32-byte hash the node returns. NONCE_TOO_LOW,
 * ALREADY_KNOWN and UNDERPRICED come back as their own kinds. */
int rpc_send_raw_transaction(rpc_client *c, const uint8_t *raw, size_t len, uint8_t hash[32],
                             rpc_error *err);

typedef struct {
    bool found; /* false while the transaction is not mined (other fields then zero) */
    uint64_t status; /* 1 success, 0 reverted */
    uint64_t block_number;
    uint8_t block_hash[32];
    uint64_t gas_used;
    bool has_effective_gas_price;
    uint8_t effective_gas_price[32];
    rpc_log *logs; /* owned */
    size_t nlogs;
} rpc_receipt;

int rpc_get_receipt(rpc_client *c, const uint8_t hash[32], rpc_receipt *out, rpc_error *err);
int rpc_parse_receipt(const cJSON *v, rpc_receipt *out);
void rpc_receipt_free(rpc_receipt *r);

#endif
