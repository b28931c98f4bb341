/* fuzz_rpc_response — arbitrary bytes as a JSON-RPC response: single and batch envelope
 * validation, the typed result parsers (logs, block header, receipt, quantities) on whatever
 * "result" survives, and the newHeads WebSocket message parser. Must never crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "evm/heads_ws.h"
#include "evm/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *s = (const char *)data;
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
