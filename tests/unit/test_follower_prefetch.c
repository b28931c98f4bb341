/* test_follower_prefetch — reorg safety of the fetched-ahead batch. follower_run follows an
 * in-process JSON-RPC stand-in (a thread on a loopback socket, no external server) whose chain
 * switches to another fork right after it answered the eth_getLogs of the batch the follower
 * fetches ahead. Whether the fork replaces the cursor block (the head check sees the reorg
 * and the prefetched batch is dropped) or only blocks above it (the stale batch passes the
 * parent check and the next head check rolls it back), the database must end as one that
 * only ever saw the final fork. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chain/follower.h"
#include "chainlog.h"
#include "core/hex.h"
#include "services/node_events.h"
#include "test.h"

#define HEAD 20
#define RANGE 4 /* batches [1,4] [5,8] [9,12] …: [9,12] is the one fetched ahead while [5,8] is written */

static const uint8_t PROVS[3][20] = {{0x70, 1}, {0x70, 2}, {0x70, 3}};

/* The stand-in chain: block b is on fork B when b >= g_fork_from and the fork happened. */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static bool g_forked;
static uint64_t g_fork_from, g_trigger_from;

static int fork_of(uint64_t b) { return g_forked && b >= g_fork_from ? 1 : 0; }

static void block_hash(uint64_t b, uint8_t h[32]) {
    memset(h, 0, 32);
    if (b == UINT64_MAX) return; /* genesis' parent */
    h[0] = (uint8_t)(0xb0 + fork_of(b));
    for (int i = 0; i < 8; i++) h[31 - i] = (uint8_t)(b >> (8 * i));
}

/* The heartbeat in block b on the current chain (one per block). */
static rpc_log chain_log_at(uint64_t b) {
    rpc_log l = cl_node_heartbeat(b, 0, PROVS[b % 3], 100000 * (uint64_t)fork_of(b) + b);
    block_hash(b, l.block_hash);
    l.tx_hash[1] = (uint8_t)fork_of(b);
    return l;
}

static void add_hex(cJSON *o, const char *k, const uint8_t *p, size_t n) {
    char buf[200];
    hex_encode(p, n, buf);
    cJSON_AddStringToObject(o, k, buf);
}

static void add_qty(cJSON *o, const char *k, uint64_t v) {
    char buf[24];
    snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)v);
    cJSON_AddStringToObject(o, k, buf);
}

static cJSON *header_json(uint64_t b) {
    cJSON *o = cJSON_CreateObject();
    uint8_t h[32], p[32];
    block_hash(b, h);
    block_hash(b ? b - 1 : UINT64_MAX, p);
    add_qty(o, "number", b);
    add_hex(o, "hash", h, 32);
    add_hex(o, "parentHash", p, 32);
    add_qty(o, "timestamp", 1000 + b);
    return o;
}

static uint64_t qty(const cJSON *v) { return cJSON_IsString(v) ? strtoull(v->valuestring, NULL, 16) : 0; }

static cJSON *answer(const char *method, const cJSON *params) {
    if (!strcmp(method, "eth_chainId")) return cJSON_CreateString("0x61");
    if (!strcmp(method, "eth_blockNumber")) return cJSON_CreateString("0x14"); /* HEAD */
    if (!strcmp(method, "eth_getBlockByNumber")) {
        uint64_t b = qty(cJSON_GetArrayItem(params, 0));
        return b <= HEAD ? header_json(b) : cJSON_CreateNull();
    }
    if (!strcmp(method, "eth_getLogs")) {
        const cJSON *f = cJSON_GetArrayItem(params, 0);
        uint64_t from = qty(cJSON_GetObjectItem(f, "fromBlock")), to = qty(cJSON_GetObjectItem(f, "toBlock"));
        cJSON *arr = cJSON_CreateArray();
        for (uint64_t b = from; b <= to && b <= HEAD; b++) {
            rpc_log l = chain_log_at(b);
            cJSON *o = cJSON_CreateObject();
            add_hex(o, "address", l.address, 20);
            cJSON *t = cJSON_AddArrayToObject(o, "topics");
            for (int i = 0; i < l.ntopics; i++) {
                char buf[67];
                cJSON_AddItemToArray(t, cJSON_CreateString(hex_encode(l.topics[i], 32, buf)));
            }
            add_hex(o, "data", l.data, l.data_len);
            add_qty(o, "blockNumber", b);
            add_hex(o, "blockHash", l.block_hash, 32);
            add_hex(o, "transactionHash", l.tx_hash, 32);
            add_qty(o, "transactionIndex", 0);
            add_qty(o, "logIndex", 0);
            add_qty(o, "blockTimestamp", l.block_time);
            cJSON_AddItemToArray(arr, o);
        }
        /* The fork happens right after the batch fetched ahead was served. */
        if (from == g_trigger_from) g_forked = true;
        return arr;
    }
    return NULL;
}

/* One connection: HTTP/1.1 keep-alive requests with a Content-Length body. */
static void *serve_conn(void *arg) {
    int fd = (int)(intptr_t)arg;
    char buf[65536];
    size_t have = 0;
    for (;;) {
        char *end = NULL;
        while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
            ssize_t r = read(fd, buf + have, sizeof buf - 1 - have);
            if (r <= 0) goto out;
            have += (size_t)r;
        }
        buf[have] = 0;
        char *cl = strcasestr(buf, "content-length:");
        size_t hlen = (size_t)(end + 4 - buf), blen = cl ? strtoul(cl + 15, NULL, 10) : 0;
        while (have < hlen + blen) {
            ssize_t r = read(fd, buf + have, sizeof buf - 1 - have);
            if (r <= 0) goto out;
            have += (size_t)r;
        }
        cJSON *req = cJSON_ParseWithLength(buf + hlen, blen);
        cJSON *resp = cJSON_CreateObject();
        cJSON_AddStringToObject(resp, "jsonrpc", "2.0");
        cJSON_AddItemToObject(resp, "id", cJSON_Duplicate(cJSON_GetObjectItem(req, "id"), 1));
        pthread_mutex_lock(&g_mu);
        const cJSON *m = cJSON_GetObjectItem(req, "method");
        cJSON *res = cJSON_IsString(m) ? answer(m->valuestring, cJSON_GetObjectItem(req, "params")) : NULL;
        pthread_mutex_unlock(&g_mu);
        cJSON_AddItemToObject(resp, "result", res ? res : cJSON_CreateNull());
        char *body = cJSON_PrintUnformatted(resp);
        char head[128];
        int n = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                         strlen(body));
        bool ok = write(fd, head, (size_t)n) == n && write(fd, body, strlen(body)) == (ssize_t)strlen(body);
        free(body);
        cJSON_Delete(resp);
        cJSON_Delete(req);
        if (!ok) break;
        memmove(buf, buf + hlen + blen, have - hlen - blen);
        have -= hlen + blen;
    }
out:
    close(fd);
    return NULL;
}

static void *serve(void *arg) {
    int lfd = (int)(intptr_t)arg;
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) return NULL;
        pthread_t t;
        if (pthread_create(&t, NULL, serve_conn, (void *)(intptr_t)fd) == 0) pthread_detach(t);
        else close(fd);
    }
}

static int g_port;

static void start_server(void) {
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 16) != 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &alen) != 0) {
        perror("test server");
        exit(1);
    }
    g_port = ntohs(a.sin_port);
    pthread_t t;
    pthread_create(&t, NULL, serve, (void *)(intptr_t)lfd);
    pthread_detach(t);
}

static bool same_provider(store *a, store *b, const uint8_t addr[20]) {
    store_provider x, y;
    int ra = store_provider_get(a, addr, &x), rb = store_provider_get(b, addr, &y);
    return ra == rb && (ra != STORE_OK || (x.last_seen == y.last_seen && x.is_online == y.is_online));
}

/* Follow the stand-in chain with a fork from block fork_from triggered by the prefetch of
 * [9,12]; then compare with a database that applied only the final chain's logs. */
static void run_case(uint64_t fork_from) {
    pthread_mutex_lock(&g_mu);
    g_forked = false;
    g_fork_from = fork_from;
    g_trigger_from = 9;
    pthread_mutex_unlock(&g_mu);

    static char url[64], dburl[160];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", g_port);
    store *ref = cl_fresh_store();
    snprintf(dburl, sizeof dburl, "sqlite:%s/follow-%llu.db", cl_dir, (unsigned long long)fork_from);
    config_url_list rpc = {.urls = {url}, .n = 1};
    size_t ntopics;
    follower_config fc = {
        .name = "prefetch-test", .rpc_urls = &rpc, .contract = {0xc0, 0x01}, .topic0 = node_events_topics(&ntopics),
        .start_block = 1, .confirmations = 0, .poll_interval_ms = 10, .max_range = RANGE, .rpc_timeout_ms = 5000,
        .database_url = dburl, .stop_when_caught_up = true, .prefetch_max_bytes = 1 << 20,
        .handler = {.apply = node_events_apply, .reset = node_events_reset}};
    fc.ntopic0 = ntopics;
    CHECK_EQ_INT(follower_run(&fc), 0);
    CHECK(g_forked);

    /* The reference: the final chain's logs, applied once. */
    rpc_log logs[HEAD];
    pthread_mutex_lock(&g_mu);
    for (uint64_t b = 1; b <= HEAD; b++) logs[b - 1] = chain_log_at(b);
    pthread_mutex_unlock(&g_mu);
    size_t applied;
    const follower_handler h = {.apply = node_events_apply, .reset = node_events_reset};
    CHECK_EQ_INT(store_begin(ref), STORE_OK);
    CHECK_EQ_INT(follower_apply_logs(ref, &h, 97, CL_CONTRACT, logs, HEAD, 0, &applied), STORE_OK);
    CHECK_EQ_INT(store_commit(ref), STORE_OK);

    store *s = NULL;
    char err[256];
    CHECK_EQ_INT(store_open(dburl, &s, err, sizeof err), STORE_OK);
    if (!s) return;
    for (int i = 0; i < 3; i++) CHECK(same_provider(s, ref, PROVS[i]));
    int64_t n = 0;
    CHECK_EQ_INT(store_ledger_count(s, 97, CL_CONTRACT, &n), STORE_OK);
    CHECK_EQ_INT(n, HEAD);
    uint64_t cursor = 0;
    uint8_t ch[32], want[32];
    CHECK_EQ_INT(store_cursor_get(s, 97, CL_CONTRACT, &cursor, ch), STORE_OK);
    CHECK_EQ_INT(cursor, HEAD);
    pthread_mutex_lock(&g_mu);
    block_hash(HEAD, want);
    pthread_mutex_unlock(&g_mu);
    CHECK_MEM(ch, want, 32);
    store_close(s);
    store_close(ref);
}

/* The fork replaces the cursor block (8) too: the head check sees it, the batch is dropped. */
TEST(fork_below_the_prefetched_batch) { run_case(7); }

/* The fork starts at the prefetched batch: it is applied (its parent is still the cursor) and
 * the next head check rolls it back. */
TEST(fork_inside_the_prefetched_batch) { run_case(10); }

int main(void) {
    start_server();
    RUN(fork_below_the_prefetched_batch);
    RUN(fork_inside_the_prefetched_batch);
    cl_cleanup();
    TEST_EXIT();
}
