/* respond — the JSON envelope ({"success":true,"data":…} / {"success":false,"error":…}) and
 * the strict input readers handlers use; every reader answers 400 itself on bad input. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/internal.h"
#include "core/address.h"
#include "core/hex.h"
#include "core/json_strict.h"
#include "core/utf8.h"

void api_header(api_ctx *c, const char *name, const char *value) {
    size_t vl = strlen(value);
    h2o_iovec_t v = h2o_strdup(&c->req->pool, value, vl);
    h2o_add_header_by_str(&c->req->pool, &c->req->res.headers, name, strlen(name), 1, NULL, v.base, v.len);
}

/* The status line and headers of a response of len bytes. */
static void respond_head(api_ctx *c, int status, const char *content_type, size_t len) {
    h2o_req_t *req = c->req;
    req->res.status = status;
    req->res.reason = "";
    switch (status) {
    case 200: req->res.reason = "OK"; break;
    case 201: req->res.reason = "Created"; break;
    case 202: req->res.reason = "Accepted"; break;
    case 204: req->res.reason = "No Content"; break;
    case 304: req->res.reason = "Not Modified"; break;
    case 400: req->res.reason = "Bad Request"; break;
    case 401: req->res.reason = "Unauthorized"; break;
    case 403: req->res.reason = "Forbidden"; break;
    case 404: req->res.reason = "Not Found"; break;
    case 405: req->res.reason = "Method Not Allowed"; break;
    case 409: req->res.reason = "Conflict"; break;
    case 413: req->res.reason = "Payload Too Large"; break;
    case 415: req->res.reason = "Unsupported Media Type"; break;
    case 429: req->res.reason = "Too Many Requests"; break;
    case 500: req->res.reason = "Internal Server Error"; break;
    case 503: req->res.reason = "Service Unavailable"; break;
    default: req->res.reason = "Status"; break;
    }
    if (content_type)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type, strlen(content_type));
    if (status < 400 && c->used_primary) {
        api_note_write(c);
        api_commit_position_header(c);
    }
    req->res.content_length = len;
    c->status = status;
    c->bytes = len;
}

/* The body in one final piece (nothing for the generator to resume); a HEAD gets the headers
 * alone. body must stay valid until the request is done. */
static void send_final(api_ctx *c, const char *body, size_t len) {
    static h2o_generator_t generator = {NULL, NULL};
    h2o_start_response(c->req, &generator);
    h2o_iovec_t buf = h2o_iovec_init(body, len);
    bool head = h2o_memis(c->req->input.method.base, c->req->input.method.len, H2O_STRLIT("HEAD"));
    h2o_send(c->req, head ? NULL : &buf, head ? 0 : 1, H2O_SEND_STATE_FINAL);
}

void api_send(api_ctx *c, int status, const char *content_type, const char *body, size_t len) {
    if (c->status) return; /* answered already: one response per request */
    if (c->cache_key && status == 200 && api_cache_response(c, content_type, body, len)) return; /* 304 sent */
    respond_head(c, status, content_type, len);
    h2o_iovec_t copy = h2o_strdup(&c->req->pool, body, len); /* the caller's body may go */
    send_final(c, copy.base, copy.len);
}

void api_send_stable(api_ctx *c, int status, const char *content_type, const char *body, size_t len) {
    if (c->status) return;
    respond_head(c, status, content_type, len);
    send_final(c, body, len);
}

static void send_json(api_ctx *c, int status, cJSON *root) {
    char *txt = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!txt) {
        static const char oom[] = "{\"success\":false,\"error\":\"out of memory\"}";
        api_send(c, 503, "application/json", oom, sizeof oom - 1);
        return;
    }
    api_send(c, status, "application/json", txt, strlen(txt));
    cJSON_free(txt);
}

/* {"success":true,"data":data|null} or {"success":false,"error":msg[,"data":data]}; takes
 * ownership of data. */
static void send_envelope(api_ctx *c, int status, const char *error, cJSON *data) {
    cJSON *root = cJSON_CreateObject();
    if (!root) {
        cJSON_Delete(data);
        send_json(c, status, NULL);
        return;
    }
    cJSON_AddBoolToObject(root, "success", !error);
    if (error) cJSON_AddStringToObject(root, "error", error);
    if (!error && !data) data = cJSON_CreateNull();
    if (data) cJSON_AddItemToObject(root, "data", data);
    send_json(c, status, root);
}

void api_ok(api_ctx *c, int status, cJSON *data) { send_envelope(c, status, NULL, data); }

void api_error_data(api_ctx *c, int status, cJSON *data, const char *msg) { send_envelope(c, status, msg, data); }

void api_error(api_ctx *c, int status, const char *fmt, ...) {
    char raw[256], msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    /* Messages may echo client input, and vsnprintf may cut a character: keep the JSON valid
     * UTF-8 whatever the bytes (cJSON escapes control characters but passes other bytes). */
    utf8_copy(msg, sizeof msg, raw, strlen(raw));
    api_error_data(c, status, NULL, msg);
}

/* ---- input ---------------------------------------------------------------------------------- */

int api_parse_address_str(const char *s, size_t len, uint8_t out[20], const char **why) {
    int rc = address_parse(s, len, out);
    if (rc == ADDRESS_OK) return 0;
    *why = rc == ADDRESS_BAD_CHECKSUM ? "EIP-55 checksum mismatch (send it all lowercase to skip the check)"
                                      : "expected 0x followed by 40 hex digits";
    return -1;
}

int api_param_address(api_ctx *c, int i, uint8_t out[20]) {
    const char *why = "missing";
    const char *s = i < c->nparams ? c->param[i] : NULL;
    if (s && api_parse_address_str(s, strlen(s), out, &why) == 0) return 0;
    api_error(c, 400, "invalid address: %s", why);
    return -1;
}

int api_param_job_id(api_ctx *c, int i, uint8_t out[32]) {
    const char *s = i < c->nparams ? c->param[i] : NULL;
    if (s && strlen(s) == 66 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && hex_decode_exact(s, 66, out, 32) == 0)
        return 0;
    api_error(c, 400, "invalid job id: expected 0x followed by 64 hex digits");
    return -1;
}

int api_query_int(api_ctx *c, const char *key, int64_t def, int64_t min, int64_t max, int64_t *out) {
    const char *v = api_query(c, key);
    if (!v) {
        *out = def;
        return 0;
    }
    const char *p = v;
    if (*p == '-') p++;
    bool digits = *p != '\0' && strlen(p) <= 18;
    for (; *p && digits; p++) digits = *p >= '0' && *p <= '9';
    if (digits) {
        errno = 0;
        long long n = strtoll(v, NULL, 10);
        if (!errno && n >= min && n <= max) {
            *out = n;
            return 0;
        }
    }
    api_error(c, 400, "invalid %s: expected an integer from %" PRId64 " to %" PRId64, key, min, max);
    return -1;
}

int api_query_address(api_ctx *c, const char *key, uint8_t out[20], bool *present) {
    const char *v = api_query(c, key);
    *present = false;
    if (!v) return 0;
    const char *why;
    if (api_parse_address_str(v, strlen(v), out, &why) != 0) {
        api_error(c, 400, "invalid %s: %s", key, why);
        return -1;
    }
    *present = true;
    return 0;
}

cJSON *api_body_json(api_ctx *c) {
    h2o_iovec_t e = c->req->entity;
    if (!e.base || e.len == 0) {
        api_error(c, 400, "a JSON object body is required");
        return NULL;
    }
    char why[128];
    cJSON *j = json_strict_object(e.base, e.len, NULL, why, sizeof why);
    if (!j) api_error(c, 400, "malformed JSON body: %s", why);
    return j;
}

/* ---- the envelope ---------------------------------------------------------------------------- */

void api_ok_begin(view_jw *w, size_t hint) {
    view_jw_init(w, hint);
    VIEW_JW_LIT(w, "{\"success\":true,\"data\":");
}

/* The tail of every paginated list: `],"count":n,"total":…,"limit":…,"offset":…}`. */
void api_list_end(view_jw *w, int n, int64_t total, int64_t limit, int64_t offset) {
    VIEW_JW_LIT(w, "],\"count\":");
    view_jw_int(w, n);
    VIEW_JW_LIT(w, ",\"total\":");
    view_jw_int(w, total);
    VIEW_JW_LIT(w, ",\"limit\":");
    view_jw_int(w, limit);
    VIEW_JW_LIT(w, ",\"offset\":");
    view_jw_int(w, offset);
    VIEW_JW_LIT(w, "}");
}

void api_ok_send(api_ctx *c, int status, view_jw *w) {
    VIEW_JW_LIT(w, "}");
    if (w->oom) {
        static const char oom[] = "{\"success\":false,\"error\":\"out of memory\"}";
        api_send(c, 503, "application/json", oom, sizeof oom - 1);
    } else {
        api_send(c, status, "application/json", w->p, w->len);
    }
    view_jw_free(w);
}

void api_ok_object(api_ctx *c, size_t hint, view_write_fn write, const void *obj) {
    view_jw w;
    api_ok_begin(&w, hint);
    write(&w, obj);
    api_ok_send(c, 200, &w);
}

void api_list(api_ctx *c, const view_page *pg, const void *filter, int64_t limit, int64_t offset) {
    store *s = api_store(c, true);
    if (!s) return;
    char *rows = malloc(pg->row_size * (size_t)limit);
    if (!rows) {
        api_error(c, 503, "out of memory");
        return;
    }
    int n = 0;
    int64_t total = 0;
    int rc = pg->list(s, filter, rows, (int)limit, &n, &total);
    if (rc != STORE_OK) {
        free(rows);
        api_store_error(c, rc);
        return;
    }
    view_jw w;
    api_ok_begin(&w, 512 + (size_t)n * pg->row_hint);
    VIEW_JW_LIT(&w, "{\"");
    view_jw_raw(&w, pg->key, strlen(pg->key));
    VIEW_JW_LIT(&w, "\":[");
    view_jw_rows(&w, rows, pg->row_size, n, pg->write);
    free(rows);
    api_list_end(&w, n, total, limit, offset);
    api_ok_send(c, 200, &w);
}

int api_path_provider(api_ctx *c, int i, uint8_t addr[20], store_provider *p) {
    if (api_param_address(c, i, addr) != 0) return -1;
    store *s = api_store(c, true);
    if (!s) return -1;
    int rc = store_provider_get(s, addr, p);
    if (rc != STORE_OK && rc != STORE_NOTFOUND) {
        api_store_error(c, rc);
        return -1;
    }
    return rc;
}
