/* framing — defences at the HTTP message-framing layer, where h2o 2.2 is laxer than RFC 9112
 * §6.3 or answers in its own format.
 *
 * Smuggling: h2o uses the first of several Content-Length headers and prefers
 * Transfer-Encoding over Content-Length without complaint, so a proxy in front that reads the
 * framing the other way would see a different request boundary. Both are refused here with 400
 * and the connection is closed, since after ambiguous framing nothing that follows on it can
 * be trusted to start a request.
 *
 * Oversized bodies: h2o refuses a body above its own limit before any handler runs — over
 * HTTP/1.1 with a text/plain 413, over HTTP/2 with a REFUSED_STREAM (which clients retry). So
 * h2o's limit is set above API_MAX_BODY (api_framing_h2o_limit) and the handler answers the
 * usual oversized body itself with the JSON 413; the output filter below rewrites h2o's own
 * HTTP/1.1 413 for bodies beyond even that into the JSON envelope. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/internal.h"

/* Slack above API_MAX_BODY that h2o buffers so the handler can answer 413 itself (also over
 * HTTP/2); bounded so a connection cannot make the server hold much more than the limit. */
#define FRAMING_SLACK (1024u * 1024u)

size_t api_framing_h2o_limit(uint64_t max_body) {
    uint64_t lim = max_body + FRAMING_SLACK;
    return lim < max_body || lim > SIZE_MAX ? SIZE_MAX : (size_t)lim;
}

/* h2o 2.2 keeps neither Content-Length nor Transfer-Encoding in req->headers, so the header
 * block is read again from the connection's input buffer, where the request being handled
 * still starts (h2o consumes it only after the response). h2o does not export its HTTP/1
 * connection, whose layout in 2.2 is { h2o_conn_t super; h2o_socket_t *sock; ... }: the
 * socket is taken from there, and used only when the buffer starts with this request's
 * method, so a different layout means no check rather than a wrong read. The scan is bounded
 * by the buffer's size. */
static h2o_buffer_t *http1_input(h2o_req_t *req) {
    if (req->version >= 0x200) return NULL;
    h2o_socket_t *sock = *(h2o_socket_t **)(void *)((char *)req->conn + sizeof(h2o_conn_t));
    h2o_buffer_t *in = sock ? sock->input : NULL;
    size_t ml = req->input.method.len;
    if (!in || in->size <= ml || memcmp(in->bytes, req->input.method.base, ml) != 0 || in->bytes[ml] != ' ')
        return NULL;
    return in;
}

static bool name_is(const char *line, size_t n, const char *name) {
    size_t l = strlen(name);
    return n == l && strncasecmp(line, name, l) == 0;
}

const char *api_framing_check(h2o_req_t *req) {
    h2o_buffer_t *in = http1_input(req);
    if (!in) return NULL; /* HTTP/2 frames bodies itself */
    const char *p = in->bytes, *end = in->bytes + in->size;
    size_t ncl = 0, nte = 0;
    const char *nl = memchr(p, '\n', (size_t)(end - p)); /* the request line */
    while (nl) {
        p = nl + 1;
        nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) break;
        size_t len = (size_t)(nl - p);
        if (len && p[len - 1] == '\r') len--;
        if (len == 0) break; /* the empty line ending the header block */
        const char *colon = memchr(p, ':', len);
        if (!colon) continue;
        size_t n = (size_t)(colon - p);
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
        if (name_is(p, n, "content-length")) ncl++;
        else if (name_is(p, n, "transfer-encoding")) nte++;
    }
    const char *why = NULL;
    if (ncl > 1) why = "more than one Content-Length header";
    else if (ncl && nte) why = "both Content-Length and Transfer-Encoding";
    if (why) req->http1_is_persistent = 0; /* close after the 400: the rest of the stream is suspect */
    return why;
}

/* ---- h2o's own 413, rewritten into the JSON envelope ------------------------------------------ */

typedef struct {
    h2o_filter_t super;
    uint64_t max_body;
} framing_filter;

typedef struct {
    h2o_ostream_t super;
    h2o_iovec_t body;
    bool sent;
} framing_ostream;

static void json_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t n, h2o_send_state_t state) {
    (void)bufs;
    (void)n;
    framing_ostream *o = (framing_ostream *)self;
    /* h2o sends its text body in one piece; send ours in its place, and nothing else. */
    if (!o->sent) {
        o->sent = true;
        h2o_ostream_send_next(self, req, &o->body, 1, state);
    } else {
        h2o_ostream_send_next(self, req, NULL, 0, state);
    }
}

static void on_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot) {
    /* Only h2o's response: ours is already JSON and carries a different reason phrase. */
    if (req->res.status == 413 && req->res.reason && strcmp(req->res.reason, "Request Entity Too Large") == 0) {
        framing_filter *f = (framing_filter *)self;
        char buf[128];
        int len = snprintf(buf, sizeof buf, "{\"success\":false,\"error\":\"request body larger than %llu bytes\"}",
                           (unsigned long long)f->max_body);
        if (len > 0 && (size_t)len < sizeof buf) {
            framing_ostream *o = (framing_ostream *)h2o_add_ostream(req, sizeof *o, slot);
            o->super.do_send = json_send;
            o->body = h2o_strdup(&req->pool, buf, (size_t)len);
            o->sent = false;
            ssize_t i = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);
            if (i >= 0) req->res.headers.entries[i].value = h2o_iovec_init(H2O_STRLIT("application/json"));
            req->res.content_length = (size_t)len;
            req->http1_is_persistent = 0; /* the unread body is still on the wire */
            slot = &o->super.next;
        }
    }
    h2o_setup_next_ostream(req, slot);
}

void api_framing_register(h2o_pathconf_t *pc, uint64_t max_body) {
    framing_filter *f = (framing_filter *)h2o_create_filter(pc, sizeof *f);
    f->super.on_setup_ostream = on_setup_ostream;
    f->max_body = max_body;
}
