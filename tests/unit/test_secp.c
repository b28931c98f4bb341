/* Unit tests for src/evm/secp and src/evm/eip191: key → address on well-known keys, sign and
 * recover round trips, v forms, and rejection of tampered or malformed signatures. */
#include "core/address.h"
#include "core/hex.h"
#include "core/u256.h"
#include "evm/eip191.h"
#include "evm/secp.h"
#include "test.h"

static const char *ANVIL0_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

static void key(const char *hex, uint8_t out[32]) {
    if (hex_decode_exact(hex, strlen(hex), out, 32) != 0) memset(out, 0, 32);
}

TEST(known_addresses) {
    uint8_t k[32], a[20];
    char s[ADDRESS_STR_LEN];
    key(ANVIL0_KEY, k);
    CHECK_EQ_INT(secp_priv_address(k, a), 0);
    CHECK_EQ_STR(address_format(a, s), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    /* Anvil's second default account. */
    key("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d", k);
    CHECK_EQ_INT(secp_priv_address(k, a), 0);
    CHECK_EQ_STR(address_format(a, s), "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    /* Private key 1: the generator point's address. */
    memset(k, 0, 32);
    k[31] = 1;
    CHECK_EQ_INT(secp_priv_address(k, a), 0);
    CHECK_EQ_STR(address_format(a, s), "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
    /* Invalid keys: zero and the group order. */
    memset(k, 0, 32);
    CHECK_EQ_INT(secp_seckey_valid(k), -1);
    CHECK_EQ_INT(secp_priv_address(k, a), -1);
    key("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", k);
    CHECK_EQ_INT(secp_seckey_valid(k), -1);
}

TEST(sign_recover_hash) {
    uint8_t k[32], a[20], r[20], h[32], sig[65], pub[64], pub2[64];
    key(ANVIL0_KEY, k);
    secp_priv_address(k, a);
    for (int i = 0; i < 32; i++) h[i] = (uint8_t)(i * 7 + 1);
    CHECK_EQ_INT(secp_sign(h, k, sig), 0);
    CHECK(sig[64] == 0 || sig[64] == 1);
    CHECK(secp_sig_low_s(sig));
    CHECK_EQ_INT(secp_recover_address(h, sig, r), 0);
    CHECK_MEM(r, a, 20);
    CHECK_EQ_INT(secp_pubkey(k, pub), 0);
    CHECK_EQ_INT(secp_recover(h, sig, pub2), 0);
    CHECK_MEM(pub, pub2, 64);
    /* Deterministic (RFC 6979). */
    uint8_t sig2[65];
    secp_sign(h, k, sig2);
    CHECK_MEM(sig, sig2, 65);
    /* v as 27/28 is the same signature; other v values are rejected. */
    sig2[64] = (uint8_t)(sig[64] + 27);
    CHECK_EQ_INT(secp_recover_address(h, sig2, r), 0);
    CHECK_MEM(r, a, 20);
    sig2[64] = 2;
    CHECK_EQ_INT(secp_recover_address(h, sig2, r), -1);
    sig2[64] = 29;
    CHECK_EQ_INT(secp_recover_address(h, sig2, r), -1);
    /* The flipped recovery id gives some other key, not ours. */
    sig2[64] = (uint8_t)(sig[64] ^ 1);
    if (secp_recover_address(h, sig2, r) == 0) CHECK(memcmp(r, a, 20) != 0);
    /* r = 0, s = 0 and s = n are rejected. */
    memcpy(sig2, sig, 65);
    memset(sig2, 0, 32);
    CHECK_EQ_INT(secp_recover_address(h, sig2, r), -1);
    memcpy(sig2, sig, 65);
    memset(sig2 + 32, 0, 32);
    CHECK_EQ_INT(secp_recover_address(h, sig2, r), -1);
    memcpy(sig2, sig, 65);
    key("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", sig2 + 32);
    CHECK_EQ_INT(secp_recover_address(h, sig2, r), -1);
    CHECK(!secp_sig_low_s(sig2));
}

TEST(eip191_personal_sign) {
    uint8_t k[32], a[20], r[20], sig[65], h[32];
    char hx[67];
    key(ANVIL0_KEY, k);
    secp_priv_address(k, a);
    /* The hash of "hello": keccak256("\x19Ethereum Signed Message:\n5hello"), a widely published value. */
    eip191_hash((const uint8_t *)"hello", 5, h);
    CHECK_EQ_STR(hex_encode(h, 32, hx), "0x50b2c43fd39106bafbba0da34fc430e1f91e3c96ea2acee2bc34119f92b37750");
    const char *msg = "lamda login nonce 42";
    CHECK_EQ_INT(eip191_sign((const uint8_t *)msg, strlen(msg), k, sig), 0);
    CHECK(sig[64] == 27 || sig[64] == 28);
    CHECK_EQ_INT(eip191_recover((const uint8_t *)msg, strlen(msg), sig, r), 0);
    CHECK_MEM(r, a, 20);
    CHECK_EQ_INT(eip191_verify((const uint8_t *)msg, strlen(msg), sig, a), 0);
    /* Tampered message: a different signer (or none). */
    const char *bad = "lamda login nonce 43";
    if (eip191_recover((const uint8_t *)bad, strlen(bad), sig, r) == 0) CHECK(memcmp(r, a, 20) != 0);
    CHECK_EQ_INT(eip191_verify((const uint8_t *)bad, strlen(bad), sig, a), -1);
    /* Tampered signature. */
    sig[5] ^= 1;
    CHECK_EQ_INT(eip191_verify((const uint8_t *)msg, strlen(msg), sig, a), -1);
    /* The empty message signs and recovers too. */
    CHECK_EQ_INT(eip191_sign(NULL, 0, k, sig), 0);
    CHECK_EQ_INT(eip191_verify(NULL, 0, sig, a), 0);
}

/* EIP-2 malleability: (r, n - s, other v) is a second valid signature of the same hash by the
 * same key; ecrecover-style recovery accepts it, EIP-191 verification must not. */
TEST(eip191_high_s_refused) {
    uint8_t k[32], a[20], r[20], sig[65], hi[65], h[32];
    key(ANVIL0_KEY, k);
    secp_priv_address(k, a);
    const char *msg = "lamda:job-status\njob:0x01\nstatus:completed\ntimestamp:1700000000";
    CHECK_EQ_INT(eip191_sign((const uint8_t *)msg, strlen(msg), k, sig), 0);
    CHECK(secp_sig_low_s(sig));
    CHECK_EQ_INT(eip191_recover((const uint8_t *)msg, strlen(msg), sig, r), 0); /* low s: accepted */
    CHECK_MEM(r, a, 20);
    u256 n, s, s2;
    CHECK_EQ_INT(u256_parse_hex("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", 66, &n), 0);
    u256_from_be32(&s, sig + 32);
    CHECK_EQ_INT(u256_sub(&s2, &n, &s), 0);
    memcpy(hi, sig, 65);
    u256_to_be32(&s2, hi + 32);
    hi[64] = (uint8_t)(sig[64] == 27 ? 28 : 27);
    CHECK(!secp_sig_low_s(hi));
    /* The variant is genuine: plain recovery gives the same signer... */
    eip191_hash((const uint8_t *)msg, strlen(msg), h);
    CHECK_EQ_INT(secp_recover_address(h, hi, r), 0);
    CHECK_MEM(r, a, 20);
    /* ...and EIP-191 recovery and verification refuse it. */
    CHECK_EQ_INT(eip191_recover((const uint8_t *)msg, strlen(msg), hi, r), -1);
    CHECK_EQ_INT(eip191_verify((const uint8_t *)msg, strlen(msg), hi, a), -1);
}

int main(void) {
    RUN(known_addresses);
    RUN(sign_recover_hash);
    RUN(eip191_personal_sign);
    RUN(eip191_high_s_refused);
    TEST_EXIT();
}
