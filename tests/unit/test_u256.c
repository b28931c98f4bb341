/* Unit tests for src/core/u256: parsing and formatting across the full range, the byte
 * forms, and overflow reporting of the arithmetic used for fee math. */
#include "core/hex.h"
#include "core/u256.h"
#include "test.h"

#define MAX_DEC "115792089237316195423570985008687907853269984665640564039457584007913129639935"
#define MAX_HEX "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

static int parse(const char *s, u256 *v) { return u256_parse(s, strlen(s), v); }

TEST(format_and_parse_range) {
    u256 v;
    char d[U256_DEC_LEN], h[U256_HEX_LEN];
    CHECK_EQ_INT(parse(MAX_DEC, &v), 0);
    CHECK_EQ_STR(u256_format_dec(&v, d), MAX_DEC);
    CHECK_EQ_STR(u256_format_hex(&v, h), MAX_HEX);
    CHECK_EQ_INT(strlen(MAX_DEC), 78);
    CHECK_EQ_INT(parse(MAX_HEX, &v), 0);
    CHECK_EQ_STR(u256_format_dec(&v, d), MAX_DEC);
    /* 2^256 does not fit, in either base. */
    CHECK_EQ_INT(parse("115792089237316195423570985008687907853269984665640564039457584007913129639936", &v), -1);
    CHECK_EQ_INT(parse("0x10000000000000000000000000000000000000000000000000000000000000000", &v), -1);
    /* Leading zeros are fine even beyond 64 hex digits. */
    CHECK_EQ_INT(parse("0x00000000000000000000000000000000000000000000000000000000000000000001", &v), 0);
    CHECK_EQ_STR(u256_format_hex(&v, h), "0x1");
    CHECK_EQ_INT(parse("0", &v), 0);
    CHECK_EQ_STR(u256_format_dec(&v, d), "0");
    CHECK_EQ_STR(u256_format_hex(&v, h), "0x0");
    CHECK_EQ_INT(parse("0x0", &v), 0);
    CHECK(u256_is_zero(&v));
    /* 10^19 and 10^19-1 straddle the 19-digit chunk boundary of the formatter. */
    CHECK_EQ_INT(parse("10000000000000000000", &v), 0);
    CHECK_EQ_STR(u256_format_dec(&v, d), "10000000000000000000");
    CHECK_EQ_INT(parse("9999999999999999999", &v), 0);
    CHECK_EQ_STR(u256_format_dec(&v, d), "9999999999999999999");
    CHECK_EQ_INT(parse("100000000000000000000000000000000000000000000000000000000000000000000000000000", &v), 0);
    CHECK_EQ_STR(u256_format_dec(&v, d), "100000000000000000000000000000000000000000000000000000000000000000000000000000");
    CHECK_EQ_INT(parse("1000000000000000000", &v), 0); /* 1 ether */
    CHECK_EQ_STR(u256_format_hex(&v, h), "0xde0b6b3a7640000");
    CHECK_EQ_INT(parse("0xDE0B6B3A7640000", &v), 0);
    CHECK_EQ_STR(u256_format_dec(&v, d), "1000000000000000000");
    /* Malformed. */
    CHECK_EQ_INT(parse("", &v), -1);
    CHECK_EQ_INT(parse("0x", &v), -1);
    CHECK_EQ_INT(parse("12a", &v), -1);
    CHECK_EQ_INT(parse("-1", &v), -1);
    CHECK_EQ_INT(parse("0xg", &v), -1);
    CHECK_EQ_INT(parse(" 1", &v), -1);
    CHECK_EQ_INT(u256_parse(NULL, 0, &v), -1);
}

TEST(arithmetic_overflow_flags) {
    u256 max, one = u256_from_u64(1), r;
    char d[U256_DEC_LEN];
    parse(MAX_DEC, &max);
    CHECK_EQ_INT(u256_add(&r, &max, &one), 1);
    CHECK(u256_is_zero(&r));
    CHECK_EQ_INT(u256_sub(&r, &one, &max), 1);
    CHECK_EQ_STR(u256_format_dec(&r, d), "2");
    CHECK_EQ_INT(u256_sub(&r, &max, &one), 0);
    CHECK_EQ_INT(u256_cmp(&r, &max), -1);
    CHECK_EQ_INT(u256_cmp(&max, &r), 1);
    CHECK_EQ_INT(u256_cmp(&max, &max), 0);
    /* Carry across words: 2^64-1 + 1 = 2^64. */
    u256 a = u256_from_u64(UINT64_MAX);
    CHECK_EQ_INT(u256_add(&r, &a, &one), 0);
    CHECK_EQ_STR(u256_format_dec(&r, d), "18446744073709551616");
    CHECK(!u256_fits_u64(&r));
    uint64_t x = 7;
    CHECK_EQ_INT(u256_to_u64(&r, &x), -1);
    CHECK_EQ_INT(x, 7);
    CHECK_EQ_INT(u256_sub(&r, &r, &one), 0);
    CHECK_EQ_INT(u256_to_u64(&r, &x), 0);
    CHECK(x == UINT64_MAX);
    /* Fee math: 30 gwei * 125 / 100. */
    u256 fee = u256_from_u64(30000000000ULL);
    CHECK_EQ_INT(u256_mul_u64(&fee, &fee, 125), 0);
    uint64_t rem = 99;
    CHECK_EQ_INT(u256_div_u64(&fee, &fee, 100, &rem), 0);
    CHECK_EQ_STR(u256_format_dec(&fee, d), "37500000000");
    CHECK_EQ_INT(rem, 0);
    CHECK_EQ_INT(u256_div_u64(&fee, &fee, 0, NULL), -1);
    CHECK_EQ_INT(u256_mul_u64(&r, &max, 2), 1);
    CHECK_EQ_INT(u256_mul_u64(&r, &max, 1), 0);
    CHECK_EQ_INT(u256_mul_u64(&r, &max, 0), 0);
    CHECK(u256_is_zero(&r));
    /* Division across words: (2^256-1) / 10 and the remainder 5. */
    CHECK_EQ_INT(u256_div_u64(&r, &max, 10, &rem), 0);
    CHECK_EQ_INT(rem, 5);
    CHECK_EQ_STR(u256_format_dec(&r, d), "11579208923731619542357098500868790785326998466564056403945758400791312963993");
}

TEST(byte_forms) {
    uint8_t be[32], min[32];
    u256 v, w;
    parse("0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", &v);
    u256_to_be32(&v, be);
    for (int i = 0; i < 32; i++) CHECK_EQ_INT(be[i], i + 1);
    u256_from_be32(&w, be);
    CHECK_EQ_INT(u256_cmp(&v, &w), 0);
    v = u256_from_u64(1024);
    CHECK_EQ_INT(u256_to_be_min(&v, min), 2);
    CHECK_EQ_INT(min[0], 4);
    CHECK_EQ_INT(min[1], 0);
    v = u256_from_u64(0);
    CHECK_EQ_INT(u256_to_be_min(&v, min), 0);
    uint8_t long_in[40] = {0};
    long_in[39] = 9;
    CHECK_EQ_INT(u256_from_be(&v, long_in, 40), 0); /* leading zeros beyond 32 bytes */
    CHECK(v.w[0] == 9);
    long_in[0] = 1;
    CHECK_EQ_INT(u256_from_be(&v, long_in, 40), -1);
    CHECK_EQ_INT(u256_from_be(&v, long_in, 0), 0);
    CHECK(u256_is_zero(&v));
}

int main(void) {
    RUN(format_and_parse_range);
    RUN(arithmetic_overflow_flags);
    RUN(byte_forms);
    TEST_EXIT();
}
