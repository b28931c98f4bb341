/* test_rpc_parse — JSON-RPC response validation, error classification and the strict result
 * parsers of src/evm/rpc*.c, on crafted (often hostile) input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evm/rpc.h"
#include "test.h"

static int parse(const char *body, long id, cJSON **res, rpc_error *e) {
    return rpc_parse_response(body, strlen(body), id, res, e);
}

TEST(valid_result) {
    cJSON *r = NULL;
    rpc_error e;
    CHECK_EQ_INT(parse("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":\"0x61\"}", 7, &r, &e), 0);
    uint64_t v = 0;
    CHECK_EQ_INT(rpc_parse_u64(r, &v), 0);
    CHECK_EQ_INT(v, 97);
    CHECK_EQ_INT(e.kind, RPC_OK);
    cJSON_Delete(r);
    /* null result is a valid answer (block not found) */
    CHECK_EQ_INT(parse("{\"id\":3,\"result\":null,\"jsonrpc\":\"2.0\"}", 3, &r, &e), 0);
    CHECK(cJSON_IsNull(r));
    cJSON_Delete(r);
}

TEST(invalid_envelopes) {
    static const char *bad[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":8,\"result\":\"0x1\"}",                       /* wrong id */
        "{\"jsonrpc\":\"2.0\",\"id\":8,\"error\":{\"code\":-32000,\"message\":\"nonce too low\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":\"0x1\",\"error\":{\"code\":1}}", /* both */
        "{\"jsonrpc\":\"2.0\",\"id\":7}",                                          /* neither */
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":\"0x1\",\"result\":2}",          /* two results */
        "{\"jsonrpc\":\"1.0\",\"id\":7,\"result\":\"0x1\"}",                       /* version */
        "{\"id\":7,\"result\":\"0x1\"}",                                           /* no version */
        "{\"jsonrpc\":\"2.0\",\"id\":7.5,\"result\":\"0x1\"}",                     /* id */
        "{\"jsonrpc\":\"2.0\",\"id\":1e300,\"result\":\"0x1\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":[7],\"result\":\"0x1\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":\"0x1\"",                        /* truncated */
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":\"boom\"}",                        /* error type */
        "[{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":\"0x1\"}]",                      /* array */
        "",
        "null",
        "<html>502 Bad Gateway</html>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cJSON *r = (cJSON *)1;
        rpc_error e;
        int rc = parse(bad[i], 7, &r, &e);
        if (rc != -1 || r != NULL || e.kind != RPC_TRANSIENT)
            fprintf(stderr, "  case %zu accepted or misclassified: %s\n", i, bad[i]);
        CHECK_EQ_INT(rc, -1);
        CHECK(r == NULL);
        CHECK_EQ_INT(e.kind, RPC_TRANSIENT);
    }
    /* deep nesting hits cJSON's limit instead of the stack */
    size_t depth = 200000;
    char *deep = malloc(depth * 2 + 64);
    CHECK(deep != NULL);
    if (deep) {
        strcpy(deep, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":");
        size_t n = strlen(deep);
        memset(deep + n, '[', depth);
        memset(deep + n + depth, ']', depth);
        strcpy(deep + n + 2 * depth, "}");
        cJSON *r = NULL;
        rpc_error e;
        CHECK_EQ_INT(parse(deep, 7, &r, &e), -1);
        free(deep);
    }
}

static rpc_error_kind classify_body(const char *body) {
    cJSON *r = NULL;
    rpc_error e;
    if (parse(body, 1, &r, &e) == 0) {
        cJSON_Delete(r);
        return RPC_OK;
    }
    return e.kind;
}

static rpc_error_kind cls(long code, const char *msg) {
    rpc_error e;
    rpc_classify(code, msg, NULL, 200, &e);
    return e.kind;
}

TEST(range_errors_from_providers) {
    CHECK_EQ_INT(cls(-32005, "query returned more than 10000 results"), RPC_RANGE); /* Infura */
    CHECK_EQ_INT(cls(-32000, "block range is too wide"), RPC_RANGE);               /* Ankr */
    CHECK_EQ_INT(cls(-32000, "exceed maximum block range: 5000"), RPC_RANGE);      /* BSC */
    CHECK_EQ_INT(cls(-32005, "limit exceeded"), RPC_RANGE);                       /* NodeReal */
    CHECK_EQ_INT(cls(-32602, "Log response size exceeded. You can make eth_getLogs requests "
                             "with up to a 2K block range"),
                 RPC_RANGE); /* Alchemy */
    CHECK_EQ_INT(cls(-32614, "eth_getLogs is limited to a 10,000 range"), RPC_RANGE); /* QuickNode */
    CHECK_EQ_INT(cls(-32005, "something unusual"), RPC_RANGE);
    CHECK_EQ_INT(cls(-32000, "Query timeout exceeded. Consider reducing your block range"),
                 RPC_RANGE);
    rpc_error e;
    rpc_classify(0, "", NULL, 413, &e);
    CHECK_EQ_INT(e.kind, RPC_RANGE);
    CHECK_EQ_INT(classify_body("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32005,"
                               "\"message\":\"query returned more than 10000 results\"}}"),
                 RPC_RANGE);
}

TEST(other_error_kinds) {
    CHECK_EQ_INT(cls(-32000, "nonce too low"), RPC_NONCE_TOO_LOW);
    CHECK_EQ_INT(cls(-32000, "nonce too low: next nonce 5, tx nonce 4"), RPC_NONCE_TOO_LOW);
    CHECK_EQ_INT(cls(-32000, "already known"), RPC_ALREADY_KNOWN);
    CHECK_EQ_INT(cls(-32000, "replacement transaction underpriced"), RPC_UNDERPRICED);
    CHECK_EQ_INT(cls(-32000, "transaction underpriced"), RPC_UNDERPRICED);
    CHECK_EQ_INT(cls(-32601, "the method eth_foo does not exist/is not available"), RPC_FATAL);
    CHECK_EQ_INT(cls(-32602, "invalid argument 0: hex string without 0x prefix"), RPC_FATAL);
    CHECK_EQ_INT(cls(-32005, "daily request count exceeded, request rate limited"), RPC_TRANSIENT);
    CHECK_EQ_INT(cls(429, "Too Many Requests"), RPC_TRANSIENT);
    CHECK_EQ_INT(cls(-32005, "rate limit exceeded"), RPC_TRANSIENT);
    CHECK_EQ_INT(cls(-32000, "header not found"), RPC_TRANSIENT);
    rpc_error e;
    rpc_classify(-32000, "whatever", NULL, 503, &e);
    CHECK_EQ_INT(e.kind, RPC_TRANSIENT);
    CHECK_EQ_INT(e.code, -32000);
    CHECK_EQ_STR(e.message, "whatever");

    /* revert with data: Error(string) selector 0x08c379a0 */
    cJSON *r = NULL;
    const char *body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":3,\"message\":"
                       "\"execution reverted: nope\",\"data\":\"0x08c379a0ff\"}}";
    CHECK_EQ_INT(parse(body, 1, &r, &e), -1);
    CHECK_EQ_INT(e.kind, RPC_REVERT);
    CHECK_EQ_INT(e.code, 3);
    CHECK_EQ_INT(e.revert_len, 5);
    static const uint8_t want[] = {0x08, 0xc3, 0x79, 0xa0, 0xff};
    CHECK_MEM(e.revert_data, want, 5);
    CHECK_EQ_STR(e.message, "execution reverted: nope");
    /* nested data object, and malformed data is ignored rather than trusted */
    cJSON *nested = cJSON_Parse("{\"data\":\"0xdead\"}");
    rpc_classify(-32000, "execution reverted", nested, 200, &e);
    cJSON_Delete(nested);
    CHECK_EQ_INT(e.kind, RPC_REVERT);
    CHECK_EQ_INT(e.revert_len, 2);
    cJSON *bad = cJSON_Parse("\"0xzz\"");
    rpc_classify(-32000, "execution reverted", bad, 200, &e);
    cJSON_Delete(bad);
    CHECK_EQ_INT(e.kind, RPC_REVERT);
    CHECK_EQ_INT(e.revert_len, 0);
    /* error with id null (server could not read our id) is still an error answer */
    CHECK_EQ_INT(classify_body("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
                               "\"message\":\"parse error\"}}"),
                 RPC_FATAL);
}

TEST(quantities_strict) {
    static const char *ok_u64[] = {"\"0x0\"", "\"0x1\"", "\"0xffffffffffffffff\"",
                                   "\"0x00ff\""};
    static const uint64_t want[] = {0, 1, UINT64_MAX, 255};
    for (size_t i = 0; i < 4; i++) {
        cJSON *v = cJSON_Parse(ok_u64[i]);
        uint64_t x = 7;
        CHECK_EQ_INT(rpc_parse_u64(v, &x), 0);
        CHECK(x == want[i]);
        cJSON_Delete(v);
    }
    static const char *bad[] = {"\"0x\"", "\"1\"", "\"0x10000000000000000\"", "\"0xg\"",
                                "\"0x1 \"", "\"-0x1\"", "1", "null", "\"\"", "\" 0x1\""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cJSON *v = cJSON_Parse(bad[i]);
        uint64_t x;
        CHECK_EQ_INT(rpc_parse_u64(v, &x), -1);
        cJSON_Delete(v);
    }
    uint8_t b[32];
    cJSON *v = cJSON_Parse("\"0x1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef\"");
    CHECK_EQ_INT(rpc_parse_u256(v, b), 0);
    CHECK(b[0] == 0x12 && b[31] == 0xef && b[8] == 0x12);
    cJSON_Delete(v);
    v = cJSON_Parse("\"0x1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef0\"");
    CHECK_EQ_INT(rpc_parse_u256(v, b), -1); /* 65 digits: > 256 bits */
    cJSON_Delete(v);
    v = cJSON_Parse("\"0x3b9aca00\"");
    CHECK_EQ_INT(rpc_parse_u256(v, b), 0);
    CHECK(b[28] == 0x3b && b[29] == 0x9a && b[30] == 0xca && b[31] == 0x00 && b[27] == 0);
    cJSON_Delete(v);
    v = cJSON_Parse("\"0xabc\"");
    CHECK_EQ_INT(rpc_parse_u256(v, b), 0);
    CHECK(b[30] == 0x0a && b[31] == 0xbc);
    cJSON_Delete(v);
}

#define H32 "0x1111111111111111111111111111111111111111111111111111111111111111"
#define ADDR "0x5fbdb2315678afecb367f032d93f642f64180aa3"
#define LOG_OK                                                                               \
    "{\"address\":\"" ADDR "\",\"topics\":[\"" H32 "\",\"" H32 "\"],\"data\":\"0x0102\","  \
    "\"blockNumber\":\"0x10\",\"blockHash\":\"" H32 "\",\"transactionHash\":\"" H32 "\","  \
    "\"transactionIndex\":\"0x0\",\"logIndex\":\"0x3\",\"removed\":false}"

static int logs_of(const char *json, rpc_log **out, size_t *n) {
    cJSON *v = cJSON_Parse(json);
    int rc = rpc_parse_logs(v, out, n);
    cJSON_Delete(v);
    return rc;
}

TEST(logs) {
    rpc_log *l = NULL;
    size_t n = 0;
    CHECK_EQ_INT(logs_of("[" LOG_OK "," LOG_OK "]", &l, &n), 0);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_INT(l[1].block_number, 16);
        CHECK_EQ_INT(l[1].log_index, 3);
        CHECK_EQ_INT(l[0].ntopics, 2);
        CHECK_EQ_INT(l[0].data_len, 2);
        CHECK(l[0].data[1] == 2);
        CHECK(l[0].address[0] == 0x5f && l[0].address[19] == 0xa3);
        CHECK(!l[0].removed);
        CHECK(!l[0].has_block_time);
    }
    rpc_logs_free(l, n);
    CHECK_EQ_INT(logs_of("[]", &l, &n), 0);
    CHECK_EQ_INT(n, 0);
    /* empty data and no topics are valid */
    const char *minimal = "[{\"address\":\"" ADDR "\",\"topics\":[],\"data\":\"0x\","
                          "\"blockNumber\":\"0x1\",\"blockHash\":\"" H32 "\",\"transactionHash\":\"" H32
                          "\",\"transactionIndex\":\"0x0\",\"logIndex\":\"0x0\",\"removed\":true}]";
    CHECK_EQ_INT(logs_of(minimal, &l, &n), 0);
    CHECK(n == 1 && l[0].data == NULL && l[0].data_len == 0 && l[0].removed);
    rpc_logs_free(l, n);
    /* the optional blockTimestamp */
    const char *stamped = "[{\"address\":\"" ADDR "\",\"topics\":[],\"data\":\"0x\","
                          "\"blockNumber\":\"0x1\",\"blockHash\":\"" H32 "\",\"transactionHash\":\"" H32
                          "\",\"transactionIndex\":\"0x0\",\"logIndex\":\"0x0\",\"blockTimestamp\":\"0x65\"}]";
    CHECK_EQ_INT(logs_of(stamped, &l, &n), 0);
    CHECK(n == 1 && l[0].has_block_time && l[0].block_time == 0x65);
    rpc_logs_free(l, n);

    static const char *bad[] = {
        /* missing logIndex */
        "[{\"address\":\"" ADDR "\",\"topics\":[],\"data\":\"0x\",\"blockNumber\":\"0x1\","
        "\"blockHash\":\"" H32 "\",\"transactionHash\":\"" H32 "\",\"transactionIndex\":\"0x0\"}]",
        /* pending log: null block number */
        "[{\"address\":\"" ADDR "\",\"topics\":[],\"data\":\"0x\",\"blockNumber\":null,"
        "\"blockHash\":\"" H32 "\",\"transactionHash\":\"" H32 "\",\"transactionIndex\":\"0x0\","
        "\"logIndex\":\"0x0\"}]",
        /* five topics */
        "[{\"address\":\"" ADDR "\",\"topics\":[\"" H32 "\",\"" H32 "\",\"" H32 "\",\"" H32
        "\",\"" H32 "\"],\"data\":\"0x\",\"blockNumber\":\"0x1\",\"blockHash\":\"" H32
        "\",\"transactionHash\":\"" H32 "\",\"transactionIndex\":\"0x0\",\"logIndex\":\"0x0\"}]",
        /* short address */
        "[{\"address\":\"0x5fbdb2315678afecb367f032d93f642f64180a\",\"topics\":[],\"data\":\"0x\","
        "\"blockNumber\":\"0x1\",\"blockHash\":\"" H32 "\",\"transactionHash\":\"" H32
        "\",\"transactionIndex\":\"0x0\",\"logIndex\":\"0x0\"}]",
        /* odd data */
        "[{\"address\":\"" ADDR "\",\"topics\":[],\"data\":\"0x123\",\"blockNumber\":\"0x1\","
        "\"blockHash\":\"" H32 "\",\"transactionHash\":\"" H32 "\",\"transactionIndex\":\"0x0\","
        "\"logIndex\":\"0x0\"}]",
        /* huge block number */
        "[{\"address\":\"" ADDR "\",\"topics\":[],\"data\":\"0x\",\"blockNumber\":"
        "\"0x100000000000000000\",\"blockHash\":\"" H32 "\",\"transactionHash\":\"" H32
        "\",\"transactionIndex\":\"0x0\",\"logIndex\":\"0x0\"}]",
        "[" LOG_OK ",42]",
        "{}",
        "[null]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        l = (rpc_log *)1;
        n = 99;
        int rc = logs_of(bad[i], &l, &n);
        if (rc != -1) fprintf(stderr, "  bad log case %zu accepted\n", i);
        CHECK_EQ_INT(rc, -1);
        CHECK(l == NULL && n == 0);
    }
}

TEST(block_header_and_receipt) {
    rpc_block_header h;
    cJSON *v = cJSON_Parse("{\"number\":\"0x2a\",\"hash\":\"" H32 "\",\"parentHash\":\"" H32
                           "\",\"timestamp\":\"0x6500\",\"baseFeePerGas\":\"0x3b9aca00\","
                           "\"transactions\":[]}");
    CHECK_EQ_INT(rpc_parse_block_header(v, &h), 0);
    CHECK_EQ_INT(h.number, 42);
    CHECK_EQ_INT(h.timestamp, 0x6500);
    CHECK(h.has_base_fee && h.base_fee[28] == 0x3b);
    cJSON_Delete(v);
    v = cJSON_Parse("{\"number\":\"0x2a\",\"hash\":\"" H32 "\",\"timestamp\":\"0x1\"}");
    CHECK_EQ_INT(rpc_parse_block_header(v, &h), -1); /* no parentHash */
    cJSON_Delete(v);

    rpc_receipt r;
    v = cJSON_Parse("{\"status\":\"0x1\",\"blockNumber\":\"0x5\",\"blockHash\":\"" H32
                    "\",\"gasUsed\":\"0x5208\",\"effectiveGasPrice\":\"0x1\",\"logs\":[" LOG_OK "]}");
    CHECK_EQ_INT(rpc_parse_receipt(v, &r), 0);
    CHECK(r.found && r.status == 1 && r.gas_used == 21000 && r.nlogs == 1);
    rpc_receipt_free(&r);
    cJSON_Delete(v);
    v = cJSON_Parse("null");
    CHECK_EQ_INT(rpc_parse_receipt(v, &r), 0);
    CHECK(!r.found);
    cJSON_Delete(v);
    v = cJSON_Parse("{\"status\":\"0x2\",\"blockNumber\":\"0x5\",\"blockHash\":\"" H32
                    "\",\"gasUsed\":\"0x5208\",\"logs\":[]}");
    CHECK_EQ_INT(rpc_parse_receipt(v, &r), -1);
    cJSON_Delete(v);
    v = cJSON_Parse("{\"status\":\"0x1\",\"blockNumber\":\"0x5\",\"blockHash\":\"" H32
                    "\",\"gasUsed\":\"0x5208\",\"logs\":[{}]}");
    CHECK_EQ_INT(rpc_parse_receipt(v, &r), -1);
    cJSON_Delete(v);
}

TEST(batch_out_of_order) {
    rpc_batch_item it[3] = {{.method = "a"}, {.method = "b"}, {.method = "c"}};
    rpc_error e;
    /* ids 10,11,12 answered as 12, 10, an unknown 99, a duplicate 10; 11 missing */
    const char *body = "[{\"jsonrpc\":\"2.0\",\"id\":12,\"result\":\"0xc\"},"
                       "{\"jsonrpc\":\"2.0\",\"id\":10,\"result\":\"0xa\"},"
                       "{\"jsonrpc\":\"2.0\",\"id\":99,\"result\":\"0x0\"},"
                       "{\"jsonrpc\":\"2.0\",\"id\":10,\"result\":\"0xbad\"}]";
    CHECK_EQ_INT(rpc_parse_batch_response(body, strlen(body), 10, it, 3, &e), 0);
    uint64_t v = 0;
    CHECK(it[0].result && rpc_parse_u64(it[0].result, &v) == 0 && v == 10);
    CHECK(it[2].result && rpc_parse_u64(it[2].result, &v) == 0 && v == 12);
    CHECK(it[1].result == NULL && it[1].err.kind == RPC_TRANSIENT);
    rpc_batch_clear(it, 3);

    body = "[{\"jsonrpc\":\"2.0\",\"id\":11,\"error\":{\"code\":-32000,\"message\":\"nonce too "
           "low\"}},{\"jsonrpc\":\"2.0\",\"id\":10,\"result\":null},{\"id\":12}]";
    CHECK_EQ_INT(rpc_parse_batch_response(body, strlen(body), 10, it, 3, &e), 0);
    CHECK(it[1].result == NULL && it[1].err.kind == RPC_NONCE_TOO_LOW);
    CHECK(cJSON_IsNull(it[0].result));
    CHECK(it[2].result == NULL && it[2].err.kind == RPC_TRANSIENT);
    rpc_batch_clear(it, 3);

    /* a whole-batch refusal, and garbage */
    body = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"batch too large\"}}";
    CHECK_EQ_INT(rpc_parse_batch_response(body, strlen(body), 10, it, 3, &e), -1);
    CHECK_EQ_INT(e.kind, RPC_FATAL);
    body = "[{\"jsonrpc\":\"2.0\",\"id\":10,\"res";
    CHECK_EQ_INT(rpc_parse_batch_response(body, strlen(body), 10, it, 3, &e), -1);
    CHECK_EQ_INT(e.kind, RPC_TRANSIENT);
    CHECK(it[0].result == NULL);
}

TEST(large_log_array_linear) {
    /* 20000 logs parse quickly (a quadratic walk would take seconds) */
    size_t n = 20000, one = strlen(LOG_OK);
    char *s = malloc(n * (one + 1) + 3);
    CHECK(s != NULL);
    if (!s) return;
    size_t w = 0;
    s[w++] = '[';
    for (size_t i = 0; i < n; i++) {
        if (i) s[w++] = ',';
        memcpy(s + w, LOG_OK, one);
        w += one;
    }
    s[w++] = ']';
    s[w] = 0;
    cJSON *v = cJSON_ParseWithLength(s, w);
    rpc_log *l = NULL;
    size_t got = 0;
    CHECK_EQ_INT(rpc_parse_logs(v, &l, &got), 0);
    CHECK_EQ_INT(got, n);
    rpc_logs_free(l, got);
    cJSON_Delete(v);
    free(s);
}

int main(void) {
    RUN(valid_result);
    RUN(invalid_envelopes);
    RUN(range_errors_from_providers);
    RUN(other_error_kinds);
    RUN(quantities_strict);
    RUN(logs);
    RUN(block_header_and_receipt);
    RUN(batch_out_of_order);
    RUN(large_log_array_linear);
    TEST_EXIT();
}
