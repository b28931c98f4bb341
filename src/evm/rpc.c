#include "evm/rpc.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "core/hex.h"
#include "core/log.h"
#include "core/shutdown.h"
#include "core/strbuf.h"

struct rpc_client {
    CURL *curl;
    struct curl_slist *headers;
    char *urls[CONFIG_MAX_URLS];
    int nurls;
    int cur; /* index of the URL tried first: the last one that answered */
    rpc_options opt;
    long next_id;
    unsigned rng; /* backoff jitter; per client so no shared state */
};

const char *rpc_error_kind_name(rpc_error_kind k) {
    switch (k) {
    case RPC_OK: return "ok";
    case RPC_TRANSIENT: return "transient";
    case RPC_RANGE: return "range";
    case RPC_REVERT: return "revert";
    case RPC_NONCE_TOO_LOW: return "nonce_too_low";
    case RPC_ALREADY_KNOWN: return "already_known";
    case RPC_UNDERPRICED: return "underpriced";
    case RPC_FATAL: return "fatal";
    }
    return "unknown";
}

void rpc_options_default(rpc_options *o) {
    o->timeout_ms = 10000;
    o->max_attempts = 5;
    o->backoff_base_ms = 50;
    o->backoff_max_ms = 2000;
    o->max_response = (size_t)256 << 20;
}

void rpc_error_set(rpc_error *err, rpc_error_kind kind, int http, long code, const char *fmt,
                    ...) {
    if (!err) return;
    err->kind = kind;
    err->http_status = http;
    err->code = code;
    err->revert_len = 0;
    err->revert_truncated = false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

void rpc_error_clear(rpc_error *err) {
    if (!err) return;
    err->kind = RPC_OK;
    err->http_status = 0;
    err->code = 0;
    err->message[0] = 0;
    err->revert_len = 0;
    err->revert_truncated = false;
}

/* ---- classification ---------------------------------------------------------------------- */

/* Case-insensitive substring search; messages come from many node implementations. */
static bool has(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && tolower((unsigned char)hay[i]) == needle[i]) i++;
        if (i == n) return true;
    }
    return false;
}

static bool has_any(const char *msg, const char *const *needles) {
    for (; *needles; needles++)
        if (has(msg, *needles)) return true;
    return false;
}

/* Rate limiting: worth a retry on another URL. Checked before the range phrases because
 * some providers reuse -32005 (and "limit exceeded") for rate limits. */
static const char *const rate_phrases[] = {"rate limit", "too many requests", "request rate",
                                           "quota", "capacity exceeded", NULL};
/* Sick or lagging backends; checked after the range phrases ("query timeout exceeded,
 * reduce your block range" is a range error). */
static const char *const transient_phrases[] = {
    "header not found", "try again", "timed out", "timeout", "service unavailable",
    "bad gateway", "internal server error", "upstream", NULL};

/* eth_getLogs range/result caps as providers phrase them (lowercase). */
static const char *const range_phrases[] = {
    "returned more than", "block range", "range is too", "range too", "exceed maximum block",
    "exceeds maximum block", "limit exceeded", "response size", "too many results",
    "too many logs", "is limited to", "max range", "maximum range", "query timeout",
    "result window", "logs over", "results limit", NULL};

static const char *const underpriced_phrases[] = {"underpriced", "fee too low",
                                                  "max fee per gas less than block base fee",
                                                  NULL};
static const char *const known_phrases[] = {"already known", "known transaction",
                                            "already imported", "alreadyknown",
                                            "already in mempool", NULL};
static const char *const nonce_low_phrases[] = {"nonce too low", "nonce has already been used",
                                                "oldnonce", NULL};

/* Revert data arrives as error.data "0x…", or nested {"data":"0x…"} (some providers), or
 * "Reverted 0x…" (OpenEthereum/Nethermind). Absent or malformed data is simply not kept. */
static void take_revert_data(const cJSON *data, rpc_error *err) {
    if (!data) return;
    if (cJSON_IsObject(data)) data = cJSON_GetObjectItemCaseSensitive(data, "data");
    if (!cJSON_IsString(data) || !data->valuestring) return;
    const char *s = data->valuestring;
    if (strncmp(s, "Reverted ", 9) == 0) s += 9;
    if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return;
    size_t digits = strlen(s + 2);
    if (digits % 2) return;
    size_t n = digits / 2;
    if (n > RPC_REVERT_MAX) {
        n = RPC_REVERT_MAX;
        err->revert_truncated = true;
    }
    if (hex_decode_exact(s, 2 + 2 * n, err->revert_data, n) == 0)
        err->revert_len = n;
    else
        err->revert_truncated = false;
}

void rpc_classify(long code, const char *message, const cJSON *data, int http_status,
                  rpc_error *err) {
    if (!err) return;
    if (!message) message = "";
    rpc_error_kind kind = RPC_FATAL;
    if (code == 3 || has(message, "execution reverted") || has(message, "vm execution error") ||
        has(message, "reverted"))
        kind = RPC_REVERT;
    else if (has_any(message, nonce_low_phrases))
        kind = RPC_NONCE_TOO_LOW;
    else if (has_any(message, known_phrases))
        kind = RPC_ALREADY_KNOWN;
    else if (has_any(message, underpriced_phrases))
        kind = RPC_UNDERPRICED;
    else if (http_status == 429 || code == 429 || has_any(message, rate_phrases))
        kind = RPC_TRANSIENT;
    else if (has_any(message, range_phrases))
        kind = RPC_RANGE;
    else if (has_any(message, transient_phrases))
        kind = RPC_TRANSIENT;
    else if (code == -32005 || http_status == 413)
        kind = RPC_RANGE;
    else if (http_status >= 500 || code == -32603 /* internal error, often a sick backend */)
        kind = RPC_TRANSIENT;
    rpc_error_set(err, kind, http_status, code, "%s", message);
    if (kind == RPC_REVERT) take_revert_data(data, err);
}

/* ---- response validation ----------------------------------------------------------------- */

/* An id is valid when it is a JSON number equal to the integer we sent. Some servers echo ids
 * as strings; accept the decimal string form too. */
static bool id_value(const cJSON *id, long *out) {
    if (cJSON_IsNumber(id)) {
        double d = id->valuedouble;
        if (!(d >= -9.0e15 && d <= 9.0e15)) return false;
        long v = (long)d;
        if ((double)v != d) return false;
        *out = v;
        return true;
    }
    if (cJSON_IsString(id) && id->valuestring) {
        const char *s = id->valuestring;
        size_t n = strlen(s);
        if (n == 0 || n > 15) return false;
        long v = 0;
        for (size_t i = 0; i < n; i++) {
            if (s[i] < '0' || s[i] > '9') return false;
            v = v * 10 + (s[i] - '0');
        }
        *out = v;
        return true;
    }
    return false;
}

/* Validate one response object. On success detaches "result" into *result. */
static int check_object(cJSON *obj, int http, long *id_out, cJSON **result, rpc_error *err) {
    if (!cJSON_IsObject(obj)) {
        rpc_error_set(err, RPC_TRANSIENT, http, 0, "malformed response: not a JSON object");
        return -1;
    }
    cJSON *ver = NULL, *id = NULL, *res = NULL, *error = NULL;
    int nres = 0, nerr = 0;
    for (cJSON *f = obj->child; f; f = f->next) {
        if (!f->string) continue;
        if (strcmp(f->string, "jsonrpc") == 0) ver = f;
        else if (strcmp(f->string, "id") == 0) id = f;
        else if (strcmp(f->string, "result") == 0) res = f, nres++;
        else if (strcmp(f->string, "error") == 0) error = f, nerr++;
    }
    if (!cJSON_IsString(ver) || !ver->valuestring || strcmp(ver->valuestring, "2.0") != 0) {
        rpc_error_set(err, RPC_TRANSIENT, http, 0, "malformed response: jsonrpc is not \"2.0\"");
        return -1;
    }
    /* A JSON-RPC error without a usable id (parse error on the server) is still an answer. */
    if (!id_value(id, id_out)) {
        if (nerr == 1 && nres == 0 && cJSON_IsNull(id)) {
            *id_out = -1;
        } else {
            rpc_error_set(err, RPC_TRANSIENT, http, 0, "malformed response: missing or invalid id");
            return -1;
        }
    }
    if (nres + nerr != 1) {
        rpc_error_set(err, RPC_TRANSIENT, http, 0,
                "malformed response: needs exactly one of result and error");
        return -1;
    }
    if (error) {
        if (!cJSON_IsObject(error)) {
            rpc_error_set(err, RPC_TRANSIENT, http, 0, "malformed response: error is not an object");
            return -1;
        }
        cJSON *code = cJSON_GetObjectItemCaseSensitive(error, "code");
        cJSON *msg = cJSON_GetObjectItemCaseSensitive(error, "message");
        cJSON *data = cJSON_GetObjectItemCaseSensitive(error, "data");
        long c = 0;
        if (cJSON_IsNumber(code) && code->valuedouble >= -2147483648.0 &&
            code->valuedouble <= 2147483647.0)
            c = (long)code->valuedouble;
        rpc_classify(c, cJSON_IsString(msg) ? msg->valuestring : "", data, http, err);
        return -1;
    }
    *result = cJSON_DetachItemViaPointer(obj, res);
    return 0;
}

static cJSON *parse_json(const char *body, size_t len) {
    if (!body || len == 0) return NULL;
    return cJSON_ParseWithLengthOpts(body, len, NULL, 0);
}

int rpc_parse_response_http(const char *body, size_t len, long id, int http, cJSON **result,
                            rpc_error *err) {
    *result = NULL;
    cJSON *root = parse_json(body, len);
    if (!root) {
        if (http == 413) rpc_error_set(err, RPC_RANGE, http, 0, "HTTP 413: request/response too large");
        else if (http == 429 || http >= 500 || http == 408)
            rpc_error_set(err, RPC_TRANSIENT, http, 0, "HTTP %d", http);
        else
            rpc_error_set(err, RPC_TRANSIENT, http, 0, "malformed response (HTTP %d, %zu bytes)", http,
                    len);
        return -1;
    }
    long got = LONG_MIN; /* stays so when the id could not be read */
    int rc = check_object(root, http, &got, result, err);
    if (rc != 0 && got != LONG_MIN && got != -1 && got != id) {
        /* an error answer to some other request is not an answer to ours */
        rpc_error_set(err, RPC_TRANSIENT, http, 0, "malformed response: error for id %ld, expected %ld",
                got, id);
    }
    if (rc == 0 && got != id) {
        cJSON_Delete(*result);
        *result = NULL;
        rpc_error_set(err, RPC_TRANSIENT, http, 0, "malformed response: id %ld, expected %ld", got, id);
        rc = -1;
    }
    if (rc == 0 && http != 200 && http != 0) {
        /* A result with an error status is not trustworthy. */
        cJSON_Delete(*result);
        *result = NULL;
        if (http == 413) rpc_error_set(err, RPC_RANGE, http, 0, "HTTP 413");
        else rpc_error_set(err, RPC_TRANSIENT, http, 0, "HTTP %d with a result", http);
        rc = -1;
    }
    cJSON_Delete(root);
    if (rc == 0) rpc_error_clear(err);
    return rc;
}

int rpc_parse_response(const char *body, size_t len, long id, cJSON **result, rpc_error *err) {
    return rpc_parse_response_http(body, len, id, 0, result, err);
}

static int parse_batch_http(const char *body, size_t len, long first_id, rpc_batch_item *items,
                            size_t n, int http, rpc_error *err) {
    for (size_t i = 0; i < n; i++) {
        items[i].result = NULL;
        rpc_error_set(&items[i].err, RPC_TRANSIENT, http, 0, "missing from batch response");
    }
    cJSON *root = parse_json(body, len);
    if (!root) {
        if (http == 413) rpc_error_set(err, RPC_RANGE, http, 0, "HTTP 413: batch too large");
        else rpc_error_set(err, RPC_TRANSIENT, http, 0, "malformed batch response (HTTP %d)", http);
        return -1;
    }
    if (cJSON_IsObject(root)) {
        /* The whole batch refused with one error object (batch too large, unsupported…). */
        cJSON *dummy = NULL;
        long got = 0;
        if (check_object(root, http, &got, &dummy, err) == 0) {
            cJSON_Delete(dummy);
            rpc_error_set(err, RPC_TRANSIENT, http, 0, "malformed batch response: single result");
        }
        cJSON_Delete(root);
        return -1;
    }
    if (!cJSON_IsArray(root) || (http != 200 && http != 0)) {
        cJSON_Delete(root);
        rpc_error_set(err, RPC_TRANSIENT, http, 0, "malformed batch response (HTTP %d)", http);
        return -1;
    }
    for (cJSON *e = root->child; e; e = e->next) {
        long got = -1;
        cJSON *res = NULL;
        rpc_error one;
        int rc = check_object(e, http, &got, &res, &one);
        if (got < first_id || (size_t)(got - first_id) >= n) {
            cJSON_Delete(res);
            continue; /* unknown id or an unattributable error: ignore it */
        }
        rpc_batch_item *it = &items[got - first_id];
        if (it->result || it->err.kind != RPC_TRANSIENT ||
            strcmp(it->err.message, "missing from batch response") != 0) {
            cJSON_Delete(res); /* duplicate id: keep the first answer */
            continue;
        }
        if (rc == 0) {
            it->result = res;
            rpc_error_clear(&it->err);
        } else {
            it->err = one;
        }
    }
    cJSON_Delete(root);
    rpc_error_clear(err);
    return 0;
}

int rpc_parse_batch_response(const char *body, size_t len, long first_id, rpc_batch_item *items,
                             size_t n, rpc_error *err) {
    return parse_batch_http(body, len, first_id, items, n, 0, err);
}

void rpc_batch_clear(rpc_batch_item *items, size_t n) {
    for (size_t i = 0; i < n; i++) {
        cJSON_Delete(items[i].result);
        items[i].result = NULL;
    }
}

/* ---- quantities ---------------------------------------------------------------------------- */

/* Digits of a QUANTITY ("0x" + 1..64 hex digits); returns NULL when malformed. */
static const char *quantity_digits(const cJSON *v, size_t *nd) {
    if (!cJSON_IsString(v) || !v->valuestring) return NULL;
    const char *s = v->valuestring;
    if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return NULL;
    s += 2;
    size_t n = 0;
    while (n <= 64 && s[n]) {
        if (hex_digit((unsigned char)s[n]) < 0) return NULL;
        n++;
    }
    if (n == 0 || n > 64) return NULL;
    *nd = n;
    return s;
}

int rpc_parse_u64(const cJSON *v, uint64_t *out) {
    size_t n;
    const char *s = quantity_digits(v, &n);
    if (!s) return -1;
    while (n > 1 && *s == '0') s++, n--; /* leading zeros tolerated, not counted */
    if (n > 16) return -1;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) x = (x << 4) | (uint64_t)hex_digit((unsigned char)s[i]);
    *out = x;
    return 0;
}

int rpc_parse_u256(const cJSON *v, uint8_t out[32]) {
    size_t n;
    const char *s = quantity_digits(v, &n);
    if (!s) return -1;
    memset(out, 0, 32);
    /* fill nibbles from the least significant end */
    for (size_t i = 0; i < n; i++) {
        int d = hex_digit((unsigned char)s[n - 1 - i]);
        out[31 - i / 2] |= (uint8_t)(i % 2 ? d << 4 : d);
    }
    return 0;
}

int rpc_parse_fixed(const cJSON *v, uint8_t *out, size_t n) {
    if (!cJSON_IsString(v) || !v->valuestring) return -1;
    const char *s = v->valuestring;
    if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return -1;
    size_t len = strnlen(s, 2 * n + 3);
    if (len != 2 + 2 * n) return -1;
    return hex_decode_exact(s, len, out, n);
}

int rpc_parse_bytes(const cJSON *v, uint8_t **out, size_t *outlen) {
    *out = NULL;
    *outlen = 0;
    if (!cJSON_IsString(v) || !v->valuestring) return -1;
    const char *s = v->valuestring;
    if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return -1;
    size_t slen = strlen(s);
    if (slen % 2) return -1;
    size_t n = (slen - 2) / 2;
    if (n == 0) return 0;
    uint8_t *p = malloc(n);
    if (!p) return -1;
    if (hex_decode_exact(s, slen, p, n) != 0) {
        free(p);
        return -1;
    }
    *out = p;
    *outlen = n;
    return 0;
}

/* ---- client -------------------------------------------------------------------------------- */

typedef struct {
    char *p;
    size_t len, cap, max;
    bool too_big;
} buf;

static size_t on_write(char *data, size_t size, size_t nmemb, void *ud) {
    buf *b = ud;
    size_t n = size * nmemb;
    if (n > b->max - b->len) {
        b->too_big = true;
        return 0; /* aborts the transfer */
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) return 0;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = 0;
    return n;
}

rpc_client *rpc_client_new_urls(const char *const *urls, int n, const rpc_options *o) {
    if (!urls || n <= 0 || n > CONFIG_MAX_URLS) return NULL;
    rpc_client *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    rpc_options_default(&c->opt);
    if (o) c->opt = *o;
    if (c->opt.max_attempts < 1) c->opt.max_attempts = 1;
    if (c->opt.timeout_ms <= 0) c->opt.timeout_ms = 10000;
    if (c->opt.backoff_base_ms < 0) c->opt.backoff_base_ms = 0;
    if (c->opt.backoff_max_ms < c->opt.backoff_base_ms) c->opt.backoff_max_ms = c->opt.backoff_base_ms;
    if (c->opt.max_response == 0) c->opt.max_response = (size_t)256 << 20;
    for (int i = 0; i < n; i++) {
        if (!urls[i] || !(c->urls[i] = strdup(urls[i]))) goto fail;
        c->nurls++;
    }
    c->next_id = 1;
    c->rng = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)c;
    c->curl = curl_easy_init();
    if (!c->curl) goto fail;
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (!h) goto fail;
    c->headers = h;
    if (!(h = curl_slist_append(c->headers, "Accept: application/json"))) goto fail;
    c->headers = h;
    if (!(h = curl_slist_append(c->headers, "Expect:"))) goto fail; /* no 100-continue stall */
    c->headers = h;
    return c;
fail:
    rpc_client_free(c);
    return NULL;
}

rpc_client *rpc_client_new(const config_url_list *urls, long timeout_ms) {
    if (!urls) return NULL;
    rpc_options o;
    rpc_options_default(&o);
    if (timeout_ms > 0) o.timeout_ms = timeout_ms;
    return rpc_client_new_urls((const char *const *)urls->urls, urls->n, &o);
}

void rpc_client_free(rpc_client *c) {
    if (!c) return;
    if (c->curl) curl_easy_cleanup(c->curl);
    curl_slist_free_all(c->headers);
    for (int i = 0; i < c->nurls; i++) free(c->urls[i]);
    free(c);
}

const char *rpc_client_url(const rpc_client *c) { return c->urls[c->cur]; }

/* One HTTP POST to the current URL. Returns 0 when a response arrived (any status), or -1
 * with err filled for a transport failure. */
static int http_post(rpc_client *c, const char *body, size_t len, buf *out, int *http,
                     rpc_error *err) {
    CURL *h = c->curl;
    out->len = 0;
    out->too_big = false;
    out->max = c->opt.max_response;
    *http = 0;
    curl_easy_setopt(h, CURLOPT_URL, c->urls[c->cur]);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->opt.timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->opt.timeout_ms < 5000 ? c->opt.timeout_ms : 5000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""); /* gzip etc. when offered */
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    *http = (int)status;
    if (rc == CURLE_OK) return 0;
    if (out->too_big) {
        rpc_error_set(err, RPC_RANGE, *http, 0, "response size exceeded %zu bytes", c->opt.max_response);
    } else if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL) {
        rpc_error_set(err, RPC_FATAL, 0, 0, "bad RPC URL: %s", curl_easy_strerror(rc));
    } else {
        rpc_error_set(err, RPC_TRANSIENT, *http, 0, "%s", curl_easy_strerror(rc));
    }
    return -1;
}

/* Exponential backoff with jitter in [d/2, d]. Returns true when a stop was requested. */
static bool backoff(rpc_client *c, int attempt) {
    long d = c->opt.backoff_base_ms;
    for (int i = 1; i < attempt && d < c->opt.backoff_max_ms; i++) d *= 2;
    if (d > c->opt.backoff_max_ms) d = c->opt.backoff_max_ms;
    if (d <= 0) return shutdown_requested();
    c->rng = c->rng * 1103515245u + 12345u;
    long sleep = d / 2 + (long)((c->rng >> 8) % (unsigned long)(d / 2 + 1));
    return shutdown_sleep_ms(sleep);
}

typedef int (*parse_fn)(const char *body, size_t len, int http, void *ctx, rpc_error *err);

/* The retry loop shared by rpc_call and rpc_batch: POST, parse; on TRANSIENT move to the next
 * URL and back off; any other outcome is final. */
static int exchange(rpc_client *c, const char *method, const char *body, size_t len,
                    parse_fn parse, void *ctx, rpc_error *err) {
    buf out = {0};
    int rc = -1;
    for (int attempt = 1;; attempt++) {
        int http = 0;
        rc = http_post(c, body, len, &out, &http, err);
        if (rc == 0) rc = parse(out.p ? out.p : "", out.len, http, ctx, err);
        if (rc == 0 || err->kind != RPC_TRANSIENT) break;
        log_debug("rpc %s on %s failed (attempt %d/%d): %s", method, c->urls[c->cur], attempt,
                  c->opt.max_attempts, err->message);
        if (attempt >= c->opt.max_attempts) break;
        c->cur = (c->cur + 1) % c->nurls;
        if (backoff(c, attempt)) {
            snprintf(err->message, sizeof err->message, "stopped while retrying");
            break;
        }
    }
    free(out.p);
    return rc;
}

static int parse_call(const char *body, size_t len, long id, int http, void *ctx, rpc_error *err) {
    return rpc_parse_response_http(body, len, id, http, (cJSON **)ctx, err);
}

/* Append {"jsonrpc":"2.0","id":N,"method":"M","params":P}. Method names are ours; quotes and
 * backslashes are refused rather than escaped. params is trusted JSON text from our code. */
static int append_request(strbuf *b, long id, const char *method, const char *params) {
    if (!method || strpbrk(method, "\"\\")) return -1;
    strbuf_printf(b, "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"%s\",\"params\":%s}", id, method,
                  params ? params : "[]");
    return b->oom ? -1 : 0;
}

typedef struct {
    long id;
    rpc_body_parser parse;
    void *ctx;
} parsed_ctx;

static int parse_with_id(const char *body, size_t len, int http, void *ctx, rpc_error *err) {
    parsed_ctx *pc = ctx;
    return pc->parse(body, len, pc->id, http, pc->ctx, err);
}

int rpc_call_parsed(rpc_client *c, const char *method, const char *params_json,
                    rpc_body_parser parse, void *ctx, rpc_error *err) {
    rpc_error local;
    if (!err) err = &local;
    rpc_error_clear(err);
    strbuf b = {0};
    long id = c->next_id++;
    if (c->next_id > 1000000000L) c->next_id = 1;
    if (append_request(&b, id, method, params_json) != 0) {
        free(b.p);
        rpc_error_set(err, RPC_FATAL, 0, 0, "cannot build request for %s", method ? method : "(null)");
        return -1;
    }
    parsed_ctx pc = {id, parse, ctx};
    int rc = exchange(c, method, b.p, b.len, parse_with_id, &pc, err);
    free(b.p);
    return rc;
}

int rpc_call(rpc_client *c, const char *method, const char *params_json, cJSON **result,
             rpc_error *err) {
    *result = NULL;
    return rpc_call_parsed(c, method, params_json, parse_call, result, err);
}

typedef struct {
    long first;
    rpc_batch_item *items;
    size_t n;
} batch_ctx;

static int parse_batch(const char *body, size_t len, int http, void *ctx, rpc_error *err) {
    batch_ctx *bc = ctx;
    return parse_batch_http(body, len, bc->first, bc->items, bc->n, http, err);
}

int rpc_batch(rpc_client *c, rpc_batch_item *items, size_t n, rpc_error *err) {
    rpc_error local;
    if (!err) err = &local;
    rpc_error_clear(err);
    if (n == 0) return 0;
    if (n > 100000) {
        rpc_error_set(err, RPC_FATAL, 0, 0, "batch too large");
        return -1;
    }
    strbuf b = {0};
    if (c->next_id > 1000000000L) c->next_id = 1;
    long first = c->next_id;
    c->next_id += (long)n;
    int rc = -1;
    strbuf_putc(&b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i) strbuf_putc(&b, ',');
        if (append_request(&b, first + (long)i, items[i].method, items[i].params_json) != 0)
            goto build_fail;
    }
    strbuf_putc(&b, ']');
    if (b.oom) goto build_fail;
    batch_ctx bc = {first, items, n};
    rc = exchange(c, "batch", b.p, b.len, parse_batch, &bc, err);
    free(b.p);
    return rc;
build_fail:
    free(b.p);
    rpc_error_set(err, RPC_FATAL, 0, 0, "cannot build batch request");
    return -1;
}
