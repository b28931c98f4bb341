/* rpc_methods — typed Ethereum JSON-RPC methods over the transport (rpc.h), with strict
 * parsers of their results. */
#ifndef LAMDA_RPC_METHODS_H
#define LAMDA_RPC_METHODS_H

#include "evm/rpc_logs.h"

/* ---- typed methods (rpc_methods.c) ---------------------------------------------------------
 * Each returns 0 on success or -1 with err filled. Hex fields of the result are parsed
 * strictly: a missing field, a non-hex value or an overlong one is a TRANSIENT "malformed
 * response" error (another provider may answer correctly). Quantities that can exceed 64 bits
 * (fees, values) are 32-byte big-endian arrays; block numbers, nonces and gas are uint64. */

/* Block selectors: a number, or one of these tags. */
#define RPC_BLOCK_LATEST UINT64_MAX
#define RPC_BLOCK_PENDING (UINT64_MAX - 1)
#define RPC_BLOCK_SAFE (UINT64_MAX - 2)
#define RPC_BLOCK_FINALIZED (UINT64_MAX - 3)

int rpc_chain_id(rpc_client *c, uint64_t *out, rpc_error *err);
int rpc_block_number(rpc_client *c, uint64_t *out, rpc_error *err);

typedef struct {
    uint64_t number;
    uint8_t hash[32];
    uint8_t parent_hash[32];
    uint64_t timestamp;
    bool has_base_fee; /* false before London / on chains without EIP-1559 */
    uint8_t base_fee[32];
} rpc_block_header;

/* eth_getBlockByNumber(block, false), header fields only. *found is false (and 0 returned)
 * when the node has no such block yet. The latest base fee comes from here (block =
 * RPC_BLOCK_LATEST): we use it instead of eth_feeHistory. */
int rpc_get_block_header(rpc_client *c, uint64_t block, rpc_block_header *out, bool *found,
                         rpc_error *err);
/* Parse a block object (the "result" of eth_getBlockByNumber). */
int rpc_parse_block_header(const cJSON *v, rpc_block_header *out);

/* eth_getLogs over [from, to] for any of addrs (naddrs >= 1) and, when ntopic0 > 0, topic0 in
 * the given list. A RANGE error means: split the range and ask again. */
int rpc_get_logs(rpc_client *c, uint64_t from, uint64_t to, const uint8_t (*addrs)[20],
                 size_t naddrs, const uint8_t (*topic0)[32], size_t ntopic0, rpc_log **out,
                 size_t *n, rpc_error *err);

/* eth_call at the latest block; from may be NULL. *out is malloc'd (free it); may be NULL with
 * *outlen 0 for an empty return. A revert is RPC_REVERT with the revert data in err. */
int rpc_eth_call(rpc_client *c, const uint8_t *from, const uint8_t to[20], const uint8_t *data,
                 size_t len, uint8_t **out, size_t *outlen, rpc_error *err);

/* eth_estimateGas; from and value (32-byte big-endian) may be NULL. */
int rpc_estimate_gas(rpc_client *c, const uint8_t *from, const uint8_t to[20],
                     const uint8_t *data, size_t len, const uint8_t *value, uint64_t *gas,
                     rpc_error *err);

int rpc_gas_price(rpc_client *c, uint8_t out[32], rpc_error *err);
int rpc_max_priority_fee(rpc_client *c, uint8_t out[32], rpc_error *err);

/* eth_getTransactionCount(addr, pending ? "pending" : "latest"). */
int rpc_get_transaction_count(rpc_client *c, const uint8_t addr[20], bool pending,
                              uint64_t *nonce, rpc_error *err);

/* eth_sendRawTransaction; hash is the 32-byte hash the node returns. NONCE_TOO_LOW,
 * ALREADY_KNOWN and UNDERPRICED come back as their own kinds. */
int rpc_send_raw_transaction(rpc_client *c, const uint8_t *raw, size_t len, uint8_t hash[32],
                             rpc_error *err);

typedef struct {
    bool found; /* false while the transaction is not mined (other fields then zero) */
    uint64_t status; /* 1 success, 0 reverted */
    uint64_t block_number;
    uint8_t block_hash[32];
    uint64_t gas_used;
    bool has_effective_gas_price;
    uint8_t effective_gas_price[32];
    rpc_log *logs; /* owned */
    size_t nlogs;
} rpc_receipt;

int rpc_get_receipt(rpc_client *c, const uint8_t hash[32], rpc_receipt *out, rpc_error *err);
int rpc_parse_receipt(const cJSON *v, rpc_receipt *out);
void rpc_receipt_free(rpc_receipt *r);

#endif
