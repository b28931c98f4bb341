/* sse_stream — the streaming responses. Each API loop thread keeps its own list of open
 * streams and a short timer; on each tick a stream with nothing in flight takes the events it
 * has not seen from the hub's ring (or, when it is further behind than the ring, from the
 * database through this thread's own connection) and hands them to h2o. h2o calls proceed
 * when that write has gone out, and stop when the client is gone; only one write is ever in
 * flight per stream, so the buffer given to h2o_send stays untouched until proceed.
 *
 * Everything here runs on the stream's own loop thread except the connection counters,
 * which all threads share. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/internal.h"
#include "api/sse.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/shutdown.h"

#define TICK_MS 10           /* the loop's look at the ring: bounds the delivery delay */
#define CHUNK (64 * 1024)    /* at most this much per write; a slow client gets the rest later */
#define CATCHUP_ROWS 256     /* database rows per catch-up read */
#define RETRY_MS 1000        /* the browser's reconnect delay after a drop */

typedef struct sse_thread sse_thread;

typedef struct sse_stream {
    h2o_generator_t super; /* first: h2o hands it back to proceed/stop */
    h2o_req_t *req;
    sse_thread *thr;
    api_sse_filter f;
    int64_t last; /* every id <= last has been sent or skipped */
    char *buf;
    bool inflight;
    uint64_t last_write_ms;
    uint8_t ip[16];
    size_t iplen;
    struct sse_stream *prev, *next;
} sse_stream;

struct sse_thread {
    h2o_loop_t *loop;
    h2o_timeout_t timeout;
    h2o_timeout_entry_t entry;
    sse_stream *streams;
    store *st; /* catch-up reads only */
    sse_thread *all_next;
};

static _Thread_local sse_thread *tl;

/* Connection counting, shared by every loop thread. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ipcount {
    uint8_t key[16];
    size_t len;
    uint64_t n;
} *g_ips;
static size_t g_nips;
static uint64_t g_total;
static sse_thread *g_threads; /* kept reachable: loops outlive nothing, but leak checkers look */
static const lamda_config *g_cfg;
static metrics_gauge_t *m_open;
static metrics_counter_t *m_refused_ip, *m_refused_total, *m_bytes;

static uint64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void api_sse_config(const lamda_config *cfg) {
    g_cfg = cfg;
    m_open = metrics_gauge("lamda_sse_connections", "Open Server-Sent Events streams", NULL);
    m_refused_ip = metrics_counter("lamda_sse_refused_total", "Event streams refused by a connection cap", "reason=\"per_ip\"");
    m_refused_total = metrics_counter("lamda_sse_refused_total", "Event streams refused by a connection cap", "reason=\"total\"");
    m_bytes = metrics_counter("lamda_sse_bytes_total", "Bytes written to event streams", NULL);
}

/* 0 when admitted; 429 or 503 when a cap is reached. */
static int admit(const uint8_t *key, size_t len) {
    int rc = 0;
    pthread_mutex_lock(&g_lock);
    if (!g_ips) g_ips = calloc(g_cfg->sse_max_connections ? g_cfg->sse_max_connections : 1, sizeof *g_ips);
    if (!g_ips || g_total >= g_cfg->sse_max_connections) {
        rc = 503;
        goto out;
    }
    struct ipcount *slot = NULL;
    for (size_t i = 0; i < g_nips; i++)
        if (g_ips[i].len == len && memcmp(g_ips[i].key, key, len) == 0) slot = &g_ips[i];
    if (slot && slot->n >= g_cfg->sse_max_per_ip) {
        rc = 429;
        goto out;
    }
    if (!slot) {
        slot = &g_ips[g_nips++]; /* g_nips <= g_total < max: room left */
        memcpy(slot->key, key, len);
        slot->len = len;
        slot->n = 0;
    }
    slot->n++;
    g_total++;
out:
    pthread_mutex_unlock(&g_lock);
    if (rc == 429) metrics_counter_inc(m_refused_ip);
    else if (rc == 503) metrics_counter_inc(m_refused_total);
    else metrics_gauge_add(m_open, 1);
    return rc;
}

static void release(const uint8_t *key, size_t len) {
    pthread_mutex_lock(&g_lock);
    for (size_t i = 0; i < g_nips; i++)
        if (g_ips[i].len == len && memcmp(g_ips[i].key, key, len) == 0) {
            if (--g_ips[i].n == 0) g_ips[i] = g_ips[--g_nips];
            break;
        }
    g_total--;
    pthread_mutex_unlock(&g_lock);
    metrics_gauge_add(m_open, -1);
}

static void unlink_stream(sse_stream *s) {
    if (s->prev) s->prev->next = s->next;
    else s->thr->streams = s->next;
    if (s->next) s->next->prev = s->prev;
    s->prev = s->next = NULL;
    free(s->buf);
    s->buf = NULL;
    release(s->ip, s->iplen);
}

/* ---- catching up from the database ----------------------------------------------------------- */

typedef struct {
    sse_stream *s;
    size_t len;
    int64_t scanned; /* last row handled completely */
    int rows;
    bool full;
} catchup;

static int catchup_cb(void *ud, const store_event *e) {
    catchup *c = ud;
    if (api_sse_match(&c->s->f, e)) {
        size_t n = api_sse_format(e, c->s->buf + c->len, CHUNK - c->len);
        if (n == 0) {
            c->full = true;
            return 1;
        }
        c->len += n;
    }
    c->scanned = e->id;
    c->rows++;
    return 0;
}

/* Events after s->last up to the ring's floor, from the database. */
static size_t from_database(sse_stream *s, int64_t floor) {
    sse_thread *t = s->thr;
    if (!t->st) {
        char err[256];
        if (store_open(g_cfg->database_url, &t->st, err, sizeof err) != STORE_OK) {
            t->st = NULL;
            return 0; /* retried at the next tick */
        }
    }
    catchup c = {s, 0, s->last, 0, false};
    int rc = store_events_after(t->st, s->last, floor, CATCHUP_ROWS, catchup_cb, &c);
    if (rc < 0) {
        log_warn("sse: catch-up read failed: %s", store_errmsg(t->st));
        return 0; /* nothing advanced; the next tick reads again */
    }
    /* A short read that was not cut by the buffer saw every row up to the floor. */
    s->last = !c.full && c.rows < CATCHUP_ROWS ? floor : c.scanned;
    return c.len;
}

/* ---- writing --------------------------------------------------------------------------------- */

static void send_buf(sse_stream *s, size_t len) {
    h2o_iovec_t v = h2o_iovec_init(s->buf, len);
    s->inflight = true;
    s->last_write_ms = mono_ms();
    metrics_counter_add(m_bytes, len);
    h2o_send(s->req, &v, 1, H2O_SEND_STATE_IN_PROGRESS);
}

/* Write what s has not seen, or a heartbeat when it has been quiet; nothing while a write is
 * in flight. Returns false when the stream was finished (and unlinked). */
static bool pump(sse_stream *s) {
    if (s->inflight) return true;
    if (shutdown_requested()) {
        unlink_stream(s);
        h2o_send(s->req, NULL, 0, H2O_SEND_STATE_FINAL);
        return false;
    }
    int64_t head = api_sse_hub_head();
    size_t len = 0;
    if (s->last < 0 && head >= 0) s->last = head; /* opened before the hub knew the head */
    if (head >= 0 && s->last < head) {
        int64_t r = api_sse_hub_collect(s->last, &s->f, s->buf, CHUNK, &len);
        if (r < 0) len = from_database(s, api_sse_hub_floor());
        else s->last = r;
    }
    if (len == 0 && mono_ms() - s->last_write_ms >= g_cfg->sse_heartbeat_ms) {
        static const char hb[] = ": keep-alive\n\n";
        memcpy(s->buf, hb, sizeof hb - 1);
        len = sizeof hb - 1;
    }
    if (len) send_buf(s, len);
    return true;
}

static void on_proceed(h2o_generator_t *g, h2o_req_t *req) {
    (void)req;
    sse_stream *s = (sse_stream *)g;
    s->inflight = false;
    pump(s); /* more may have arrived meanwhile: no need to wait for the tick */
}

static void on_stop(h2o_generator_t *g, h2o_req_t *req) {
    (void)req;
    unlink_stream((sse_stream *)g);
}

static void on_tick(h2o_timeout_entry_t *entry) {
    sse_thread *t = tl;
    (void)entry;
    for (sse_stream *s = t->streams, *next; s; s = next) {
        next = s->next;
        pump(s);
    }
    if (t->streams) h2o_timeout_link(t->loop, &t->timeout, &t->entry);
}

static sse_thread *thread_state(h2o_loop_t *loop) {
    if (tl) return tl;
    sse_thread *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->loop = loop;
    h2o_timeout_init(loop, &t->timeout, TICK_MS);
    t->entry.cb = on_tick;
    pthread_mutex_lock(&g_lock);
    t->all_next = g_threads;
    g_threads = t;
    pthread_mutex_unlock(&g_lock);
    tl = t;
    return t;
}

/* ---- the handler ------------------------------------------------------------------------------ */

static bool parse_id(const char *s, size_t len, int64_t *out) {
    if (len == 0 || len > 18) return false;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

void api_sse_serve(api_ctx *c, const api_sse_filter *f) {
    h2o_req_t *req = c->req;
    /* Before the hub has read the table once (a second after start-up at most) the head is
     * unknown: the stream opens all the same, since an EventSource gives up for good on a
     * non-200 answer, and starts at the head once there is one. */
    int64_t head = api_sse_hub_head();
    int64_t last = head;
    size_t hl = 0;
    const char *h = api_req_header(c, "last-event-id", &hl);
    const char *q = api_query(c, "last_event_id");
    if (h || q) {
        if (!(h ? parse_id(h, hl, &last) : parse_id(q, strlen(q), &last))) {
            api_error(c, 400, "invalid Last-Event-ID: expected a decimal event id");
            return;
        }
    }
    if (req->method.len == 4 && memcmp(req->method.base, "HEAD", 4) == 0) {
        api_header(c, "cache-control", "no-cache");
        api_send(c, 200, "text/event-stream", "", 0);
        return;
    }
    uint8_t ip[16] = {0};
    char ipstr[64];
    size_t iplen = api_peer_key(req, ip, ipstr, sizeof ipstr);
    int refused = admit(ip, iplen);
    if (refused) {
        api_header(c, "retry-after", "5");
        if (refused == 429) api_error(c, 429, "too many event streams from this address (SSE_MAX_PER_IP)");
        else api_error(c, 503, "too many event streams open (SSE_MAX_CONNECTIONS)");
        return;
    }
    sse_thread *t = thread_state(req->conn->ctx->loop);
    sse_stream *s = h2o_mem_alloc_pool(&req->pool, sizeof *s);
    char *buf = malloc(CHUNK);
    if (!t || !s || !buf) {
        free(buf);
        release(ip, iplen);
        api_error(c, 503, "out of memory");
        return;
    }
    memset(s, 0, sizeof *s);
    s->super.proceed = on_proceed;
    s->super.stop = on_stop;
    s->req = req;
    s->thr = t;
    s->f = *f;
    s->buf = buf;
    memcpy(s->ip, ip, sizeof ip);
    s->iplen = iplen;

    /* Where to start. An id beyond the newest (another database, or one that was reset) or
     * before the oldest kept (pruned by EVENTS_RETENTION) cannot be resumed without a gap: say
     * so with a reset event, which tells the client to reload its state, and go on from what
     * there is. */
    size_t len = (size_t)snprintf(buf, CHUNK, "retry: %d\n\n", RETRY_MS);
    bool reset = false;
    if (head < 0) {
        /* nothing to check against yet */
    } else if (last > head) {
        reset = true;
        last = head;
    } else if (last < head) {
        int64_t lo = 0, hi = 0;
        store *st = api_store(c, false);
        if (st && store_events_bounds(st, &lo, &hi) == STORE_OK && (lo == 0 || last + 1 < lo)) {
            reset = true;
            if (lo == 0) last = head;
            else last = lo - 1;
        }
    }
    if (reset)
        len += (size_t)snprintf(buf + len, CHUNK - len,
                                "event: reset\ndata: {\"type\":\"reset\",\"reason\":\"events since the given id are "
                                "no longer kept; reload the state\",\"resume_after\":%lld}\n\n",
                                (long long)last);
    s->last = last;

    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("text/event-stream"));
    api_header(c, "cache-control", "no-cache");
    api_header(c, "x-accel-buffering", "no"); /* nginx: do not hold the stream back */
    c->status = 200;
    h2o_start_response(req, &s->super);

    s->next = t->streams;
    if (t->streams) t->streams->prev = s;
    t->streams = s;
    if (!h2o_timeout_is_linked(&t->entry)) h2o_timeout_link(t->loop, &t->timeout, &t->entry);
    send_buf(s, len);
}
