/* http_server — the API's threads: one h2o evloop, one SO_REUSEPORT listening socket, one
 * h2o context and one (lazily opened) store per thread; the kernel spreads connections over
 * the sockets. Every request goes through on_req: limits, routing, CORS, the handler, then
 * the access-log line and the route metrics.
 *
 * h2o itself parses HTTP, enforces the request timeout, a body limit somewhat above
 * API_MAX_BODY, and answers malformed requests with 400 before we see them; framing.c covers
 * what h2o lets through (ambiguous framing) or answers in its own format (its 413). */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/internal.h"
#include "api/cache.h"
#include "api/sse.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/shutdown.h"
#include "store/store.h"

struct api_thread {
    h2o_context_t ctx; /* first: handlers get back to the thread from req->conn->ctx */
    h2o_evloop_t *loop;
    api_server *srv;
    int fd;
    h2o_socket_t *listener;
    h2o_accept_ctx_t accept;
    pthread_t tid;
    bool started;
    store *st;                  /* DATABASE_URL: writes, readiness, and reads without a replica */
    uint64_t store_retry_at_ms; /* no reconnect attempt before this (monotonic ms) */
    store *rst;                 /* DATABASE_READ_URL, when set */
    uint64_t rstore_retry_at_ms;
    uint64_t last_request_ms; /* monotonic; for the idle trim */
    bool trimmed;             /* nothing cached here since the last idle trim */
};

struct api_server {
    const lamda_config *cfg;
    api_hooks hooks;
    h2o_globalconf_t conf;
    SSL_CTX *ssl;
    api_thread *threads;
    int nthreads;
    api_cors *cors;
    api_ratelimit *rl;
    api_replay *replay;
    api_cache *cache; /* NULL when API_CACHE_TTL is 0 */
    atomic_int_fast64_t writes; /* successful writes through this process's API (cache generation) */
    metrics_counter_t *m_cache_hit, *m_cache_miss, *m_not_modified;
    metrics_gauge_t *m_cache_bytes;
    char *openapi;
    size_t openapi_len;
    atomic_bool stop;
};

typedef struct {
    h2o_handler_t super;
    api_server *srv;
} api_handler_t;

static api_server *g_srv; /* for api_openapi_json; set once before threads start */
/* Servers that stopped, kept reachable until exit (see server_free). */
__attribute__((used)) static api_thread *retired[8];
static size_t nretired;
__attribute__((used)) static api_server *retired_srv[8];
static size_t nretired_srv;

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const lamda_config *api_cfg(api_ctx *c) { return c->srv->cfg; }
api_replay *api_server_replay(api_ctx *c) { return c->srv->replay; }
const api_hooks *api_server_hooks(api_ctx *c) { return &c->srv->hooks; }

const char *api_openapi_json(size_t *len) {
    if (!g_srv) return NULL;
    *len = g_srv->openapi_len;
    return g_srv->openapi;
}

/* The connection in *st, opened on first use and at most once a second after a failure. */
static store *lazy_store(store **st, uint64_t *retry_at, const char *url, bool replica) {
    if (!*st) {
        uint64_t now = now_ms();
        if (now >= *retry_at) {
            char err[256];
            int rc = replica ? store_open_replica(url, st, err, sizeof err) : store_open(url, st, err, sizeof err);
            if (rc != STORE_OK) {
                *st = NULL;
                *retry_at = now + 1000;
                log_warn("api: %s unavailable: %s", replica ? "read replica" : "database", err);
            }
        }
    }
    return *st;
}

store *api_write_store(api_ctx *c, bool respond) {
    api_thread *t = c->thr;
    c->store = lazy_store(&t->st, &t->store_retry_at_ms, c->srv->cfg->database_url, false);
    c->used_primary = c->store != NULL;
    if (!c->store && respond) api_error(c, 503, "database unavailable");
    return c->store;
}

/* Reads go to the replica unless the request asks for a WAL position (Lamda-Min-LSN, from an
 * earlier write's Lamda-Commit-LSN) the replica has not replayed yet, or the replica cannot be
 * reached: then the primary answers, so a client always reads its own writes. */
store *api_store(api_ctx *c, bool respond) {
    const lamda_config *cfg = c->srv->cfg;
    api_thread *t = c->thr;
    if (!cfg->database_read_url || c->used_primary) {
        c->store = lazy_store(&t->st, &t->store_retry_at_ms, cfg->database_url, false);
    } else {
        store *r = lazy_store(&t->rst, &t->rstore_retry_at_ms, cfg->database_read_url, true);
        size_t n = 0;
        const char *h = r ? api_req_header(c, "lamda-min-lsn", &n) : NULL;
        if (r && h) {
            char lsn[24];
            bool yes = false;
            snprintf(lsn, sizeof lsn, "%.*s", (int)(n < sizeof lsn ? n : sizeof lsn - 1), h);
            if (n >= sizeof lsn || store_replayed_to(r, lsn, &yes) != STORE_OK || !yes) r = NULL;
        }
        c->store = r ? r : lazy_store(&t->st, &t->store_retry_at_ms, cfg->database_url, false);
    }
    if (!c->store && respond) api_error(c, 503, "database unavailable");
    return c->store;
}

void api_note_write(api_ctx *c) {
    if (c->req->method.len != 3 || memcmp(c->req->method.base, "GET", 3) != 0) atomic_fetch_add(&c->srv->writes, 1);
}

void api_commit_position_header(api_ctx *c) {
    char lsn[32];
    if (!c->used_primary || !c->srv->cfg->database_read_url || !c->thr->st) return;
    if (store_wal_position(c->thr->st, lsn, sizeof lsn) == STORE_OK) api_header(c, "lamda-commit-lsn", lsn);
}

void api_store_error(api_ctx *c, int rc) {
    log_warn("api: database error %d on %s: %s", rc, c->route ? c->route->pattern : "?",
             c->store ? store_errmsg(c->store) : "no connection");
    if (c->store && c->store == c->thr->rst && rc == STORE_CONN) {
        /* The replica went away: drop it, so the next reads go to the primary until it is back
         * (lazy_store retries it at most once a second). */
        store_close(c->thr->rst);
        c->thr->rst = NULL;
        c->thr->rstore_retry_at_ms = now_ms() + 1000;
        c->store = NULL;
    }
    api_error(c, 503, "database unavailable, retry later");
}

const char *api_req_header(api_ctx *c, const char *name, size_t *len) {
    ssize_t i = h2o_find_header_by_str(&c->req->headers, name, strlen(name), -1);
    if (i < 0) return NULL;
    *len = c->req->headers.entries[i].value.len;
    return c->req->headers.entries[i].value.base;
}

/* Copy s into out for the access log: printable ASCII only, bounded. */
static void log_safe(const char *s, size_t len, char *out, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; i < len && o + 4 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        out[o++] = (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') ? (char)ch : '?';
    }
    if (len > 0 && o + 4 >= cap) {
        out[o++] = '.';
        out[o++] = '.';
        out[o++] = '.';
    }
    out[o] = '\0';
}

static size_t peer_key(h2o_req_t *req, uint8_t key[16], char *ip, size_t iplen) {
    struct sockaddr_storage ss;
    socklen_t sl = req->conn->callbacks->get_peername ? req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss) : 0;
    snprintf(ip, iplen, "-");
    if (sl == 0) return 0;
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        memcpy(key, &a->sin_addr, 4);
        getnameinfo((struct sockaddr *)&ss, sl, ip, (socklen_t)iplen, NULL, 0, NI_NUMERICHOST);
        return 4;
    }
    if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        getnameinfo((struct sockaddr *)&ss, sl, ip, (socklen_t)iplen, NULL, 0, NI_NUMERICHOST);
        /* IPv4-mapped addresses count as the IPv4 client; other IPv6 clients by /64, since
         * one host usually owns a whole /64 and could otherwise rotate addresses. */
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(a->sin6_addr.s6_addr, mapped, 12) == 0) {
            memcpy(key, a->sin6_addr.s6_addr + 12, 4);
            return 4;
        }
        memcpy(key, a->sin6_addr.s6_addr, 8);
        return 8;
    }
    return 0;
}

size_t api_peer_key(h2o_req_t *req, uint8_t key[16], char *ip, size_t iplen) { return peer_key(req, key, ip, iplen); }

/* ---- the response cache (cache.c) ---------------------------------------------------------- */

/* Called when the request's pool goes: the response has been sent (or abandoned). */
static void release_cached_body(void *slot) { api_cache_release(*(api_cache_body **)slot); }

/* If-None-Match names etag (one of a list, or "*"). */
static bool etag_matches(api_ctx *c, const char *etag) {
    size_t n = 0;
    const char *h = api_req_header(c, "if-none-match", &n);
    if (!h) return false;
    size_t el = strlen(etag);
    for (size_t i = 0; i < n;) {
        while (i < n && (h[i] == ' ' || h[i] == ',')) i++;
        size_t j = i;
        while (j < n && h[j] != ',') j++;
        size_t k = j;
        while (k > i && h[k - 1] == ' ') k--;
        if ((k - i == 1 && h[i] == '*') || (k - i == el && memcmp(h + i, etag, el) == 0)) return true;
        i = j;
    }
    return false;
}

static void send_not_modified(api_ctx *c, const char *etag) {
    api_header(c, "etag", etag);
    metrics_counter_inc(c->srv->m_not_modified);
    api_send(c, 304, NULL, "", 0);
}

bool api_cache_response(api_ctx *c, const char *content_type, const char *body, size_t len) {
    char etag[API_CACHE_ETAG_LEN];
    api_cache_etag(body, len, etag);
    size_t bytes = api_cache_put(c->srv->cache, c->cache_key, c->cache_klen, c->cache_gen, now_ms(), body, len,
                                 content_type, etag);
    metrics_gauge_set(c->srv->m_cache_bytes, (double)bytes);
    c->cache_key = NULL;
    if (etag_matches(c, etag)) {
        send_not_modified(c, etag);
        return true;
    }
    api_header(c, "etag", etag);
    return false;
}

/* A GET the cache may answer: a matched route that is no probe, stream or authenticated call,
 * and no read-your-writes read (Lamda-Min-LSN asks for a particular database state). */
static bool cacheable(api_ctx *c) {
    size_t n;
    return c->srv->cache && c->route && c->req->method.len == 3 && memcmp(c->req->method.base, "GET", 3) == 0 &&
           !(c->route->flags & (API_F_NO_CACHE | API_F_NO_RATELIMIT | API_F_AUTH)) &&
           !api_req_header(c, "lamda-min-lsn", &n);
}

/* Serve c from the cache: true when answered. Otherwise c->cache_key is set for api_send. */
static bool from_cache(api_ctx *c) {
    if (!cacheable(c)) return false;
    /* The key: the path as sent, query included (a reordered query is another key: correct,
     * only fewer hits). The generation: the events table's settled head (-1 without a hub). */
    c->cache_key = c->req->path.base;
    c->cache_klen = c->req->path.len;
    /* A write through this API invalidates at once, so a client reads its own write from any
     * thread of this process; other processes' commits arrive through the hub within 20 ms. */
    c->cache_gen = api_sse_hub_head() + (atomic_load(&c->srv->writes) << 44);
    api_cache_hit hit;
    if (!api_cache_get(c->srv->cache, c->cache_key, c->cache_klen, c->cache_gen, now_ms(), &hit)) {
        metrics_counter_inc(c->srv->m_cache_miss);
        return false;
    }
    metrics_counter_inc(c->srv->m_cache_hit);
    c->cache_key = NULL;
    if (etag_matches(c, hit.etag)) {
        api_cache_release(hit.ref);
        send_not_modified(c, hit.etag);
        return true;
    }
    /* The pool holds the reference until the request is done, so the bytes outlive the
     * socket writes that send them, whatever happens to the entry meanwhile. */
    api_cache_body **slot = h2o_mem_alloc_shared(&c->req->pool, sizeof *slot, release_cached_body);
    *slot = hit.ref;
    api_header(c, "etag", hit.etag);
    api_send_stable(c, 200, hit.content_type, hit.body, hit.len);
    return true;
}

static void dispatch(api_ctx *c) {
    h2o_req_t *req = c->req;
    api_server *srv = c->srv;
    char allow[96] = "";
    const char *path = req->path_normalized.base;
    size_t plen = req->path_normalized.len;
    const char *method = req->method.base;
    size_t mlen = req->method.len;
    bool options = mlen == 7 && memcmp(method, "OPTIONS", 7) == 0;

    /* Before anything else: a request whose end is ambiguous is answered on no route. */
    const char *framing = api_framing_check(req);
    if (framing) {
        api_error(c, 400, "ambiguous request framing: %s", framing);
        return;
    }

    /* Match first (OPTIONS needs the Allow list of the path). */
    int idx = -1;
    api_match_result m = api_router_match(options ? "GET" : method, options ? 3 : mlen, path, plen,
                                          &req->pool, &idx, c->param, &c->nparams, allow, sizeof allow);
    if (options) {
        if (m == API_MATCH_NOT_FOUND) {
            api_cors_apply(c, srv->cors);
            api_error(c, 404, "no such route");
        } else {
            api_cors_preflight(c, srv->cors, allow);
        }
        return;
    }
    if (m == API_MATCH_OK) {
        c->route = api_router_get((size_t)idx);
        c->route_index = idx;
    }
    api_cors_apply(c, srv->cors);

    /* Rate limit before any work, probes excepted. */
    if (!(c->route && (c->route->flags & API_F_NO_RATELIMIT)) && srv->rl) {
        uint8_t key[16] = {0};
        char ip[64];
        size_t kl = peer_key(req, key, ip, sizeof ip);
        uint64_t retry = 1;
        if (!api_ratelimit_take(srv->rl, key, kl, now_ms(), &retry)) {
            char ra[24];
            snprintf(ra, sizeof ra, "%llu", (unsigned long long)retry);
            api_header(c, "retry-after", ra);
            api_error(c, 429, "rate limit exceeded, retry in %llu s", (unsigned long long)retry);
            return;
        }
    }
    switch (m) {
    case API_MATCH_NOT_FOUND: api_error(c, 404, "no such route"); return;
    case API_MATCH_BAD_PATH: api_error(c, 400, "malformed percent-encoding in path"); return;
    case API_MATCH_BAD_METHOD:
        api_header(c, "allow", allow);
        api_error(c, 405, "method not allowed (allowed: %s)", allow);
        return;
    case API_MATCH_OK: break;
    }
    if (req->entity.base && req->entity.len > srv->cfg->api_max_body) {
        api_error(c, 413, "request body larger than %llu bytes", (unsigned long long)srv->cfg->api_max_body);
        return;
    }
    if (req->query_at != SIZE_MAX && req->query_at < req->path.len) {
        if (api_query_parse(c, req->path.base + req->query_at + 1, req->path.len - req->query_at - 1) != 0) {
            api_error(c, 400, "malformed query string (bad percent-encoding or more than %d parameters)", API_MAX_QUERY);
            return;
        }
    }
    if ((c->route->flags & API_F_JSON_BODY) && req->entity.base && req->entity.len > 0) {
        size_t ctl;
        const char *ct = api_req_header(c, "content-type", &ctl);
        if (ct && !(ctl >= 16 && strncasecmp(ct, "application/json", 16) == 0)) {
            api_error(c, 415, "content-type must be application/json");
            return;
        }
    }
    if (from_cache(c)) return;
    c->route->fn(c);
    if (!c->status) api_error(c, 500, "internal error: no response"); /* a handler bug */
}

static int on_req(h2o_handler_t *self, h2o_req_t *req) {
    api_server *srv = ((api_handler_t *)self)->srv;
    double t0 = now_s();
    api_ctx c;
    memset(&c, 0, sizeof c);
    c.req = req;
    c.srv = srv;
    c.thr = (api_thread *)req->conn->ctx;
    c.route_index = -1;
    c.thr->last_request_ms = now_ms();
    c.thr->trimmed = false;
    dispatch(&c);

    api_router_observe(c.route_index, NULL, c.status, now_s() - t0);
    if (!(c.route && (c.route->flags & API_F_NO_LOG)) && log_get_level() <= LOG_INFO) {
        char m[24], p[300], ip[64];
        uint8_t key[16];
        log_safe(req->method.base, req->method.len, m, sizeof m);
        log_safe(req->path_normalized.base, req->path_normalized.len, p, sizeof p);
        peer_key(req, key, ip, sizeof ip);
        /* A separate line (so a separate flood-control cause, core/log.h) for refusals by the
         * rate limiter: a 429 storm is summed up without hiding the ordinary access lines. */
        if (c.status == 429) log_info("http %s %s 429 rate limited client=%s", m, p, ip);
        else log_info("http %s %s %d %.3fms %zu bytes client=%s", m, p, c.status, (now_s() - t0) * 1000.0, c.bytes, ip);
    }
    return 0;
}

/* ---- threads ---------------------------------------------------------------------------------- */

static void on_accept(h2o_socket_t *listener, const char *err) {
    if (err) return;
    api_thread *t = listener->data;
    /* Accept a few per wake-up; the rest wait for the next loop turn (fairness with I/O). */
    for (int i = 0; i < 16; i++) {
        h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
        if (!sock) return;
        h2o_accept(&t->accept, sock);
    }
}

static int open_listener(const char *host, uint64_t port, char *err, size_t errlen) {
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char ps[16];
    snprintf(ps, sizeof ps, "%llu", (unsigned long long)port);
    int rc = getaddrinfo(host, ps, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "API_HOST: cannot resolve \"%s\": %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == 0 &&
            bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0)
            break;
        snprintf(err, errlen, "cannot listen on %s:%llu: %s", host, (unsigned long long)port, strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

/* After a burst, an API thread's connections keep their page caches and the response cache
 * keeps expired answers; once the thread has served nothing for a while it gives them back,
 * so an idle `lamda all` stays small (issue 18: idle RSS). */
#define IDLE_TRIM_AFTER_MS 2000
static void idle_trim(api_thread *t) {
    if (t->trimmed || now_ms() - t->last_request_ms < IDLE_TRIM_AFTER_MS) return;
    t->trimmed = true;
    store_release_memory(t->st); /* this thread's own connections: no other thread uses them */
    store_release_memory(t->rst);
    if (t == &t->srv->threads[0]) {
        api_cache_sweep(t->srv->cache, now_ms());
        size_t bytes, entries;
        api_cache_stats(t->srv->cache, &bytes, &entries);
        metrics_gauge_set(t->srv->m_cache_bytes, (double)bytes);
    }
    /* the freed pages go back to the kernel with the process's idle trim (services/idle_trim.c) */
}

static void *thread_main(void *arg) {
    api_thread *t = arg;
    api_server *srv = t->srv;
    while (!shutdown_requested() && !atomic_load(&srv->stop)) {
        h2o_evloop_run(t->loop, 100);
        idle_trim(t);
    }

    /* Stop accepting, ask keep-alive connections to close, and give in-flight requests a
     * moment to finish before the context goes away. */
    h2o_socket_read_stop(t->listener);
    h2o_socket_close(t->listener);
    t->listener = NULL;
    h2o_context_request_shutdown(&t->ctx);
    for (int i = 0; i < 10; i++) h2o_evloop_run(t->loop, 20);
    api_reputation_thread_exit();
    return NULL;
}

static SSL_CTX *make_ssl(const lamda_config *cfg, char *err, size_t errlen) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        snprintf(err, errlen, "cannot create a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION);
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->api_tls_cert) != 1) {
        snprintf(err, errlen, "API_TLS_CERT: cannot load %s", cfg->api_tls_cert);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, cfg->api_tls_key, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        snprintf(err, errlen, "API_TLS_KEY: cannot load the key or it does not match API_TLS_CERT");
        goto fail;
    }
    h2o_ssl_register_alpn_protocols(ctx, h2o_http2_alpn_protocols);
    return ctx;
fail:
    ERR_clear_error();
    SSL_CTX_free(ctx);
    return NULL;
}

static void server_free(api_server *srv) {
    if (!srv) return;
    for (int i = 0; i < srv->nthreads; i++) {
        api_thread *t = &srv->threads[i];
        if (t->listener) h2o_socket_close(t->listener);
        else if (!t->loop && t->fd >= 0) close(t->fd);
        store_close(t->st);
        t->st = NULL;
        store_close(t->rst);
        t->rst = NULL;
    }
    /* h2o 2.2 cannot force-close a context's remaining connections, and disposing a context
     * that still has one aborts (h2o_timeout_dispose asserts). The loops, contexts and the
     * global configuration they point to are therefore left to process exit, kept reachable
     * here so leak checkers do not report them. */
    if (srv->threads && nretired < 8) retired[nretired++] = srv->threads;
    else free(srv->threads);
    if (srv->ssl) SSL_CTX_free(srv->ssl);
    api_cors_free(srv->cors);
    api_ratelimit_free(srv->rl);
    api_replay_free(srv->replay);
    api_cache_free(srv->cache);
    free(srv->openapi);
    srv->openapi = NULL;
    if (nretired_srv < 8) retired_srv[nretired_srv++] = srv;
}

int api_gateway_run(const lamda_config *cfg, const api_hooks *hooks) {
    char err[512] = "";
    int rc = 1;
    if ((cfg->api_tls_cert != NULL) != (cfg->api_tls_key != NULL)) {
        log_error("API_TLS_CERT and API_TLS_KEY must be set together");
        return 1;
    }
    if (cfg->api_port == 0 || cfg->api_port > 65535) {
        log_error("API_PORT: must be 1..65535");
        return 1;
    }
    if (api_router_init() != 0) {
        log_error("api: route table is invalid");
        return 1;
    }
    api_server *srv = calloc(1, sizeof *srv);
    if (!srv) return 1;
    srv->cfg = cfg;
    if (hooks) srv->hooks = *hooks;
    h2o_config_init(&srv->conf);
    srv->conf.max_request_entity_size = api_framing_h2o_limit(cfg->api_max_body);
    if (cfg->api_request_timeout_ms) {
        srv->conf.http1.req_timeout = cfg->api_request_timeout_ms;
        srv->conf.http2.idle_timeout = cfg->api_request_timeout_ms;
        srv->conf.handshake_timeout = cfg->api_request_timeout_ms;
    }
    srv->conf.server_name = h2o_iovec_init(H2O_STRLIT("lamda"));
    h2o_hostconf_t *host = h2o_config_register_host(&srv->conf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *pc = h2o_config_register_path(host, "/", 0);
    api_handler_t *h = (api_handler_t *)h2o_create_handler(pc, sizeof *h);
    h->super.on_req = on_req;
    h->srv = srv;
    api_framing_register(pc, cfg->api_max_body);
    api_framing_register(&host->fallback_path, cfg->api_max_body);

    srv->cors = api_cors_new(cfg->api_cors_origins);
    srv->rl = api_ratelimit_new(cfg->api_rate_limit);
    srv->replay = api_replay_new(65536);
    srv->cache = api_cache_new((size_t)cfg->api_cache_max_mb << 20, cfg->api_cache_ttl_ms);
    srv->m_cache_hit = metrics_counter("lamda_api_cache_total", "GET requests by response-cache outcome", "result=\"hit\"");
    srv->m_cache_miss = metrics_counter("lamda_api_cache_total", "GET requests by response-cache outcome", "result=\"miss\"");
    srv->m_not_modified = metrics_counter("lamda_api_not_modified_total", "304 answers to If-None-Match", "");
    srv->m_cache_bytes = metrics_gauge("lamda_api_cache_bytes", "Bytes held by the API response cache", "");
    srv->openapi = api_openapi_build(&srv->openapi_len);
    if (!srv->cors || (cfg->api_rate_limit && !srv->rl) || !srv->replay || !srv->openapi) {
        log_error("api: out of memory at start-up");
        goto out;
    }
    if (cfg->api_tls_cert && !(srv->ssl = make_ssl(cfg, err, sizeof err))) {
        log_error("%s", err);
        goto out;
    }
    g_srv = srv;

    int n = cfg->api_threads < 1 ? 1 : cfg->api_threads > 64 ? 64 : (int)cfg->api_threads;
    srv->threads = calloc((size_t)n, sizeof *srv->threads);
    if (!srv->threads) goto out;
    srv->nthreads = n;
    for (int i = 0; i < n; i++) srv->threads[i].fd = -1;
    /* Bind every socket before starting any thread, so a port in use fails start-up cleanly. */
    for (int i = 0; i < n; i++) {
        api_thread *t = &srv->threads[i];
        t->srv = srv;
        t->fd = open_listener(cfg->api_host, cfg->api_port, err, sizeof err);
        if (t->fd < 0) {
            log_error("api: %s", err);
            goto out;
        }
        t->loop = h2o_evloop_create();
        h2o_context_init(&t->ctx, t->loop, &srv->conf);
        t->accept.ctx = &t->ctx;
        t->accept.hosts = srv->conf.hosts;
        t->accept.ssl_ctx = srv->ssl;
        t->listener = h2o_evloop_socket_create(t->loop, t->fd, H2O_SOCKET_FLAG_DONT_READ);
        t->listener->data = t;
        h2o_socket_read_start(t->listener, on_accept);
    }
    /* Open the first store here so migrations run once, not raced by every thread. A database
     * that is down does not stop the API: /health answers and /ready reports it. */
    if (store_open(cfg->database_url, &srv->threads[0].st, err, sizeof err) != STORE_OK) {
        srv->threads[0].st = NULL;
        log_warn("api: database unavailable at start-up (will retry per request): %s", err);
    }
    api_sse_config(cfg);
    if (api_sse_hub_start(cfg) != 0) log_warn("api: event streams unavailable (cannot start their reader)");
    for (int i = 0; i < n; i++) {
        if (pthread_create(&srv->threads[i].tid, NULL, thread_main, &srv->threads[i]) != 0) {
            log_error("api: cannot start thread %d", i);
            atomic_store(&srv->stop, true);
            break;
        }
        srv->threads[i].started = true;
    }
    log_info("api: listening on %s://%s:%llu with %d threads (rate limit %llu/s, max body %llu bytes)",
             srv->ssl ? "https" : "http", cfg->api_host, (unsigned long long)cfg->api_port, n,
             (unsigned long long)cfg->api_rate_limit, (unsigned long long)cfg->api_max_body);
    rc = atomic_load(&srv->stop) ? 1 : 0;
    for (int i = 0; i < n; i++)
        if (srv->threads[i].started) pthread_join(srv->threads[i].tid, NULL);
    api_sse_hub_stop();
    log_info("api: stopped");
out:
    g_srv = NULL;
    server_free(srv);
    return rc;
}
