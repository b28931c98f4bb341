/* Unit tests for src/evm/abi and src/evm/contracts: the encoding examples of the Solidity ABI
 * specification, decoding of the shapes our contracts return and emit, rejection of
 * malformed data, and the selector/topic constants checked against the contracts' ABI JSON. */
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "core/hex.h"
#include "core/keccak.h"
#include "evm/abi.h"
#include "evm/contracts.h"
#include "test.h"

static char *finish_hex(const abi_enc *e, const char *sig) {
    uint8_t sel[4], *out;
    size_t n;
    abi_selector(sig, sel);
    if (abi_enc_finish(e, sel, &out, &n) != 0) return NULL;
    char *h = malloc(2 * n + 3);
    if (h) hex_encode(out, n, h);
    free(out);
    return h;
}

#define W0 "000000000000000000000000000000000000000000000000000000000000"
#define WORD(x2) W0 "00" x2 /* a word ending in one byte */

TEST(selectors) {
    uint8_t s[4], t[32];
    char h[67];
    abi_selector("transfer(address,uint256)", s);
    CHECK_EQ_STR(hex_encode(s, 4, h), "0xa9059cbb");
    abi_selector("baz(uint32,bool)", s);
    CHECK_EQ_STR(hex_encode(s, 4, h), "0xcdcd77c0");
    abi_event_topic("Transfer(address,address,uint256)", t);
    CHECK_EQ_STR(hex_encode(t, 32, h), "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
}

TEST(spec_baz_and_bar) {
    abi_enc e;
    abi_enc_init(&e);
    abi_enc_u64(&e, 69);
    abi_enc_bool(&e, 1);
    char *h = finish_hex(&e, "baz(uint32,bool)");
    CHECK_EQ_STR(h, "0xcdcd77c0" W0 "0045" W0 "0001");
    free(h);
    abi_enc_free(&e);
    abi_enc_init(&e);
    abi_enc_fixed_bytes(&e, (const uint8_t *)"abc", 3);
    abi_enc_fixed_bytes(&e, (const uint8_t *)"def", 3);
    h = finish_hex(&e, "bar(bytes3[2])");
    CHECK_EQ_STR(h, "0xfce353f6"
                    "6162630000000000000000000000000000000000000000000000000000000000"
                    "6465660000000000000000000000000000000000000000000000000000000000");
    free(h);
    abi_enc_free(&e);
}

static const char SAM[] = "0xa5643bf2" W0 "0060" W0 "0001" W0 "00a0" W0 "0004"
                          "6461766500000000000000000000000000000000000000000000000000000000" W0 "0003" W0 "0001" W0
                          "0002" W0 "0003";

TEST(spec_sam_and_f) {
    abi_enc e, arr;
    abi_enc_init(&e);
    abi_enc_init(&arr);
    for (uint64_t i = 1; i <= 3; i++) abi_enc_u64(&arr, i);
    abi_enc_bytes(&e, (const uint8_t *)"dave", 4);
    abi_enc_bool(&e, 1);
    abi_enc_array(&e, 3, &arr);
    char *h = finish_hex(&e, "sam(bytes,bool,uint256[])");
    CHECK_EQ_STR(h, SAM);
    free(h);
    abi_enc_free(&e);
    abi_enc_free(&arr);

    /* f(uint256,uint32[],bytes10,bytes) with 0x123, [0x456, 0x789], "1234567890", "Hello, world!" */
    abi_enc_init(&e);
    abi_enc_init(&arr);
    abi_enc_u64(&arr, 0x456);
    abi_enc_u64(&arr, 0x789);
    abi_enc_u64(&e, 0x123);
    abi_enc_array(&e, 2, &arr);
    abi_enc_fixed_bytes(&e, (const uint8_t *)"1234567890", 10);
    abi_enc_bytes(&e, (const uint8_t *)"Hello, world!", 13);
    h = finish_hex(&e, "f(uint256,uint32[],bytes10,bytes)");
    CHECK_EQ_STR(h, "0x8be65246" W0 "0123" W0 "0080"
                    "3132333435363738393000000000000000000000000000000000000000000000" W0 "00e0" W0 "0002" W0
                    "0456" W0 "0789" W0 "000d"
                    "48656c6c6f2c20776f726c642100000000000000000000000000000000000000");
    free(h);
    abi_enc_free(&e);
    abi_enc_free(&arr);
}

/* g(uint256[][],string[]) with [[1, 2], [3]] and ["one", "two", "three"]: nested offsets. */
TEST(spec_g_nested) {
    abi_enc e, outer, a12, a3, strs;
    abi_enc_init(&e);
    abi_enc_init(&outer);
    abi_enc_init(&a12);
    abi_enc_init(&a3);
    abi_enc_init(&strs);
    abi_enc_u64(&a12, 1);
    abi_enc_u64(&a12, 2);
    abi_enc_u64(&a3, 3);
    abi_enc_array(&outer, 2, &a12);
    abi_enc_array(&outer, 1, &a3);
    abi_enc_string(&strs, "one", 3);
    abi_enc_string(&strs, "two", 3);
    abi_enc_string(&strs, "three", 5);
    abi_enc_array(&e, 2, &outer);
    abi_enc_array(&e, 3, &strs);
    char *h = finish_hex(&e, "g(uint256[][],string[])");
    CHECK_EQ_STR(h, "0x2289b18c" W0 "0040" W0 "0140" W0 "0002" W0 "0040" W0 "00a0" W0 "0002" W0 "0001" W0
                    "0002" W0 "0001" W0 "0003" W0 "0003" W0 "0060" W0 "00a0" W0 "00e0" W0 "0003"
                    "6f6e650000000000000000000000000000000000000000000000000000000000" W0 "0003"
                    "74776f0000000000000000000000000000000000000000000000000000000000" W0 "0005"
                    "7468726565000000000000000000000000000000000000000000000000000000");
    free(h);
    abi_enc_free(&e);
    abi_enc_free(&outer);
    abi_enc_free(&a12);
    abi_enc_free(&a3);
    abi_enc_free(&strs);
}

static size_t unhex(const char *s, uint8_t *out, size_t cap) {
    long n = hex_decode(s, strlen(s), out, cap);
    return n < 0 ? 0 : (size_t)n;
}

TEST(decode_sam) {
    uint8_t buf[1024];
    size_t n = unhex(SAM, buf, sizeof buf);
    CHECK(n == 4 + 9 * 32);
    abi_dec d, arr;
    const uint8_t *p;
    size_t len, count;
    int b;
    abi_dec_init(&d, buf + 4, n - 4);
    CHECK_EQ_INT(abi_dec_bytes(&d, &p, &len), 0);
    CHECK(len == 4 && memcmp(p, "dave", 4) == 0);
    CHECK_EQ_INT(abi_dec_bool(&d, &b), 0);
    CHECK_EQ_INT(b, 1);
    CHECK_EQ_INT(abi_dec_array(&d, &count, &arr), 0);
    CHECK_EQ_INT(count, 3);
    for (uint64_t i = 1; i <= 3; i++) {
        uint64_t v = 0;
        CHECK_EQ_INT(abi_dec_u64(&arr, &v), 0);
        CHECK_EQ_INT(v, i);
    }
    CHECK_EQ_INT(abi_dec_u64(&arr, &(uint64_t){0}), -1); /* past the end */
}

/* getProviderInfo returns ((string,uint256,uint256,bool),uint256). */
TEST(provider_info_roundtrip) {
    abi_enc e, t;
    abi_enc_init(&e);
    abi_enc_init(&t);
    const char *gpu = "NVIDIA RTX 4090 with a model name longer than thirty-two bytes";
    abi_enc_string(&t, gpu, strlen(gpu));
    abi_enc_u64(&t, 24);
    abi_enc_u64(&t, 1700000000);
    abi_enc_bool(&t, 1);
    abi_enc_tuple(&e, &t);
    abi_enc_u64(&e, 17);
    uint8_t *out;
    size_t n;
    CHECK_EQ_INT(abi_enc_finish(&e, NULL, &out, &n), 0);
    abi_dec d, td;
    char *s = NULL;
    size_t slen;
    uint64_t vram, seen, jobs;
    int reg;
    abi_dec_init(&d, out, n);
    CHECK_EQ_INT(abi_dec_tuple(&d, &td), 0);
    CHECK_EQ_INT(abi_dec_string(&td, &s, &slen), 0);
    CHECK_EQ_STR(s, gpu);
    CHECK_EQ_INT(slen, strlen(gpu));
    CHECK_EQ_INT(abi_dec_u64(&td, &vram), 0);
    CHECK_EQ_INT(abi_dec_u64(&td, &seen), 0);
    CHECK_EQ_INT(abi_dec_bool(&td, &reg), 0);
    CHECK_EQ_INT(abi_dec_u64(&d, &jobs), 0);
    CHECK_EQ_INT(vram, 24);
    CHECK_EQ_INT(seen, 1700000000);
    CHECK_EQ_INT(reg, 1);
    CHECK_EQ_INT(jobs, 17);
    free(s);
    /* Every truncation of it fails cleanly (and never reads past the end under ASan). */
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *c = malloc(cut ? cut : 1);
        if (!c) break;
        memcpy(c, out, cut);
        abi_dec_init(&d, c, cut);
        int ok = abi_dec_tuple(&d, &td) == 0 && abi_dec_string(&td, &s, &slen) == 0;
        if (ok) free(s);
        ok = ok && abi_dec_u64(&td, &vram) == 0 && abi_dec_u64(&td, &seen) == 0 && abi_dec_bool(&td, &reg) == 0 &&
             abi_dec_u64(&d, &jobs) == 0;
        CHECK(!ok);
        free(c);
    }
    free(out);
    abi_enc_free(&e);
    abi_enc_free(&t);
}

/* getJobInfo returns a static tuple: seven head slots. */
TEST(job_info_static_tuple) {
    abi_enc e;
    uint8_t id[32], renter[20], prov[20];
    for (int i = 0; i < 32; i++) id[i] = (uint8_t)(0xa0 + i);
    memset(renter, 0x11, 20);
    memset(prov, 0x22, 20);
    u256 pay;
    u256_parse("1000000000000000000", 19, &pay);
    abi_enc_init(&e);
    abi_enc_bytes32(&e, id);
    abi_enc_address(&e, renter);
    abi_enc_address(&e, prov);
    abi_enc_u256(&e, &pay);
    abi_enc_u64(&e, 2);
    abi_enc_u64(&e, 1700000000);
    abi_enc_u64(&e, 0);
    uint8_t *out;
    size_t n;
    CHECK_EQ_INT(abi_enc_finish(&e, NULL, &out, &n), 0);
    CHECK_EQ_INT(n, 7 * 32);
    abi_dec d;
    uint8_t gid[32], gr[20], gp[20], status;
    u256 gpay;
    uint64_t created, confirmed;
    abi_dec_init(&d, out, n);
    CHECK_EQ_INT(abi_dec_bytes32(&d, gid), 0);
    CHECK_EQ_INT(abi_dec_address(&d, gr), 0);
    CHECK_EQ_INT(abi_dec_address(&d, gp), 0);
    CHECK_EQ_INT(abi_dec_uint(&d, 256, &gpay), 0);
    CHECK_EQ_INT(abi_dec_u8(&d, &status), 0);
    CHECK_EQ_INT(abi_dec_u64(&d, &created), 0);
    CHECK_EQ_INT(abi_dec_u64(&d, &confirmed), 0);
    CHECK(abi_dec_at_end(&d));
    CHECK_MEM(gid, id, 32);
    CHECK_MEM(gr, renter, 20);
    CHECK_MEM(gp, prov, 20);
    CHECK_EQ_INT(u256_cmp(&gpay, &pay), 0);
    CHECK_EQ_INT(status, 2);
    CHECK_EQ_INT(created, 1700000000);
    CHECK_EQ_INT(confirmed, 0);
    /* Dirty bits: an address word with a high byte set, a uint8 of 256, a bool of 2. */
    abi_dec_init(&d, out, n);
    out[32] = 1;
    abi_dec_skip(&d, 1);
    CHECK_EQ_INT(abi_dec_address(&d, gr), -1);
    out[32] = 0;
    out[4 * 32 + 30] = 1;
    abi_dec_init(&d, out, n);
    abi_dec_skip(&d, 4);
    CHECK_EQ_INT(abi_dec_u8(&d, &status), -1);
    abi_dec_init(&d, out, n);
    abi_dec_skip(&d, 4);
    CHECK_EQ_INT(abi_dec_uint(&d, 8, &gpay), -1);
    abi_dec_init(&d, out, n);
    abi_dec_skip(&d, 4);
    CHECK_EQ_INT(abi_dec_uint(&d, 16, &gpay), 0);
    out[4 * 32 + 30] = 0;
    out[4 * 32 + 31] = 2;
    abi_dec_init(&d, out, n);
    int b;
    abi_dec_skip(&d, 4);
    CHECK_EQ_INT(abi_dec_bool(&d, &b), -1);
    CHECK_EQ_INT(abi_dec_skip(&d, 3), -1);
    free(out);
    abi_enc_free(&e);
}

/* JobCreated(bytes32 indexed jobId, address indexed renter, address indexed provider, uint256). */
TEST(event_log_decode) {
    uint8_t topics[4][32] = {{0}}, data[32];
    memcpy(topics[0], CONTRACT_TOPIC_JOB_CREATED, 32);
    memset(topics[1], 0x77, 32);
    memset(topics[2] + 12, 0x11, 20);
    memset(topics[3] + 12, 0x22, 20);
    unhex(W0 "0100", data, 32);
    uint8_t renter[20], prov[20], a[20];
    u256 id, pay;
    uint64_t p;
    CHECK_EQ_INT(abi_topic_address(topics[2], renter), 0);
    CHECK_EQ_INT(abi_topic_address(topics[3], prov), 0);
    abi_topic_u256(topics[1], &id);
    CHECK(id.w[0] == 0x7777777777777777ULL && id.w[3] == 0x7777777777777777ULL);
    memset(a, 0x11, 20);
    CHECK_MEM(renter, a, 20);
    abi_dec d;
    abi_dec_init(&d, data, 32);
    CHECK_EQ_INT(abi_dec_u256(&d, &pay), 0);
    CHECK_EQ_INT(u256_to_u64(&pay, &p), 0);
    CHECK_EQ_INT(p, 256);
    topics[2][0] = 1;
    CHECK_EQ_INT(abi_topic_address(topics[2], renter), -1);
}

TEST(rejects_malformed) {
    uint8_t buf[256] = {0};
    abi_dec d, c;
    const uint8_t *p;
    size_t n, count;
    /* Offset past the end. */
    buf[31] = 0x80;
    abi_dec_init(&d, buf, 64);
    CHECK_EQ_INT(abi_dec_bytes(&d, &p, &n), -1);
    /* Offset pointing at the last word is fine only if the length fits. */
    buf[31] = 0x20;
    buf[63] = 0x01;
    abi_dec_init(&d, buf, 64);
    CHECK_EQ_INT(abi_dec_bytes(&d, &p, &n), -1); /* 1 byte of payload missing */
    abi_dec_init(&d, buf, 95);
    CHECK_EQ_INT(abi_dec_bytes(&d, &p, &n), -1); /* padding cut short */
    abi_dec_init(&d, buf, 96);
    CHECK_EQ_INT(abi_dec_bytes(&d, &p, &n), 0);
    CHECK(n == 1 && p == buf + 64);
    /* Offsets and lengths near 2^64 and 2^256. */
    memset(buf + 24, 0xff, 8);
    abi_dec_init(&d, buf, 64);
    CHECK_EQ_INT(abi_dec_bytes(&d, &p, &n), -1);
    CHECK_EQ_INT((abi_dec_init(&d, buf, 64), abi_dec_tuple(&d, &c)), -1);
    memset(buf, 0xff, 32);
    abi_dec_init(&d, buf, 64);
    CHECK_EQ_INT(abi_dec_bytes(&d, &p, &n), -1);
    memset(buf, 0, 64);
    buf[31] = 0x20;
    memset(buf + 56, 0xff, 8); /* length 2^64-1 */
    abi_dec_init(&d, buf, 64);
    CHECK_EQ_INT(abi_dec_bytes(&d, &p, &n), -1);
    abi_dec_init(&d, buf, 64);
    CHECK_EQ_INT(abi_dec_array(&d, &count, &c), -1); /* count 2^64-1 */
    memset(buf + 56, 0, 8);
    buf[63] = 2; /* 2 elements but no room for them */
    abi_dec_init(&d, buf, 64);
    CHECK_EQ_INT(abi_dec_array(&d, &count, &c), -1);
    abi_dec_init(&d, buf, 128);
    CHECK_EQ_INT(abi_dec_array(&d, &count, &c), 0);
    CHECK_EQ_INT(count, 2);
    /* Truncated head and empty input. */
    abi_dec_init(&d, buf, 31);
    CHECK_EQ_INT(abi_dec_u64(&d, &(uint64_t){0}), -1);
    abi_dec_init(&d, NULL, 100);
    CHECK_EQ_INT(abi_dec_u64(&d, &(uint64_t){0}), -1);
    /* A u256 that does not fit in 64 bits. */
    memset(buf, 0, 32);
    buf[0] = 1;
    abi_dec_init(&d, buf, 32);
    CHECK_EQ_INT(abi_dec_u64(&d, &(uint64_t){0}), -1);
    /* bytesN with dirty low bytes. */
    memset(buf, 0, 32);
    buf[0] = 'a';
    buf[20] = 1;
    uint8_t b3[3];
    abi_dec_init(&d, buf, 32);
    CHECK_EQ_INT(abi_dec_fixed_bytes(&d, b3, 3), -1);
    /* Encoder input errors. */
    abi_enc e;
    abi_enc_init(&e);
    CHECK_EQ_INT(abi_enc_fixed_bytes(&e, buf, 33), -1);
    uint8_t *out;
    size_t olen;
    CHECK_EQ_INT(abi_enc_finish(&e, NULL, &out, &olen), -1);
    abi_enc_free(&e);
    abi_enc_init(&e);
    CHECK_EQ_INT(abi_enc_finish(&e, NULL, &out, &olen), 0); /* no arguments at all */
    CHECK_EQ_INT(olen, 0);
    free(out);
    abi_enc_free(&e);
}

/* Canonical type string of an ABI JSON parameter: tuples expanded as (a,b,c) plus any array
 * suffix. Returns 0 or -1 (overflow or malformed JSON). */
static int type_str(const cJSON *param, char *out, size_t cap, size_t *pos);

static int append_s(char *out, size_t cap, size_t *pos, const char *s) {
    size_t n = strlen(s);
    if (n >= cap - *pos) return -1;
    memcpy(out + *pos, s, n + 1);
    *pos += n;
    return 0;
}

static int params_str(const cJSON *params, char *out, size_t cap, size_t *pos) {
    if (append_s(out, cap, pos, "(") != 0) return -1;
    int first = 1;
    const cJSON *p;
    cJSON_ArrayForEach(p, params) {
        if (!first && append_s(out, cap, pos, ",") != 0) return -1;
        if (type_str(p, out, cap, pos) != 0) return -1;
        first = 0;
    }
    return append_s(out, cap, pos, ")");
}

static int type_str(const cJSON *param, char *out, size_t cap, size_t *pos) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(param, "type");
    if (!cJSON_IsString(t)) return -1;
    if (strncmp(t->valuestring, "tuple", 5) == 0) {
        if (params_str(cJSON_GetObjectItemCaseSensitive(param, "components"), out, cap, pos) != 0) return -1;
        return append_s(out, cap, pos, t->valuestring + 5);
    }
    return append_s(out, cap, pos, t->valuestring);
}

static cJSON *load_json(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return cJSON_Parse(buf);
}

static const struct {
    const char *name;
    const char *sig;
    const uint8_t *value;
    int is_event;
} KNOWN[] = {
    {"registerNode", CONTRACT_SIG_REGISTER_NODE, CONTRACT_SEL_REGISTER_NODE, 0},
    {"sendHeartbeat", CONTRACT_SIG_SEND_HEARTBEAT, CONTRACT_SEL_SEND_HEARTBEAT, 0},
    {"incrementJobs", CONTRACT_SIG_INCREMENT_JOBS, CONTRACT_SEL_INCREMENT_JOBS, 0},
    {"getProviderInfo", CONTRACT_SIG_GET_PROVIDER_INFO, CONTRACT_SEL_GET_PROVIDER_INFO, 0},
    {"owner", CONTRACT_SIG_OWNER, CONTRACT_SEL_OWNER, 0},
    {"createJob", CONTRACT_SIG_CREATE_JOB, CONTRACT_SEL_CREATE_JOB, 0},
    {"confirmResult", CONTRACT_SIG_CONFIRM_RESULT, CONTRACT_SEL_CONFIRM_RESULT, 0},
    {"claimReward", CONTRACT_SIG_CLAIM_REWARD, CONTRACT_SEL_CLAIM_REWARD, 0},
    {"getJobInfo", CONTRACT_SIG_GET_JOB_INFO, CONTRACT_SEL_GET_JOB_INFO, 0},
    {"NodeRegistered", CONTRACT_SIG_NODE_REGISTERED, CONTRACT_TOPIC_NODE_REGISTERED, 1},
    {"NodeHeartbeat", CONTRACT_SIG_NODE_HEARTBEAT, CONTRACT_TOPIC_NODE_HEARTBEAT, 1},
    {"JobCountIncremented", CONTRACT_SIG_JOB_COUNT_INCREMENTED, CONTRACT_TOPIC_JOB_COUNT_INCREMENTED, 1},
    {"OwnershipTransferred", CONTRACT_SIG_OWNERSHIP_TRANSFERRED, CONTRACT_TOPIC_OWNERSHIP_TRANSFERRED, 1},
    {"JobCreated", CONTRACT_SIG_JOB_CREATED, CONTRACT_TOPIC_JOB_CREATED, 1},
    {"JobConfirmed", CONTRACT_SIG_JOB_CONFIRMED, CONTRACT_TOPIC_JOB_CONFIRMED, 1},
    {"PaymentClaimed", CONTRACT_SIG_PAYMENT_CLAIMED, CONTRACT_TOPIC_PAYMENT_CLAIMED, 1},
};
#define NKNOWN (sizeof KNOWN / sizeof KNOWN[0])

TEST(contract_constants_match_abi_json) {
    const char *files[] = {"contracts/abi/JobManager.abi.json", "contracts/abi/NodeReputation.abi.json"};
    int found[NKNOWN] = {0};
    for (size_t f = 0; f < 2; f++) {
        cJSON *abi = load_json(files[f]);
        CHECK(cJSON_IsArray(abi));
        const cJSON *it;
        cJSON_ArrayForEach(it, abi) {
            const cJSON *type = cJSON_GetObjectItemCaseSensitive(it, "type");
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
            if (!cJSON_IsString(type) || !cJSON_IsString(name)) continue;
            int ev = strcmp(type->valuestring, "event") == 0;
            if (!ev && strcmp(type->valuestring, "function") != 0) continue;
            char sig[512];
            size_t pos = 0;
            CHECK_EQ_INT(append_s(sig, sizeof sig, &pos, name->valuestring), 0);
            CHECK_EQ_INT(params_str(cJSON_GetObjectItemCaseSensitive(it, "inputs"), sig, sizeof sig, &pos), 0);
            for (size_t k = 0; k < NKNOWN; k++) {
                if (strcmp(KNOWN[k].name, name->valuestring) != 0 || KNOWN[k].is_event != ev) continue;
                found[k] = 1;
                CHECK_EQ_STR(KNOWN[k].sig, sig);
                uint8_t h[32];
                keccak256(sig, strlen(sig), h);
                if (memcmp(h, KNOWN[k].value, ev ? 32 : 4) != 0) {
                    fprintf(stderr, "  constant for %s does not match keccak\n", sig);
                    CHECK(0);
                }
            }
        }
        cJSON_Delete(abi);
    }
    for (size_t k = 0; k < NKNOWN; k++) {
        if (!found[k]) fprintf(stderr, "  %s not in the ABI files\n", KNOWN[k].name);
        CHECK(found[k]);
    }
    /* A well-known value as a guard against a self-consistent but wrong keccak. */
    char h[67];
    CHECK_EQ_STR(hex_encode(CONTRACT_TOPIC_OWNERSHIP_TRANSFERRED, 32, h),
                 "0x8be0079c531659141344cd1fd0a4f28419497f9722a3daafe3b4186f6b6457e0");
}

int main(void) {
    RUN(selectors);
    RUN(spec_baz_and_bar);
    RUN(spec_sam_and_f);
    RUN(spec_g_nested);
    RUN(decode_sam);
    RUN(provider_info_roundtrip);
    RUN(job_info_static_tuple);
    RUN(event_log_decode);
    RUN(rejects_malformed);
    RUN(contract_constants_match_abi_json);
    TEST_EXIT();
}
