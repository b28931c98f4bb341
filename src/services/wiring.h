/* wiring — the one place that builds each service from its parts (services/wiring.c): the two
 * followers, exactly as every user runs them, and the JobManager follower's thread. The
 * services, `lamda all` (the table in service.h), `lamda rebuild` and the benchmarks use these,
 * so what a rebuild derives is what the services derive. */
#ifndef LAMDA_WIRING_H
#define LAMDA_WIRING_H

#include <pthread.h>
#include <stdbool.h>

#include "chain/follower.h"
#include "core/config.h"
#include "services/job_events.h"
#include "services/node_events.h"

/* The NodeReputation follower: chain, contract, topics, start block, confirmations, the common
 * settings, and the handler with the offline sweep. st must outlive follower_run. rebuild:
 * stop when caught up, poll instead of WebSocket heads, sweep after every batch. */
void wiring_node_follower(const lamda_config *cfg, bool rebuild, node_events_state *st, follower_config *fc);

/* The JobManager follower: the same for JobManager, with batched dispatch
 * (job_events_defer_dispatch + flush). cfg must outlive follower_run. rebuild: as above (the
 * caller turns dispatch off in cfg: a rebuild has no specs, and jobId-from-CID would queue every
 * job). 0, or -1 when the BSC RPC client cannot be made; free *ctx after follower_run. */
int wiring_job_follower(const lamda_config *cfg, bool rebuild, follower_config *fc, job_events_ctx **ctx);

/* The JobManager follower on a thread of its own until shutdown, for the two services that
 * run it beside their main loop (job-dispatcher, reputation-service: the lease elects one
 * writer). A follower that stops with an error stops the process (shutdown_request). */
typedef struct {
    const lamda_config *cfg;
    const char *service; /* for the log */
    pthread_t tid;
    int rc;
} wiring_follower_thread;
/* 0, or -1 when the thread cannot start (logged). */
int wiring_job_follower_start(wiring_follower_thread *t, const lamda_config *cfg, const char *service);
/* Wait for it; its follower_run result. */
int wiring_job_follower_join(wiring_follower_thread *t);

#endif
