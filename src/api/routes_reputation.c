/* routes_reputation — a provider's reputation: on-chain NodeReputation.getProviderInfo by
 * eth_call, merged with the database's view, cached for CACHE_MS per address.
 *
 * An API thread is an event loop: a slow RPC would stall every connection on it. So the call
 * has a short timeout and a single attempt, and after a failure the RPC is not tried again
 * for BACKOFF_MS: meanwhile answers carry the database values with "stale":true. Never a 500
 * because the chain is unreachable. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/internal.h"
#include "core/address.h"
#include "core/u256.h"
#include "evm/abi.h"
#include "evm/contracts.h"
#include "evm/rpc_methods.h"

#define CACHE_SLOTS 1024
#define CACHE_MS 5000
#define BACKOFF_MS 5000
#define RPC_TIMEOUT_MS 1500

typedef struct {
    uint8_t addr[20];
    bool used;
    uint64_t fetched_ms;
    char gpu_model[STORE_GPU_MODEL_MAX];
    char vram[U256_DEC_LEN], last_seen[U256_DEC_LEN], job_count[U256_DEC_LEN];
    bool registered;
} chain_info;

/* g_cache_lock guards g_cache (shared by all API threads). */
static pthread_mutex_t g_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static chain_info g_cache[CACHE_SLOTS];
static _Atomic uint64_t g_rpc_down_until_ms;
static _Thread_local rpc_client *tl_rpc; /* one client per API thread (rpc.h: not thread-safe) */

static uint64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static size_t slot_of(const uint8_t a[20]) {
    uint32_t h = 2166136261u;
    for (int i = 0; i < 20; i++) h = (h ^ a[i]) * 16777619u;
    return h % CACHE_SLOTS;
}

static bool cache_get(const uint8_t a[20], chain_info *out, uint64_t now) {
    bool hit = false;
    pthread_mutex_lock(&g_cache_lock);
    chain_info *e = &g_cache[slot_of(a)];
    if (e->used && memcmp(e->addr, a, 20) == 0 && now - e->fetched_ms < CACHE_MS) {
        *out = *e;
        hit = true;
    }
    pthread_mutex_unlock(&g_cache_lock);
    return hit;
}

static void cache_put(const chain_info *ci) {
    pthread_mutex_lock(&g_cache_lock);
    g_cache[slot_of(ci->addr)] = *ci;
    pthread_mutex_unlock(&g_cache_lock);
}

/* Decode getProviderInfo's return: ((string,uint256,uint256,bool), uint256). */
static int decode_info(const uint8_t *p, size_t len, chain_info *ci) {
    abi_dec d, t;
    u256 vram, seen, count;
    int reg;
    char *gpu = NULL;
    size_t gl;
    abi_dec_init(&d, p, len);
    if (abi_dec_tuple(&d, &t) || abi_dec_string(&t, &gpu, &gl) || abi_dec_u256(&t, &vram) ||
        abi_dec_u256(&t, &seen) || abi_dec_bool(&t, &reg) || abi_dec_u256(&d, &count)) {
        free(gpu);
        return -1;
    }
    size_t n = strnlen(gpu, gl);
    if (n >= sizeof ci->gpu_model) n = sizeof ci->gpu_model - 1;
    memcpy(ci->gpu_model, gpu, n);
    ci->gpu_model[n] = '\0';
    free(gpu);
    u256_format_dec(&vram, ci->vram);
    u256_format_dec(&seen, ci->last_seen);
    u256_format_dec(&count, ci->job_count);
    ci->registered = reg != 0;
    return 0;
}

/* 0 with ci filled (from cache or chain), -1 when the chain view is unavailable. */
static int chain_lookup(api_ctx *c, const uint8_t a[20], chain_info *ci, char *why, size_t whylen) {
    const lamda_config *cfg = api_cfg(c);
    uint64_t now = mono_ms();
    if (cache_get(a, ci, now)) return 0;
    if (!cfg->have_node_reputation || cfg->opbnb_rpc.n == 0) {
        snprintf(why, whylen, "NODE_REPUTATION_CONTRACT_ADDRESS is not configured");
        return -1;
    }
    if (now < atomic_load(&g_rpc_down_until_ms)) {
        snprintf(why, whylen, "opBNB RPC unavailable (recent failure)");
        return -1;
    }
    if (!tl_rpc) {
        rpc_options o;
        rpc_options_default(&o);
        o.timeout_ms = RPC_TIMEOUT_MS;
        o.max_attempts = 1;
        o.max_response = 1 << 20;
        tl_rpc = rpc_client_new_urls((const char *const *)cfg->opbnb_rpc.urls, cfg->opbnb_rpc.n, &o);
        if (!tl_rpc) {
            snprintf(why, whylen, "cannot create an RPC client");
            return -1;
        }
    }
    abi_enc e;
    abi_enc_init(&e);
    abi_enc_address(&e, a);
    uint8_t *data = NULL, *out = NULL;
    size_t dlen = 0, olen = 0;
    rpc_error err;
    int rc = -1;
    if (abi_enc_finish(&e, CONTRACT_SEL_GET_PROVIDER_INFO, &data, &dlen) != 0) {
        snprintf(why, whylen, "cannot encode the call");
        goto out;
    }
    if (rpc_eth_call(tl_rpc, NULL, cfg->node_reputation, data, dlen, &out, &olen, &err) != 0) {
        snprintf(why, whylen, "eth_call failed: %s", rpc_error_kind_name(err.kind));
        atomic_store(&g_rpc_down_until_ms, now + BACKOFF_MS);
        goto out;
    }
    memset(ci, 0, sizeof *ci);
    if (!out || decode_info(out, olen, ci) != 0) {
        snprintf(why, whylen, "malformed getProviderInfo result");
        goto out;
    }
    memcpy(ci->addr, a, 20);
    ci->used = true;
    ci->fetched_ms = now;
    cache_put(ci);
    rc = 0;
out:
    abi_enc_free(&e);
    free(data);
    free(out);
    return rc;
}

static void reputation_get(api_ctx *c) {
    uint8_t a[20];
    store_provider p;
    int rc = api_path_provider(c, 0, a, &p);
    if (rc < 0) return;
    chain_info ci;
    char why[160] = "";
    bool chain_ok = chain_lookup(c, a, &ci, why, sizeof why) == 0;
    if (rc == STORE_NOTFOUND && (!chain_ok || !ci.registered)) {
        api_error(c, 404, "provider not found");
        return;
    }
    char addr[ADDRESS_STR_LEN];
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "wallet_address", address_format(a, addr));
    if (rc == STORE_OK) {
        cJSON_AddNumberToObject(d, "reputation_score", (double)p.reputation_score);
        cJSON_AddNumberToObject(d, "total_jobs_completed", (double)p.total_jobs_completed);
        cJSON_AddBoolToObject(d, "is_online", p.is_online);
        cJSON_AddItemToObject(d, "database", view_provider_json(&p));
    } else {
        cJSON_AddNullToObject(d, "database");
    }
    if (chain_ok) {
        cJSON *ch = cJSON_AddObjectToObject(d, "chain");
        cJSON_AddStringToObject(ch, "gpu_model", ci.gpu_model);
        cJSON_AddStringToObject(ch, "vram", ci.vram);
        cJSON_AddStringToObject(ch, "last_seen", ci.last_seen);
        cJSON_AddBoolToObject(ch, "is_registered", ci.registered);
        cJSON_AddStringToObject(ch, "job_count", ci.job_count);
        /* The chain is authoritative for the score (= on-chain job count). */
        uint64_t jc = strtoull(ci.job_count, NULL, 10);
        cJSON_DeleteItemFromObject(d, "reputation_score");
        cJSON_AddNumberToObject(d, "reputation_score", (double)jc);
        cJSON_AddBoolToObject(d, "stale", 0);
    } else {
        cJSON_AddNullToObject(d, "chain");
        cJSON_AddBoolToObject(d, "stale", 1);
        cJSON_AddStringToObject(d, "stale_reason", why);
    }
    api_ok(c, 200, d);
}

/* GET /api/reputation/{address}/jobs: completed-jobs count (database) and job counts. */
static void reputation_jobs(api_ctx *c) {
    uint8_t a[20];
    store_provider p;
    int rc = api_path_provider(c, 0, a, &p);
    if (rc == STORE_NOTFOUND) api_error(c, 404, "provider not found");
    if (rc != STORE_OK) return;
    char addr[ADDRESS_STR_LEN];
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "wallet_address", address_format(a, addr));
    cJSON_AddNumberToObject(d, "total_jobs_completed", (double)p.total_jobs_completed);
    cJSON_AddNumberToObject(d, "reputation_score", (double)p.reputation_score);
    api_ok(c, 200, d);
}

const api_route api_routes_reputation[] = {
    {"GET", "/api/reputation/{address}", reputation_get,
     "Provider reputation: on-chain getProviderInfo merged with database stats (cached 5 s; stale:true when the chain is unreachable)",
     "reputation", 0, {{"address", "path", "string", "provider address"}}, NULL, "ReputationResponse", NULL},
    {"GET", "/api/reputation/{address}/jobs", reputation_jobs, "Completed-jobs count of a provider", "reputation", 0,
     {{"address", "path", "string", "provider address"}}, NULL, "ReputationJobsResponse", NULL},
    {NULL, NULL, NULL, NULL, NULL, 0, {{0}}, NULL, NULL, NULL},
};

void api_reputation_thread_exit(void) {
    rpc_client_free(tl_rpc);
    tl_rpc = NULL;
}
