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

/* Created jobs waiting to be inserted (set-based) and dispatched in deferred mode; flushed at
 * this many (about 2 MB of store_job rows). */
#define PENDING_MAX 2048

typedef struct {
    uint8_t job_id[32];
    uint8_t provider[20];
} resolved_job;

struct job_events_ctx {
    const lamda_config *cfg;
    rpc_client *rpc; /* BSC, for getJobInfo when a confirmed job is not in the database */
    job_events_lookup lookup;
    void *lookup_ud;
    bool defer;
    store_job *pending; /* JobCreated of the open transaction, not yet inserted nor dispatched */
    size_t npending;
    uint8_t *inserted; /* PENDING_MAX flags for store_job_insert_many */
    /* The batch's confirmed jobs the database does not know, with their provider from
     * getJobInfo: filled by job_events_prepare before the transaction, read by apply. */
    resolved_job *resolved;
    size_t nresolved, capresolved;
};

static int provider_from_chain(void *ud, const uint8_t job_id[32], uint8_t provider[20]);

job_events_ctx *job_events_ctx_new(const lamda_config *cfg) {
    job_events_ctx *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->cfg = cfg;
    c->lookup = provider_from_chain;
    c->lookup_ud = c;
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
    free(c->inserted);
    free(c->resolved);
    free(c);
}

void job_events_defer_dispatch(job_events_ctx *c) { c->defer = true; }

void job_events_set_lookup(job_events_ctx *c, job_events_lookup fn, void *ud) {
    c->lookup = fn;
    c->lookup_ud = ud;
}

/* The queued JobCreated jobs, in the open transaction: inserted in one set-based statement,
 * then, for the ones that are new (a replayed JobCreated finds its job: nothing more to do),
 * the renter's candidate spec bound and the dispatch; or all dropped on discard. Any other
 * event flushes the queue first (job_events_apply), so an event later in the batch always
 * sees its job exactly as the one-log-at-a-time order would have left it. */
static int dispatch_pending(job_events_ctx *c, store *s, bool discard) {
    size_t n = c->npending, sent = 0, k = 0;
    c->npending = 0;
    if (discard || n == 0) return STORE_OK;
    if (!c->inserted && !(c->inserted = malloc(PENDING_MAX))) return STORE_ERR;
    int rc = store_job_insert_many(s, c->pending, n, c->inserted);
    if (rc != STORE_OK) return rc;
    for (size_t i = 0; i < n; i++)
        if (c->inserted[i]) c->pending[k++] = c->pending[i];
    /* The renter is known now: its candidate spec (sent before createJob) becomes the spec. */
    rc = store_spec_candidates_bind_jobs(s, c->pending, k);
    if (rc != STORE_OK) return rc;
    return job_dispatch_created(s, c->cfg, c->pending, k, &sent);
}

int job_events_flush(void *ud, store *s, bool discard) {
    job_events_ctx *c = ud;
    c->nresolved = 0; /* the batch is over: its pre-pass answers are not reused */
    int rc = dispatch_pending(c, s, discard);
    /* The queue (up to 2 MB) is freed, not kept: a follower that caught up holds nothing. */
    free(c->pending);
    free(c->inserted);
    c->pending = NULL;
    c->inserted = NULL;
    return rc;
}

const uint8_t (*job_events_topics(size_t *n))[32] {
    static uint8_t topics[3][32];
    memcpy(topics[0], CONTRACT_TOPIC_JOB_CREATED, 32);
    memcpy(topics[1], CONTRACT_TOPIC_JOB_CONFIRMED, 32);
    memcpy(topics[2], CONTRACT_TOPIC_PAYMENT_CLAIMED, 32);
    *n = 3;
    return (const uint8_t(*)[32])topics;
}

static void skip(const rpc_log *l, const char *what) {
    char tx[67];
    log_warn("job-events: skipping malformed %s log (tx %s, index %llu)", what, hex_encode(l->tx_hash, 32, tx),
             (unsigned long long)l->log_index);
}

static int64_t sat_i64(const u256 *v) {
    uint64_t x;
    if (u256_to_u64(v, &x) != 0 || x > INT64_MAX) return INT64_MAX;
    return (int64_t)x;
}

static int on_created(job_events_ctx *c, store *s, const rpc_log *l) {
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
    if (c->defer) { /* inserted with the batch's other new jobs (dispatch_pending) */
        if (!c->pending && !(c->pending = malloc(PENDING_MAX * sizeof *c->pending))) return STORE_ERR;
        c->pending[c->npending++] = j;
        return c->npending == PENDING_MAX ? dispatch_pending(c, s, false) : STORE_OK;
    }
    int rc = store_job_insert(s, &j);
    if (rc == STORE_DUP) return STORE_OK; /* a jobId is unique on chain; a replay finds it */
    if (rc != STORE_OK) return rc;
    /* The renter is known now: its candidate spec (sent before createJob) becomes the spec. */
    rc = store_spec_candidates_bind(s, j.job_id, j.renter);
    if (rc != STORE_OK && rc != STORE_NOTFOUND) return rc;
    /* Just inserted in state created: no need to read it back, only its spec is missing. */
    size_t sent;
    return job_dispatch_created(s, c->cfg, &j, 1, &sent);
}

/* The provider of a job the database does not know (created before the start block): ask
 * the contract. The default job_events_lookup. */
static int provider_from_chain(void *ud, const uint8_t job_id[32], uint8_t provider[20]) {
    job_events_ctx *c = ud;
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

/* A JobConfirmed log's job id and confirmation time; false when it does not decode. */
static bool decode_confirmed(const rpc_log *l, int64_t *confirmed_at) {
    u256 at;
    abi_dec d;
    abi_dec_init(&d, l->data, l->data_len);
    if (l->ntopics != 2 || abi_dec_u256(&d, &at) != 0) return false;
    *confirmed_at = sat_i64(&at);
    return true;
}

static const resolved_job *find_resolved(const job_events_ctx *c, const uint8_t id[32]) {
    for (size_t i = 0; i < c->nresolved; i++) /* jobs older than the start block: a handful */
        if (!memcmp(c->resolved[i].job_id, id, 32)) return &c->resolved[i];
    return NULL;
}

static int on_confirmed(job_events_ctx *c, store *s, const rpc_log *l) {
    int64_t confirmed_at;
    if (!decode_confirmed(l, &confirmed_at)) {
        skip(l, "JobConfirmed");
        return STORE_OK;
    }
    const uint8_t *id = l->topics[1];
    uint8_t provider[20];
    store_job j;
    int rc = store_job_get(s, id, &j);
    if (rc == STORE_OK) {
        memcpy(provider, j.provider, 20);
        rc = store_job_transition(s, id, JOB_CONFIRMED, confirmed_at, NULL, NULL);
        if (rc == STORE_INVALID) rc = STORE_OK; /* e.g. already paid in a replay */
        if (rc != STORE_OK) return rc;
    } else if (rc == STORE_NOTFOUND) {
        /* No RPC here, inside the transaction: job_events_prepare asked getJobInfo before it
         * began. A reorg's replay is not prepared, but its update row is still there (reset
         * keeps it), so adding it again would add nothing: done. */
        const resolved_job *r = find_resolved(c, id);
        if (!r) {
            store_rep rep;
            rc = store_rep_get(s, id, &rep);
            if (rc == STORE_OK) return STORE_OK;
            if (rc != STORE_NOTFOUND) return rc;
            log_warn("job-events: confirmed job unknown here and not resolved before the batch; will retry");
            return STORE_ERR;
        }
        memcpy(provider, r->provider, 20);
    } else {
        return rc;
    }
    /* Same transaction as the ledger row: the reputation update exists iff the event was
     * applied. Unique per job, so a replay adds nothing. */
    rc = store_rep_add(s, id, provider, confirmed_at, (int64_t)l->block_time);
    return rc == STORE_DUP ? STORE_OK : rc;
}

/* JobCreated logs of a batch by job id (then position), for "created earlier in the batch". */
typedef struct {
    const uint8_t *id;
    size_t pos;
} created_ref;

static int cmp_created(const void *a, const void *b) {
    const created_ref *x = a, *y = b;
    int c = memcmp(x->id, y->id, 32);
    return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

static int index_created(const rpc_log *logs, size_t n, created_ref **out, size_t *nout) {
    size_t k = 0;
    created_ref *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return STORE_ERR;
    for (size_t i = 0; i < n; i++)
        if (logs[i].ntopics == 4 && !memcmp(logs[i].topics[0], CONTRACT_TOPIC_JOB_CREATED, 32))
            v[k++] = (created_ref){logs[i].topics[1], i};
    qsort(v, k, sizeof *v, cmp_created);
    *out = v;
    *nout = k;
    return STORE_OK;
}

/* Whether a JobCreated for id comes before position pos in the batch (the first one for the
 * id has the smallest position: found by a lower-bound search). */
static bool created_before(const created_ref *v, size_t n, const uint8_t id[32], size_t pos) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(v[mid].id, id, 32) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && !memcmp(v[lo].id, id, 32) && v[lo].pos < pos;
}

/* Whether on_confirmed will need the chain for this log: the job is not in the database, not
 * created earlier in the batch, not resolved yet, and has no update row to fall back on. */
static int needs_lookup(job_events_ctx *c, store *s, const rpc_log *logs, size_t n, size_t i, created_ref **created,
                        size_t *ncreated, bool *need) {
    const uint8_t *id = logs[i].topics[1];
    *need = false;
    store_job j;
    int rc = store_job_get(s, id, &j);
    if (rc != STORE_NOTFOUND) return rc; /* known (STORE_OK), or a read error */
    if (!*created && (rc = index_created(logs, n, created, ncreated)) != STORE_OK) return rc;
    if (created_before(*created, *ncreated, id, i) || find_resolved(c, id)) return STORE_OK;
    store_rep rep;
    rc = store_rep_get(s, id, &rep);
    if (rc == STORE_OK) return STORE_OK;
    if (rc != STORE_NOTFOUND) return rc;
    *need = true;
    return STORE_OK;
}

int job_events_prepare(void *ud, store *s, const rpc_log *logs, size_t n) {
    job_events_ctx *c = ud;
    c->nresolved = 0;
    created_ref *created = NULL;
    size_t ncreated = 0;
    int rc = STORE_OK;
    for (size_t i = 0; rc == STORE_OK && i < n; i++) {
        int64_t at;
        if (memcmp(logs[i].topics[0], CONTRACT_TOPIC_JOB_CONFIRMED, 32) || !decode_confirmed(&logs[i], &at)) continue;
        bool need;
        rc = needs_lookup(c, s, logs, n, i, &created, &ncreated, &need);
        if (rc != STORE_OK || !need) continue;
        if (c->nresolved == c->capresolved) {
            size_t cap = c->capresolved ? c->capresolved * 2 : 16;
            void *p = realloc(c->resolved, cap * sizeof *c->resolved);
            if (!p) {
                rc = STORE_ERR;
                break;
            }
            c->resolved = p;
            c->capresolved = cap;
        }
        resolved_job *r = &c->resolved[c->nresolved];
        memcpy(r->job_id, logs[i].topics[1], 32);
        if (c->lookup(c->lookup_ud, r->job_id, r->provider) != 0) {
            /* Retry the batch: the reputation update must not be lost for want of an RPC. */
            log_warn("job-events: confirmed job unknown here and getJobInfo failed; will retry");
            rc = STORE_ERR;
            break;
        }
        c->nresolved++;
    }
    free(created);
    return rc;
}

static int on_paid(store *s, const rpc_log *l) {
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

int job_events_apply(void *ud, store *s, const rpc_log *l) {
    job_events_ctx *c = ud;
    if (l->ntopics < 2) return STORE_OK;
    if (!memcmp(l->topics[0], CONTRACT_TOPIC_JOB_CREATED, 32)) return on_created(c, s, l);
    /* Any other event may concern a queued job: dispatch the queue first, in log order. */
    if (c->npending) {
        int rc = dispatch_pending(c, s, false);
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

