/* auth — credentials for mutations: the admin bearer token (constant-time compare) and
 * EIP-191 signatures over a canonical message (docs/api-auth.md), with a replay cache.
 *
 * The replay cache remembers the keccak hash of every accepted (signer, message) until its
 * timestamp leaves the acceptance window; after that the timestamp check alone refuses it. It is
 * process-wide (all threads), guarded by one mutex (it guards `e` and `n`). */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "core/hex.h"

typedef struct {
    uint8_t hash[32];
    int64_t expires;
} replay_entry;

struct api_replay {
    pthread_mutex_t lock;
    size_t cap, n;
    replay_entry *e;
};

api_replay *api_replay_new(size_t capacity) {
    api_replay *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->e = calloc(capacity ? capacity : 1, sizeof *r->e);
    if (!r->e) {
        free(r);
        return NULL;
    }
    r->cap = capacity ? capacity : 1;
    pthread_mutex_init(&r->lock, NULL);
    return r;
}

void api_replay_free(api_replay *r) {
    if (!r) return;
    pthread_mutex_destroy(&r->lock);
    free(r->e);
    free(r);
}

bool api_replay_check_and_add(api_replay *r, const uint8_t hash[32], int64_t now, int64_t expires) {
    if (!r) return false;
    bool fresh = true;
    pthread_mutex_lock(&r->lock);
    size_t w = 0, oldest = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (r->e[i].expires < now) continue; /* drop expired entries while scanning */
        if (memcmp(r->e[i].hash, hash, 32) == 0) fresh = false;
        r->e[w++] = r->e[i];
    }
    r->n = w;
    if (fresh) {
        if (r->n == r->cap) {
            /* Full of live entries: refuse rather than forget one (forgetting would reopen a
             * replay); the client retries with a new timestamp once entries expire. */
            fresh = false;
            (void)oldest;
        } else {
            memcpy(r->e[r->n].hash, hash, 32);
            r->e[r->n].expires = expires;
            r->n++;
        }
    }
    pthread_mutex_unlock(&r->lock);
    return fresh;
}

bool api_ct_equal(const char *a, size_t alen, const char *b, size_t blen) {
    /* Time depends only on blen (the secret's length), never on where a and b differ. */
    unsigned char diff = (unsigned char)(alen != blen);
    for (size_t i = 0; i < blen; i++) {
        unsigned char x = i < alen ? (unsigned char)a[i] : 0;
        diff |= (unsigned char)(x ^ (unsigned char)b[i]);
    }
    return diff == 0 && blen > 0;
}

int api_status_message(const uint8_t job_id[32], const char *status, int64_t ts, char *out, size_t cap) {
    char hex[67];
    hex_encode(job_id, 32, hex);
    int n = snprintf(out, cap, "lamda:job-status\njob:%s\nstatus:%s\ntimestamp:%" PRId64, hex, status, ts);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}
