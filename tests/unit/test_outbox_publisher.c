/* test_outbox_publisher — the outbox publisher and job delivery against a fake bus (no
 * servers): it is woken by this process's commits rather than a poll, stores each job in the
 * "stream" once, and hands each job to the agent's subject until a live subscription takes it,
 * never twice while the copy awaits the agent's report.
 *
 * The fake bus is this file's definitions of the bus functions the publisher calls: linked
 * before liblamda.a, they stand in for bus.o, bus_deliver.o and (for the agent.status capture)
 * agent_status.o, which are never pulled in. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bus/bus.h"
#include "core/config.h"
#include "core/shutdown.h"
#include "services/agent_status.h"
#include "services/job_delivery.h"
#include "services/outbox_publisher.h"
#include "store/store.h"
#include "test.h"

/* ---- the fake bus --------------------------------------------------------------------------- */

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static int g_stored;             /* messages "stored in the stream" */
static long long g_stored_at_ms; /* when the last one was */
static int g_absent_left;        /* bus_deliver_many answers "no responders" this many times */
static int g_attempts, g_copies; /* deliveries tried / taken by a "live subscription" */
static char g_last_subject[256];

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool bus_connected(bus *b) {
    (void)b;
    return true;
}

int bus_ensure_dispatch_stream(bus *b, const char *name, uint64_t window, int replicas, bool republish, char *err,
                               size_t errlen) {
    (void)b, (void)name, (void)window, (void)replicas, (void)err, (void)errlen;
    return republish ? -1 : 0; /* the dispatcher must not republish to the agents' subjects */
}

int agent_status_ensure_capture(bus *b, const lamda_config *cfg, char *err, size_t errlen) {
    (void)b, (void)cfg, (void)err, (void)errlen;
    return 0;
}

int bus_publish_dedup_many(bus *b, bus_pub_item *items, size_t n, int64_t timeout_ms, char *err, size_t errlen) {
    (void)b, (void)timeout_ms, (void)err, (void)errlen;
    pthread_mutex_lock(&g_mu);
    for (size_t i = 0; i < n; i++) {
        items[i].acked = true;
        items[i].duplicate = false;
        g_stored++;
    }
    g_stored_at_ms = now_ms();
    pthread_mutex_unlock(&g_mu);
    return (int)n;
}

int bus_deliver_many(bus *b, bus_deliver_item *items, size_t n, int64_t timeout_ms, char *err, size_t errlen) {
    (void)b, (void)timeout_ms, (void)err, (void)errlen;
    pthread_mutex_lock(&g_mu);
    for (size_t i = 0; i < n; i++) {
        g_attempts++;
        snprintf(g_last_subject, sizeof g_last_subject, "%s", items[i].subject);
        if (g_absent_left > 0) {
            g_absent_left--;
            items[i].result = BUS_DELIVER_ABSENT;
        } else {
            items[i].result = BUS_DELIVER_LIVE;
            g_copies++;
        }
    }
    pthread_mutex_unlock(&g_mu);
    return 0;
}

/* ---- the test ------------------------------------------------------------------------------- */

static lamda_config g_cfg;
static char g_url[128];

static void *publisher(void *arg) {
    (void)arg;
    outbox_publisher_run(&g_cfg, NULL);
    return NULL;
}

static int read_int(int *v) {
    pthread_mutex_lock(&g_mu);
    int x = *v;
    pthread_mutex_unlock(&g_mu);
    return x;
}

static bool wait_until(int *v, int want, long ms) {
    long long end = now_ms() + ms;
    while (now_ms() < end) {
        if (read_int(v) >= want) return true;
        usleep(1000);
    }
    return read_int(v) >= want;
}

static void queue_job(store *s, uint8_t seed) {
    uint8_t id[32], provider[20];
    memset(id, seed, sizeof id);
    memset(provider, 0x11, sizeof provider);
    char subject[64];
    job_delivery_subject(provider, subject);
    CHECK_EQ_INT(store_begin(s), STORE_OK);
    CHECK_EQ_INT(store_outbox_add(s, id, "lamda.dispatch.x", (const uint8_t *)"{}", 2, (int64_t)time(NULL)), STORE_OK);
    CHECK_EQ_INT(store_delivery_add(s, id, provider, subject, (int64_t)time(NULL)), STORE_OK);
    CHECK_EQ_INT(store_commit(s), STORE_OK);
}

TEST(woken_by_commit_not_by_poll) {
    store *s = NULL;
    char err[256];
    CHECK_EQ_INT(store_open(g_url, &s, err, sizeof err), STORE_OK);
    /* Five jobs, each committed while the publisher sleeps: each must be stored well inside
     * the 100 ms fallback poll (the wake-up is the commit's notification). */
    long long worst = 0;
    usleep(300 * 1000);
    for (int i = 0; i < 5; i++) {
        int before = read_int(&g_stored);
        usleep(37 * 1000); /* somewhere inside the publisher's sleep */
        long long t0 = now_ms();
        queue_job(s, (uint8_t)(0x20 + i));
        CHECK(wait_until(&g_stored, before + 1, 1000));
        pthread_mutex_lock(&g_mu);
        long long dt = g_stored_at_ms - t0;
        pthread_mutex_unlock(&g_mu);
        if (dt > worst) worst = dt;
    }
    printf("# commit → stored in the stream: worst of 5 = %lld ms (fallback poll 100 ms)\n", worst);
    CHECK(worst < 40);
    store_close(s);
}

TEST(delivered_once_after_no_responders) {
    /* The five jobs above went to a live subscription once each, and not again. */
    CHECK(wait_until(&g_copies, 5, 1000));
    usleep(400 * 1000);
    CHECK_EQ_INT(read_int(&g_copies), 5);
    CHECK_EQ_INT(read_int(&g_attempts), 5);
    CHECK(strncmp(g_last_subject, "jobs.dispatch.0x", 16) == 0);

    /* Nobody subscribed for the next job's first three attempts: it is tried again on the
     * back-off (100, 200, 200 ms with a 200 ms cap) and then taken once. */
    store *s = NULL;
    char err[256];
    CHECK_EQ_INT(store_open(g_url, &s, err, sizeof err), STORE_OK);
    pthread_mutex_lock(&g_mu);
    g_absent_left = 3;
    pthread_mutex_unlock(&g_mu);
    long long t0 = now_ms();
    queue_job(s, 0x40);
    CHECK(wait_until(&g_copies, 6, 3000));
    long long dt = now_ms() - t0;
    printf("# three 'no responders', then delivered after %lld ms\n", dt);
    CHECK(dt >= 450 && dt < 1500);
    usleep(400 * 1000);
    CHECK_EQ_INT(read_int(&g_copies), 6);
    CHECK_EQ_INT(read_int(&g_attempts), 9);

    /* The agent's report ends the delivery. */
    uint8_t id[32], provider[20];
    memset(id, 0x40, sizeof id);
    memset(provider, 0x11, sizeof provider);
    CHECK_EQ_INT(store_delivery_ack(s, id, provider, (int64_t)time(NULL)), STORE_OK);
    CHECK_EQ_INT(store_delivery_ack(s, id, provider, (int64_t)time(NULL)), STORE_NOTFOUND);
    int64_t awaiting = -1, oldest = -1;
    CHECK_EQ_INT(store_delivery_stats(s, &awaiting, &oldest), STORE_OK);
    CHECK_EQ_INT(awaiting, 5); /* the first five were never acknowledged */
    store_close(s);
}

TEST(backoff_is_bounded) {
    CHECK_EQ_INT(job_delivery_backoff_ms(1, 500), 100);
    CHECK_EQ_INT(job_delivery_backoff_ms(2, 500), 200);
    CHECK_EQ_INT(job_delivery_backoff_ms(3, 500), 400);
    CHECK_EQ_INT(job_delivery_backoff_ms(4, 500), 500);
    CHECK_EQ_INT(job_delivery_backoff_ms(1000000, 500), 500);
}

int main(void) {
    char dir[] = "/tmp/lamda-test-outbox-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    snprintf(g_url, sizeof g_url, "sqlite:%s/t.db", dir);
    g_cfg.database_url = g_url;
    g_cfg.nats_stream = "T";
    g_cfg.nats_duplicate_window_ms = 60000;
    g_cfg.job_ack_wait_ms = 60000;
    g_cfg.job_redelivery_max_backoff_ms = 200;
    g_cfg.job_delivery_timeout_ms = 3600000;
    g_cfg.job_run_timeout_ms = 3600000;
    store *s = NULL;
    char err[256];
    if (store_open(g_url, &s, err, sizeof err) != STORE_OK) return 1; /* migrate before the thread */
    store_close(s);
    pthread_t t;
    pthread_create(&t, NULL, publisher, NULL);
    RUN(woken_by_commit_not_by_poll);
    RUN(delivered_once_after_no_responders);
    RUN(backoff_is_bounded);
    shutdown_request();
    pthread_join(t, NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) return 1;
    TEST_EXIT();
}
