/* node-registry — follows NodeReputation on opBNB into the provider table, marks providers
 * offline when their last heartbeat is older than PROVIDER_OFFLINE_AFTER in chain time, and
 * answers nodes.query on NATS. */
#include <string.h>
#include <time.h>

#include "api/bus_query.h"
#include "bus/bus.h"
#include "chain/follower.h"
#include "core/log.h"
#include "services/node_events.h"
#include "services/service.h"

typedef struct {
    int64_t offline_after_s;
    time_t last_sweep;
} registry_state;

/* Chain time, not the wall clock: a stalled chain or a backfill must not mark everyone
 * offline, and a replayed history must give the same answer. */
static void sweep_offline(void *ud, store *s, int64_t chain_time) {
    registry_state *st = ud;
    time_t now = time(NULL);
    if (chain_time <= 0 || now == st->last_sweep) return;
    st->last_sweep = now;
    int changed = 0;
    if (store_provider_sweep_offline(s, chain_time - st->offline_after_s, &changed) == STORE_OK && changed > 0)
        log_info("node-registry: %d provider(s) went offline (no heartbeat for %llds of chain time)", changed,
                 (long long)st->offline_after_s);
}

static void after_batch(void *ud, store *s, uint64_t block, int64_t block_time, size_t nlogs) {
    (void)block;
    (void)nlogs;
    sweep_offline(ud, s, block_time);
}

int node_registry_run(const lamda_config *cfg) {
    if (!cfg->have_node_reputation) {
        log_error("node-registry: NODE_REPUTATION_CONTRACT_ADDRESS is not set");
        return 2;
    }
    registry_state st = {.offline_after_s = (int64_t)(cfg->provider_offline_after_ms / 1000)};
    follower_config fc;
    node_events_follower_config(cfg, &fc);
    fc.handler = (follower_handler){
        .ud = &st, .apply = node_events_apply, .reset = node_events_reset, .committed = after_batch,
        .idle = sweep_offline};
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
