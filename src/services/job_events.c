#include "services/job_events.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/hex.h"
#include "core/log.h"
#include "core/u256.h"
#include "evm/abi.h"
#include "evm/contracts.h"
#include "evm/rpc_methods.h"
#include "services/job_dispatch.h"

/* Created jobs waiting for job_dispatch_created in deferred mode; flushed at this many. */
#define PENDING_MAX 256

struct job_events_ctx {
    const lamda_config *cfg;
    rpc_client *rpc; /* BSC, for getJobInfo when a confirmed job is not in the database */
    bool defer;
    store_job *pending; /* inserted in the open transaction, not yet dispatched */
    size_t npending;
};

job_events_ctx *job_events_ctx_new(const lamda_config *cfg) {
    job_events_ctx *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->cfg = cfg;
    c->rpc = rpc_client_new(&cfg->bsc_rpc, (long)cfg->rpc_timeout_ms);
    if (!c->rpc) {
        free(c);
        return NULL;
    }
    return c;
}

void job_events_ctx_free(job_events_ctx *c) {
    if (!c) return;
    rpc_client_free(c->rpc);
    free(c->pending);
    free(c);
}

void job_events_defer_dispatch(job_events_ctx *c) { c->defer = true; }

int job_events_flush(void *ud, store *s, bool discard) {
    job_events_ctx *c = ud;
    size_t n = c->npending, sent = 0;
    c->npending = 0;
    if (discard || n == 0) return STORE_OK;
    return job_dispatch_created(s, c->cfg, c->pending, n, &sent);
}

const uint8_t (*job_events_topics(size_t *n))[32] {
    static uint8_t topics[3][32];
    memcpy(topics[0], CONTRACT_TOPIC_JOB_CREATED, 32);
    memcpy(topics[1], CONTRACT_TOPIC_JOB_CONFIRMED, 32);
    memcpy(topics[2], CONTRACT_TOPIC_PAYMENT_CLAIMED, 32);
    *n = 3;
    return (const uint8_t(*)[32])topics;
}

static void skip(const chain_log *l, const char *what) {
    char tx[67];
    log_warn("job-events: skipping malformed %s log (tx %s, index %llu)", what, hex_encode(l->tx_hash, 32, tx),
             (unsigned long long)l->log_index);
}

static int64_t sat_i64(const u256 *v) {
    uint64_t x;
    if (u256_to_u64(v, &x) != 0 || x > INT64_MAX) return INT64_MAX;
    return (int64_t)x;
}

static int on_created(job_events_ctx *c, store *s, const chain_log *l) {
    u256 payment;
    abi_dec d;
    abi_dec_init(&d, l->data, l->data_len);
    store_job j;
    memset(&j, 0, sizeof j);
    if (l->ntopics != 4 || abi_topic_address(l->topics[2], j.renter) != 0 ||
        abi_topic_address(l->topics[3], j.provider) != 0 || abi_dec_u256(&d, &payment) != 0) {
        skip(l, "JobCreated");
        return STORE_OK;
    }
    memcpy(j.job_id, l->topics[1], 32);
    u256_format_dec(&payment, j.payment);
    j.status = JOB_CREATED;
    j.created_block = (int64_t)l->block_number;
    j.created_at = l->block_time;
    j.updated_at = l->block_time;
    int rc = store_job_insert(s, &j);
    if (rc == STORE_DUP) return STORE_OK; /* a jobId is unique on chain; a replay finds it */
    if (rc != STORE_OK) return rc;
    /* The renter is known now: its candidate spec (sent before createJob) becomes the spec. */
    rc = store_spec_candidates_bind(s, j.job_id, j.renter);
    if (rc != STORE_OK && rc != STORE_NOTFOUND) return rc;
    /* Just inserted in state created: no need to read it back, only its spec is missing. */
    if (!c->defer) {
        size_t sent;
        return job_dispatch_created(s, c->cfg, &j, 1, &sent);
    }
    if (!c->pending && !(c->pending = malloc(PENDING_MAX * sizeof *c->pending))) return STORE_ERR;
    c->pending[c->npending++] = j;
    return c->npending == PENDING_MAX ? job_events_flush(c, s, false) : STORE_OK;
}

/* The provider of a job the database does not know (created before the start block): ask
 * the contract. */
static int provider_from_chain(job_events_ctx *c, const uint8_t job_id[32], uint8_t provider[20]) {
    abi_enc e;
    abi_enc_init(&e);
    abi_enc_bytes32(&e, job_id);
    uint8_t *call = NULL, *ret = NULL;
    size_t calllen = 0, retlen = 0;
    int rc = abi_enc_finish(&e, CONTRACT_SEL_GET_JOB_INFO, &call, &calllen);
    abi_enc_free(&e);
    if (rc != 0) return -1;
    rpc_error err;
    rc = rpc_eth_call(c->rpc, NULL, c->cfg->job_manager, call, calllen, &ret, &retlen, &err);
    free(call);
    if (rc != 0) return -1;
    abi_dec d;
    abi_dec_init(&d, ret, retlen);
    uint8_t id[32], renter[20];
    rc = (abi_dec_bytes32(&d, id) == 0 && abi_dec_address(&d, renter) == 0 && abi_dec_address(&d, provider) == 0) ? 0 : -1;
    free(ret);
    return rc;
}

static int on_confirmed(job_events_ctx *c, store *s, const chain_log *l) {
    u256 at;
    abi_dec d;
    abi_dec_init(&d, l->data, l->data_len);
    if (l->ntopics != 2 || abi_dec_u256(&d, &at) != 0) {
        skip(l, "JobConfirmed");
        return STORE_OK;
    }
    const uint8_t *id = l->topics[1];
    int64_t confirmed_at = sat_i64(&at);
    uint8_t provider[20];
    store_job j;
    int rc = store_job_get(s, id, &j);
    if (rc == STORE_OK) {
        memcpy(provider, j.provider, 20);
        rc = store_job_transition(s, id, JOB_CONFIRMED, confirmed_at, NULL, NULL);
        if (rc == STORE_INVALID) rc = STORE_OK; /* e.g. already paid in a replay */
        if (rc != STORE_OK) return rc;
    } else if (rc == STORE_NOTFOUND) {
        if (provider_from_chain(c, id, provider) != 0) {
            /* Retry the batch: the reputation update must not be lost for want of an RPC. */
            log_warn("job-events: confirmed job unknown here and getJobInfo failed; will retry");
            return STORE_ERR;
        }
    } else {
        return rc;
    }
    /* Same transaction as the ledger row: the reputation update exists iff the event was
     * applied. Unique per job, so a replay adds nothing. */
    rc = store_rep_add(s, id, provider, confirmed_at, l->block_time);
    return rc == STORE_DUP ? STORE_OK : rc;
}

static int on_paid(store *s, const chain_log *l) {
    u256 amount;
    abi_dec d;
    abi_dec_init(&d, l->data, l->data_len);
    if (l->ntopics != 3 || abi_dec_u256(&d, &amount) != 0) {
        skip(l, "PaymentClaimed");
        return STORE_OK;
    }
    char dec[U256_DEC_LEN];
    u256_format_dec(&amount, dec);
    int rc = store_job_set_paid(s, l->topics[1], dec, l->block_time);
    return (rc == STORE_INVALID || rc == STORE_NOTFOUND) ? STORE_OK : rc;
}

int job_events_apply(void *ud, store *s, const chain_log *l) {
    job_events_ctx *c = ud;
    if (l->ntopics < 2) return STORE_OK;
    if (!memcmp(l->topics[0], CONTRACT_TOPIC_JOB_CREATED, 32)) return on_created(c, s, l);
    /* Any other event may concern a queued job: dispatch the queue first, in log order. */
    if (c->npending) {
        int rc = job_events_flush(c, s, false);
        if (rc != STORE_OK) return rc;
    }
    if (!memcmp(l->topics[0], CONTRACT_TOPIC_JOB_CONFIRMED, 32)) return on_confirmed(c, s, l);
    if (!memcmp(l->topics[0], CONTRACT_TOPIC_PAYMENT_CLAIMED, 32)) return on_paid(s, l);
    return STORE_OK;
}

/* Reorg: the job's chain-derived row is rebuilt from its remaining events. Its spec, outbox
 * row and reputation update stay: a message already sent or an increment already mined
 * cannot be taken back, and keeping them makes the replay add nothing twice. */
int job_events_reset(void *ud, store *s, const uint8_t key[32]) {
    (void)ud;
    int rc = store_job_delete(s, key);
    return rc == STORE_NOTFOUND ? STORE_OK : rc;
}

