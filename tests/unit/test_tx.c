/* Unit tests for src/evm/tx: the EIP-155 example transaction from the EIP (signing hash and
 * signed raw bytes), EIP-1559 sign/encode/decode/recover round trips, and rejection of
 * malformed raw transactions. */
#include <stdlib.h>

#include "core/address.h"
#include "core/hex.h"
#include "core/keccak.h"
#include "evm/secp.h"
#include "evm/tx.h"
#include "test.h"

static const char EIP155_RAW[] =
    "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83";

TEST(eip155_example) {
    tx t;
    uint8_t k[32], h[32];
    char hx[67];
    memset(k, 0x46, 32);
    tx_init(&t, TX_LEGACY, 1);
    t.nonce = 9;
    u256_parse("20000000000", 11, &t.gas_price);
    t.gas_limit = 21000;
    t.has_to = 1;
    memset(t.to, 0x35, 20);
    u256_parse("1000000000000000000", 19, &t.value);
    CHECK_EQ_INT(tx_signing_hash(&t, h), 0);
    CHECK_EQ_STR(hex_encode(h, 32, hx), "0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");
    CHECK_EQ_INT(tx_sign(&t, k), 0);
    char *raw = NULL;
    CHECK_EQ_INT(tx_encode_hex(&t, &raw), 0);
    CHECK_EQ_STR(raw, EIP155_RAW);
    /* The transaction hash is keccak of those bytes. */
    uint8_t bytes[200], th[32], expect[32];
    long n = hex_decode(EIP155_RAW, strlen(EIP155_RAW), bytes, sizeof bytes);
    CHECK(n == 110);
    keccak256(bytes, (size_t)n, expect);
    CHECK_EQ_INT(tx_hash(&t, th), 0);
    CHECK_MEM(th, expect, 32);
    /* Decoding gives the fields back, and the sender is the key's address. */
    tx d;
    CHECK_EQ_INT(tx_decode(bytes, (size_t)n, &d), 0);
    CHECK_EQ_INT(d.type, TX_LEGACY);
    CHECK_EQ_INT(d.chain_id, 1);
    CHECK_EQ_INT(d.nonce, 9);
    CHECK_EQ_INT(d.gas_limit, 21000);
    CHECK_EQ_INT(u256_cmp(&d.gas_price, &t.gas_price), 0);
    CHECK_EQ_INT(u256_cmp(&d.value, &t.value), 0);
    CHECK(d.has_to && memcmp(d.to, t.to, 20) == 0);
    CHECK_EQ_INT(d.data_len, 0);
    uint8_t a[20], s[20];
    secp_priv_address(k, a);
    CHECK_EQ_INT(tx_sender(&d, s), 0);
    CHECK_MEM(a, s, 20);
    char as[ADDRESS_STR_LEN];
    CHECK_EQ_STR(address_format(s, as), "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F");
    free(raw);
}

TEST(eip1559_roundtrip) {
    uint8_t k[32], a[20], s[20];
    hex_decode_exact("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", 66, k, 32);
    secp_priv_address(k, a);
    static const uint8_t data[] = {0xa9, 0x05, 0x9c, 0xbb, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
                                   19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39,
                                   40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60};
    tx t;
    tx_init(&t, TX_EIP1559, 31337);
    t.nonce = 7;
    t.max_priority_fee = u256_from_u64(1000000000);
    u256_parse("37500000000", 11, &t.max_fee);
    t.gas_limit = 300000;
    t.has_to = 1;
    address_parse("0x5FbDB2315678afecb367f032d93F642f64180aa3", 42, t.to);
    u256_parse("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 66, &t.value);
    t.data = data;
    t.data_len = sizeof data;
    CHECK_EQ_INT(tx_sign(&t, k), 0);
    rlp_buf b;
    rlp_buf_init(&b);
    CHECK_EQ_INT(tx_encode(&t, &b), 0);
    CHECK_EQ_INT(b.p[0], 0x02);
    tx d;
    CHECK_EQ_INT(tx_decode(b.p, b.len, &d), 0);
    CHECK_EQ_INT(d.type, TX_EIP1559);
    CHECK_EQ_INT(d.chain_id, 31337);
    CHECK_EQ_INT(d.nonce, 7);
    CHECK_EQ_INT(d.gas_limit, 300000);
    CHECK_EQ_INT(u256_cmp(&d.max_priority_fee, &t.max_priority_fee), 0);
    CHECK_EQ_INT(u256_cmp(&d.max_fee, &t.max_fee), 0);
    CHECK_EQ_INT(u256_cmp(&d.value, &t.value), 0);
    CHECK(d.has_to && memcmp(d.to, t.to, 20) == 0);
    CHECK(d.data_len == sizeof data && memcmp(d.data, data, sizeof data) == 0);
    CHECK_MEM(d.r, t.r, 32);
    CHECK_MEM(d.s, t.s, 32);
    CHECK_EQ_INT(d.y_parity, t.y_parity);
    CHECK_EQ_INT(tx_sender(&d, s), 0);
    CHECK_MEM(a, s, 20);
    uint8_t h1[32], h2[32];
    tx_hash(&t, h1);
    keccak256(b.p, b.len, h2);
    CHECK_MEM(h1, h2, 32);
    /* Re-encoding the decoded tx gives the same bytes. */
    rlp_buf b2;
    rlp_buf_init(&b2);
    CHECK_EQ_INT(tx_encode(&d, &b2), 0);
    CHECK(b2.len == b.len && memcmp(b2.p, b.p, b.len) == 0);
    /* Changing a field changes the recovered sender. */
    d.nonce = 8;
    if (tx_sender(&d, s) == 0) CHECK(memcmp(a, s, 20) != 0);
    /* Contract creation: no `to`. */
    tx c;
    tx_init(&c, TX_EIP1559, 1);
    c.gas_limit = 100000;
    CHECK_EQ_INT(tx_sign(&c, k), 0);
    b2.len = 0;
    CHECK_EQ_INT(tx_encode(&c, &b2), 0);
    CHECK_EQ_INT(tx_decode(b2.p, b2.len, &d), 0);
    CHECK_EQ_INT(d.has_to, 0);
    CHECK_EQ_INT(tx_sender(&d, s), 0);
    CHECK_MEM(a, s, 20);
    /* Malformed: truncated, trailing, unknown type, non-empty access list, unsigned. */
    CHECK_EQ_INT(tx_decode(b.p, b.len - 1, &d), -1);
    uint8_t *x = malloc(b.len + 1);
    if (x) {
        memcpy(x, b.p, b.len);
        x[b.len] = 0;
        CHECK_EQ_INT(tx_decode(x, b.len + 1, &d), -1);
        x[0] = 0x01;
        CHECK_EQ_INT(tx_decode(x, b.len, &d), -1);
        free(x);
    }
    CHECK_EQ_INT(tx_decode(NULL, 0, &d), -1);
    tx u;
    tx_init(&u, TX_EIP1559, 1);
    b2.len = 0;
    CHECK_EQ_INT(tx_encode(&u, &b2), -1);
    rlp_buf_free(&b);
    rlp_buf_free(&b2);
}

TEST(high_s_rejected) {
    uint8_t raw[200], s[20];
    long n = hex_decode(EIP155_RAW, strlen(EIP155_RAW), raw, sizeof raw);
    tx d;
    CHECK_EQ_INT(tx_decode(raw, (size_t)n, &d), 0);
    /* s' = n - s is the same signature's malleated twin. */
    static const uint8_t order[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
                                      0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
    u256 on, sv, hs;
    u256_from_be32(&on, order);
    u256_from_be32(&sv, d.s);
    u256_sub(&hs, &on, &sv);
    u256_to_be32(&hs, d.s);
    d.y_parity ^= 1;
    CHECK_EQ_INT(tx_sender(&d, s), -1);
}

int main(void) {
    RUN(eip155_example);
    RUN(eip1559_roundtrip);
    RUN(high_s_rejected);
    TEST_EXIT();
}
