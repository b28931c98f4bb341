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
#include "services/wiring.h"


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
    /* The services' own followers (services/wiring.c), with the rebuild flag: stop at the confirmed
     * head, poll, and dispatch nothing (the jobId-from-CID mode would otherwise queue every
     * job). Nothing else may differ, or the rebuilt tables would not be the services' tables. */
    lamda_config cfg = *cfg_in;
    cfg.job_id_from_cid = false;
    cfg.database_url = (char *)url; /* borrowed: this shallow copy is never freed */
    time_t t0 = time(NULL);
    node_events_state nodes;
    follower_config fc;
    wiring_node_follower(&cfg, true, &nodes, &fc);
    int rc = follower_run(&fc);

    job_events_ctx *jobs = NULL;
    if (rc == 0) {
        if (wiring_job_follower(&cfg, true, &fc, &jobs) != 0) {
            fprintf(stderr, "lamda rebuild: cannot create the BSC RPC client\n");
            return 2;
        }
        rc = follower_run(&fc);
    }
    job_events_ctx_free(jobs);
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
