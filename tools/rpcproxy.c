/* rpcproxy — a fault-injecting HTTP proxy for JSON-RPC, put between a service and anvil in the
 * reliability tests (issue 11). One thread per client connection; requests on a connection are
 * handled in order (HTTP/1.1 keep-alive), each forwarded to the upstream on a fresh connection.
 *
 *   rpcproxy --listen PORT --upstream http://HOST:PORT[/PATH] --control FILE [--counts FILE]
 *
 * The control FILE is re-read for every request, so a test changes the fault at run time by
 * rewriting it (a missing or empty file means "mode=pass"). It holds key=value words:
 *
 *   mode=pass       forward unchanged
 *   mode=delay      wait delay=MS (default 1500), then forward (a timeout when MS > RPC_TIMEOUT)
 *   mode=reset      read the request, then reset the connection (RST) without answering
 *   mode=down       reset every connection as soon as it is accepted (a dead endpoint)
 *   mode=http500    answer HTTP 500        mode=http429   answer HTTP 429 (rate limited)
 *   mode=truncate   forward, return the first half of the JSON body (a complete HTTP message)
 *   mode=malformed  answer HTTP 200 with a body that is not JSON
 *   mode=wrongid    forward, return the answer with another id
 *   mode=stale      eth_blockNumber answers stale=N (default 5) blocks behind the real head
 *   mode=range      eth_getLogs over more than range=N (default 2) blocks answers a
 *                   "block range too large" JSON-RPC error; other calls pass
 *   mode=mix        fault pct=P percent (default 30) of requests, chosen at random (seed=S)
 *                   among delay, reset, http500, http429, truncate, malformed, wrongid, and,
 *                   for the methods they concern, stale and range
 *
 * Counts of what was injected ("pass" = forwarded unchanged) are written as name=N lines to the
 * counts FILE after every request, and printed to stderr on SIGUSR1 and at exit (SIGTERM/INT).
 * A test tool: not hardened for hostile clients beyond size caps and timeouts. */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/strbuf.h"

#define MAX_HEADER (64 * 1024)
#define MAX_BODY (64u * 1024 * 1024)
#define CLIENT_IDLE_S 120

enum {
    F_PASS, F_DELAY, F_RESET, F_DOWN, F_HTTP500, F_HTTP429, F_TRUNCATE, F_MALFORMED, F_WRONGID,
    F_STALE, F_RANGE, F_COUNT
};
static const char *const FAULT_NAMES[F_COUNT] = {"pass",      "delay",     "reset",   "down",
                                                 "http500",   "http429",   "truncate", "malformed",
                                                 "wrongid",   "stale",     "range"};

typedef struct {
    int mode; /* F_* or F_COUNT for mix */
    long delay_ms;
    uint64_t stale;
    uint64_t range;
    unsigned pct;
    uint64_t seed;
} control;

static const char *g_control_path;
static const char *g_counts_path;
static char g_up_host[300], g_up_port[16], g_up_path[512];
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t g_counts[F_COUNT];
static uint64_t g_rng;
static uint64_t g_rng_seed;
static bool g_rng_seeded;
static volatile sig_atomic_t g_stop, g_dump;

static void on_signal(int sig) {
    if (sig == SIGUSR1)
        g_dump = 1;
    else
        g_stop = 1;
}

/* ---- control and counts ------------------------------------------------------------------ */

static void read_control(control *c) {
    memset(c, 0, sizeof *c);
    c->mode = F_PASS;
    c->delay_ms = 1500;
    c->stale = 5;
    c->range = 2;
    c->pct = 30;
    c->seed = 1;
    FILE *f = g_control_path ? fopen(g_control_path, "r") : NULL;
    if (!f) return;
    char word[128];
    while (fscanf(f, "%127s", word) == 1) {
        char *eq = strchr(word, '=');
        if (!eq) continue;
        *eq = 0;
        const char *k = word, *v = eq + 1;
        if (!strcmp(k, "mode")) {
            if (!strcmp(v, "mix")) c->mode = F_COUNT;
            for (int i = 0; i < F_COUNT; i++)
                if (!strcmp(v, FAULT_NAMES[i])) c->mode = i;
        } else if (!strcmp(k, "delay")) {
            c->delay_ms = strtol(v, NULL, 10);
        } else if (!strcmp(k, "stale")) {
            c->stale = strtoull(v, NULL, 10);
        } else if (!strcmp(k, "range")) {
            c->range = strtoull(v, NULL, 10);
        } else if (!strcmp(k, "pct")) {
            c->pct = (unsigned)strtoul(v, NULL, 10);
        } else if (!strcmp(k, "seed")) {
            c->seed = strtoull(v, NULL, 10);
        }
    }
    fclose(f);
    if (c->range == 0) c->range = 1;
}

static void write_counts_locked(FILE *f) {
    for (int i = 0; i < F_COUNT; i++) fprintf(f, "%s=%llu\n", FAULT_NAMES[i], (unsigned long long)g_counts[i]);
}

static void count(int fault) {
    pthread_mutex_lock(&g_mu);
    g_counts[fault]++;
    if (g_counts_path) {
        char tmp[4200];
        snprintf(tmp, sizeof tmp, "%s.tmp", g_counts_path);
        FILE *f = fopen(tmp, "w");
        if (f) {
            write_counts_locked(f);
            if (fclose(f) == 0) rename(tmp, g_counts_path);
        }
    }
    pthread_mutex_unlock(&g_mu);
}

static void dump_counts(void) {
    pthread_mutex_lock(&g_mu);
    fprintf(stderr, "rpcproxy counts:");
    for (int i = 0; i < F_COUNT; i++) fprintf(stderr, " %s=%llu", FAULT_NAMES[i], (unsigned long long)g_counts[i]);
    fprintf(stderr, "\n");
    pthread_mutex_unlock(&g_mu);
}

/* xorshift64*, reseeded when the control file's seed changes. */
static uint64_t rnd(uint64_t seed) {
    pthread_mutex_lock(&g_mu);
    if (!g_rng_seeded || seed != g_rng_seed) {
        g_rng_seed = seed;
        g_rng = seed * 0x9E3779B97F4A7C15ull + 1;
        g_rng_seeded = true;
    }
    g_rng ^= g_rng >> 12;
    g_rng ^= g_rng << 25;
    g_rng ^= g_rng >> 27;
    uint64_t r = g_rng * 0x2545F4914F6CDD1Dull;
    pthread_mutex_unlock(&g_mu);
    return r;
}

/* ---- socket I/O ---------------------------------------------------------------------------- */

static int write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read more into b; returns bytes read, 0 on EOF, -1 on error. */
static ssize_t buf_read(int fd, strbuf *b) {
    if (!strbuf_reserve(b, 16384)) return -1;
    for (;;) {
        ssize_t r = recv(fd, b->p + b->len, b->cap - b->len - 1, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r > 0) {
            b->len += (size_t)r;
            b->p[b->len] = 0;
        }
        return r;
    }
}

static void reset_close(int fd) {
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fd);
}

static const char *find_header(const char *hdr, size_t hlen, const char *name) {
    size_t nl = strlen(name);
    const char *p = hdr, *end = hdr + hlen;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) break;
        if ((size_t)(eol - p) > nl && !strncasecmp(p, name, nl) && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ' || *v == '\t') v++;
            return v;
        }
        p = eol + 1;
    }
    return NULL;
}

/* Decode a chunked body in place; returns the decoded length or -1. */
static long dechunk(char *p, size_t n) {
    size_t in = 0, out = 0;
    for (;;) {
        char *end;
        if (in >= n) return -1;
        unsigned long sz = strtoul(p + in, &end, 16);
        char *crlf = memchr(p + in, '\n', n - in);
        if (!crlf || end == p + in) return -1;
        in = (size_t)(crlf - p) + 1;
        if (sz == 0) return (long)out;
        if (sz > n - in) return -1;
        memmove(p + out, p + in, sz);
        out += sz;
        in += sz;
        if (in + 2 > n) return -1;
        in += 2; /* CRLF after the chunk */
    }
}

/* POST body to the upstream; *status and *resp (malloc'd) on success. */
static int forward(const char *body, size_t blen, int *status, char **resp, size_t *rlen) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    if (getaddrinfo(g_up_host, g_up_port, &hints, &ai) != 0) return -1;
    int fd = -1;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd < 0) return -1;
    struct timeval tv = {.tv_sec = 60};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char hdr[1024];
    int hl = snprintf(hdr, sizeof hdr,
                      "POST %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                      g_up_path, g_up_host, g_up_port, blen);
    strbuf b = {0};
    int rc = -1;
    if (write_all(fd, hdr, (size_t)hl) != 0 || write_all(fd, body, blen) != 0) goto out;
    for (;;) {
        ssize_t r = buf_read(fd, &b);
        if (r < 0) goto out;
        if (r == 0) break;
        if (b.len > MAX_BODY) goto out;
    }
    if (!b.p) goto out;
    char *he = strstr(b.p, "\r\n\r\n");
    if (!he || strncmp(b.p, "HTTP/1.", 7) != 0) goto out;
    *status = atoi(b.p + 9);
    size_t hlen = (size_t)(he - b.p) + 2;
    char *bodyp = he + 4;
    size_t n = b.len - (size_t)(bodyp - b.p);
    const char *te = find_header(b.p, hlen, "Transfer-Encoding");
    const char *cl = find_header(b.p, hlen, "Content-Length");
    if (te && !strncasecmp(te, "chunked", 7)) {
        long d = dechunk(bodyp, n);
        if (d < 0) goto out;
        n = (size_t)d;
    } else if (cl) {
        size_t want = strtoul(cl, NULL, 10);
        if (want > n) goto out;
        n = want;
    }
    *resp = malloc(n + 1);
    if (!*resp) goto out;
    memcpy(*resp, bodyp, n);
    (*resp)[n] = 0;
    *rlen = n;
    rc = 0;
out:
    free(b.p);
    close(fd);
    return rc;
}

static int reply(int fd, int status, const char *reason, const char *body, size_t n) {
    char hdr[256];
    int hl = snprintf(hdr, sizeof hdr,
                      "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                      "Connection: keep-alive\r\n\r\n",
                      status, reason, n);
    if (write_all(fd, hdr, (size_t)hl) != 0) return -1;
    return write_all(fd, body, n);
}

/* ---- JSON rewriting ------------------------------------------------------------------------- */

static char *print_json(cJSON *j, size_t *n) {
    char *s = cJSON_PrintUnformatted(j);
    if (s) *n = strlen(s);
    return s;
}

/* Replace every "id" in the response (object or batch array) with id + 1000003. */
static char *rewrite_ids(const char *resp, size_t *n) {
    cJSON *j = cJSON_ParseWithLength(resp, *n);
    if (!j) return NULL;
    cJSON *items[1] = {j};
    int count = cJSON_IsArray(j) ? cJSON_GetArraySize(j) : 1;
    for (int i = 0; i < count; i++) {
        cJSON *o = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, i) : items[0];
        cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
        if (cJSON_IsNumber(id)) cJSON_SetNumberValue(id, id->valuedouble + 1000003);
        else if (id) cJSON_ReplaceItemInObjectCaseSensitive(o, "id", cJSON_CreateNumber(1000003));
    }
    char *s = print_json(j, n);
    cJSON_Delete(j);
    return s;
}

/* eth_blockNumber's result moved `behind` blocks back. */
static char *rewrite_head(const char *resp, size_t *n, uint64_t behind) {
    cJSON *j = cJSON_ParseWithLength(resp, *n);
    if (!j) return NULL;
    char *s = NULL;
    cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "result");
    if (cJSON_IsString(r)) {
        uint64_t h = strtoull(r->valuestring, NULL, 16);
        char hex[32];
        snprintf(hex, sizeof hex, "0x%llx", (unsigned long long)(h > behind ? h - behind : 0));
        cJSON_ReplaceItemInObjectCaseSensitive(j, "result", cJSON_CreateString(hex));
        s = print_json(j, n);
    }
    cJSON_Delete(j);
    return s;
}

static bool parse_block(const cJSON *v, uint64_t *out) {
    if (!cJSON_IsString(v) || strncmp(v->valuestring, "0x", 2) != 0) return false;
    *out = strtoull(v->valuestring + 2, NULL, 16);
    return true;
}

/* For a single eth_getLogs request: the span of its numeric [fromBlock, toBlock]. */
static bool getlogs_span(cJSON *req, uint64_t *span) {
    cJSON *params = cJSON_GetObjectItemCaseSensitive(req, "params");
    cJSON *f = cJSON_GetArrayItem(params, 0);
    uint64_t from, to;
    if (!f || !parse_block(cJSON_GetObjectItemCaseSensitive(f, "fromBlock"), &from) ||
        !parse_block(cJSON_GetObjectItemCaseSensitive(f, "toBlock"), &to) || to < from)
        return false;
    *span = to - from + 1;
    return true;
}

/* ---- one request -------------------------------------------------------------------------- */

/* Returns 0 to keep the connection, -1 to close it (already closed when *closed). */
static int handle(int fd, const char *body, size_t blen, bool *closed) {
    control c;
    read_control(&c);
    cJSON *req = cJSON_ParseWithLength(body, blen);
    const char *method = "";
    cJSON *id = NULL;
    if (cJSON_IsObject(req)) {
        cJSON *m = cJSON_GetObjectItemCaseSensitive(req, "method");
        if (cJSON_IsString(m)) method = m->valuestring;
        id = cJSON_GetObjectItemCaseSensitive(req, "id");
    }
    bool is_head = !strcmp(method, "eth_blockNumber");
    uint64_t span = 0;
    bool is_logs = !strcmp(method, "eth_getLogs") && getlogs_span(req, &span);

    int fault = c.mode;
    if (fault == F_COUNT) { /* mix */
        fault = F_PASS;
        if (rnd(c.seed) % 100 < c.pct) {
            int pool[F_COUNT], np = 0;
            const int generic[] = {F_DELAY, F_RESET, F_HTTP500, F_HTTP429, F_TRUNCATE, F_MALFORMED, F_WRONGID};
            for (size_t i = 0; i < sizeof generic / sizeof generic[0]; i++) pool[np++] = generic[i];
            if (is_head) pool[np++] = F_STALE;
            if (is_logs && span > c.range) pool[np++] = F_RANGE;
            fault = pool[rnd(c.seed) % (uint64_t)np];
        }
    }
    if (fault == F_STALE && !is_head) fault = F_PASS;
    if (fault == F_RANGE && !(is_logs && span > c.range)) fault = F_PASS;
    if (fault == F_DOWN) fault = F_RESET; /* a request got through a "down" switch: same thing */

    int rc = 0;
    char *resp = NULL, *alt = NULL;
    size_t rlen = 0;
    int status = 0;
    switch (fault) {
    case F_RESET:
        count(F_RESET);
        reset_close(fd);
        *closed = true;
        rc = -1;
        goto out;
    case F_HTTP500: {
        static const char b[] = "{\"message\":\"internal server error\"}";
        count(F_HTTP500);
        rc = reply(fd, 500, "Internal Server Error", b, sizeof b - 1);
        goto out;
    }
    case F_HTTP429: {
        static const char b[] = "{\"message\":\"too many requests\"}";
        count(F_HTTP429);
        rc = reply(fd, 429, "Too Many Requests", b, sizeof b - 1);
        goto out;
    }
    case F_MALFORMED: {
        static const char b[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":0x12 ]] not json";
        count(F_MALFORMED);
        rc = reply(fd, 200, "OK", b, sizeof b - 1);
        goto out;
    }
    case F_RANGE: {
        /* the request's id goes back as it came (numbers only; anything else is answered null) */
        char b[256], idtxt[32] = "null";
        if (cJSON_IsNumber(id)) snprintf(idtxt, sizeof idtxt, "%.0f", id->valuedouble);
        int n = snprintf(b, sizeof b,
                         "{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":{\"code\":-32005,\"message\":"
                         "\"block range too large: %llu blocks requested, at most %llu allowed\"}}",
                         idtxt, (unsigned long long)span, (unsigned long long)c.range);
        count(F_RANGE);
        rc = reply(fd, 200, "OK", b, (size_t)n);
        goto out;
    }
    case F_DELAY: {
        count(F_DELAY);
        struct timespec ts = {.tv_sec = c.delay_ms / 1000, .tv_nsec = (c.delay_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
        break; /* then forward as usual: the client has probably given up by now */
    }
    default:
        break;
    }

    if (forward(body, blen, &status, &resp, &rlen) != 0) {
        /* upstream unreachable: tell the client like a gateway would */
        static const char b[] = "{\"message\":\"upstream unavailable\"}";
        rc = reply(fd, 502, "Bad Gateway", b, sizeof b - 1);
        goto out;
    }
    const char *out_body = resp;
    size_t out_len = rlen;
    if (fault == F_TRUNCATE) {
        out_len = rlen / 2;
    } else if (fault == F_WRONGID) {
        size_t n = rlen;
        if ((alt = rewrite_ids(resp, &n))) {
            out_body = alt;
            out_len = n;
        } else {
            fault = F_PASS;
        }
    } else if (fault == F_STALE) {
        size_t n = rlen;
        if ((alt = rewrite_head(resp, &n, c.stale))) {
            out_body = alt;
            out_len = n;
        } else {
            fault = F_PASS;
        }
    }
    if (fault != F_DELAY) count(fault);
    rc = reply(fd, status, status == 200 ? "OK" : "Upstream", out_body, out_len);
out:
    free(resp);
    free(alt);
    cJSON_Delete(req);
    return rc;
}

static void *client_thread(void *arg) {
    int fd = (int)(intptr_t)arg;
    struct timeval tv = {.tv_sec = CLIENT_IDLE_S};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    control c;
    read_control(&c);
    if (c.mode == F_DOWN) {
        count(F_DOWN);
        reset_close(fd);
        return NULL;
    }
    strbuf b = {0};
    bool closed = false;
    while (!g_stop) {
        char *he;
        while (!(b.p && (he = strstr(b.p, "\r\n\r\n")))) {
            if (b.len > MAX_HEADER || buf_read(fd, &b) <= 0) goto done;
        }
        size_t hlen = (size_t)(he - b.p) + 4;
        const char *cl = find_header(b.p, hlen, "Content-Length");
        const char *te = find_header(b.p, hlen, "Transfer-Encoding");
        if (te || !cl || strncmp(b.p, "POST ", 5) != 0) {
            static const char m[] = "{\"message\":\"POST with Content-Length only\"}";
            reply(fd, 400, "Bad Request", m, sizeof m - 1);
            goto done;
        }
        size_t blen = strtoul(cl, NULL, 10);
        if (blen > MAX_BODY) goto done;
        while (b.len < hlen + blen)
            if (buf_read(fd, &b) <= 0) goto done;
        if (handle(fd, b.p + hlen, blen, &closed) != 0) goto done;
        memmove(b.p, b.p + hlen + blen, b.len - hlen - blen);
        b.len -= hlen + blen;
        b.p[b.len] = 0;
    }
done:
    free(b.p);
    if (!closed) close(fd);
    return NULL;
}

static int parse_upstream(const char *url) {
    if (strncmp(url, "http://", 7) != 0) return -1;
    const char *h = url + 7;
    const char *slash = strchr(h, '/');
    size_t hl = slash ? (size_t)(slash - h) : strlen(h);
    char hostport[300];
    if (hl == 0 || hl >= sizeof hostport) return -1;
    memcpy(hostport, h, hl);
    hostport[hl] = 0;
    snprintf(g_up_path, sizeof g_up_path, "%s", slash ? slash : "/");
    char *colon = strrchr(hostport, ':');
    if (colon) {
        *colon = 0;
        snprintf(g_up_port, sizeof g_up_port, "%s", colon + 1);
    } else {
        snprintf(g_up_port, sizeof g_up_port, "80");
    }
    snprintf(g_up_host, sizeof g_up_host, "%s", hostport);
    return 0;
}

int main(int argc, char **argv) {
    const char *listen_port = NULL, *upstream = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--listen")) listen_port = argv[i + 1];
        else if (!strcmp(argv[i], "--upstream")) upstream = argv[i + 1];
        else if (!strcmp(argv[i], "--control")) g_control_path = argv[i + 1];
        else if (!strcmp(argv[i], "--counts")) g_counts_path = argv[i + 1];
        else {
            listen_port = NULL;
            break;
        }
    }
    if (!listen_port || !upstream || parse_upstream(upstream) != 0) {
        fprintf(stderr, "usage: rpcproxy --listen PORT --upstream http://HOST:PORT[/PATH] "
                        "[--control FILE] [--counts FILE]\n");
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(listen_port)),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (ls < 0 || bind(ls, (struct sockaddr *)&sin, sizeof sin) != 0 || listen(ls, 128) != 0) {
        fprintf(stderr, "rpcproxy: cannot listen on 127.0.0.1:%s: %s\n", listen_port, strerror(errno));
        return 1;
    }
    fprintf(stderr, "rpcproxy: 127.0.0.1:%s -> %s\n", listen_port, upstream);
    if (g_counts_path) { /* all zero, so a test can read it before the first request */
        FILE *f = fopen(g_counts_path, "w");
        if (f) {
            write_counts_locked(f);
            fclose(f);
        }
    }
    while (!g_stop) {
        if (g_dump) {
            g_dump = 0;
            dump_counts();
        }
        struct pollfd p = {.fd = ls, .events = POLLIN};
        if (poll(&p, 1, 200) <= 0) continue;
        int fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) continue;
        pthread_t t;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &at, client_thread, (void *)(intptr_t)fd) != 0) close(fd);
        pthread_attr_destroy(&at);
    }
    close(ls);
    dump_counts();
    return 0;
}
