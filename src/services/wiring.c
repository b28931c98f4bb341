/* wiring — where the layers are put together: the table of services the `lamda` command starts,
 * and what each service is built from: its follower and handlers, its bus subscriptions and the
 * API's hooks. scripts/check-layers.sh lets this file (and main.c) include every folder, so no
 * other file needs an include upward: the API receives the services' logic here, as api_hooks. */
#include "services/wiring.h"

#include <stddef.h>
#include <string.h>

#include "api/api.h"
#include "bus/bus.h"
#include "core/log.h"
#include "core/shutdown.h"
#include "services/agent_status.h"
#include "services/bus_query.h"
#include "services/job_specs.h"
#include "services/outbox_publisher.h"
#include "services/service.h"

/* ---- the followers --------------------------------------------------------------------------- */

/* What tells the two followers apart: the chain and the contract. */
typedef struct {
    const char *name, *rebuild_name; /* for logs, metrics, the cursor and the lease */
    const config_url_list *rpc;
    const char *ws_url;
    uint64_t chain_id, start_block, confirmations;
    const uint8_t *contract;
} contract_follow;

static void follower_for(const lamda_config *cfg, bool rebuild, const contract_follow *c, follower_config *fc) {
    memset(fc, 0, sizeof *fc);
    fc->name = rebuild ? c->rebuild_name : c->name;
    fc->rpc_urls = c->rpc;
    fc->ws_url = rebuild ? NULL : c->ws_url;
    fc->expected_chain_id = c->chain_id;
    memcpy(fc->contract, c->contract, 20);
    fc->start_block = c->start_block;
    fc->confirmations = c->confirmations;
    fc->poll_interval_ms = cfg->poll_interval_ms;
    fc->max_range = cfg->getlogs_max_range;
    fc->rpc_timeout_ms = cfg->rpc_timeout_ms;
    fc->database_url = cfg->database_url;
    fc->prefetch_max_bytes = cfg->follower_prefetch_max_mb << 20;
    fc->stop_when_caught_up = rebuild;
}

void wiring_node_follower(const lamda_config *cfg, bool rebuild, node_events_state *st, follower_config *fc) {
    const contract_follow c = {"node-registry", "rebuild-node-reputation", &cfg->opbnb_rpc, cfg->opbnb_ws_url,
                               cfg->opbnb_chain_id, cfg->node_reputation_start_block, cfg->opbnb_confirmations,
                               cfg->node_reputation};
    follower_for(cfg, rebuild, &c, fc);
    fc->topic0 = node_events_topics(&fc->ntopic0);
    memset(st, 0, sizeof *st);
    st->offline_after_s = (int64_t)(cfg->provider_offline_after_ms / 1000);
    st->every_batch = rebuild;
    fc->handler = (follower_handler){.ud = st,
                                     .apply = node_events_apply,
                                     .reset = node_events_reset,
                                     .flush = node_events_flush,
                                     .committed = node_events_committed,
                                     .idle = node_events_idle};
}

int wiring_job_follower(const lamda_config *cfg, bool rebuild, follower_config *fc, job_events_ctx **out) {
    job_events_ctx *ctx = job_events_ctx_new(cfg);
    if (!ctx) return -1;
    const contract_follow c = {"job-manager", "rebuild-job-manager", &cfg->bsc_rpc, cfg->bsc_ws_url,
                               cfg->bsc_chain_id, cfg->job_manager_start_block, cfg->bsc_confirmations,
                               cfg->job_manager};
    follower_for(cfg, rebuild, &c, fc);
    fc->topic0 = job_events_topics(&fc->ntopic0);
    job_events_defer_dispatch(ctx);
    fc->handler = (follower_handler){
        .ud = ctx, .prepare = job_events_prepare, .apply = job_events_apply, .reset = job_events_reset,
        .flush = job_events_flush};
    *out = ctx;
    return 0;
}

static int follow_job_manager(const lamda_config *cfg) {
    if (!cfg->have_job_manager) {
        log_error("JOB_MANAGER_CONTRACT_ADDRESS is not set");
        return 2;
    }
    job_events_ctx *ctx;
    follower_config fc;
    if (wiring_job_follower(cfg, false, &fc, &ctx) != 0) return 1;
    int rc = follower_run(&fc);
    job_events_ctx_free(ctx);
    return rc;
}

static void *job_follower_main(void *arg) {
    wiring_follower_thread *t = arg;
    t->rc = follow_job_manager(t->cfg);
    if (t->rc != 0) {
        log_error("%s: the JobManager follower stopped (rc=%d)", t->service, t->rc);
        shutdown_request();
    }
    return NULL;
}

int wiring_job_follower_start(wiring_follower_thread *t, const lamda_config *cfg, const char *service) {
    *t = (wiring_follower_thread){.cfg = cfg, .service = service};
    if (pthread_create(&t->tid, NULL, job_follower_main, t) != 0) {
        log_error("%s: cannot start the follower thread", service);
        return -1;
    }
    return 0;
}

int wiring_job_follower_join(wiring_follower_thread *t) {
    pthread_join(t->tid, NULL);
    return t->rc;
}

/* ---- node-registry: the NodeReputation follower, and nodes.query ------------------------------- */

/* Follows NodeReputation on opBNB into the provider table, marks providers offline when their
 * last heartbeat is older than PROVIDER_OFFLINE_AFTER in chain time, and answers nodes.query. */
int node_registry_run(const lamda_config *cfg) {
    if (!cfg->have_node_reputation) {
        log_error("node-registry: NODE_REPUTATION_CONTRACT_ADDRESS is not set");
        return 2;
    }
    node_events_state st;
    follower_config fc;
    wiring_node_follower(cfg, false, &st, &fc);
    /* nodes.query is a convenience for NATS clients: NATS being down must not stop the
     * registry, and bus_connect keeps reconnecting in the background. */
    bus *b = NULL;
    bus_query *q = NULL;
    char err[256];
    if (bus_connect(cfg->nats_url, "lamda-node-registry", &b, err, sizeof err) == 0)
        q = bus_query_start(b, cfg, BUS_QUERY_NODES);
    else
        log_warn("node-registry: NATS unavailable (%s); nodes.query not served", err);
    int rc = follower_run(&fc);
    bus_query_stop(q);
    bus_close(b);
    return rc;
}

/* ---- job-dispatcher: three loops in one service ------------------------------------------------ */

/* The JobManager follower (its thread): jobs, binding, outbox rows, reputation rows; the outbox
 * publisher (this thread): outbox → JetStream, exactly once per job; the agent.status
 * subscriber (libnats callback thread): agent progress → job state. And jobs.query. */
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
    agent_status_sub *status = agent_status_subscribe(b, cfg);
    bus_query *query = bus_query_start(b, cfg, BUS_QUERY_JOBS);
    wiring_follower_thread ft;
    if (wiring_job_follower_start(&ft, cfg, "job-dispatcher") != 0) {
        bus_query_stop(query);
        agent_status_unsubscribe(status);
        bus_close(b);
        return 1;
    }
    int rc = outbox_publisher_run(cfg, b);
    int frc = wiring_job_follower_join(&ft);
    bus_query_stop(query);
    agent_status_unsubscribe(status);
    bus_close(b);
    return rc ? rc : frc;
}

/* ---- api-gateway: the API with the services' hooks --------------------------------------------- */

/* api_hooks.submit_job_spec: ud is the configuration the job's dispatch reads. */
static int submit_job_spec(const void *ud, store *s, const char *body, size_t len, char *err, size_t errlen,
                           int *http_status, cJSON **data) {
    return job_spec_submit(ud, s, body, len, err, errlen, http_status, data);
}

static int api_gateway_service_run(const lamda_config *cfg) {
    api_hooks hooks = {.submit_job_spec = submit_job_spec, .ud = cfg};
    return api_gateway_run(cfg, &hooks);
}

/* ---- the table ---------------------------------------------------------------------------------- */

const service_def lamda_services[] = {
    {"node-registry", node_registry_run, "follow NodeReputation on opBNB and keep the provider table"},
    {"job-dispatcher", job_dispatcher_run, "follow JobManager on BSC and dispatch jobs over NATS"},
    {"reputation-service", reputation_service_run, "send incrementJobs on opBNB for every confirmed job"},
    {"api-gateway", api_gateway_service_run, "serve the REST API"},
    {NULL, NULL, NULL},
};
