/* node-registry — follows NodeReputation on opBNB into the provider table, marks providers
 * offline when their last heartbeat is older than PROVIDER_OFFLINE_AFTER in chain time, and
 * answers nodes.query on NATS. */
#include "bus/bus.h"
#include "chain/follower.h"
#include "core/log.h"
#include "services/bus_query.h"
#include "services/node_events.h"
#include "services/service.h"

int node_registry_run(const lamda_config *cfg) {
    if (!cfg->have_node_reputation) {
        log_error("node-registry: NODE_REPUTATION_CONTRACT_ADDRESS is not set");
        return 2;
    }
    node_events_state st;
    follower_config fc;
    node_events_follower(cfg, false, &st, &fc);
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
