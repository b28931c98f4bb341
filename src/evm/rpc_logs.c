/* rpc_logs — eth_getLogs results: the rpc_log struct, its reference parser over a cJSON array
 * (also used for receipts' logs), and the eth_getLogs call that reads a body with the one-pass
 * scanner (rpc_logs_scan.c) first and falls back to the reference parser when it declines.
 * It sits on the transport (rpc.c) and below the typed methods (rpc_methods.c): the transport
 * knows nothing of logs. Arrays are walked with ->next, never cJSON_GetArrayItem in a loop. */
#include <stdlib.h>
#include <string.h>

#include "evm/rpc_logs.h"

/* ---- the reference parser (cJSON) ------------------------------------------------------- */

void rpc_logs_free(rpc_log *logs, size_t n) {
    if (!logs) return;
    for (size_t i = 0; i < n; i++) free(logs[i].data);
    free(logs);
}

bool rpc_logs_equal(const rpc_log *a, const rpc_log *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const rpc_log *x = &a[i], *y = &b[i];
        if (memcmp(x->address, y->address, 20) || memcmp(x->topics, y->topics, sizeof x->topics) ||
            x->ntopics != y->ntopics || x->data_len != y->data_len ||
            (x->data_len && memcmp(x->data, y->data, x->data_len)) || (x->data == NULL) != (y->data == NULL) ||
            x->block_number != y->block_number || memcmp(x->block_hash, y->block_hash, 32) ||
            memcmp(x->tx_hash, y->tx_hash, 32) || x->tx_index != y->tx_index ||
            x->log_index != y->log_index || x->removed != y->removed ||
            x->has_block_time != y->has_block_time || x->block_time != y->block_time)
            return false;
    }
    return true;
}

enum {
    L_ADDR = 1 << 0, L_TOPICS = 1 << 1, L_DATA = 1 << 2, L_BN = 1 << 3, L_BH = 1 << 4,
    L_TH = 1 << 5, L_TI = 1 << 6, L_LI = 1 << 7, L_ALL = (1 << 8) - 1
};

static int parse_log(const cJSON *v, rpc_log *l) {
    if (!cJSON_IsObject(v)) return -1;
    unsigned seen = 0;
    for (const cJSON *f = v->child; f; f = f->next) {
        const char *k = f->string;
        if (!k) continue;
        unsigned bit = 0;
        int rc = 0;
        /* dispatch on the first letter first: cheap, and most keys differ there */
        switch (k[0]) {
        case 'a':
            if (strcmp(k, "address") == 0) bit = L_ADDR, rc = rpc_parse_fixed(f, l->address, 20);
            break;
        case 't':
            if (strcmp(k, "topics") == 0) {
                bit = L_TOPICS;
                if (!cJSON_IsArray(f)) return -1;
                unsigned nt = 0;
                for (const cJSON *t = f->child; t; t = t->next) {
                    if (nt == 4 || rpc_parse_fixed(t, l->topics[nt], 32) != 0) return -1;
                    nt++;
                }
                l->ntopics = (uint8_t)nt;
            } else if (strcmp(k, "transactionHash") == 0) {
                bit = L_TH, rc = rpc_parse_fixed(f, l->tx_hash, 32);
            } else if (strcmp(k, "transactionIndex") == 0) {
                bit = L_TI, rc = rpc_parse_u64(f, &l->tx_index);
            }
            break;
        case 'd':
            if (strcmp(k, "data") == 0) {
                free(l->data); /* a duplicate key replaces, never leaks */
                l->data = NULL;
                bit = L_DATA, rc = rpc_parse_bytes(f, &l->data, &l->data_len);
            }
            break;
        case 'b':
            if (strcmp(k, "blockNumber") == 0) bit = L_BN, rc = rpc_parse_u64(f, &l->block_number);
            else if (strcmp(k, "blockHash") == 0) bit = L_BH, rc = rpc_parse_fixed(f, l->block_hash, 32);
            else if (strcmp(k, "blockTimestamp") == 0 && !cJSON_IsNull(f)) {
                rc = rpc_parse_u64(f, &l->block_time);
                l->has_block_time = rc == 0;
            }
            break;
        case 'l':
            if (strcmp(k, "logIndex") == 0) bit = L_LI, rc = rpc_parse_u64(f, &l->log_index);
            break;
        case 'r':
            if (strcmp(k, "removed") == 0) {
                if (!cJSON_IsBool(f)) return -1;
                l->removed = cJSON_IsTrue(f);
            }
            break;
        default: break;
        }
        if (rc != 0) return -1;
        seen |= bit;
    }
    return seen == L_ALL ? 0 : -1;
}

int rpc_parse_logs(const cJSON *arr, rpc_log **out, size_t *n) {
    *out = NULL;
    *n = 0;
    if (!cJSON_IsArray(arr)) return -1;
    size_t count = 0;
    for (const cJSON *e = arr->child; e; e = e->next) count++;
    if (count == 0) return 0;
    rpc_log *logs = calloc(count, sizeof *logs);
    if (!logs) return -1;
    size_t i = 0;
    for (const cJSON *e = arr->child; e; e = e->next, i++) {
        if (parse_log(e, &logs[i]) != 0) {
            rpc_logs_free(logs, i + 1);
            return -1;
        }
    }
    *out = logs;
    *n = count;
    return 0;
}

/* ---- eth_getLogs: scan first, cJSON when the scan declines ---------------------------------- */

static int parse_logs_http(const char *body, size_t len, long id, int http, rpc_log **out,
                           size_t *n, rpc_error *err) {
    *out = NULL;
    *n = 0;
    /* a result with a non-200 status is refused below; let that path say so */
    if ((http == 200 || http == 0) && rpc_scan_logs_response(body, len, id, out, n) == 0) {
        rpc_error_clear(err);
        return 0;
    }
    cJSON *r = NULL;
    if (rpc_parse_response_http(body, len, id, http, &r, err) != 0) return -1;
    int rc = rpc_parse_logs(r, out, n);
    cJSON_Delete(r);
    if (rc != 0) {
        rpc_error_set(err, RPC_TRANSIENT, 0, 0, "malformed response: bad eth_getLogs result");
        return -2;
    }
    return 0;
}

int rpc_parse_logs_response(const char *body, size_t len, long id, rpc_log **out, size_t *n,
                            rpc_error *err) {
    return parse_logs_http(body, len, id, 0, out, n, err);
}

typedef struct {
    rpc_log **out;
    size_t *n;
    bool bad_result;
} logs_ctx;

static int parse_logs_call(const char *body, size_t len, long id, int http, void *ctx, rpc_error *err) {
    logs_ctx *lc = ctx;
    rpc_logs_free(*lc->out, *lc->n); /* an earlier attempt's logs (none so far: the loop stops on success) */
    int rc = parse_logs_http(body, len, id, http, lc->out, lc->n, err);
    lc->bad_result = rc == -2;
    return rc == -2 ? 0 : rc; /* a bad result ends the retry loop, as after rpc_call */
}

int rpc_call_logs(rpc_client *c, const char *params_json, rpc_log **out, size_t *n,
                  rpc_error *err) {
    rpc_error local;
    if (!err) err = &local;
    *out = NULL;
    *n = 0;
    logs_ctx lc = {out, n, false};
    int rc = rpc_call_parsed(c, "eth_getLogs", params_json, parse_logs_call, &lc, err);
    if (rc == 0 && lc.bad_result) {
        rpc_logs_free(*out, *n);
        *out = NULL;
        *n = 0;
        rpc_error_set(err, RPC_TRANSIENT, 0, 0, "malformed response: bad eth_getLogs result");
        return -2;
    }
    if (rc != 0) {
        rpc_logs_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

