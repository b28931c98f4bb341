/* reputation-service — every JobConfirmed on BSC leads to exactly one incrementJobs(provider)
 * mined on opBNB, signed by the admin wallet.
 *
 * Two halves in one process:
 *   - the JobManager follower (wiring_job_follower_start: its own thread and lease): JobConfirmed →
 *     job confirmed + a PENDING reputation_updates row, in the ledger row's transaction;
 *   - the transaction manager (chain/txmgr.h, this thread, lease "reputation-txmgr"): PENDING
 *     rows → signed, stored, broadcast, tracked to MINED or FAILED.
 * The row (job id unique) is the hand-over, so a replayed event or a restart adds nothing.
 *
 * Also `lamda reputation audit [--fix]`: database against on-chain job counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/txmgr.h"
#include "core/address.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/shutdown.h"
#include "evm/abi.h"
#include "evm/contracts.h"
#include "evm/rpc_methods.h"
#include "evm/secp.h"
#include "services/service.h"
#include "services/wiring.h"
#include "store/store.h"
#include "store/store_rep_audit.h"

#define LEASE_NAME "reputation-txmgr"

/* ---- call data and metrics ----------------------------------------------------------------- */

static int increment_call(void *ud, const store_rep *row, uint8_t **data, size_t *len, char *err,
                          size_t errlen) {
    (void)ud;
    abi_enc e;
    abi_enc_init(&e);
    abi_enc_address(&e, row->provider);
    int rc = abi_enc_finish(&e, CONTRACT_SEL_INCREMENT_JOBS, data, len);
    abi_enc_free(&e);
    if (rc != 0) snprintf(err, errlen, "out of memory");
    return rc;
}

typedef struct {
    metrics_gauge_t *state[STORE_REP_STATE_COUNT];
    metrics_histogram_t *latency;
    metrics_counter_t *settled_mined, *settled_failed;
} rep_metrics;

static void metrics_init(rep_metrics *m) {
    static const double secs[] = {1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600};
    m->state[STORE_REP_PENDING] =
        metrics_gauge("lamda_reputation_pending", "reputation updates waiting to be signed", "");
    m->state[STORE_REP_SIGNED] =
        metrics_gauge("lamda_reputation_in_flight", "incrementJobs transactions signed and not yet final", "");
    m->state[STORE_REP_MINED] = metrics_gauge("lamda_reputation_mined", "reputation updates mined", "");
    m->state[STORE_REP_FAILED] =
        metrics_gauge("lamda_reputation_failed", "reputation updates recorded as failed", "");
    m->latency = metrics_histogram("lamda_reputation_confirm_to_mined_seconds",
                                   "chain time from JobConfirmed to the incrementJobs block", "", secs,
                                   sizeof secs / sizeof secs[0]);
}

static void on_settled(void *ud, const store_rep *row, int64_t block_time) {
    rep_metrics *m = ud;
    if (row->state == STORE_REP_MINED && row->confirmed_at > 0 && block_time > 0) {
        int64_t d = block_time - row->confirmed_at;
        metrics_histogram_observe(m->latency, d > 0 ? (double)d : 0.0);
    }
}

static void metrics_refresh(rep_metrics *m, store *s) {
    int64_t counts[STORE_REP_STATE_COUNT];
    if (store_rep_counts(s, counts) != STORE_OK) return;
    for (int i = 0; i < STORE_REP_STATE_COUNT; i++) metrics_gauge_set(m->state[i], (double)counts[i]);
}

/* ---- start-up checks ----------------------------------------------------------------------- */

/* 0 owner matches; 1 it does not (message logged); -1 transient (retry). */
static int check_owner(rpc_client *rpc, const lamda_config *cfg, const uint8_t admin[20]) {
    uint8_t *out = NULL;
    size_t outlen = 0;
    rpc_error re;
    if (rpc_eth_call(rpc, NULL, cfg->node_reputation, CONTRACT_SEL_OWNER, 4, &out, &outlen, &re) != 0) {
        if (re.kind == RPC_REVERT) {
            char cs[ADDRESS_STR_LEN];
            log_error("reputation-service: owner() reverted on NodeReputation %s (is it the right contract?)",
                      address_format(cfg->node_reputation, cs));
            return 1;
        }
        log_warn("reputation-service: owner() on opBNB failed: %s; retrying", re.message);
        return -1;
    }
    abi_dec d;
    uint8_t owner[20];
    abi_dec_init(&d, out, outlen);
    int rc = abi_dec_address(&d, owner);
    free(out);
    char cs[ADDRESS_STR_LEN], os[ADDRESS_STR_LEN], as[ADDRESS_STR_LEN];
    address_format(cfg->node_reputation, cs);
    address_format(admin, as);
    if (rc != 0) {
        log_error("reputation-service: NodeReputation %s answered owner() with no address (is it the"
                  " right contract?)", cs);
        return 1;
    }
    if (memcmp(owner, admin, 20) != 0) {
        log_error("reputation-service: the admin wallet %s is not the owner of NodeReputation %s (the owner is"
                  " %s); incrementJobs would revert. Refusing to start: set ADMIN_WALLET_PRIVATE_KEY to the"
                  " owner's key or transfer ownership to %s",
                  as, cs, address_format(owner, os), as);
        return 1;
    }
    log_info("reputation-service: admin wallet %s owns NodeReputation %s", as, cs);
    return 0;
}

/* ---- updates the chain already counts -------------------------------------------------------- */

static int onchain_count(rpc_client *rpc, const uint8_t contract[20], const uint8_t provider[20], uint64_t *out,
                         rpc_error *re);

/* What the transaction manager's checks before a send need (txmgr_config.vet, .settled). */
typedef struct {
    const lamda_config *cfg;
    store *s;
    rpc_client *rpc, *bsc; /* opBNB (NodeReputation, the wallet), BSC (the JobManager head) */
    uint8_t wallet[20];
    rep_metrics *met;
} rep_ctx;

static void on_settled_ctx(void *ud, const store_rep *row, int64_t block_time) {
    on_settled(((rep_ctx *)ud)->met, row, block_time);
}

/* Transactions of the admin wallet in the mempool that this database has no SIGNED row for:
 * sent through a database that was since lost (a PostgreSQL failover with asynchronous
 * replication, a restore from backup). Their increments are not on chain yet, so the count
 * check below cannot see them, and sending now would count those jobs twice. So while any
 * exist nothing is sent; once they are mined (or dropped), the on-chain count says what is
 * owed. Returns 0 and sets *unknown, or -1 when the chain could not be asked. */
static int unknown_in_flight(rpc_client *rpc, const uint8_t wallet[20], int64_t nsigned, uint64_t *unknown) {
    uint64_t latest = 0, pending = 0;
    rpc_error re;
    if (rpc_get_transaction_count(rpc, wallet, false, &latest, &re) != 0 ||
        rpc_get_transaction_count(rpc, wallet, true, &pending, &re) != 0) {
        log_warn("reputation-service: eth_getTransactionCount failed (%s); not sending this round", re.message);
        return -1;
    }
    uint64_t in_flight = pending > latest ? pending - latest : 0;
    *unknown = in_flight > (uint64_t)nsigned ? in_flight - (uint64_t)nsigned : 0;
    return 0;
}

/* *yes when the JobManager cursor in the database is within the confirmation depth (+1) of the
 * BSC head. */
static int job_events_caught_up(const lamda_config *cfg, store *s, rpc_client *bsc, bool *yes) {
    static uint64_t chain_id;
    uint64_t head = 0, cursor = 0;
    rpc_error re;
    uint8_t hash[32];
    *yes = false;
    if ((!chain_id && rpc_chain_id(bsc, &chain_id, &re) != 0) || rpc_block_number(bsc, &head, &re) != 0) {
        log_warn("reputation-service: BSC head unknown (%s); not settling this round", re.message);
        return -1;
    }
    int rc = store_cursor_get(s, chain_id, cfg->job_manager, &cursor, hash);
    if (rc == STORE_NOTFOUND) return 0;
    if (rc != STORE_OK) return -1;
    *yes = cursor + cfg->bsc_confirmations + 1 >= head;
    return 0;
}

/* One provider's pending rows against the chain. The chain does not say which job an
 * increment was for, only each provider's count. So a database younger than the chain's
 * history — a fresh start, a rebuild, a move from SQLite to PostgreSQL, a failover that lost
 * the last commits — replays JobConfirmed events whose increments were sent long ago. At most
 * (pending + signed + mined − on-chain count) of the pending rows are still owed; the oldest
 * pending rows beyond that are settled as mined — the increment is on chain, from before — with
 * a note and no transaction. In steady state the on-chain count never exceeds signed + mined,
 * so nothing is settled. Returns 0 (nothing settled: every pending row of the provider is
 * owed), 1 (rows settled, or waiting for the follower), -1 (the chain or database failed). */
static int settle_provider(rep_ctx *c, const uint8_t provider[20]) {
    int64_t counts[STORE_REP_STATE_COUNT];
    if (store_rep_counts_of(c->s, provider, counts) != STORE_OK) return -1;
    uint64_t onchain;
    rpc_error re;
    if (onchain_count(c->rpc, c->cfg->node_reputation, provider, &onchain, &re) != 0) {
        log_warn("reputation-service: successfulJobsCount failed (%s); not sending this round", re.message);
        return -1;
    }
    int64_t pending = counts[STORE_REP_PENDING];
    int64_t owed = pending + counts[STORE_REP_SIGNED] + counts[STORE_REP_MINED] -
                   (int64_t)(onchain > INT64_MAX ? INT64_MAX : onchain);
    if (owed >= pending) return 0;
    /* The on-chain count may include increments for confirmations this database has not
     * replayed yet (its JobManager cursor is behind: a failover, a restore). Settling now
     * would mark new jobs as counted and send the replayed ones again, so wait until the
     * cursor has caught up with the chain. */
    bool caught_up = false;
    if (job_events_caught_up(c->cfg, c->s, c->bsc, &caught_up) != 0) return -1;
    if (!caught_up) {
        log_info("reputation-service: the chain counts more than this database knows; waiting for the"
                 " JobManager follower to catch up before settling");
        return 1;
    }
    int64_t excess = pending - (owed > 0 ? owed : 0), done = 0;
    char note[STORE_ERROR_MAX], a[ADDRESS_STR_LEN];
    snprintf(note, sizeof note,
             "already counted on chain: successfulJobsCount %llu covers this job (the database is younger"
             " than the provider's history)", (unsigned long long)onchain);
    if (store_rep_settle_covered(c->s, provider, excess, note, &done) != STORE_OK) return -1;
    log_warn("reputation-service: %lld update(s) for %s already counted on chain (count %llu); not sent",
             (long long)done, address_format(provider, a), (unsigned long long)onchain);
    return 1;
}

/* txmgr_config.vet: the rows the transaction manager is about to sign were read before this
 * runs, so the counts read here include them (a follower thread commits new PENDING rows at any
 * time; a check made earlier in the round could miss a replayed row that the send then picked
 * up — the double increments the asynchronous failover drill found). Sends only when no
 * unknown transaction is in flight and every provider of the rows owes all its pending rows. */
static int vet_pending(void *ud, const store_rep *rows, int n) {
    rep_ctx *c = ud;
    int64_t counts[STORE_REP_STATE_COUNT];
    if (store_rep_counts(c->s, counts) != STORE_OK) return -1;
    uint64_t unknown = 0;
    if (unknown_in_flight(c->rpc, c->wallet, counts[STORE_REP_SIGNED], &unknown) != 0) return -1;
    static uint64_t said; /* log on a change, not every round: the wait may last blocks */
    if (unknown != said) {
        if (unknown > 0)
            log_warn("reputation-service: %llu transaction(s) of the admin wallet are in flight that this database"
                     " does not know (sent through a database since lost?); waiting for them to be mined before"
                     " sending", (unsigned long long)unknown);
        else
            log_info("reputation-service: the admin wallet's unknown transactions are mined; sending resumes");
        said = unknown;
    }
    if (unknown > 0) return 1;
    int ret = 0;
    for (int i = 0; i < n; i++) {
        bool seen = false; /* each provider once; n is at most the txmgr's fill size */
        for (int j = 0; j < i && !seen; j++) seen = memcmp(rows[j].provider, rows[i].provider, 20) == 0;
        if (seen) continue;
        int rc = settle_provider(c, rows[i].provider);
        if (rc < 0) return -1;
        if (rc > 0) ret = 1;
    }
    return ret;
}

/* ---- the transaction manager loop ---------------------------------------------------------- */

static int run_txmgr(const lamda_config *cfg, store *s, rep_metrics *met) {
    rpc_client *rpc = rpc_client_new(&cfg->opbnb_rpc, (long)cfg->rpc_timeout_ms);
    rpc_client *bsc = rpc_client_new(&cfg->bsc_rpc, (long)cfg->rpc_timeout_ms); /* the JobManager head */
    rep_ctx ctx = {.cfg = cfg, .s = s, .rpc = rpc, .bsc = bsc, .met = met};
    txmgr_config tc = {.rpc_urls = &cfg->opbnb_rpc, .rpc_timeout_ms = cfg->rpc_timeout_ms,
                       .expected_chain_id = cfg->opbnb_chain_id, .key = cfg->admin_key,
                       .max_in_flight = cfg->reputation_max_in_flight,
                       .tx_timeout_ms = cfg->reputation_tx_timeout_ms,
                       .receipt_depth = cfg->reputation_receipt_depth,
                       .gas_margin_pct = cfg->reputation_gas_margin_pct,
                       .max_fee_gwei = cfg->reputation_max_fee_gwei,
                       .priority_fee_gwei = cfg->reputation_priority_fee_gwei,
                       .call_data = increment_call, .settled = on_settled_ctx, .vet = vet_pending, .ud = &ctx};
    memcpy(tc.to, cfg->node_reputation, 20);
    long idle_ms = (long)cfg->poll_interval_ms;
    if (idle_ms < 20) idle_ms = 20;
    if (idle_ms > 1000) idle_ms = 1000;
    long busy_ms = idle_ms < 100 ? idle_ms : 100;
    if (!rpc || !bsc) {
        rpc_client_free(rpc);
        rpc_client_free(bsc);
        return 1;
    }
    txmgr *m = NULL;
    bool standby_logged = false;
    long backoff = 200;
    while (!shutdown_requested()) {
        if (!m) {
            bool got = false;
            if (store_lease_acquire(s, LEASE_NAME, &got) != STORE_OK || !got) {
                if (!standby_logged) log_info("reputation-service: another instance sends; standing by");
                standby_logged = true;
                shutdown_sleep_ms(1000);
                continue;
            }
            char err[512];
            bool transient = false;
            if (txmgr_open(&tc, s, &m, &transient, err, sizeof err) != 0) {
                if (!transient) {
                    log_error("reputation-service: %s", err);
                    rpc_client_free(rpc);
                    rpc_client_free(bsc);
                    store_lease_release(s, LEASE_NAME);
                    return 2;
                }
                log_warn("reputation-service: transaction manager start: %s; retrying", err);
                shutdown_sleep_ms(backoff);
                if (backoff < 5000) backoff *= 2;
                continue;
            }
            backoff = 200;
            standby_logged = false;
            txmgr_address(m, ctx.wallet);
        }
        if (!store_lease_held(s, LEASE_NAME)) {
            /* e.g. a PostgreSQL reconnect: whoever holds it now sends; start over from the DB */
            log_warn("reputation-service: lease lost; reloading");
            txmgr_free(m);
            m = NULL;
            continue;
        }
        bool busy = false;
        if (txmgr_step(m, &busy) != 0) log_warn("reputation-service: step failed (out of memory?)");
        metrics_refresh(met, s);
        shutdown_sleep_ms(busy ? busy_ms : idle_ms);
    }
    txmgr_free(m);
    rpc_client_free(rpc);
    rpc_client_free(bsc);
    store_lease_release(s, LEASE_NAME);
    return 0;
}

int reputation_service_run(const lamda_config *cfg) {
    if (!cfg->have_node_reputation) {
        log_error("reputation-service: NODE_REPUTATION_CONTRACT_ADDRESS is not set");
        return 2;
    }
    if (!cfg->have_job_manager) {
        log_error("reputation-service: JOB_MANAGER_CONTRACT_ADDRESS is not set");
        return 2;
    }
    if (!cfg->have_admin_key) {
        log_error("reputation-service: ADMIN_WALLET_PRIVATE_KEY (or ADMIN_WALLET_PRIVATE_KEY_FILE) is not set");
        return 2;
    }
    uint8_t admin[20];
    if (secp_priv_address(cfg->admin_key, admin) != 0) {
        log_error("reputation-service: ADMIN_WALLET_PRIVATE_KEY is not a valid secp256k1 key");
        return 2;
    }
    rpc_client *rpc = rpc_client_new(&cfg->opbnb_rpc, (long)cfg->rpc_timeout_ms);
    if (!rpc) {
        log_error("reputation-service: OPBNB_RPC_URL: cannot create an RPC client");
        return 2;
    }
    int oc;
    long backoff = 200;
    while ((oc = check_owner(rpc, cfg, admin)) < 0 && !shutdown_requested()) {
        shutdown_sleep_ms(backoff);
        if (backoff < 5000) backoff *= 2;
    }
    rpc_client_free(rpc);
    if (oc > 0) return 2;
    if (oc < 0) return 0; /* stopped while waiting */

    store *s = NULL;
    char err[512];
    while (store_open(cfg->database_url, &s, err, sizeof err) != STORE_OK) {
        log_warn("reputation-service: database: %s; retrying", err);
        if (shutdown_sleep_ms(1000)) return 0;
    }
    rep_metrics met;
    metrics_init(&met);

    wiring_follower_thread ft;
    if (wiring_job_follower_start(&ft, cfg, "reputation-service") != 0) {
        store_close(s);
        return 1;
    }
    int rc = run_txmgr(cfg, s, &met);
    if (rc != 0) shutdown_request();
    int frc = wiring_job_follower_join(&ft);
    store_close(s);
    return rc != 0 ? rc : frc;
}

/* ---- lamda reputation audit [--fix] -------------------------------------------------------- */

typedef struct {
    store_rep_tally *v;
    size_t n, cap;
} tally_list;

static int collect(const store_rep_tally *t, void *ud) {
    tally_list *l = ud;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        store_rep_tally *p = realloc(l->v, cap * sizeof *p);
        if (!p) return -1;
        l->v = p;
        l->cap = cap;
    }
    l->v[l->n++] = *t;
    return 0;
}

static int onchain_count(rpc_client *rpc, const uint8_t contract[20], const uint8_t provider[20], uint64_t *out,
                         rpc_error *re) {
    static uint8_t sel[4];
    static int have_sel;
    if (!have_sel) {
        abi_selector("successfulJobsCount(address)", sel);
        have_sel = 1;
    }
    uint8_t call[36];
    memcpy(call, sel, 4);
    memset(call + 4, 0, 12);
    memcpy(call + 16, provider, 20);
    uint8_t *res = NULL;
    size_t len = 0;
    if (rpc_eth_call(rpc, NULL, contract, call, sizeof call, &res, &len, re) != 0) return -1;
    abi_dec d;
    abi_dec_init(&d, res, len);
    int rc = abi_dec_u64(&d, out);
    free(res);
    if (rc != 0) snprintf(re->message, sizeof re->message, "successfulJobsCount: malformed answer");
    return rc;
}

int reputation_audit_run(const lamda_config *cfg, int fix) {
    if (!cfg->have_node_reputation) {
        fprintf(stderr, "lamda reputation audit: NODE_REPUTATION_CONTRACT_ADDRESS is not set\n");
        return 2;
    }
    store *s = NULL;
    char err[512];
    if (store_open(cfg->database_url, &s, err, sizeof err) != STORE_OK) {
        fprintf(stderr, "lamda reputation audit: database: %s\n", err);
        return 2;
    }
    rpc_client *rpc = rpc_client_new(&cfg->opbnb_rpc, (long)cfg->rpc_timeout_ms);
    tally_list l = {0};
    int rc = 2;
    if (!rpc) {
        fprintf(stderr, "lamda reputation audit: OPBNB_RPC_URL: cannot create an RPC client\n");
        goto out;
    }
    if (store_rep_tally_each(s, collect, &l) != STORE_OK) {
        fprintf(stderr, "lamda reputation audit: database: %s\n", store_errmsg(s));
        goto out;
    }
    printf("%-42s %9s %7s %6s %6s %6s %8s %6s\n", "provider", "confirmed", "pending", "signed", "mined",
           "failed", "on-chain", "drift");
    int drifting = 0;
    int64_t queued = 0, requeued = 0;
    for (size_t i = 0; i < l.n; i++) {
        store_rep_tally *t = &l.v[i];
        uint64_t oc = 0;
        rpc_error re;
        char as[ADDRESS_STR_LEN];
        address_format(t->provider, as);
        if (onchain_count(rpc, cfg->node_reputation, t->provider, &oc, &re) != 0) {
            fprintf(stderr, "lamda reputation audit: successfulJobsCount(%s): %s\n", as, re.message);
            goto out;
        }
        int64_t drift = t->confirmed - (int64_t)oc;
        printf("%-42s %9lld %7lld %6lld %6lld %6lld %8llu %+6lld\n", as, (long long)t->confirmed,
               (long long)(t->by_state[STORE_REP_PENDING] + t->without_row), (long long)t->by_state[STORE_REP_SIGNED],
               (long long)t->by_state[STORE_REP_MINED], (long long)t->by_state[STORE_REP_FAILED],
               (unsigned long long)oc, (long long)drift);
        if (drift != 0) drifting++;
        if (!fix || drift <= 0) continue;
        /* What is neither on chain nor queued. Rows still SIGNED but already mined make this an
         * underestimate, never an overestimate: the fix never queues a second increment. */
        int64_t deficit =
            drift - t->by_state[STORE_REP_PENDING] - t->by_state[STORE_REP_SIGNED];
        int64_t added = 0, again = 0;
        if (t->without_row > 0 && store_rep_add_missing(s, t->provider, (int64_t)time(NULL), &added) != STORE_OK) {
            fprintf(stderr, "lamda reputation audit: database: %s\n", store_errmsg(s));
            goto out;
        }
        deficit -= added;
        if (deficit > 0 && t->by_state[STORE_REP_FAILED] > 0 &&
            store_rep_requeue_failed(s, t->provider, deficit, &again) != STORE_OK) {
            fprintf(stderr, "lamda reputation audit: database: %s\n", store_errmsg(s));
            goto out;
        }
        queued += added;
        requeued += again;
    }
    if (drifting == 0) printf("no drift: every confirmed job is counted on chain\n");
    else printf("%d provider(s) with drift\n", drifting);
    if (fix)
        printf("fix: %lld new update(s) queued, %lld failed update(s) re-queued; a running reputation-service"
               " sends them\n",
               (long long)queued, (long long)requeued);
    rc = drifting ? 1 : 0;
out:
    free(l.v);
    rpc_client_free(rpc);
    store_close(s);
    return rc;
}
