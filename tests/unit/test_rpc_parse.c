/* test_rpc_parse — JSON-RPC response validation, error classification and the strict result
 * parsers of src/evm/rpc*.c, on crafted (often hostile) input. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evm/rpc_methods.h"
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

/* ---- the eth_getLogs scanner against the cJSON path (differential) --------------------------- */

static size_t diff_accepted, diff_scanned, diff_cases;

/* cJSON path vs scanner vs the combined parser on one body; returns false on disagreement */
static bool diff_one(const char *body, size_t len, long id) {
    diff_cases++;
    rpc_error e1, e2;
    cJSON *r = NULL;
    rpc_log *l1 = NULL, *l2 = NULL, *l3 = NULL;
    size_t n1 = 0, n2 = 0, n3 = 0;
    int env = rpc_parse_response(body, len, id, &r, &e1);
    int c1 = env;
    if (env == 0) {
        c1 = rpc_parse_logs(r, &l1, &n1) == 0 ? 0 : -2;
        cJSON_Delete(r);
    }
    int c2 = rpc_scan_logs_response(body, len, id, &l2, &n2);
    int c3 = rpc_parse_logs_response(body, len, id, &l3, &n3, &e2);
    bool ok = true;
    if (c2 == 0) ok = c1 == 0 && n1 == n2 && rpc_logs_equal(l1, l2, n1);
    if (c3 != c1 || (c3 == 0 && (n3 != n1 || !rpc_logs_equal(l1, l3, n1)))) ok = false;
    if (c3 == -1 && (e1.kind != e2.kind || strcmp(e1.message, e2.message) != 0 || e1.code != e2.code))
        ok = false;
    if (c3 == -2 && (e2.kind != RPC_TRANSIENT || !strstr(e2.message, "eth_getLogs"))) ok = false;
    if (!ok)
        fprintf(stderr, "  disagreement (cjson %d, scan %d, combined %d) on %zu bytes: %.*s\n", c1, c2, c3,
                len, (int)(len > 300 ? 300 : len), body);
    diff_accepted += c1 == 0;
    diff_scanned += c2 == 0;
    rpc_logs_free(l1, n1);
    rpc_logs_free(l2, n2);
    rpc_logs_free(l3, n3);
    return ok;
}

static unsigned rng_state = 12345;
static unsigned rnd(unsigned n) {
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 8) % n;
}

/* A random log object, valid unless the dice say otherwise; appends to s. */
static void gen_log(char *s, size_t cap, bool corrupt) {
    static const char *const extras[] = {
        "\"x\":{\"a\":[1,2.5e-3,{\"b\":\"q\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"}],\"c\":null}",
        "\"blockTimestamp\":null", "\"blockTimestamp\":\"0x6553f100\"", "\"removed\":true",
        "\"removed\":false", "\"transactionLogIndex\":\"0x0\"", "\"e\":[]", "\"f\":{}",
        "\"g\":-0", "\"h\":1E+2", "\"i\":\"\"", "\"j\":true", "\"k\":[[[[]]]]", "\"logIndex\":\"0x5\"",
        "\"data\":\"0xdeadbeef\"", "\"topics\":[]", "\"\":0", "\"address\":\"0X5FBDB2315678AFECB367F032D93F642F64180AA3\"",
    };
    static const char *const bads[] = {
        "\"blockNumber\":null", "\"blockNumber\":\"0x\"", "\"blockNumber\":\"0x10000000000000000\"",
        "\"blockNumber\":16", "\"address\":\"0x5fbdb2315678afecb367f032d93f642f64180a\"",
        "\"data\":\"0x123\"", "\"data\":\"0xzz\"", "\"data\":null", "\"topics\":null",
        "\"topics\":[\"0x11\"]", "\"removed\":\"false\"", "\"removed\":null", "\"logIndex\":\"12\"",
        "\"blockTimestamp\":\"0x\"", "\"blockHash\":\"" H32 "11\"", "\"x\":\"\\q\"", "\"x\":01",
        "\"x\":1.", "\"x\":.5", "\"x\":+1", "\"x\":\"\\ud800\"", "\"x\":\"\\udc00\"", "\"x\":\"\\u12\"",
        "\"x\":[1,]", "\"x\":{\"a\"}", "\"x\":tru", "\"addr\\u0065ss\":\"" ADDR "\"",
        "\"x\":1234567890123456789012345678901234567890123456789012345678901234567890",
        "\"data\":\"0x\\u0030\"", "\"x\":\"\\uZZZZ\"",
        "\"topics\":[\"" H32 "\",\"" H32 "\",\"" H32 "\",\"" H32 "\",\"" H32 "\"]",
    };
    const char *ws[] = {"", " ", "\n\t ", "\r\n"};
    const char *w = ws[rnd(4)];
    size_t len = strlen(s);
    char topics[400] = "";
    unsigned nt = rnd(5);
    for (unsigned i = 0; i < nt; i++)
        snprintf(topics + strlen(topics), sizeof topics - strlen(topics), "%s\"0x%064x\"", i ? "," : "",
                 rnd(1u << 30));
    const char *fields[12];
    char f[12][600];
    int nf = 0;
    snprintf(f[nf++], 600, "\"address\":%s\"" ADDR "\"", w);
    snprintf(f[nf++], 600, "\"topics\":[%s%s]", w, topics);
    char data[64] = "";
    for (unsigned i = 0, nd = rnd(6); i < nd; i++) snprintf(data + 2 * i, 3, "%02x", rnd(256));
    snprintf(f[nf++], 600, "\"data\":\"0x%s\"", data);
    snprintf(f[nf++], 600, "\"blockNumber\":\"0x%x\"", rnd(100000));
    snprintf(f[nf++], 600, "\"blockHash\":\"" H32 "\"");
    snprintf(f[nf++], 600, "\"transactionHash\":\"0x%064x\"", rnd(1000));
    snprintf(f[nf++], 600, "\"transactionIndex\":\"0x%s%x\"", rnd(4) ? "" : "000", rnd(300));
    snprintf(f[nf++], 600, "\"logIndex\":\"0x%x\"", rnd(300));
    int extra = (int)rnd(3);
    for (int i = 0; i < extra; i++) snprintf(f[nf++], 600, "%s", extras[rnd(sizeof extras / sizeof *extras)]);
    if (corrupt) {
        unsigned what = rnd(3);
        if (what == 0 && nf > 1) f[rnd((unsigned)nf)][0] = 0; /* drop a field */
        else snprintf(f[nf++], 600, "%s", bads[rnd(sizeof bads / sizeof *bads)]);
    }
    for (int i = 0; i < nf; i++) fields[i] = f[i];
    for (int i = nf - 1; i > 0; i--) { /* shuffle */
        int j = (int)rnd((unsigned)i + 1);
        const char *t = fields[i];
        fields[i] = fields[j];
        fields[j] = t;
    }
    len += (size_t)snprintf(s + len, cap - len, "{%s", w);
    bool first = true;
    for (int i = 0; i < nf; i++) {
        if (!fields[i][0]) continue;
        len += (size_t)snprintf(s + len, cap - len, "%s%s%s", first ? "" : ",", w, fields[i]);
        first = false;
    }
    snprintf(s + len, cap - len, "%s}", w);
}

static void gen_response(char *s, size_t cap, unsigned nlogs, bool corrupt_log, unsigned envelope) {
    static const char *const envs[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":%s}", "{\"result\":%s,\"id\":7,\"jsonrpc\":\"2.0\"}",
        " \n{ \"id\" : \"7\" , \"jsonrpc\" : \"2.0\" , \"result\" : %s } trailing",
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"extra\":{\"a\":[\"\\\"]\"]},\"result\":%s}",
        "{\"jsonrpc\":\"2.0\",\"id\":7.0,\"result\":%s}", "{\"jsonrpc\":\"2.0\",\"id\":8,\"result\":%s}",
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":%s,\"error\":{\"code\":-32000,\"message\":\"x\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":%s,\"result\":[]}", "{\"jsonrpc\":\"1.0\",\"id\":7,\"result\":%s}",
        "{\"jsonrpc\":\"2.0\",\"jsonrpc\":\"2.0\",\"id\":1,\"id\":7,\"result\":%s}",
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":%s,\"jsonrpc\":1}", "\xEF\xBB\xBF{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":%s}",
        "{\"jsonrpc\":\"2.\\u0030\",\"id\":7,\"result\":%s}", "{\"jsonrpc\":\"2.0\",\"id\":-7,\"result\":%s}",
        "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":%s}", "{\"jsonrpc\":\"2.0\",\"id\":\"0007\",\"result\":%s}",
        "{\"jsonrpc\":\"2.0\",\"id\":700e-2,\"result\":%s}",
    };
    char *arr = malloc(cap);
    if (!arr) return;
    strcpy(arr, "[");
    for (unsigned i = 0; i < nlogs; i++) {
        if (i) strcat(arr, ",");
        gen_log(arr, cap, corrupt_log && i == nlogs - 1);
    }
    strcat(arr, "]");
    if (envelope == 99) snprintf(s, cap, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":null}");
    else snprintf(s, cap, envs[envelope % (sizeof envs / sizeof *envs)], arr);
    free(arr);
}

TEST(logs_scan_differential) {
    size_t cap = 1 << 16;
    char *s = malloc(cap);
    CHECK(s != NULL);
    if (!s) return;
    size_t bad = 0;
    /* clean responses: the scanner must take them (else it is no fast path) */
    for (int i = 0; i < 300; i++) {
        rng_state = (unsigned)i * 7919u + 1;
        gen_response(s, cap, rnd(4), false, 0);
        size_t before = diff_scanned;
        if (!diff_one(s, strlen(s), 7)) bad++;
        if (diff_scanned != before + 1) fprintf(stderr, "  declined: %s\n", s);
        CHECK(diff_scanned == before + 1);
    }
    /* random structure, envelopes and corruptions */
    for (int i = 0; i < 20000; i++) {
        rng_state = (unsigned)i * 104729u + 3;
        gen_response(s, cap, rnd(4), rnd(3) == 0, rnd(4) ? 0 : rnd(18) == 17 ? 99 : rnd(17));
        if (!diff_one(s, strlen(s), 7)) bad++;
    }
    /* every truncation and single-byte edit of a small response */
    rng_state = 42;
    char base[4096];
    snprintf(base, sizeof base,
             "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":[{\"address\":\"" ADDR "\",\"topics\":[\"" H32
             "\"],\"data\":\"0x0a0b\",\"blockNumber\":\"0x1f\",\"blockHash\":\"" H32
             "\",\"blockTimestamp\":\"0x10\",\"transactionHash\":\"" H32
             "\",\"transactionIndex\":\"0x1\",\"logIndex\":\"0x2\",\"removed\":false,\"x\":[\"a\\n\",{}]}]}");
    size_t blen = strlen(base);
    CHECK(diff_one(base, blen, 7));
    for (size_t cut = 0; cut < blen; cut++)
        if (!diff_one(base, cut, 7)) bad++;
    static const char edits[] = "\"\\{}[],:0x9aAfgz -.e+\n\001";
    for (size_t pos = 0; pos < blen; pos++) {
        for (size_t k = 0; k < sizeof edits; k++) { /* sizeof: includes a NUL byte edit */
            memcpy(s, base, blen);
            s[pos] = edits[k];
            if (!diff_one(s, blen, 7)) bad++;
        }
        memcpy(s, base, pos); /* deletion */
        memcpy(s + pos, base + pos + 1, blen - pos - 1);
        if (!diff_one(s, blen - 1, 7)) bad++;
    }
    CHECK_EQ_INT(bad, 0);
    /* both verdicts occur often enough to mean something */
    CHECK(diff_accepted > 3000 && diff_cases - diff_accepted > 3000);
    fprintf(stderr, "  %zu cases, %zu accepted by cJSON, %zu by the scanner\n", diff_cases, diff_accepted,
            diff_scanned);
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
    RUN(logs_scan_differential);
    TEST_EXIT();
}
