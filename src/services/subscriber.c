#include "services/subscriber.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/shutdown.h"

struct subscriber {
    const char *database_url;
    subscriber_fn fn;
    void *ud;
    bus_sub *sub;
    store *s;          /* used only on the subscription's callback thread */
    atomic_int active; /* a callback is running: stop waits for it before closing s */
};

static void on_message(bus *b, const bus_msg *m, void *ud) {
    subscriber *sub = ud;
    atomic_store(&sub->active, 1);
    sub->fn(sub, sub->ud, b, m);
    atomic_store(&sub->active, 0);
}

store *subscriber_store(subscriber *sub, char *err, size_t errlen) {
    if (!sub->s && store_open(sub->database_url, &sub->s, err, errlen) != STORE_OK) sub->s = NULL;
    return sub->s;
}

subscriber *subscriber_start(bus *b, const char *subject, const char *queue, const char *database_url,
                             subscriber_fn fn, void *ud, char *err, size_t errlen) {
    subscriber *sub = calloc(1, sizeof *sub);
    if (!sub) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    *sub = (subscriber){.database_url = database_url, .fn = fn, .ud = ud};
    if (bus_subscribe(b, subject, queue, on_message, sub, &sub->sub, err, errlen) != 0) {
        free(sub);
        return NULL;
    }
    return sub;
}

void subscriber_stop(subscriber *sub) {
    if (!sub) return;
    bus_unsubscribe(sub->sub);
    /* The callback may be finishing one last message on the bus thread. */
    while (atomic_load(&sub->active)) shutdown_sleep_ms(1);
    store_close(sub->s);
    free(sub);
}
