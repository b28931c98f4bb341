#include "chain/follower_prefetch.h"

#include <pthread.h>
#include <stdlib.h>

typedef enum { PF_IDLE, PF_REQUESTED, PF_DONE } pf_state;

struct follower_prefetch {
    follower_fetcher *fx;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pf_state state;
    bool stop;
    uint64_t from;
    follower_batch batch; /* valid in PF_DONE */
};

static void *run(void *arg) {
    follower_prefetch *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->state != PF_REQUESTED) pthread_cond_wait(&p->cv, &p->mu);
        if (p->stop) break;
        uint64_t from = p->from;
        pthread_mutex_unlock(&p->mu);
        follower_batch b;
        follower_fetch(p->fx, from, 0, &b); /* the RPC calls, outside the lock */
        pthread_mutex_lock(&p->mu);
        p->batch = b;
        p->state = PF_DONE;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

follower_prefetch *follower_prefetch_start(follower_fetcher *fx) {
    follower_prefetch *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->fx = fx;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (pthread_create(&p->thread, NULL, run, p) != 0) {
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        free(p);
        return NULL;
    }
    return p;
}

void follower_prefetch_request(follower_prefetch *p, uint64_t from) {
    pthread_mutex_lock(&p->mu);
    p->from = from;
    p->state = PF_REQUESTED;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

bool follower_prefetch_take(follower_prefetch *p, follower_batch *b) {
    pthread_mutex_lock(&p->mu);
    while (p->state == PF_REQUESTED) pthread_cond_wait(&p->cv, &p->mu);
    bool got = p->state == PF_DONE;
    if (got) {
        *b = p->batch;
        p->state = PF_IDLE;
    }
    pthread_mutex_unlock(&p->mu);
    return got;
}

void follower_prefetch_discard(follower_prefetch *p) {
    follower_batch b;
    if (p && follower_prefetch_take(p, &b)) follower_batch_free(&b);
}

void follower_prefetch_stop(follower_prefetch *p) {
    if (!p) return;
    follower_prefetch_discard(p); /* a fetch in progress ends within its RPC timeout */
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
