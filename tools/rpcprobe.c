/* rpcprobe — drive the JSON-RPC client and the newHeads subscription from the shell (used by
 * tests/integration/test_rpc_anvil.sh, handy by hand).
 *
 *   rpcprobe chainid URL...              eth_chainId through the failover list
 *   rpcprobe blocknumber URL...          eth_blockNumber
 *   rpcprobe block NUMBER|latest URL...  number hash parent timestamp [basefee]
 *   rpcprobe logs FROM TO ADDR URL...    eth_getLogs count
 *   rpcprobe call METHOD PARAMS URL...   raw call: the result JSON, or "error KIND CODE MSG"
 *   rpcprobe batch URL...                eth_chainId + eth_blockNumber in one request
 *   rpcprobe heads WSURL N [SECONDS]     print "head NUMBER HASH" for N heads
 *   rpcprobe headlat HTTPURL WSURL N     mine N blocks with evm_mine; print each head's latency
 */
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/address.h"
#include "core/hex.h"
#include "evm/heads_ws.h"
#include "evm/rpc_methods.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static rpc_client *client(int argc, char **argv, int first) {
    if (first >= argc) {
        fprintf(stderr, "rpcprobe: no URL\n");
        return NULL;
    }
    rpc_options o;
    rpc_options_default(&o);
    o.timeout_ms = 5000;
    rpc_client *c = rpc_client_new_urls((const char *const *)(argv + first), argc - first, &o);
    if (!c) fprintf(stderr, "rpcprobe: cannot create client\n");
    return c;
}

static int fail(const rpc_error *e) {
    printf("error %s %ld %s\n", rpc_error_kind_name(e->kind), e->code, e->message);
    return 1;
}

static int wait_heads(heads_ws *h, int n, double timeout_ms) {
    double deadline = now_ms() + timeout_ms;
    int got = 0;
    while (got < n) {
        double left = deadline - now_ms();
        if (left <= 0) return got;
        struct pollfd p = {.fd = heads_ws_fd(h), .events = POLLIN};
        if (poll(&p, 1, (int)left + 1) > 0) got += (int)heads_ws_ack(h);
    }
    return got;
}

static int cmd_heads(const char *url, int n, int secs) {
    heads_ws *h = heads_ws_start(url, NULL, NULL);
    if (!h) return 2;
    int printed = 0;
    double deadline = now_ms() + secs * 1000.0;
    while (printed < n && now_ms() < deadline) {
        if (wait_heads(h, 1, deadline - now_ms()) < 1) break;
        uint64_t num;
        uint8_t hash[32];
        char hx[67];
        if (heads_ws_latest(h, &num, hash)) {
            printf("head %" PRIu64 " %s\n", num, hex_encode(hash, 32, hx));
            fflush(stdout);
            printed++;
        }
    }
    heads_ws_stop(h);
    return printed == n ? 0 : 1;
}

static int cmd_headlat(const char *http, const char *ws, int n) {
    const char *urls[1] = {http};
    rpc_client *c = rpc_client_new_urls(urls, 1, NULL);
    heads_ws *h = heads_ws_start(ws, NULL, NULL);
    int rc = 1;
    if (!c || !h) goto out;
    double t0 = now_ms();
    while (!heads_ws_connected(h) && now_ms() - t0 < 10000) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (!heads_ws_connected(h)) {
        printf("not connected\n");
        goto out;
    }
    double worst = 0;
    for (int i = 0; i < n; i++) {
        uint64_t before = 0, bn = 0, after = 0;
        heads_ws_latest(h, &before, NULL);
        heads_ws_ack(h);
        rpc_error e;
        cJSON *r = NULL;
        double start = now_ms();
        if (rpc_call(c, "evm_mine", "[]", &r, &e) != 0) {
            fail(&e);
            goto out;
        }
        cJSON_Delete(r);
        if (rpc_block_number(c, &bn, &e) != 0) {
            fail(&e);
            goto out;
        }
        /* wait for the head with the mined number */
        while (now_ms() - start < 2000) {
            if (heads_ws_latest(h, &after, NULL) && after >= bn) break;
            wait_heads(h, 1, 50);
        }
        double lat = now_ms() - start;
        if (after < bn) {
            printf("head %" PRIu64 " not seen within 2 s\n", bn);
            goto out;
        }
        printf("head %" PRIu64 " latency_ms %.2f\n", after, lat);
        if (lat > worst) worst = lat;
        (void)before;
    }
    printf("max_latency_ms %.2f\n", worst);
    rc = 0;
out:
    heads_ws_stop(h);
    rpc_client_free(c);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: see the comment at the top of tools/rpcprobe.c\n");
        return 2;
    }
    const char *cmd = argv[1];
    rpc_error e;
    if (strcmp(cmd, "heads") == 0)
        return cmd_heads(argv[2], argc > 3 ? atoi(argv[3]) : 1, argc > 4 ? atoi(argv[4]) : 10);
    if (strcmp(cmd, "headlat") == 0 && argc >= 5)
        return cmd_headlat(argv[2], argv[3], atoi(argv[4]));

    int rc = 1;
    rpc_client *c = NULL;
    if (strcmp(cmd, "chainid") == 0 || strcmp(cmd, "blocknumber") == 0) {
        if (!(c = client(argc, argv, 2))) return 2;
        uint64_t v;
        int r = cmd[0] == 'c' ? rpc_chain_id(c, &v, &e) : rpc_block_number(c, &v, &e);
        if (r == 0) {
            printf("%" PRIu64 "\n", v);
            fprintf(stderr, "answered by %s\n", rpc_client_url(c));
            rc = 0;
        } else {
            fail(&e);
        }
    } else if (strcmp(cmd, "block") == 0 && argc >= 4) {
        if (!(c = client(argc, argv, 3))) return 2;
        uint64_t num = strcmp(argv[2], "latest") == 0 ? RPC_BLOCK_LATEST : strtoull(argv[2], NULL, 0);
        rpc_block_header b;
        bool found;
        if (rpc_get_block_header(c, num, &b, &found, &e) != 0) {
            fail(&e);
        } else if (!found) {
            printf("not found\n");
        } else {
            char h1[67], h2[67], bf[67];
            printf("%" PRIu64 " %s %s %" PRIu64 " %s\n", b.number, hex_encode(b.hash, 32, h1),
                   hex_encode(b.parent_hash, 32, h2), b.timestamp,
                   b.has_base_fee ? hex_encode(b.base_fee, 32, bf) : "-");
            rc = 0;
        }
    } else if (strcmp(cmd, "logs") == 0 && argc >= 6) {
        if (!(c = client(argc, argv, 5))) return 2;
        uint8_t addr[20];
        if (address_parse(argv[4], strlen(argv[4]), addr) != ADDRESS_OK) {
            fprintf(stderr, "rpcprobe: bad address\n");
            rpc_client_free(c);
            return 2;
        }
        rpc_log *logs = NULL;
        size_t n = 0;
        const uint8_t(*addrs)[20] = (const uint8_t(*)[20])addr;
        if (rpc_get_logs(c, strtoull(argv[2], NULL, 0), strtoull(argv[3], NULL, 0), addrs, 1,
                         NULL, 0, &logs, &n, &e) == 0) {
            printf("%zu\n", n);
            rpc_logs_free(logs, n);
            rc = 0;
        } else {
            fail(&e);
        }
    } else if (strcmp(cmd, "call") == 0 && argc >= 5) {
        if (!(c = client(argc, argv, 4))) return 2;
        cJSON *r = NULL;
        if (rpc_call(c, argv[2], argv[3], &r, &e) == 0) {
            char *s = cJSON_PrintUnformatted(r);
            printf("%s\n", s ? s : "?");
            free(s);
            cJSON_Delete(r);
            rc = 0;
        } else {
            fail(&e);
        }
    } else if (strcmp(cmd, "batch") == 0) {
        if (!(c = client(argc, argv, 2))) return 2;
        rpc_batch_item it[2] = {{.method = "eth_chainId"}, {.method = "eth_blockNumber"}};
        if (rpc_batch(c, it, 2, &e) == 0) {
            for (int i = 0; i < 2; i++) {
                uint64_t v;
                if (it[i].result && rpc_parse_u64(it[i].result, &v) == 0) printf("%" PRIu64 "\n", v);
                else printf("error %s\n", it[i].err.message);
            }
            rpc_batch_clear(it, 2);
            rc = 0;
        } else {
            fail(&e);
        }
    } else {
        fprintf(stderr, "rpcprobe: unknown command or missing arguments\n");
        return 2;
    }
    rpc_client_free(c);
    return rc;
}
