/* replayrpc — a small JSON-RPC server for the ingestion benchmark: it serves a synthetic chain
 * from memory so the RPC is never the bottleneck being measured.
 *
 *   replayrpc --port P --chain-id N --contract 0xADDR --kind heartbeat|job
 *             [--logs 100000] [--per-block 50] [--providers 10000]
 *
 * Blocks 1..logs/per-block each hold per-block logs of the right ABI shape for the contract:
 * NodeHeartbeat(address indexed provider, uint256 timestamp) or JobCreated(bytes32 indexed
 * jobId, address indexed renter, address indexed provider, uint256 payment). Every log is
 * rendered to JSON once at start, into one buffer in chain order, so an eth_getLogs answer for
 * blocks [from, to] is one contiguous slice of it, written with writev without a copy.
 *
 * Methods: eth_chainId, eth_blockNumber, eth_getBlockByNumber, eth_getLogs (the address and
 * topic filters are not applied: the chain holds nothing else). One thread per connection,
 * HTTP/1.1 keep-alive. Prints "ready" on stdout once listening. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/address.h"
#include "core/hex.h"
#include "evm/contracts.h"

#define TIME0 UINT64_C(1700000000)

static uint64_t g_chain_id = 97, g_head;
static uint8_t g_contract[20];
static char *g_logs;          /* all logs, "{…},{…},…" in chain order */
static size_t *g_log_off;     /* start of log i in g_logs */
static size_t *g_log_end;     /* end of log i (one past its closing brace) */
static size_t *g_block_first; /* index of the first log of block b (b = 0..head+1) */

static void block_hash(uint64_t b, uint8_t h[32]) {
    memset(h, 0, 32);
    h[0] = 0xb1;
    for (int i = 0; i < 8; i++) h[31 - i] = (uint8_t)(b >> (8 * i));
}

static void word_u64(uint8_t w[32], uint64_t v) {
    memset(w, 0, 32);
    for (int i = 0; i < 8; i++) w[31 - i] = (uint8_t)(v >> (8 * i));
}

static void addr_of(uint32_t k, uint8_t a[20]) {
    memset(a, 0, 20);
    a[0] = 0xa0;
    a[16] = (uint8_t)(k >> 24), a[17] = (uint8_t)(k >> 16), a[18] = (uint8_t)(k >> 8), a[19] = (uint8_t)k;
}

static size_t put_hex(char *o, const uint8_t *p, size_t n) {
    o[0] = '"';
    hex_encode(p, n, o + 1);
    o[3 + 2 * n] = '"';
    return 4 + 2 * n;
}

static int build(const char *kind, size_t nlogs, size_t per_block, uint32_t providers) {
    bool job = !strcmp(kind, "job");
    if (!job && strcmp(kind, "heartbeat")) return -1;
    size_t nblocks = (nlogs + per_block - 1) / per_block;
    g_head = nblocks + 1; /* one empty block on top */
    size_t cap = nlogs * 800 + 64;
    g_logs = malloc(cap);
    g_log_off = calloc(nlogs + 1, sizeof *g_log_off);
    g_log_end = calloc(nlogs + 1, sizeof *g_log_end);
    g_block_first = calloc(g_head + 2, sizeof *g_block_first);
    if (!g_logs || !g_log_off || !g_log_end || !g_block_first) return -1;
    size_t w = 0, i = 0;
    for (uint64_t b = 0; b <= g_head + 1; b++) {
        g_block_first[b] = i;
        if (b == 0 || b > nblocks) continue;
        uint8_t bh[32];
        block_hash(b, bh);
        for (size_t k = 0; k < per_block && i < nlogs; k++, i++) {
            if (i) g_logs[w++] = ',';
            g_log_off[i] = w;
            uint8_t topics[4][32], data[32], tx[32];
            int nt;
            memset(topics, 0, sizeof topics);
            word_u64(tx, ((uint64_t)0x7e << 56) | i);
            if (job) {
                memcpy(topics[0], CONTRACT_TOPIC_JOB_CREATED, 32);
                word_u64(topics[1], ((uint64_t)0x10b << 40) | i); /* jobId */
                addr_of(0x55000000u | (uint32_t)(i % 1000), topics[2] + 12);
                addr_of((uint32_t)(i % providers), topics[3] + 12);
                word_u64(data, 1000000000000000ull);
                nt = 4;
            } else {
                memcpy(topics[0], CONTRACT_TOPIC_NODE_HEARTBEAT, 32);
                addr_of((uint32_t)(i % providers), topics[1] + 12);
                word_u64(data, TIME0 + b);
                nt = 2;
            }
            w += (size_t)sprintf(g_logs + w, "{\"address\":");
            w += put_hex(g_logs + w, g_contract, 20);
            w += (size_t)sprintf(g_logs + w, ",\"topics\":[");
            for (int t = 0; t < nt; t++) {
                if (t) g_logs[w++] = ',';
                w += put_hex(g_logs + w, topics[t], 32);
            }
            w += (size_t)sprintf(g_logs + w, "],\"data\":");
            w += put_hex(g_logs + w, data, 32);
            w += (size_t)sprintf(g_logs + w, ",\"blockHash\":");
            w += put_hex(g_logs + w, bh, 32);
            w += (size_t)sprintf(g_logs + w,
                                 ",\"blockNumber\":\"0x%" PRIx64 "\",\"blockTimestamp\":\"0x%" PRIx64
                                 "\",\"transactionHash\":",
                                 b, TIME0 + b);
            w += put_hex(g_logs + w, tx, 32);
            w += (size_t)sprintf(g_logs + w, ",\"transactionIndex\":\"0x%zx\",\"logIndex\":\"0x%zx\",\"removed\":false}",
                                 k, k);
            g_log_end[i] = w;
        }
    }
    return 0;
}

/* ---- HTTP ------------------------------------------------------------------------------------ */

static int write_all(int fd, struct iovec *iov, int n) {
    while (n > 0) {
        ssize_t r = writev(fd, iov, n);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        while (n > 0 && (size_t)r >= iov->iov_len) {
            r -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + r;
            iov->iov_len -= (size_t)r;
        }
    }
    return 0;
}

static int reply(int fd, const char *id, const char *head, const char *slice, size_t slen, const char *tail) {
    char pre[1200], hdr[160];
    int pn = snprintf(pre, sizeof pre, "{\"jsonrpc\":\"2.0\",\"id\":%s,%s", id, head);
    size_t tn = strlen(tail);
    int hn = snprintf(hdr, sizeof hdr, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                      (size_t)pn + slen + tn);
    struct iovec iov[4] = {{hdr, (size_t)hn}, {pre, (size_t)pn}, {(void *)slice, slen}, {(void *)tail, tn}};
    return write_all(fd, iov, 4);
}

static uint64_t parse_block(const cJSON *v) {
    if (!cJSON_IsString(v)) return g_head;
    const char *s = v->valuestring;
    if (!strncmp(s, "0x", 2)) return strtoull(s + 2, NULL, 16);
    return g_head; /* latest, safe, finalized, pending */
}

static int handle(int fd, const char *body, size_t len) {
    cJSON *req = cJSON_ParseWithLength(body, len);
    if (!req) return -1;
    char *id = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(req, "id"));
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(req, "method");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(req, "params");
    const char *method = cJSON_IsString(m) ? m->valuestring : "";
    char buf[1024];
    int rc;
    if (!strcmp(method, "eth_chainId")) {
        snprintf(buf, sizeof buf, "\"result\":\"0x%" PRIx64 "\"}", g_chain_id);
        rc = reply(fd, id ? id : "null", buf, "", 0, "");
    } else if (!strcmp(method, "eth_blockNumber")) {
        snprintf(buf, sizeof buf, "\"result\":\"0x%" PRIx64 "\"}", g_head);
        rc = reply(fd, id ? id : "null", buf, "", 0, "");
    } else if (!strcmp(method, "eth_getBlockByNumber")) {
        uint64_t b = parse_block(cJSON_GetArrayItem(params, 0));
        if (b > g_head) {
            rc = reply(fd, id ? id : "null", "\"result\":null}", "", 0, "");
        } else {
            uint8_t h[32], p[32];
            char hh[67], ph[67];
            block_hash(b, h);
            block_hash(b ? b - 1 : 0, p);
            snprintf(buf, sizeof buf,
                     "\"result\":{\"number\":\"0x%" PRIx64 "\",\"hash\":\"%s\",\"parentHash\":\"%s\","
                     "\"timestamp\":\"0x%" PRIx64 "\",\"baseFeePerGas\":\"0x3b9aca00\"}}",
                     b, hex_encode(h, 32, hh), hex_encode(p, 32, ph), TIME0 + b);
            rc = reply(fd, id ? id : "null", buf, "", 0, "");
        }
    } else if (!strcmp(method, "eth_getLogs")) {
        const cJSON *f = cJSON_GetArrayItem(params, 0);
        uint64_t from = parse_block(cJSON_GetObjectItemCaseSensitive(f, "fromBlock"));
        uint64_t to = parse_block(cJSON_GetObjectItemCaseSensitive(f, "toBlock"));
        if (to > g_head) to = g_head;
        size_t a = from <= to ? g_block_first[from] : 0, z = from <= to ? g_block_first[to + 1] : 0;
        const char *slice = "";
        size_t slen = 0;
        if (z > a) {
            slice = g_logs + g_log_off[a];
            slen = g_log_end[z - 1] - g_log_off[a];
        }
        rc = reply(fd, id ? id : "null", "\"result\":[", slice, slen, "]}");
    } else {
        rc = reply(fd, id ? id : "null", "\"error\":{\"code\":-32601,\"message\":\"method not found\"}}", "", 0, "");
    }
    free(id);
    cJSON_Delete(req);
    return rc;
}

static void *conn_main(void *arg) {
    int fd = (int)(intptr_t)arg;
    size_t cap = 65536, len = 0;
    char *b = malloc(cap);
    for (;;) {
        char *end = b ? memmem(b, len, "\r\n\r\n", 4) : NULL;
        if (!end) {
            if (!b || len == cap) break;
            ssize_t r = read(fd, b + len, cap - len);
            if (r <= 0) break;
            len += (size_t)r;
            continue;
        }
        size_t hl = (size_t)(end - b) + 4, cl = 0;
        for (char *p = b; p < end; p++)
            if ((p == b || p[-1] == '\n') && !strncasecmp(p, "content-length:", 15)) cl = strtoul(p + 15, NULL, 10);
        if (hl + cl > cap) break;
        while (len < hl + cl) {
            ssize_t r = read(fd, b + len, cap - len);
            if (r <= 0) goto out;
            len += (size_t)r;
        }
        if (handle(fd, b + hl, cl) != 0) break;
        memmove(b, b + hl + cl, len - hl - cl);
        len -= hl + cl;
    }
out:
    free(b);
    close(fd);
    return NULL;
}

int main(int argc, char **argv) {
    int port = 0;
    const char *kind = "heartbeat";
    size_t nlogs = 100000, per_block = 50;
    uint32_t providers = 10000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--chain-id")) g_chain_id = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--contract")) {
            if (address_parse(argv[i + 1], strlen(argv[i + 1]), g_contract) != 0) {
                fprintf(stderr, "replayrpc: bad --contract\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "--kind")) kind = argv[i + 1];
        else if (!strcmp(argv[i], "--logs")) nlogs = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--per-block")) per_block = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--providers")) providers = (uint32_t)strtoul(argv[i + 1], NULL, 10);
    }
    if (!port || !nlogs || !per_block || !providers || build(kind, nlogs, per_block, providers) != 0) {
        fprintf(stderr, "usage: replayrpc --port P --chain-id N --contract 0x… --kind heartbeat|job"
                        " [--logs N] [--per-block K] [--providers P]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(ls, 64) != 0) {
        perror("replayrpc: bind");
        return 1;
    }
    printf("ready head=%" PRIu64 " logs=%zu bytes=%zu\n", g_head, nlogs, g_log_end[nlogs - 1]);
    fflush(stdout);
    for (;;) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0) continue;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_t t;
        if (pthread_create(&t, NULL, conn_main, (void *)(intptr_t)fd) != 0) close(fd);
        else pthread_detach(t);
    }
}
