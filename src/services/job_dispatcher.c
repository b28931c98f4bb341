/* job-dispatcher — three loops in one service:
 *   - the JobManager follower (thread): jobs, binding, outbox rows, reputation rows;
 *   - the outbox publisher (service thread): outbox → JetStream, exactly once per job;
 *   - the agent.status consumer (libnats callback thread): agent progress → job state. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/bus_query.h"
#include "bus/bus.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/shutdown.h"
#include "services/agent_status.h"
#include "services/job_events.h"
#include "services/outbox_publisher.h"
#include "services/service.h"

typedef struct {
    const lamda_config *cfg;
    store *s;          /* used only from the subscription's callback thread */
    atomic_int active; /* a callback is running: shutdown waits for it before closing s */
    metrics_counter_t *m_ok, *m_dropped, *m_acked;
} status_consumer;

/* libnats runs one subscription's callbacks on one thread, one at a time, so the store
 * connection here is never shared. */
static void apply_agent_status(status_consumer *c, const bus_msg *m) {
    agent_report r;
    char err[256];
    if (agent_status_parse(m->data, m->len, &r, err, sizeof err) != 0) {
        metrics_counter_inc(c->m_dropped);
        log_warn("job-dispatcher: agent.status dropped: %s", err);
        return;
    }
    if (!c->s && store_open(c->cfg->database_url, &c->s, err, sizeof err) != 0) {
        c->s = NULL;
        log_warn("job-dispatcher: agent.status not applied, database unavailable: %s", err);
        return;
    }
    /* Any report from the job's provider proves its agent has the job: delivery is done,
     * whatever the transition below decides. */
    if (store_delivery_ack(c->s, r.job_id, r.agent, (int64_t)time(NULL)) == STORE_OK) metrics_counter_inc(c->m_acked);
    int rc = agent_status_apply(c->s, &r, (int64_t)time(NULL), err, sizeof err);
    if (rc == 0) {
        metrics_counter_inc(c->m_ok);
        return;
    }
    metrics_counter_inc(c->m_dropped);
    if (rc == -1) log_warn("job-dispatcher: agent.status refused: %s", err);
    else log_warn("job-dispatcher: agent.status not applied: %s", store_errmsg(c->s));
}

static void on_agent_status(bus *b, const bus_msg *m, void *ud) {
    (void)b;
    status_consumer *c = ud;
    atomic_store(&c->active, 1);
    apply_agent_status(c, m);
    atomic_store(&c->active, 0);
}

typedef struct {
    const lamda_config *cfg;
    int rc;
} follower_thread;

static void *run_follower(void *arg) {
    follower_thread *t = arg;
    t->rc = job_events_follow(t->cfg);
    if (t->rc != 0) shutdown_request();
    return NULL;
}

int job_dispatcher_run(const lamda_config *cfg) {
    if (!cfg->have_job_manager) {
        log_error("job-dispatcher: JOB_MANAGER_CONTRACT_ADDRESS is not set");
        return 2;
    }
    bus *b = NULL;
    char err[256];
    if (bus_connect(cfg->nats_url, "lamda-job-dispatcher", &b, err, sizeof err) != 0) {
        log_error("job-dispatcher: NATS: %s", err);
        return 1;
    }
    status_consumer consumer = {.cfg = cfg};
    consumer.m_ok = metrics_counter("lamda_agent_status_total", "agent.status messages", "result=\"applied\"");
    consumer.m_dropped = metrics_counter("lamda_agent_status_total", "agent.status messages", "result=\"dropped\"");
    consumer.m_acked = metrics_counter("lamda_jobs_acknowledged_total", "Jobs whose agent first reported on agent.status", "");
    bus_sub *sub = NULL;
    if (bus_subscribe(b, "agent.status", NULL, on_agent_status, &consumer, &sub, err, sizeof err) != 0)
        log_warn("job-dispatcher: agent.status subscription failed (%s); will not track agent progress", err);

    bus_query *query = bus_query_start(b, cfg, BUS_QUERY_JOBS);

    follower_thread ft = {cfg, 0};
    pthread_t tid;
    if (pthread_create(&tid, NULL, run_follower, &ft) != 0) {
        log_error("job-dispatcher: cannot start the follower thread");
        bus_query_stop(query);
        bus_close(b);
        return 1;
    }
    int rc = outbox_publisher_run(cfg, b);
    pthread_join(tid, NULL);
    bus_query_stop(query);
    bus_unsubscribe(sub);
    while (atomic_load(&consumer.active)) shutdown_sleep_ms(1);
    bus_close(b);
    store_close(consumer.s);
    return rc ? rc : ft.rc;
}
