/* fuzz_rpc_response — arbitrary bytes as a JSON-RPC response: single and batch envelope
 * validation, the typed result parsers (logs, block header, receipt, quantities) on whatever
 * "result" survives, and the newHeads WebSocket message parser. Must never crash or leak.
 * The eth_getLogs scanner runs against the cJSON path on every input: when it accepts, the
 * cJSON path must accept with identical logs, and the combined parser must give the cJSON
 * path's verdict and error; any disagreement aborts. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evm/heads_ws.h"
#include "evm/rpc_methods.h"

static void logs_differential(const char *s, size_t size) {
    rpc_error e1, e2;
    cJSON *r = NULL;
    rpc_log *l1 = NULL, *l2 = NULL, *l3 = NULL;
    size_t n1 = 0, n2 = 0, n3 = 0;
    int c1 = rpc_parse_response(s, size, 1, &r, &e1);
    if (c1 == 0) {
        c1 = rpc_parse_logs(r, &l1, &n1) == 0 ? 0 : -2;
        cJSON_Delete(r);
    }
    int c2 = rpc_scan_logs_response(s, size, 1, &l2, &n2);
    int c3 = rpc_parse_logs_response(s, size, 1, &l3, &n3, &e2);
    bool ok = true;
    if (c2 == 0 && (c1 != 0 || n1 != n2 || !rpc_logs_equal(l1, l2, n1))) ok = false;
    if (c3 != c1 || (c3 == 0 && (n3 != n1 || !rpc_logs_equal(l1, l3, n1)))) ok = false;
    if (c3 == -1 && (e1.kind != e2.kind || e1.code != e2.code || strcmp(e1.message, e2.message))) ok = false;
    if (!ok) {
        fprintf(stderr, "eth_getLogs scanner disagrees with cJSON: cjson %d scan %d combined %d\n", c1, c2, c3);
        abort();
    }
    rpc_logs_free(l1, n1);
    rpc_logs_free(l2, n2);
    rpc_logs_free(l3, n3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *s = (const char *)data;
    logs_differential(s, size);
    rpc_error err;
    cJSON *res = NULL;
    if (rpc_parse_response(s, size, 1, &res, &err) == 0) {
        rpc_log *logs = NULL;
        size_t n = 0;
        if (rpc_parse_logs(res, &logs, &n) == 0) rpc_logs_free(logs, n);
        rpc_block_header h;
        (void)rpc_parse_block_header(res, &h);
        rpc_receipt r;
        if (rpc_parse_receipt(res, &r) == 0) rpc_receipt_free(&r);
        uint64_t u;
        uint8_t b[32];
        (void)rpc_parse_u64(res, &u);
        (void)rpc_parse_u256(res, b);
        (void)rpc_parse_fixed(res, b, 32);
        cJSON_Delete(res);
    }
    rpc_batch_item items[4];
    memset(items, 0, sizeof items);
    if (rpc_parse_batch_response(s, size, 1, items, 4, &err) == 0) rpc_batch_clear(items, 4);

    char sub[HEADS_WS_SUBID_MAX] = "";
    uint64_t num;
    uint8_t hash[32];
    (void)heads_ws_parse(s, size, 1, sub, &num, hash);
    return 0;
}
