/* sse_hub — one thread per API process follows the events table by id and keeps the newest
 * events, already formatted, in a ring that every stream reads from.
 *
 * Why polling by id and not LISTEN/NOTIFY: the table is needed anyway (Last-Event-ID resumes
 * must come from the database, across restarts and processes), the same code then serves
 * SQLite, where there is no NOTIFY, and PostgreSQL; and one indexed range query every
 * POLL_MS per process (not per client) costs less than a dedicated listening connection per
 * process with its own reconnect logic. Commit → event latency is POLL_MS plus the stream
 * loops' tick (sse_stream.c), well under 100 ms.
 *
 * Holes (PostgreSQL): ids are taken at write time, so id N+1 can commit before N. The hub
 * never delivers past a hole while the hole may still fill: it waits until no transaction
 * that was open when the hole was first seen remains (store_events_open_tx_before), then
 * treats what is still missing as rolled back. GAP_MAX_MS bounds the wait should that check
 * be impossible (another role's sessions are invisible in pg_stat_activity). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/sse.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/shutdown.h"

/* Events kept in memory; a stream further behind (a client resuming after a burst) reads the
 * older ones from the database. 4096 slots of ~700 bytes filled to 2.9 MB within the first
 * few thousand events and stayed: an eighth of an idle lamda all (issue 18). */
#define RING 1024
#define TEXT_MAX 560   /* one formatted event (the longest is ~520 bytes) */
#define POLL_MS 20
#define BATCH 512
#define GAP_MAX_MS 30000
#define PRUNE_EVERY_MS 60000

typedef struct {
    store_event e;
    uint16_t len;
    char text[TEXT_MAX];
} slot;

static struct {
    pthread_mutex_t lock; /* guards ring, floor and head together */
    slot *ring;
    int64_t floor; /* ids <= floor are not in the ring */
    _Atomic int64_t head;
    pthread_t tid;
    bool started;
    atomic_bool stop;
    const lamda_config *cfg;
    metrics_gauge_t *m_head;
    metrics_counter_t *m_holes;
} H = {.lock = PTHREAD_MUTEX_INITIALIZER, .head = -1};

static uint64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int64_t api_sse_hub_head(void) { return atomic_load(&H.head); }

int64_t api_sse_hub_floor(void) {
    pthread_mutex_lock(&H.lock);
    int64_t f = H.floor;
    pthread_mutex_unlock(&H.lock);
    return f;
}

int64_t api_sse_hub_collect(int64_t after, const api_sse_filter *f, char *out, size_t cap, size_t *len) {
    *len = 0;
    pthread_mutex_lock(&H.lock);
    int64_t head = atomic_load(&H.head);
    if (!H.ring || after < H.floor) {
        pthread_mutex_unlock(&H.lock);
        return -1;
    }
    int64_t id = after;
    while (id < head) {
        const slot *s = &H.ring[(id + 1) % RING];
        if (s->e.id != id + 1) { /* a hole given up on: no event has this id */
            id++;
            continue;
        }
        if (api_sse_match(f, &s->e)) {
            if (*len + s->len > cap) break;
            memcpy(out + *len, s->text, s->len);
            *len += s->len;
        }
        id++;
    }
    pthread_mutex_unlock(&H.lock);
    return id;
}

/* Settled events of one poll, appended under the lock in one go. */
typedef struct {
    store_event ev[BATCH];
    int n;
} batch;

static int collect_cb(void *ud, const store_event *e) {
    batch *b = ud;
    if (b->n < BATCH) b->ev[b->n++] = *e;
    return 0;
}

static void publish(const store_event *e) {
    slot *s = &H.ring[e->id % RING];
    s->e = *e;
    s->len = (uint16_t)api_sse_format(e, s->text, sizeof s->text);
    /* The slot held id - RING (or older): the ring's floor moves up past it. */
    if (e->id - RING > H.floor) H.floor = e->id - RING;
}

static void *hub_main(void *arg) {
    (void)arg;
    store *st = NULL;
    batch *b = malloc(sizeof *b);
    int64_t gap_seen_ms = 0; /* database clock when the current hole was first seen; 0 none */
    uint64_t gap_seen_mono = 0, next_prune = 0;
    if (!b) return NULL;
    while (!atomic_load(&H.stop) && !shutdown_requested()) {
        if (!st) {
            char err[256];
            if (store_open(H.cfg->database_url, &st, err, sizeof err) != STORE_OK) {
                st = NULL;
                log_warn("sse: database unavailable: %s", err);
                shutdown_sleep_ms(1000);
                continue;
            }
        }
        if (atomic_load(&H.head) < 0) {
            int64_t lo = 0, hi = 0;
            if (store_events_bounds(st, &lo, &hi) != STORE_OK) goto failed;
            pthread_mutex_lock(&H.lock);
            H.floor = hi;
            atomic_store(&H.head, hi);
            pthread_mutex_unlock(&H.lock);
        }
        int64_t head = atomic_load(&H.head);
        b->n = 0;
        if (store_events_after(st, head, -1, BATCH, collect_cb, b) != STORE_OK) goto failed;
        int take = 0;
        int64_t h = head;
        while (take < b->n && b->ev[take].id == h + 1) h = b->ev[take++].id;
        if (take < b->n && take == 0) {
            /* A hole right after head. Settled when every transaction open at the moment we
             * first saw it has finished; then read once more, as one may just have committed. */
            if (!gap_seen_ms) {
                if (store_events_clock_ms(st, &gap_seen_ms) != STORE_OK) goto failed;
                gap_seen_mono = mono_ms();
            } else {
                int64_t open = 1;
                if (store_events_open_tx_before(st, gap_seen_ms, &open) != STORE_OK) goto failed;
                if (open == 0 || mono_ms() - gap_seen_mono > GAP_MAX_MS) {
                    b->n = 0;
                    if (store_events_after(st, head, -1, BATCH, collect_cb, b) != STORE_OK) goto failed;
                    if (b->n > 0) {
                        metrics_counter_add(H.m_holes, (uint64_t)(b->ev[0].id - head - 1));
                        h = b->ev[0].id; /* everything before the first present id is final */
                        take = 1;
                        while (take < b->n && b->ev[take].id == h + 1) h = b->ev[take++].id;
                    }
                    gap_seen_ms = 0;
                }
            }
        } else if (take > 0) {
            gap_seen_ms = 0;
        }
        if (take > 0) {
            pthread_mutex_lock(&H.lock);
            for (int i = 0; i < take; i++) publish(&b->ev[i]);
            atomic_store(&H.head, h);
            pthread_mutex_unlock(&H.lock);
            metrics_gauge_set(H.m_head, (double)h);
        }
        uint64_t now = mono_ms();
        if (now >= next_prune) {
            next_prune = now + PRUNE_EVERY_MS;
            int64_t clock = 0, gone = 0;
            if (store_events_clock_ms(st, &clock) == STORE_OK &&
                store_events_prune(st, clock - (int64_t)H.cfg->events_retention_ms, &gone) == STORE_OK && gone)
                log_info("sse: pruned %lld events older than the retention window", (long long)gone);
        }
        if (take == BATCH) continue; /* more waiting: no sleep */
        shutdown_sleep_ms(POLL_MS);
        continue;
    failed:
        log_warn("sse: reading events failed: %s", store_errmsg(st));
        shutdown_sleep_ms(500);
    }
    store_close(st);
    free(b);
    return NULL;
}

int api_sse_hub_start(const lamda_config *cfg) {
    if (H.started) return 0;
    H.cfg = cfg;
    /* A second server in the same process (tests) keeps the ring and the head it had. */
    if (!H.ring && !(H.ring = calloc(RING, sizeof *H.ring))) return -1;
    H.m_head = metrics_gauge("lamda_sse_head_event_id", "Newest change event id the API's event hub has settled", NULL);
    H.m_holes = metrics_counter("lamda_sse_event_id_holes_total", "Event ids never committed (rolled back), skipped", NULL);
    atomic_store(&H.stop, false);
    if (pthread_create(&H.tid, NULL, hub_main, NULL) != 0) return -1;
    H.started = true;
    return 0;
}

void api_sse_hub_stop(void) {
    if (!H.started) return;
    atomic_store(&H.stop, true);
    pthread_join(H.tid, NULL);
    H.started = false;
    /* The ring stays: loop threads may still read it until they exit. */
}
