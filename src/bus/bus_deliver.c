/* bus_deliver — hand jobs to core subscribers and learn whether anyone was subscribed
 * (see bus.h, bus_deliver_many; the why is in docs/design.md "Acknowledged delivery").
 *
 * Each message is published as a request whose reply subject is <inbox>.<index>, on one
 * asynchronous inbox subscription of this call. For a subject nobody subscribes to, the
 * server answers at once with an empty "Status: 503" message (no responders). After the
 * batch, a marker is published to <inbox>.end: the server handles this connection's messages
 * in order, so once the marker comes back every 503 of the batch has come back before it.
 * A subscriber that exists never answers (the published agent does not reply), and the call
 * does not wait for it: the absence of a 503 is the delivery. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus/bus_internal.h"

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bus_deliver_item *items;
    size_t n;
    size_t prefix_len; /* strlen("<inbox>.") */
    bool marker_seen, completed;
} deliver_call;

static void on_reply(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure) {
    (void)nc;
    (void)sub;
    deliver_call *c = closure;
    const char *subj = natsMsg_GetSubject(msg);
    const char *tail = subj && strlen(subj) > c->prefix_len ? subj + c->prefix_len : "";
    pthread_mutex_lock(&c->mu);
    if (!strcmp(tail, "end")) {
        c->marker_seen = true;
        pthread_cond_broadcast(&c->cv);
    } else if (natsMsg_IsNoResponders(msg)) {
        char *endp = NULL;
        unsigned long long i = strtoull(tail, &endp, 10);
        if (endp && endp != tail && !*endp && i < c->n) c->items[i].result = BUS_DELIVER_ABSENT;
    }
    /* anything else (a reply, which the agents never send) changes nothing */
    pthread_mutex_unlock(&c->mu);
    natsMsg_Destroy(msg);
}

static void on_complete(void *closure) {
    deliver_call *c = closure;
    pthread_mutex_lock(&c->mu);
    c->completed = true;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void deadline_after(struct timespec *t, int64_t ms) {
    clock_gettime(CLOCK_REALTIME, t);
    t->tv_sec += (time_t)(ms / 1000);
    t->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t->tv_nsec >= 1000000000L) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000L;
    }
}

int bus_deliver_many(bus *b, bus_deliver_item *items, size_t n, int64_t timeout_ms, char *err, size_t errlen) {
    for (size_t i = 0; i < n; i++) items[i].result = BUS_DELIVER_ABSENT;
    for (size_t i = 0; i < n; i++) {
        if (!bus_subject_valid(items[i].subject, false) || items[i].len > INT32_MAX || (items[i].len && !items[i].data)) {
            snprintf(err, errlen, "invalid delivery item %zu", i);
            return -1;
        }
    }
    natsConnection *nc = bus_nats_connection(b);
    if (!nc || !bus_connected(b)) {
        snprintf(err, errlen, "not connected");
        return -1;
    }
    if (n == 0) return 0;
    natsInbox *inbox = NULL;
    natsSubscription *sub = NULL;
    deliver_call *c = calloc(1, sizeof *c);
    int rc = -1;
    char wild[BUS_MAX_SUBJECT], reply[BUS_MAX_SUBJECT];
    if (!c || natsInbox_Create(&inbox) != NATS_OK) {
        snprintf(err, errlen, "out of memory");
        free(c);
        return -1;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->items = items;
    c->n = n;
    c->prefix_len = strlen(inbox) + 1;
    snprintf(wild, sizeof wild, "%s.*", inbox);
    natsStatus s = natsConnection_Subscribe(&sub, nc, wild, on_reply, c);
    if (s == NATS_OK) s = natsSubscription_SetOnCompleteCB(sub, on_complete, c);
    if (s != NATS_OK) {
        snprintf(err, errlen, "inbox subscription: %s", natsStatus_GetText(s));
        if (sub) {
            natsSubscription_Destroy(sub);
            sub = NULL;
        }
        goto out;
    }
    size_t sent = 0;
    for (size_t i = 0; i < n; i++) {
        snprintf(reply, sizeof reply, "%s.%zu", inbox, i);
        /* Tentatively live; a 503 for index i turns it back to absent in on_reply. The lock
         * orders this write before any answer's. */
        pthread_mutex_lock(&c->mu);
        items[i].result = BUS_DELIVER_LIVE;
        pthread_mutex_unlock(&c->mu);
        if (natsConnection_PublishRequest(nc, items[i].subject, reply, items[i].data, (int)items[i].len) != NATS_OK) {
            pthread_mutex_lock(&c->mu);
            items[i].result = BUS_DELIVER_ABSENT; /* never left this process */
            pthread_mutex_unlock(&c->mu);
            continue;
        }
        sent++;
    }
    snprintf(reply, sizeof reply, "%s.end", inbox);
    s = natsConnection_Publish(nc, reply, "", 0);
    if (s == NATS_OK) s = natsConnection_Flush(nc) == NATS_OK ? NATS_OK : NATS_ERR;
    struct timespec until;
    deadline_after(&until, timeout_ms);
    pthread_mutex_lock(&c->mu);
    while (s == NATS_OK && !c->marker_seen)
        if (pthread_cond_timedwait(&c->cv, &c->mu, &until) != 0) break;
    /* Without the marker the answers are incomplete: what was published may or may not have
     * reached a subscriber (a reconnect resends buffered messages), so it is unknown. */
    if (!c->marker_seen)
        for (size_t i = 0; i < n; i++)
            if (items[i].result == BUS_DELIVER_LIVE) items[i].result = BUS_DELIVER_UNKNOWN;
    pthread_mutex_unlock(&c->mu);
    rc = 0;
    (void)sent;
    /* Stop the subscription and wait until libnats is done with c before freeing it. */
    natsSubscription_Unsubscribe(sub);
    pthread_mutex_lock(&c->mu);
    deadline_after(&until, 5000);
    while (!c->completed)
        if (pthread_cond_timedwait(&c->cv, &c->mu, &until) != 0) break;
    bool done = c->completed;
    pthread_mutex_unlock(&c->mu);
    natsSubscription_Destroy(sub);
    if (!done) {
        c = NULL; /* libnats may still call back: leak it rather than risk a use after free */
    }
out:
    natsInbox_Destroy(inbox);
    if (c) {
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->cv);
        free(c);
    }
    return rc;
}
