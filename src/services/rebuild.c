/* rebuild — `lamda rebuild [DATABASE_URL]`: derive a fresh database from the chain alone.
 *
 * docs/design.md §3 says the database can be rebuilt from the chains; this is the proof and the
 * operator's recovery tool. Both followers run exactly as the services run them (same
 * handlers, same transactions, same ledger) from their start blocks up to the confirmed head,
 * and stop there. Off-chain inputs (job specs, agent reports) are not on chain, so a rebuilt
 * database has none; what the services derive from them (outbox messages) is not produced.
 *
 * Reputation updates: every JobConfirmed creates a pending update row, as in the service, and
 * they stay pending. The reputation service compares each provider's pending updates with its
 * on-chain count before sending anything, settles the ones the chain already counts (mined
 * long ago) and sends only what is still owed — so a rebuilt database never increments twice. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "chain/follower.h"
#include "core/log.h"
#include "core/shutdown.h"
#include "evm/contracts.h"
#include "services/job_events.h"
#include "services/node_events.h"
#include "services/service.h"


typedef struct {
    job_events_ctx *jobs;
    int64_t offline_after_s;
} rebuild_ctx;

static int rebuild_job_apply(void *ud, store *s, const chain_log *l) {
    rebuild_ctx *c = ud;
    return job_events_apply(c->jobs, s, l);
}

static int rebuild_job_reset(void *ud, store *s, const uint8_t key[32]) {
    rebuild_ctx *c = ud;
    return job_events_reset(c->jobs, s, key);
}

/* The node registry's offline rule, in chain time, after each batch (as the service does). */
static void rebuild_nodes_committed(void *ud, store *s, uint64_t block, int64_t block_time, size_t nlogs) {
    (void)block;
    (void)nlogs;
    rebuild_ctx *c = ud;
    int changed = 0;
    if (block_time > 0) store_provider_sweep_offline(s, block_time - c->offline_after_s, &changed);
}

/* A rebuild starts from nothing: a database that already follows a contract is refused, so a
 * production database is never rebuilt over by mistake. */
static int refuse_used(const char *url) {
    store *s = NULL;
    char err[512];
    if (store_open(url, &s, err, sizeof err) != STORE_OK) {
        fprintf(stderr, "lamda rebuild: database: %s\n", err);
        return -1;
    }
    int64_t jobs = 0;
    store_job_summary js;
    store_provider_summary ps;
    int rc = 0;
    if (store_job_stats(s, &js) != STORE_OK || store_provider_stats(s, &ps) != STORE_OK) {
        fprintf(stderr, "lamda rebuild: database: %s\n", store_errmsg(s));
        rc = -1;
    } else {
        jobs = js.total;
        if (jobs > 0 || ps.total > 0) {
            fprintf(stderr,
                    "lamda rebuild: the database is not empty (%lld jobs, %lld providers); give a fresh one\n",
                    (long long)jobs, (long long)ps.total);
            rc = -1;
        }
    }
    store_close(s);
    return rc;
}

int rebuild_run(const lamda_config *cfg_in, const char *database_url) {
    const char *url = database_url ? database_url : cfg_in->database_url;
    if (!cfg_in->have_job_manager || !cfg_in->have_node_reputation) {
        fprintf(stderr, "lamda rebuild: JOB_MANAGER_CONTRACT_ADDRESS and NODE_REPUTATION_CONTRACT_ADDRESS are required\n");
        return 2;
    }
    if (!url || !*url) {
        fprintf(stderr, "lamda rebuild: no database given (argument or DATABASE_URL)\n");
        return 2;
    }
    if (refuse_used(url) != 0) return 2;
    /* No dispatch from a rebuild: the jobId-from-CID mode would otherwise queue every job. */
    lamda_config cfg = *cfg_in;
    cfg.job_id_from_cid = false;

    rebuild_ctx c = {.offline_after_s = (int64_t)(cfg.provider_offline_after_ms / 1000)};
    c.jobs = job_events_ctx_new(&cfg);
    if (!c.jobs) {
        fprintf(stderr, "lamda rebuild: cannot create the BSC RPC client\n");
        return 2;
    }
    time_t t0 = time(NULL);
    follower_config fc;
    node_events_follower_config(&cfg, &fc);
    fc.name = "rebuild-node-reputation";
    fc.ws_url = NULL;
    fc.database_url = url;
    fc.stop_when_caught_up = true;
    fc.handler = (follower_handler){
        .ud = &c, .apply = node_events_apply, .reset = node_events_reset, .committed = rebuild_nodes_committed};
    int rc = follower_run(&fc);

    if (rc == 0) {
        job_events_follower_config(&cfg, &fc);
        fc.name = "rebuild-job-manager";
        fc.ws_url = NULL;
        fc.database_url = url;
        fc.stop_when_caught_up = true;
        fc.handler = (follower_handler){.ud = &c, .apply = rebuild_job_apply, .reset = rebuild_job_reset};
        rc = follower_run(&fc);
    }
    job_events_ctx_free(c.jobs);
    if (rc == 0 && shutdown_requested()) {
        fprintf(stderr, "lamda rebuild: interrupted; the database is partial (the followers resume from it)\n");
        return 1;
    }
    if (rc != 0) {
        fprintf(stderr, "lamda rebuild: failed (see the log above)\n");
        return 1;
    }
    printf("rebuilt in %llds\n", (long long)(time(NULL) - t0));
    return 0;
}
