/* rpc_logs — eth_getLogs results over the JSON-RPC transport (rpc.h): the log struct, the
 * reference cJSON parser, the one-pass scanner (rpc_logs_scan.c) and the call that uses both.
 *
 * rpc_log is the one chain-log struct of the program: decoded here, handed to the follower's
 * handlers as it is, inserted into the ledger as it is, and read back from the ledger in the
 * same form for a reorg's replay. No other representation exists to convert to. */
#ifndef LAMDA_RPC_LOGS_H
#define LAMDA_RPC_LOGS_H

#include "evm/rpc.h"

typedef struct {
    uint8_t address[20];
    uint8_t topics[4][32];
    uint8_t ntopics;
    uint8_t *data; /* owned by the array (rpc_logs_free) when decoded here; borrowed from the row
                    * when the ledger hands it to a callback; NULL when data_len == 0 */
    size_t data_len;
    uint64_t block_number;
    uint8_t block_hash[32];
    uint8_t tx_hash[32];
    uint64_t tx_index;
    uint64_t log_index;
    bool removed;
    bool has_block_time; /* the optional "blockTimestamp" newer nodes (geth 1.14+, anvil) send;
                          * the follower fills it from the header otherwise, before any handler */
    uint64_t block_time; /* unix seconds */
} rpc_log;

void rpc_logs_free(rpc_log *logs, size_t n);
/* Field by field, data included (and whether it is NULL): the differential test and the fuzzer
 * hold the two decoders of eth_getLogs to identical structs. */
bool rpc_logs_equal(const rpc_log *a, const rpc_log *b, size_t n);

/* Parse an array of log objects into *out (n entries, free with rpc_logs_free). Every log
 * must carry every field (removed defaults to false); one bad log fails the whole array. */
int rpc_parse_logs(const cJSON *arr, rpc_log **out, size_t *n);

/* ---- the eth_getLogs fast path (rpc_logs_scan.c) -------------------------------------------
 * rpc_scan_logs_response validates a response body and decodes its "result" log array in one
 * pass, without a cJSON tree. It returns 0 (with the logs and their count as rpc_parse_logs gives them) only
 * when rpc_parse_response + rpc_parse_logs would accept the body with identical structs;
 * otherwise -1, meaning "not decided here": an error answer, anything malformed, and rare
 * forms it leaves to cJSON (escapes in keys or decoded fields, non-strict or 64+ character
 * numbers, nesting deeper than 64, a UTF-8 BOM). The differential test and the fuzzer check
 * that an accepted body is accepted identically by the cJSON path. */
int rpc_scan_logs_response(const char *body, size_t len, long id, rpc_log **out, size_t *n);

/* The combined parser rpc_get_logs uses: the scan, and on -1 the cJSON path for the exact
 * verdict and error. 0 + logs; -1 + err exactly as rpc_parse_response fills it; -2 when the
 * envelope is fine but "result" is not a valid log array (err: TRANSIENT "malformed response:
 * bad eth_getLogs result", as rpc_get_logs reports it). */
int rpc_parse_logs_response(const char *body, size_t len, long id, rpc_log **out, size_t *n,
                            rpc_error *err);

/* rpc_call("eth_getLogs", params_json) decoded by rpc_parse_logs_response. Same returns; a -2
 * is not retried (as a bad result after rpc_call never was). */
int rpc_call_logs(rpc_client *c, const char *params_json, rpc_log **out, size_t *n,
                  rpc_error *err);

#endif
