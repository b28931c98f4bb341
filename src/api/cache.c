/* cache — GET responses served from memory.
 *
 * Chain-derived data changes only when a follower batch or an agent report commits, so the
 * body a GET built stays right until then. An entry is keyed by the request's path and query
 * and stamped with the change generation it was built under (the events table's settled head,
 * which the SSE hub reads every 20 ms in every API process, so a commit by another process
 * counts too) and its time: it is served while the generation is unchanged and it is younger
 * than the TTL. The TTL bounds what no event records (heartbeats' last_seen, the online flag
 * turning over with time, the chain RPC behind /api/reputation), so no answer is ever staler
 * than the TTL after the commit that changed it.
 *
 * A hit costs one hash lookup and a reference count under one mutex: no database, no JSON
 * building, and no copy (the response sends the stored bytes; copying a 65 kB list twice per
 * hit cost about a third of the route's throughput). The bytes are capped; the least recently
 * used entries go first. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/cache.h"

struct api_cache_body {
    atomic_size_t refs; /* the entry's, and one per response sending it */
    char data[];
};

void api_cache_release(api_cache_body *b) {
    if (b && atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1) free(b);
}

typedef struct entry {
    struct entry *next_hash;
    struct entry *prev_lru, *next_lru; /* head = most recently used */
    uint64_t hash;
    char *key;
    size_t klen;
    api_cache_body *body;
    size_t len;
    const char *content_type; /* a string literal of the writer */
    char etag[API_CACHE_ETAG_LEN];
    int64_t generation;
    uint64_t stored_ms;
} entry;

struct api_cache {
    pthread_mutex_t lock;
    entry **buckets;
    size_t nbuckets; /* a power of two */
    entry *lru_head, *lru_tail;
    size_t bytes, max_bytes, entries;
    uint64_t ttl_ms;
};

static uint64_t fnv1a(const void *p, size_t n) {
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211ull;
    return h;
}

void api_cache_etag(const void *body, size_t len, char out[API_CACHE_ETAG_LEN]) {
    /* A strong validator: the body's 64-bit FNV-1a and its length. */
    snprintf(out, API_CACHE_ETAG_LEN, "\"%016llx-%llx\"", (unsigned long long)fnv1a(body, len),
             (unsigned long long)len);
}

api_cache *api_cache_new(size_t max_bytes, uint64_t ttl_ms) {
    if (max_bytes == 0 || ttl_ms == 0) return NULL;
    api_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->nbuckets = 4096;
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    if (!c->buckets) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    c->max_bytes = max_bytes;
    c->ttl_ms = ttl_ms;
    return c;
}

static size_t cost(const entry *e) { return sizeof *e + e->klen + e->len; }

static void lru_unlink(api_cache *c, entry *e) {
    if (e->prev_lru) e->prev_lru->next_lru = e->next_lru;
    else c->lru_head = e->next_lru;
    if (e->next_lru) e->next_lru->prev_lru = e->prev_lru;
    else c->lru_tail = e->prev_lru;
    e->prev_lru = e->next_lru = NULL;
}

static void lru_push_front(api_cache *c, entry *e) {
    e->prev_lru = NULL;
    e->next_lru = c->lru_head;
    if (c->lru_head) c->lru_head->prev_lru = e;
    c->lru_head = e;
    if (!c->lru_tail) c->lru_tail = e;
}

static entry **slot_of(api_cache *c, uint64_t h, const char *key, size_t klen) {
    entry **p = &c->buckets[h & (c->nbuckets - 1)];
    while (*p && !((*p)->hash == h && (*p)->klen == klen && memcmp((*p)->key, key, klen) == 0)) p = &(*p)->next_hash;
    return p;
}

static void drop(api_cache *c, entry **slot) {
    entry *e = *slot;
    *slot = e->next_hash;
    lru_unlink(c, e);
    c->bytes -= cost(e);
    c->entries--;
    free(e->key);
    api_cache_release(e->body);
    free(e);
}

static void drop_entry(api_cache *c, entry *e) { drop(c, slot_of(c, e->hash, e->key, e->klen)); }

bool api_cache_get(api_cache *c, const char *key, size_t klen, int64_t generation, uint64_t now_ms,
                   api_cache_hit *out) {
    if (!c) return false;
    uint64_t h = fnv1a(key, klen);
    bool hit = false;
    pthread_mutex_lock(&c->lock);
    entry **slot = slot_of(c, h, key, klen);
    entry *e = *slot;
    if (e && (e->generation != generation || now_ms - e->stored_ms >= c->ttl_ms)) {
        drop(c, slot); /* outdated: the next response replaces it */
        e = NULL;
    }
    if (e) {
        atomic_fetch_add_explicit(&e->body->refs, 1, memory_order_relaxed);
        out->ref = e->body;
        out->body = e->body->data;
        out->len = e->len;
        out->content_type = e->content_type;
        memcpy(out->etag, e->etag, sizeof out->etag);
        lru_unlink(c, e);
        lru_push_front(c, e);
        hit = true;
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

size_t api_cache_put(api_cache *c, const char *key, size_t klen, int64_t generation, uint64_t now_ms,
                     const char *body, size_t len, const char *content_type, const char etag[API_CACHE_ETAG_LEN]) {
    if (!c || sizeof(entry) + klen + len > c->max_bytes / 4) return c ? c->bytes : 0; /* one body never crowds out the rest */
    entry *e = calloc(1, sizeof *e);
    if (!e) return c->bytes;
    e->key = malloc(klen);
    e->body = malloc(sizeof *e->body + len);
    if (!e->key || !e->body) {
        free(e->key);
        free(e->body);
        free(e);
        return c->bytes;
    }
    atomic_init(&e->body->refs, 1);
    memcpy(e->key, key, klen);
    memcpy(e->body->data, body, len);
    e->klen = klen;
    e->len = len;
    e->hash = fnv1a(key, klen);
    e->content_type = content_type;
    memcpy(e->etag, etag, sizeof e->etag);
    e->generation = generation;
    e->stored_ms = now_ms;
    pthread_mutex_lock(&c->lock);
    entry **slot = slot_of(c, e->hash, key, klen);
    if (*slot) drop(c, slot);
    e->next_hash = c->buckets[e->hash & (c->nbuckets - 1)];
    c->buckets[e->hash & (c->nbuckets - 1)] = e;
    lru_push_front(c, e);
    c->bytes += cost(e);
    c->entries++;
    /* Expired entries go first (they are at the cold end), so an idle cache holds little. */
    while (c->lru_tail && c->lru_tail != e && now_ms - c->lru_tail->stored_ms >= c->ttl_ms) drop_entry(c, c->lru_tail);
    while (c->bytes > c->max_bytes && c->lru_tail && c->lru_tail != e) drop_entry(c, c->lru_tail);
    size_t bytes = c->bytes;
    pthread_mutex_unlock(&c->lock);
    return bytes;
}

void api_cache_sweep(api_cache *c, uint64_t now_ms) {
    if (!c) return;
    pthread_mutex_lock(&c->lock);
    /* The LRU order is not the age order (a hit moves an entry up), so look at every entry. */
    for (entry *e = c->lru_tail, *prev; e; e = prev) {
        prev = e->prev_lru;
        if (now_ms - e->stored_ms >= c->ttl_ms) drop_entry(c, e);
    }
    pthread_mutex_unlock(&c->lock);
}

void api_cache_stats(api_cache *c, size_t *bytes, size_t *entries) {
    *bytes = *entries = 0;
    if (!c) return;
    pthread_mutex_lock(&c->lock);
    *bytes = c->bytes;
    *entries = c->entries;
    pthread_mutex_unlock(&c->lock);
}

void api_cache_free(api_cache *c) {
    if (!c) return;
    while (c->lru_head) drop_entry(c, c->lru_head);
    free(c->buckets);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
