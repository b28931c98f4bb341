/* store_notify — in-process wake-up of the outbox publisher on commit (issue #15).
 *
 * The outbox used to be polled every 5 ms. Writers in this process now mark their transaction
 * (store_notify_mark) and store_commit raises a counter under a condition variable, so the
 * publisher wakes within microseconds of the commit and otherwise sleeps. */
#include <pthread.h>
#include <time.h>

#include "store/store_internal.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static uint64_t seq;

void store_notify_mark(store *s) {
    if (db_in_tx(s->db)) s->notify_on_commit = true;
    else store_notify_raise();
}

void store_notify_raise(void) {
    pthread_mutex_lock(&mu);
    seq++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

uint64_t store_notify_seq(void) {
    pthread_mutex_lock(&mu);
    uint64_t v = seq;
    pthread_mutex_unlock(&mu);
    return v;
}

uint64_t store_notify_wait(uint64_t seen, long timeout_ms) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&mu);
    while (seq == seen) {
        if (pthread_cond_timedwait(&cv, &mu, &until) != 0) break; /* timed out */
    }
    uint64_t v = seq;
    pthread_mutex_unlock(&mu);
    return v;
}
