/* ratelimit — per-client token buckets shared by every API thread.
 *
 * SO_REUSEPORT spreads one client's connections over all threads, so the buckets cannot be
 * per thread. The table is split into stripes, each behind its own mutex (it guards that
 * stripe's slots), so threads rarely contend. Each stripe is a small open-addressed table:
 * a client is looked up in PROBE consecutive slots; when all are taken by others, the least
 * recently seen one is evicted. An evicted client starts again with a full bucket, which is
 * harmless: only clients idle longer than the others lose their (partial) state. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"

#define STRIPES 64
#define SLOTS 1024 /* per stripe */
#define PROBE 8

typedef struct {
    uint8_t key[16];
    uint8_t keylen; /* 0 = free */
    double tokens;
    uint64_t last_ms;
} bucket;

typedef struct {
    pthread_mutex_t lock;
    bucket slot[SLOTS];
} stripe;

struct api_ratelimit {
    double rate;  /* tokens per second */
    double burst; /* bucket size: one second's worth */
    stripe s[STRIPES];
};

api_ratelimit *api_ratelimit_new(uint64_t per_second) {
    if (per_second == 0) return NULL;
    api_ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl) return NULL;
    rl->rate = (double)per_second;
    rl->burst = (double)per_second;
    for (int i = 0; i < STRIPES; i++) pthread_mutex_init(&rl->s[i].lock, NULL);
    return rl;
}

void api_ratelimit_free(api_ratelimit *rl) {
    if (!rl) return;
    for (int i = 0; i < STRIPES; i++) pthread_mutex_destroy(&rl->s[i].lock);
    free(rl);
}

static uint64_t hash_key(const uint8_t *k, size_t n) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ k[i]) * 1099511628211ULL;
    return h ^ (h >> 29);
}

bool api_ratelimit_take(api_ratelimit *rl, const uint8_t *key, size_t keylen, uint64_t now_ms,
                        uint64_t *retry_after_s) {
    if (!rl) return true;
    if (keylen > 16) keylen = 16;
    uint64_t h = hash_key(key, keylen);
    stripe *st = &rl->s[h % STRIPES];
    size_t base = (size_t)((h / STRIPES) % SLOTS);
    bool ok;
    pthread_mutex_lock(&st->lock);
    bucket *b = NULL, *victim = NULL;
    for (size_t i = 0; i < PROBE; i++) {
        bucket *x = &st->slot[(base + i) % SLOTS];
        if (x->keylen == keylen && memcmp(x->key, key, keylen) == 0) {
            b = x;
            break;
        }
        if (!victim || x->keylen == 0 || (victim->keylen != 0 && x->last_ms < victim->last_ms)) victim = x;
    }
    if (!b) {
        b = victim;
        memcpy(b->key, key, keylen);
        b->keylen = (uint8_t)keylen;
        b->tokens = rl->burst;
        b->last_ms = now_ms;
    }
    if (now_ms > b->last_ms) {
        b->tokens += (double)(now_ms - b->last_ms) * rl->rate / 1000.0;
        if (b->tokens > rl->burst) b->tokens = rl->burst;
        b->last_ms = now_ms;
    }
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
        ok = true;
    } else {
        double wait = (1.0 - b->tokens) / rl->rate;
        uint64_t s = (uint64_t)wait;
        if ((double)s < wait) s++;
        *retry_after_s = s < 1 ? 1 : s;
        ok = false;
    }
    pthread_mutex_unlock(&st->lock);
    return ok;
}
