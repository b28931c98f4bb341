/* ingest — the ingestion benchmark driver. Configuration comes from the environment like the
 * lamda binary (DATABASE_URL, BSC_RPC_URL/OPBNB_RPC_URL, contract addresses, start blocks,
 * confirmations, GETLOGS_MAX_RANGE).
 *
 *   ingest apply node|job LAST   run the real follower with the real handlers (node registry's
 *                                node_events_apply, the job dispatcher's job_events_apply) from
 *                                the start block until the cursor reaches LAST; one JSON line
 *   ingest fetch node|job LAST   the ceiling: the follower's FETCH phase alone (the same
 *                                adaptive eth_getLogs ranges, decoding, headers and block
 *                                times; no database), then the same ranges once as raw bytes
 *   ingest topic node|job        print the topic0 of NodeHeartbeat / JobCreated (for the log
 *                                emitter scripts/bench.sh installs on anvil)
 *
 * Output: {"mode":…, "logs":N, "seconds":S, "logs_per_s":R, "peak_rss_kb":K}. */
#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/follower.h"
#include "chain/follower_fetch.h"
#include "core/config.h"
#include "core/hex.h"
#include "core/log.h"
#include "core/shutdown.h"
#include "evm/contracts.h"
#include "services/job_events.h"
#include "services/node_events.h"
#include "services/wiring.h"

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long peak_rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) kb = strtol(line + 6, NULL, 10);
    if (f) fclose(f);
    return kb;
}

/* The services' own follower (wiring_node_follower / wiring_job_follower), with its handler
 * wrapped only to count what each batch committed and to stop at the last block. */
typedef struct {
    uint64_t last;
    size_t logs;
    double t_end;
    follower_handler inner;
} run_state;

static int prepare_wrap(void *ud, store *s, const rpc_log *logs, size_t n) {
    run_state *r = ud;
    return r->inner.prepare ? r->inner.prepare(r->inner.ud, s, logs, n) : STORE_OK;
}

static int apply_wrap(void *ud, store *s, const rpc_log *l) {
    run_state *r = ud;
    return r->inner.apply(r->inner.ud, s, l);
}

static int reset_wrap(void *ud, store *s, const uint8_t key[32]) {
    run_state *r = ud;
    return r->inner.reset(r->inner.ud, s, key);
}

static int flush_wrap(void *ud, store *s, bool discard) {
    run_state *r = ud;
    return r->inner.flush ? r->inner.flush(r->inner.ud, s, discard) : STORE_OK;
}

static void on_committed(void *ud, store *s, uint64_t block, int64_t block_time, size_t nlogs) {
    run_state *r = ud;
    r->logs += nlogs;
    if (r->inner.committed) r->inner.committed(r->inner.ud, s, block, block_time, nlogs);
    if (block >= r->last && r->t_end == 0) {
        r->t_end = now_s();
        shutdown_request();
    }
}

static int fill_fc(const lamda_config *cfg, bool node, node_events_state *ns, job_events_ctx **jc,
                   follower_config *fc) {
    *jc = NULL;
    if (node) wiring_node_follower(cfg, false, ns, fc);
    else if (wiring_job_follower(cfg, false, fc, jc) != 0) return -1;
    fc->ws_url = NULL;
    return 0;
}

static int run_apply(const lamda_config *cfg, bool node, uint64_t last) {
    follower_config fc;
    node_events_state ns;
    job_events_ctx *jc;
    if (fill_fc(cfg, node, &ns, &jc, &fc) != 0) return 1;
    run_state r = {.last = last, .inner = fc.handler};
    fc.handler = (follower_handler){.ud = &r, .prepare = prepare_wrap, .apply = apply_wrap, .reset = reset_wrap, .flush = flush_wrap, .committed = on_committed};
    double t0 = now_s();
    int rc = follower_run(&fc);
    job_events_ctx_free(jc);
    if (rc != 0 || r.t_end == 0) {
        fprintf(stderr, "ingest: follower stopped before block %" PRIu64 "\n", last);
        return 1;
    }
    double dt = r.t_end - t0;
    printf("{\"mode\":\"apply\",\"kind\":\"%s\",\"logs\":%zu,\"seconds\":%.3f,\"logs_per_s\":%.0f,\"peak_rss_kb\":%ld}\n",
           node ? "heartbeat" : "job", r.logs, dt, (double)r.logs / dt, peak_rss_kb());
    return 0;
}

static size_t sink(char *p, size_t size, size_t n, void *ud) {
    (void)p;
    *(size_t *)ud += size * n;
    return size * n;
}

typedef struct {
    uint64_t from, to;
} block_range;

/* The ceiling: the follower's own FETCH phase (follower_fetch: the same adaptive ranges,
 * eth_getLogs, decoding, headers and block times) from the start block to last, with no
 * database; then the same ranges once more as raw HTTP bytes, nothing decoded. */
static int run_fetch(const lamda_config *cfg, bool node, uint64_t last) {
    follower_config fc;
    node_events_state ns;
    job_events_ctx *jc;
    if (fill_fc(cfg, node, &ns, &jc, &fc) != 0) return 1;
    job_events_ctx_free(jc); /* only the contract, topics and ranges are used here */
    follower_fetch_config ffc = {.name = fc.name, .rpc_urls = fc.rpc_urls, .rpc_timeout_ms = fc.rpc_timeout_ms,
                                 .topic0 = fc.topic0, .ntopic0 = fc.ntopic0, .confirmations = 0,
                                 .max_range = fc.max_range};
    memcpy(ffc.contract, fc.contract, 20);
    follower_fetcher fx;
    if (follower_fetcher_init(&fx, &ffc) != 0) return 1;
    block_range *ranges = NULL;
    size_t nranges = 0, logs = 0;
    double t0 = now_s();
    for (uint64_t from = fc.start_block; from <= last;) {
        follower_batch b;
        follower_fetch(&fx, from, last, &b);
        if (b.status == FETCH_SHRUNK) continue;
        if (b.status != FETCH_OK) {
            fprintf(stderr, "ingest: fetch of blocks from %" PRIu64 " failed\n", from);
            return 1;
        }
        void *p = realloc(ranges, (nranges + 1) * sizeof *ranges);
        if (!p) return 1;
        ranges = p;
        ranges[nranges++] = (block_range){b.from, b.to};
        logs += b.n;
        from = b.to + 1;
        follower_batch_free(&b);
    }
    double dec = now_s() - t0;
    follower_fetcher_free(&fx);

    CURL *h = curl_easy_init();
    struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
    size_t bytes = 0;
    char chex[43], body[512];
    hex_encode(fc.contract, 20, chex);
    t0 = now_s();
    for (size_t i = 0; i < nranges; i++) {
        snprintf(body, sizeof body,
                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getLogs\",\"params\":[{\"fromBlock\":\"0x%" PRIx64
                 "\",\"toBlock\":\"0x%" PRIx64 "\",\"address\":[\"%s\"]}]}",
                 ranges[i].from, ranges[i].to, chex);
        curl_easy_setopt(h, CURLOPT_URL, fc.rpc_urls->urls[0]);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &bytes);
        if (curl_easy_perform(h) != CURLE_OK) {
            fprintf(stderr, "ingest: raw fetch failed\n");
            return 1;
        }
    }
    double raw = now_s() - t0;
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
    free(ranges);
    printf("{\"mode\":\"fetch\",\"kind\":\"%s\",\"logs\":%zu,\"bytes\":%zu,\"raw_seconds\":%.3f,\"raw_logs_per_s\":%.0f,"
           "\"seconds\":%.3f,\"logs_per_s\":%.0f}\n",
           node ? "heartbeat" : "job", logs, bytes, raw, (double)logs / raw, dec, (double)logs / dec);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "topic")) {
        char hex[67];
        puts(hex_encode(strcmp(argv[2], "job") ? CONTRACT_TOPIC_NODE_HEARTBEAT : CONTRACT_TOPIC_JOB_CREATED, 32, hex));
        return 0;
    }
    if (argc != 4 || (strcmp(argv[1], "apply") && strcmp(argv[1], "fetch")) ||
        (strcmp(argv[2], "node") && strcmp(argv[2], "job"))) {
        fprintf(stderr, "usage: ingest apply|fetch node|job LAST_BLOCK\n");
        return 2;
    }
    shutdown_install();
    lamda_config cfg;
    char err[256];
    if (config_load(&cfg, "/nonexistent", err, sizeof err) != 0) {
        fprintf(stderr, "ingest: %s\n", err);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    bool node = !strcmp(argv[2], "node");
    uint64_t last = strtoull(argv[3], NULL, 10);
    int rc = !strcmp(argv[1], "apply") ? run_apply(&cfg, node, last) : run_fetch(&cfg, node, last);
    config_free(&cfg);
    return rc;
}
