#include "evm/secp.h"

#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <string.h>
#include <sys/random.h>

#include "core/keccak.h"
#include "core/log.h"

/* Created once, then only read: libsecp256k1 allows concurrent use of a const context. */
static secp256k1_context *g_ctx;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void ctx_create(void) {
    secp256k1_context *c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (!c) return;
    uint8_t seed[32];
    if (getrandom(seed, sizeof seed, 0) == (ssize_t)sizeof seed) {
        if (!secp256k1_context_randomize(c, seed)) log_warn("secp256k1 context randomization failed");
    } else {
        log_warn("getrandom failed; secp256k1 context not randomized");
    }
    memset(seed, 0, sizeof seed);
    g_ctx = c;
}

static const secp256k1_context *ctx(void) {
    pthread_once(&g_once, ctx_create);
    return g_ctx;
}

int secp_seckey_valid(const uint8_t priv[32]) {
    const secp256k1_context *c = ctx();
    return c && secp256k1_ec_seckey_verify(c, priv) ? 0 : -1;
}

static int serialize_pub(const secp256k1_context *c, const secp256k1_pubkey *pk, uint8_t pub[64]) {
    uint8_t out[65];
    size_t n = sizeof out;
    if (!secp256k1_ec_pubkey_serialize(c, out, &n, pk, SECP256K1_EC_UNCOMPRESSED) || n != 65) return -1;
    memcpy(pub, out + 1, 64);
    return 0;
}

int secp_pubkey(const uint8_t priv[32], uint8_t pub[64]) {
    const secp256k1_context *c = ctx();
    secp256k1_pubkey pk;
    if (!c || !secp256k1_ec_pubkey_create(c, &pk, priv)) return -1;
    return serialize_pub(c, &pk, pub);
}

void secp_pubkey_address(const uint8_t pub[64], uint8_t addr[20]) {
    uint8_t h[32];
    keccak256(pub, 64, h);
    memcpy(addr, h + 12, 20);
}

int secp_priv_address(const uint8_t priv[32], uint8_t addr[20]) {
    uint8_t pub[64];
    if (secp_pubkey(priv, pub) != 0) return -1;
    secp_pubkey_address(pub, addr);
    return 0;
}

int secp_sign(const uint8_t hash[32], const uint8_t priv[32], uint8_t sig[65]) {
    const secp256k1_context *c = ctx();
    secp256k1_ecdsa_recoverable_signature rs;
    int recid = 0;
    if (!c || !secp256k1_ecdsa_sign_recoverable(c, &rs, hash, priv, NULL, NULL)) return -1;
    if (!secp256k1_ecdsa_recoverable_signature_serialize_compact(c, sig, &recid, &rs)) return -1;
    if (recid < 0 || recid > 1) return -1; /* 2/3 (r overflowed n) cannot be expressed in v */
    sig[64] = (uint8_t)recid;
    return 0;
}

int secp_recover(const uint8_t hash[32], const uint8_t sig[65], uint8_t pub[64]) {
    const secp256k1_context *c = ctx();
    int v = sig[64];
    if (v == 27 || v == 28) v -= 27;
    if (!c || (v != 0 && v != 1)) return -1;
    secp256k1_ecdsa_recoverable_signature rs;
    secp256k1_pubkey pk;
    /* parse_compact rejects r or s >= n; recover rejects r or s == 0. */
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(c, &rs, sig, v)) return -1;
    if (!secp256k1_ecdsa_recover(c, &pk, &rs, hash)) return -1;
    return serialize_pub(c, &pk, pub);
}

int secp_recover_address(const uint8_t hash[32], const uint8_t sig[65], uint8_t addr[20]) {
    uint8_t pub[64];
    if (secp_recover(hash, sig, pub) != 0) return -1;
    secp_pubkey_address(pub, addr);
    return 0;
}

int secp_sig_low_s(const uint8_t sig[65]) {
    /* n/2 = 7fffffff ffffffff ffffffff ffffffff 5d576e73 57a4501d dfe92f46 681b20a0 */
    static const uint8_t half_n[32] = {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                       0xff, 0xff, 0xff, 0xff, 0xff, 0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4,
                                       0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};
    return memcmp(sig + 32, half_n, 32) <= 0;
}
