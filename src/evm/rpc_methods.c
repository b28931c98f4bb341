/* rpc_methods — typed Ethereum JSON-RPC methods over rpc_call, and the strict parsers of
 * their results. eth_getLogs decoding (and the parser of receipts' logs) is in rpc_logs.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "evm/rpc_methods.h"

static int malformed(rpc_error *err, const char *method) {
    if (err) {
        err->kind = RPC_TRANSIENT;
        err->code = 0;
        err->revert_len = 0;
        err->revert_truncated = false;
        snprintf(err->message, sizeof err->message, "malformed response: bad %s result", method);
    }
    return -1;
}

/* ---- request helpers ----------------------------------------------------------------------- */

static void block_tag(uint64_t b, char out[24]) {
    switch (b) {
    case RPC_BLOCK_LATEST: strcpy(out, "latest"); break;
    case RPC_BLOCK_PENDING: strcpy(out, "pending"); break;
    case RPC_BLOCK_SAFE: strcpy(out, "safe"); break;
    case RPC_BLOCK_FINALIZED: strcpy(out, "finalized"); break;
    default: snprintf(out, 24, "0x%llx", (unsigned long long)b);
    }
}

/* Call and parse a quantity/fixed result. */
static int call_u64(rpc_client *c, const char *method, const char *params, uint64_t *out,
                    rpc_error *err) {
    cJSON *r = NULL;
    if (rpc_call(c, method, params, &r, err) != 0) return -1;
    int rc = rpc_parse_u64(r, out);
    cJSON_Delete(r);
    return rc == 0 ? 0 : malformed(err, method);
}

static int call_u256(rpc_client *c, const char *method, const char *params, uint8_t out[32],
                     rpc_error *err) {
    cJSON *r = NULL;
    if (rpc_call(c, method, params, &r, err) != 0) return -1;
    int rc = rpc_parse_u256(r, out);
    cJSON_Delete(r);
    return rc == 0 ? 0 : malformed(err, method);
}

/* A call object {"from","to","data","value"} as JSON text; caller frees. */
static char *call_object(const uint8_t *from, const uint8_t to[20], const uint8_t *data,
                         size_t len, const uint8_t *value, const char *tail) {
    if (len > ((size_t)1 << 26)) return NULL;
    size_t cap = 2 * len + 512 + strlen(tail);
    char *s = malloc(cap);
    if (!s) return NULL;
    char hf[43], ht[43], hv[67];
    size_t w = (size_t)snprintf(s, cap, "[{");
    if (from) w += (size_t)snprintf(s + w, cap - w, "\"from\":\"%s\",", hex_encode(from, 20, hf));
    w += (size_t)snprintf(s + w, cap - w, "\"to\":\"%s\"", hex_encode(to, 20, ht));
    if (value) {
        /* QUANTITY: no leading zeros */
        size_t i = 0;
        while (i < 31 && value[i] == 0) i++;
        hex_encode_bare(value + i, 32 - i, hv);
        const char *d = hv;
        if (d[0] == '0' && d[1]) d++;
        w += (size_t)snprintf(s + w, cap - w, ",\"value\":\"0x%s\"", d);
    }
    w += (size_t)snprintf(s + w, cap - w, ",\"data\":\"0x");
    hex_encode_bare(data ? data : (const uint8_t *)"", data ? len : 0, s + w);
    w += 2 * (data ? len : 0);
    snprintf(s + w, cap - w, "\"}%s]", tail);
    return s;
}

/* ---- simple methods ------------------------------------------------------------------------ */

int rpc_chain_id(rpc_client *c, uint64_t *out, rpc_error *err) {
    return call_u64(c, "eth_chainId", "[]", out, err);
}

int rpc_block_number(rpc_client *c, uint64_t *out, rpc_error *err) {
    return call_u64(c, "eth_blockNumber", "[]", out, err);
}

int rpc_gas_price(rpc_client *c, uint8_t out[32], rpc_error *err) {
    return call_u256(c, "eth_gasPrice", "[]", out, err);
}

int rpc_max_priority_fee(rpc_client *c, uint8_t out[32], rpc_error *err) {
    return call_u256(c, "eth_maxPriorityFeePerGas", "[]", out, err);
}

int rpc_get_transaction_count(rpc_client *c, const uint8_t addr[20], bool pending,
                              uint64_t *nonce, rpc_error *err) {
    char a[43], params[96];
    snprintf(params, sizeof params, "[\"%s\",\"%s\"]", hex_encode(addr, 20, a),
             pending ? "pending" : "latest");
    return call_u64(c, "eth_getTransactionCount", params, nonce, err);
}

int rpc_send_raw_transaction(rpc_client *c, const uint8_t *raw, size_t len, uint8_t hash[32],
                             rpc_error *err) {
    if (len > ((size_t)1 << 24)) return malformed(err, "eth_sendRawTransaction request");
    char *params = malloc(2 * len + 16);
    if (!params) return malformed(err, "eth_sendRawTransaction request");
    memcpy(params, "[\"", 2);
    hex_encode(raw, len, params + 2);
    strcpy(params + 2 + 2 + 2 * len, "\"]");
    cJSON *r = NULL;
    int rc = rpc_call(c, "eth_sendRawTransaction", params, &r, err);
    free(params);
    if (rc != 0) return -1;
    rc = rpc_parse_fixed(r, hash, 32);
    cJSON_Delete(r);
    return rc == 0 ? 0 : malformed(err, "eth_sendRawTransaction");
}

int rpc_eth_call(rpc_client *c, const uint8_t *from, const uint8_t to[20], const uint8_t *data,
                 size_t len, uint8_t **out, size_t *outlen, rpc_error *err) {
    *out = NULL;
    *outlen = 0;
    char *params = call_object(from, to, data, len, NULL, ",\"latest\"");
    if (!params) return malformed(err, "eth_call request");
    cJSON *r = NULL;
    int rc = rpc_call(c, "eth_call", params, &r, err);
    free(params);
    if (rc != 0) return -1;
    rc = rpc_parse_bytes(r, out, outlen);
    cJSON_Delete(r);
    return rc == 0 ? 0 : malformed(err, "eth_call");
}

int rpc_estimate_gas(rpc_client *c, const uint8_t *from, const uint8_t to[20],
                     const uint8_t *data, size_t len, const uint8_t *value, uint64_t *gas,
                     rpc_error *err) {
    char *params = call_object(from, to, data, len, value, "");
    if (!params) return malformed(err, "eth_estimateGas request");
    int rc = call_u64(c, "eth_estimateGas", params, gas, err);
    free(params);
    return rc;
}

/* ---- blocks -------------------------------------------------------------------------------- */

int rpc_parse_block_header(const cJSON *v, rpc_block_header *out) {
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(v)) return -1;
    unsigned seen = 0;
    for (const cJSON *f = v->child; f; f = f->next) {
        const char *k = f->string;
        if (!k) continue;
        if (strcmp(k, "number") == 0) {
            if (rpc_parse_u64(f, &out->number) != 0) return -1;
            seen |= 1;
        } else if (strcmp(k, "hash") == 0) {
            if (rpc_parse_fixed(f, out->hash, 32) != 0) return -1;
            seen |= 2;
        } else if (strcmp(k, "parentHash") == 0) {
            if (rpc_parse_fixed(f, out->parent_hash, 32) != 0) return -1;
            seen |= 4;
        } else if (strcmp(k, "timestamp") == 0) {
            if (rpc_parse_u64(f, &out->timestamp) != 0) return -1;
            seen |= 8;
        } else if (strcmp(k, "baseFeePerGas") == 0 && !cJSON_IsNull(f)) {
            if (rpc_parse_u256(f, out->base_fee) != 0) return -1;
            out->has_base_fee = true;
        }
    }
    return seen == 15 ? 0 : -1;
}

int rpc_get_block_header(rpc_client *c, uint64_t block, rpc_block_header *out, bool *found,
                         rpc_error *err) {
    char tag[24], params[64];
    block_tag(block, tag);
    snprintf(params, sizeof params, "[\"%s\",false]", tag);
    *found = false;
    memset(out, 0, sizeof *out);
    cJSON *r = NULL;
    if (rpc_call(c, "eth_getBlockByNumber", params, &r, err) != 0) return -1;
    int rc = 0;
    if (!cJSON_IsNull(r)) {
        rc = rpc_parse_block_header(r, out);
        *found = rc == 0;
    }
    cJSON_Delete(r);
    return rc == 0 ? 0 : malformed(err, "eth_getBlockByNumber");
}

int rpc_get_logs(rpc_client *c, uint64_t from, uint64_t to, const uint8_t (*addrs)[20],
                 size_t naddrs, const uint8_t (*topic0)[32], size_t ntopic0, rpc_log **out,
                 size_t *n, rpc_error *err) {
    *out = NULL;
    *n = 0;
    if (naddrs == 0 || naddrs > 1024 || ntopic0 > 1024 || from > to)
        return malformed(err, "eth_getLogs request");
    size_t cap = 128 + naddrs * 46 + ntopic0 * 70;
    char *p = malloc(cap);
    if (!p) return malformed(err, "eth_getLogs request");
    size_t w = (size_t)snprintf(p, cap, "[{\"fromBlock\":\"0x%llx\",\"toBlock\":\"0x%llx\",\"address\":[",
                                (unsigned long long)from, (unsigned long long)to);
    for (size_t i = 0; i < naddrs; i++) {
        p[w++] = i ? ',' : '"';
        if (i) p[w++] = '"';
        hex_encode(addrs[i], 20, p + w);
        w += 42;
        p[w++] = '"';
    }
    p[w++] = ']';
    if (ntopic0) {
        w += (size_t)snprintf(p + w, cap - w, ",\"topics\":[[");
        for (size_t i = 0; i < ntopic0; i++) {
            if (i) p[w++] = ',';
            p[w++] = '"';
            hex_encode(topic0[i], 32, p + w);
            w += 66;
            p[w++] = '"';
        }
        p[w++] = ']';
        p[w++] = ']';
    }
    p[w++] = '}';
    p[w++] = ']';
    p[w] = 0;
    /* decoded by the one-pass scanner (rpc_logs_scan.c); cJSON only when it declines */
    int rc = rpc_call_logs(c, p, out, n, err);
    free(p);
    if (rc == -2) return malformed(err, "eth_getLogs");
    return rc == 0 ? 0 : -1;
}

/* ---- receipts ------------------------------------------------------------------------------ */

void rpc_receipt_free(rpc_receipt *r) {
    if (!r) return;
    rpc_logs_free(r->logs, r->nlogs);
    r->logs = NULL;
    r->nlogs = 0;
}

int rpc_parse_receipt(const cJSON *v, rpc_receipt *out) {
    memset(out, 0, sizeof *out);
    if (cJSON_IsNull(v)) return 0;
    if (!cJSON_IsObject(v)) return -1;
    unsigned seen = 0;
    for (const cJSON *f = v->child; f; f = f->next) {
        const char *k = f->string;
        if (!k) continue;
        int rc = 0;
        if (strcmp(k, "status") == 0) rc = rpc_parse_u64(f, &out->status), seen |= 1;
        else if (strcmp(k, "blockNumber") == 0) rc = rpc_parse_u64(f, &out->block_number), seen |= 2;
        else if (strcmp(k, "blockHash") == 0) rc = rpc_parse_fixed(f, out->block_hash, 32), seen |= 4;
        else if (strcmp(k, "gasUsed") == 0) rc = rpc_parse_u64(f, &out->gas_used), seen |= 8;
        else if (strcmp(k, "effectiveGasPrice") == 0 && !cJSON_IsNull(f)) {
            rc = rpc_parse_u256(f, out->effective_gas_price);
            out->has_effective_gas_price = rc == 0;
        } else if (strcmp(k, "logs") == 0) {
            if (out->logs) rc = -1;
            else rc = rpc_parse_logs(f, &out->logs, &out->nlogs);
        }
        if (rc != 0 || (out->status > 1)) {
            rpc_receipt_free(out);
            return -1;
        }
    }
    /* status is post-Byzantium; every chain we serve has it */
    if (seen != 15) {
        rpc_receipt_free(out);
        return -1;
    }
    out->found = true;
    return 0;
}

int rpc_get_receipt(rpc_client *c, const uint8_t hash[32], rpc_receipt *out, rpc_error *err) {
    char h[67], params[80];
    snprintf(params, sizeof params, "[\"%s\"]", hex_encode(hash, 32, h));
    memset(out, 0, sizeof *out);
    cJSON *r = NULL;
    if (rpc_call(c, "eth_getTransactionReceipt", params, &r, err) != 0) return -1;
    int rc = rpc_parse_receipt(r, out);
    cJSON_Delete(r);
    return rc == 0 ? 0 : malformed(err, "eth_getTransactionReceipt");
}
