/* dispatch — the dispatch-latency benchmark driver:
 *
 *   dispatch RPC_URL NATS_URL JOB_MANAGER RUN seq|burst COUNT [SPACING_MS]
 *
 * Creates COUNT jobs on the JobManager of an anvil devnet (eth_sendTransaction from anvil's
 * unlocked account 0, so no signing here) and measures, per job, the time from the moment its
 * block is visible at the RPC to the moment its message arrives at a core-NATS subscriber of
 * jobs.dispatch.> (what the node agent listens to).
 *   seq:   one job per block (automine), SPACING_MS apart; the clock starts just before the
 *          eth_sendTransaction that mines the block (an upper bound: it includes anvil's mining).
 *   burst: automine off, COUNT transactions queued, then one evm_mine; the clock starts just
 *          before evm_mine.
 * jobId = be64(RUN) || be64(i) padded; the service runs with JOB_ID_FROM_CID=true, so no spec.
 * Output: one JSON line {"mode", "jobs", "received", "p50_ms", "p99_ms", "max_ms"}. */
#include <inttypes.h>
#include <nats/nats.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"
#include "core/address.h"
#include "core/hex.h"
#include "evm/abi.h"
#include "evm/contracts.h"
#include "evm/rpc_methods.h"

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static double *g_sent, *g_recv;
static size_t g_count, g_received;
static uint64_t g_run;

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *ud) {
    (void)nc, (void)sub, (void)ud;
    double t = bench_now_ms();
    const char *d = natsMsg_GetData(m);
    const char *p = d ? strstr(d, "\"jobId\":\"0x") : NULL;
    uint8_t id[32];
    if (p && hex_decode_exact(p + 9, 66, id, 32) == 0) {
        uint64_t run = 0, i = 0;
        for (int k = 0; k < 8; k++) run = run << 8 | id[k], i = i << 8 | id[8 + k];
        pthread_mutex_lock(&g_mu);
        if (run == g_run && i < g_count && g_recv[i] == 0) {
            g_recv[i] = t;
            g_received++;
        }
        pthread_mutex_unlock(&g_mu);
    }
    natsMsg_Destroy(m);
}

static int call(rpc_client *c, const char *method, const char *params) {
    cJSON *r = NULL;
    rpc_error e;
    if (rpc_call(c, method, params, &r, &e) != 0) {
        fprintf(stderr, "dispatch: %s failed: %s\n", method, e.message);
        return -1;
    }
    cJSON_Delete(r);
    return 0;
}

static int send_job(rpc_client *c, const char *jm, size_t i, bool confirm) {
    uint8_t id[32] = {0}, provider[20] = {0};
    for (int k = 0; k < 8; k++) id[k] = (uint8_t)(g_run >> (56 - 8 * k)), id[8 + k] = (uint8_t)((uint64_t)i >> (56 - 8 * k));
    provider[19] = (uint8_t)(1 + i % 200);
    provider[0] = 0x42;
    abi_enc e;
    abi_enc_init(&e);
    abi_enc_bytes32(&e, id);
    if (!confirm) abi_enc_address(&e, provider);
    uint8_t *data = NULL;
    size_t n = 0;
    int rc = abi_enc_finish(&e, confirm ? CONTRACT_SEL_CONFIRM_RESULT : CONTRACT_SEL_CREATE_JOB, &data, &n);
    abi_enc_free(&e);
    if (rc != 0) return -1;
    char *hex = malloc(2 * n + 3), params[1024];
    hex_encode(data, n, hex);
    snprintf(params, sizeof params,
             "[{\"from\":\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\",\"to\":\"%s\",\"value\":\"%s\","
             "\"gas\":\"0x80000\",\"data\":\"%s\"}]",
             jm, confirm ? "0x0" : "0x38d7ea4c68000", hex);
    free(hex);
    free(data);
    return call(c, "eth_sendTransaction", params);
}

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: dispatch RPC_URL NATS_URL JOB_MANAGER RUN seq|burst COUNT [SPACING_MS]\n");
        return 2;
    }
    const char *rpc_url = argv[1], *nats_url = argv[2], *jm = argv[3], *mode = argv[5];
    g_run = strtoull(argv[4], NULL, 10);
    g_count = strtoull(argv[6], NULL, 10);
    long spacing = argc > 7 ? atol(argv[7]) : 20;
    bool burst = !strcmp(mode, "burst"), confirm = !strcmp(mode, "confirm");
    g_sent = calloc(g_count, sizeof *g_sent);
    g_recv = calloc(g_count, sizeof *g_recv);
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    if (natsConnection_ConnectTo(&nc, nats_url) != NATS_OK ||
        natsConnection_Subscribe(&sub, nc, "jobs.dispatch.>", on_msg, NULL) != NATS_OK ||
        natsConnection_Flush(nc) != NATS_OK) {
        fprintf(stderr, "dispatch: cannot subscribe on %s\n", nats_url);
        return 1;
    }
    const char *urls[1] = {rpc_url};
    rpc_client *c = rpc_client_new_urls(urls, 1, NULL);
    if (!c) return 1;
    if (confirm) { /* the reputation benchmark's input: confirm jobs of run RUN in one block */
        if (call(c, "evm_setAutomine", "[false]") != 0) return 1;
        for (size_t i = 0; i < g_count; i++)
            if (send_job(c, jm, i, true) != 0) return 1;
        int rc = call(c, "evm_mine", "[]");
        call(c, "evm_setAutomine", "[true]");
        printf("{\"mode\":\"confirm\",\"jobs\":%zu}\n", g_count);
        return rc == 0 ? 0 : 1;
    }
    if (burst) {
        if (call(c, "evm_setAutomine", "[false]") != 0) return 1;
        for (size_t i = 0; i < g_count; i++)
            if (send_job(c, jm, i, false) != 0) return 1;
        double t0 = bench_now_ms();
        for (size_t i = 0; i < g_count; i++) g_sent[i] = t0;
        if (call(c, "evm_mine", "[]") != 0) return 1;
        call(c, "evm_setAutomine", "[true]");
    } else {
        for (size_t i = 0; i < g_count; i++) {
            g_sent[i] = bench_now_ms();
            if (send_job(c, jm, i, false) != 0) return 1;
            usleep((useconds_t)spacing * 1000);
        }
    }
    double deadline = bench_now_ms() + 30000;
    for (;;) {
        pthread_mutex_lock(&g_mu);
        size_t got = g_received;
        pthread_mutex_unlock(&g_mu);
        if (got == g_count || bench_now_ms() > deadline) break;
        usleep(10000);
    }
    pthread_mutex_lock(&g_mu);
    size_t n = 0;
    double *lat = calloc(g_count ? g_count : 1, sizeof *lat);
    for (size_t i = 0; i < g_count; i++)
        if (g_recv[i] > 0) lat[n++] = g_recv[i] - g_sent[i];
    pthread_mutex_unlock(&g_mu);
    qsort(lat, n, sizeof *lat, bench_cmp_double);
    double p50 = n ? lat[n / 2] : -1, p99 = n ? lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] : -1,
           mx = n ? lat[n - 1] : -1;
    printf("{\"mode\":\"%s\",\"jobs\":%zu,\"received\":%zu,\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"max_ms\":%.1f}\n", mode,
           g_count, n, p50, p99, mx);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    rpc_client_free(c);
    return n == g_count ? 0 : 1;
}
