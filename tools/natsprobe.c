/* natsprobe — drive src/bus from the shell, for integration tests and operators.
 *
 *   natsprobe sub SUBJECT MAX TIMEOUT_MS
 *       Subscribe (core NATS); print "ready" once the server has the subscription, then
 *       "msg SUBJECT DATA" per message; stop after MAX messages or TIMEOUT_MS, print "count N".
 *   natsprobe pub-dedup STREAM SUBJECT MSGID DATA [TIMES [DEADLINE_MS [INTERVAL_MS]]]
 *       Ensure the dispatch stream, then publish DATA with MSGID TIMES times (default 1) through
 *       bus_publish_dedup, retrying each until acknowledged or DEADLINE_MS (default 10000) has
 *       passed since start, INTERVAL_MS apart. Prints "stored" or "duplicate" per publish. Works when the server is
 *       down at start: it connects once the server comes up. The stream's duplicate window is
 *       $NATSPROBE_DUP_WINDOW_MS (default 6 hours).
 *   natsprobe js-count STREAM                       prints "msgs N"
 *   natsprobe js-consume STREAM DURABLE [IDLE_MS]   pull every message of the durable consumer
 *       (created on the stream's subjects if missing), ack each, print "msg SUBJECT MSGID DATA"
 *       and "count N" once no message came for IDLE_MS (default 1000).
 *   natsprobe reply SUBJECT RESPONSE MAX TIMEOUT_MS answer requests with RESPONSE (bus_respond)
 *   natsprobe request SUBJECT DATA TIMEOUT_MS       print the reply
 *   natsprobe pub SUBJECT DATA [TIMES]              core publishes (no reply subject), flushed;
 *       a refusal by the server's permissions is printed by the error handler ("Not Permitted")
 *
 * The server is $NATS_URL (default nats://127.0.0.1:4222). Exit status 0 on success. */
#include <nats/nats.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus/bus.h"
#include "core/log.h"
#include "core/shutdown.h"

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int usage(void) {
    fprintf(stderr, "usage: natsprobe sub SUBJECT MAX TIMEOUT_MS | pub-dedup STREAM SUBJECT MSGID DATA [TIMES "
                    "[DEADLINE_MS]] | js-count STREAM | js-consume STREAM DURABLE [IDLE_MS] | reply SUBJECT "
                    "RESPONSE MAX TIMEOUT_MS | request SUBJECT DATA TIMEOUT_MS | pub SUBJECT DATA [TIMES]\n");
    return 2;
}

typedef struct {
    atomic_int count;
    const char *response;
} probe_state;

static void on_sub_msg(bus *b, const bus_msg *m, void *ud) {
    (void)b;
    probe_state *st = ud;
    printf("msg %s %.*s\n", m->subject, (int)(m->len > 1000 ? 1000 : m->len), (const char *)m->data);
    fflush(stdout);
    atomic_fetch_add(&st->count, 1);
}

static void on_request(bus *b, const bus_msg *m, void *ud) {
    probe_state *st = ud;
    if (bus_respond(b, m, st->response, strlen(st->response)) == 0) atomic_fetch_add(&st->count, 1);
}

/* Wait until max messages arrived or timeout_ms passed. */
static void wait_count(probe_state *st, int max, long long timeout_ms) {
    long long end = now_ms() + timeout_ms;
    while (atomic_load(&st->count) < max && now_ms() < end && !shutdown_requested()) shutdown_sleep_ms(10);
}

static int cmd_sub_or_reply(bus *b, const char *subject, const char *response, int max, long long timeout_ms) {
    char err[256];
    probe_state st = {.response = response};
    atomic_init(&st.count, 0);
    bus_sub *sub;
    if (bus_subscribe(b, subject, NULL, response ? on_request : on_sub_msg, &st, &sub, err, sizeof err) < 0) {
        fprintf(stderr, "natsprobe: %s\n", err);
        return 1;
    }
    /* A flush (PING/PONG) proves the SUB reached the server, which answers in order; unlike
     * a request it needs no permission (a provider's user may not subscribe to an inbox). */
    long long end = now_ms() + 10000;
    while (!bus_connected(b) && now_ms() < end) shutdown_sleep_ms(20);
    (void)bus_flush(b, 2000);
    printf("ready\n");
    fflush(stdout);
    wait_count(&st, max, timeout_ms);
    bus_unsubscribe(sub);
    printf("count %d\n", atomic_load(&st.count));
    return 0;
}

static int cmd_pub_dedup(bus *b, char **argv, int argc) {
    const char *stream = argv[0], *subject = argv[1], *msgid = argv[2], *data = argv[3];
    int times = argc > 4 ? atoi(argv[4]) : 1;
    long long deadline = now_ms() + (argc > 5 ? atoll(argv[5]) : 10000);
    long interval_ms = argc > 6 ? atol(argv[6]) : 0;
    const char *w = getenv("NATSPROBE_DUP_WINDOW_MS");
    uint64_t window_ms = w && *w ? strtoull(w, NULL, 10) : 6ULL * 3600 * 1000;
    const char *r = getenv("NATSPROBE_REPLICAS");
    int replicas = r && *r ? atoi(r) : 1;
    char err[512] = "";
    for (;;) {
        if (bus_ensure_dispatch_stream(b, stream, window_ms, replicas, true, err, sizeof err) == 0) break;
        if (now_ms() >= deadline) {
            fprintf(stderr, "natsprobe: stream: %s\n", err);
            return 1;
        }
        shutdown_sleep_ms(200);
    }
    for (int i = 0; i < times; i++) {
        bool dup = false;
        for (;;) {
            if (bus_publish_dedup(b, subject, data, strlen(data), msgid, 1000, &dup, err, sizeof err) == 0) break;
            if (now_ms() >= deadline) {
                fprintf(stderr, "natsprobe: publish: %s\n", err);
                return 1;
            }
            fprintf(stderr, "natsprobe: publish not acknowledged yet (%s); retrying\n", err);
            shutdown_sleep_ms(200);
        }
        printf("%s\n", dup ? "duplicate" : "stored");
        fflush(stdout);
        if (interval_ms > 0 && i + 1 < times) shutdown_sleep_ms(interval_ms);
    }
    return 0;
}

/* Pull consumer through libnats directly: the bus module has no consumer API (yet). */
static int cmd_js_consume(const char *url, const char *stream, const char *durable, long long idle_ms) {
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    natsSubscription *sub = NULL;
    jsErrCode jerr = 0;
    jsSubOptions so;
    int rc = 1, count = 0;
    natsStatus s = natsConnection_ConnectTo(&nc, url);
    if (s == NATS_OK) s = natsConnection_JetStream(&js, nc, NULL);
    if (s == NATS_OK) {
        jsSubOptions_Init(&so);
        so.Stream = stream;
        so.Config.AckPolicy = js_AckExplicit;
        s = js_PullSubscribe(&sub, js, BUS_DISPATCH_SUBJECTS, durable, NULL, &so, &jerr);
    }
    if (s != NATS_OK) {
        fprintf(stderr, "natsprobe: pull subscribe: %s (%d)\n", natsStatus_GetText(s), (int)jerr);
        goto out;
    }
    for (;;) {
        natsMsgList list = {0};
        s = natsSubscription_Fetch(&list, sub, 10, idle_ms, &jerr);
        if (s == NATS_TIMEOUT) break;
        if (s != NATS_OK) {
            fprintf(stderr, "natsprobe: fetch: %s (%d)\n", natsStatus_GetText(s), (int)jerr);
            goto out;
        }
        for (int i = 0; i < list.Count; i++) {
            natsMsg *m = list.Msgs[i];
            const char *id = NULL;
            if (natsMsgHeader_Get(m, "Nats-Msg-Id", &id) != NATS_OK) id = "-";
            printf("msg %s %s %.*s\n", natsMsg_GetSubject(m), id, natsMsg_GetDataLength(m), natsMsg_GetData(m));
            natsMsg_Ack(m, NULL);
            count++;
        }
        natsMsgList_Destroy(&list);
    }
    printf("count %d\n", count);
    rc = 0;
out:
    if (sub) natsSubscription_Destroy(sub);
    if (js) jsCtx_Destroy(js);
    if (nc) natsConnection_Destroy(nc);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 3) return usage();
    const char *url = getenv("NATS_URL");
    if (!url || !*url) url = "nats://127.0.0.1:4222";
    const char *cmd = argv[1];
    char err[512] = "";
    int rc;
    log_set_service("natsprobe");
    shutdown_install();
    if (strcmp(cmd, "js-consume") == 0) {
        if (argc < 4) return usage();
        rc = cmd_js_consume(url, argv[2], argv[3], argc > 4 ? atoll(argv[4]) : 1000);
        nats_Close();
        return rc;
    }
    bus *b = NULL;
    if (bus_connect(url, "natsprobe", &b, err, sizeof err) < 0) {
        fprintf(stderr, "natsprobe: %s\n", err);
        return 1;
    }
    if (strcmp(cmd, "sub") == 0 && argc >= 5) {
        rc = cmd_sub_or_reply(b, argv[2], NULL, atoi(argv[3]), atoll(argv[4]));
    } else if (strcmp(cmd, "reply") == 0 && argc >= 6) {
        rc = cmd_sub_or_reply(b, argv[2], argv[3], atoi(argv[4]), atoll(argv[5]));
    } else if (strcmp(cmd, "pub-dedup") == 0 && argc >= 6) {
        rc = cmd_pub_dedup(b, argv + 2, argc - 2);
    } else if (strcmp(cmd, "js-count") == 0) {
        uint64_t n = 0;
        rc = 1;
        for (int i = 0; i < 50 && rc; i++) { /* up to 5 s for the connection */
            if (bus_connected(b)) rc = bus_stream_msg_count(b, argv[2], &n, err, sizeof err) == 0 ? 0 : 1;
            if (rc) shutdown_sleep_ms(100);
        }
        if (rc == 0)
            printf("msgs %llu\n", (unsigned long long)n);
        else
            fprintf(stderr, "natsprobe: %s\n", err[0] ? err : "not connected");
    } else if (strcmp(cmd, "request") == 0 && argc >= 5) {
        char *reply = NULL;
        size_t n = 0;
        long long end = now_ms() + 5000;
        while (!bus_connected(b) && now_ms() < end) shutdown_sleep_ms(20);
        rc = bus_request(b, argv[2], argv[3], strlen(argv[3]), atoll(argv[4]), &reply, &n, err, sizeof err);
        if (rc == 0)
            printf("reply %s\n", reply);
        else
            fprintf(stderr, "natsprobe: %s\n", err);
        free(reply);
        rc = rc ? 1 : 0;
    } else if (strcmp(cmd, "pub") == 0 && argc >= 4) {
        long long end = now_ms() + 5000;
        while (!bus_connected(b) && now_ms() < end) shutdown_sleep_ms(20);
        int times = argc > 4 ? atoi(argv[4]) : 1;
        rc = 0;
        for (int i = 0; i < times && rc == 0; i++) rc = bus_publish(b, argv[2], argv[3], strlen(argv[3])) == 0 ? 0 : 1;
        shutdown_sleep_ms(200); /* time for the server's -ERR, if any, to reach the handler */
    } else {
        rc = usage();
    }
    bus_close(b);
    nats_Close();
    return rc;
}
