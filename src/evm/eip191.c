#include "evm/eip191.h"

#include <stdio.h>
#include <string.h>

#include "core/keccak.h"
#include "evm/secp.h"

void eip191_hash(const uint8_t *msg, size_t len, uint8_t hash[32]) {
    static const char prefix[] = "\x19" "Ethereum Signed Message:\n";
    char num[24];
    int n = snprintf(num, sizeof num, "%zu", len);
    keccak_ctx c;
    keccak256_init(&c);
    keccak256_update(&c, prefix, sizeof prefix - 1);
    keccak256_update(&c, num, (size_t)n);
    if (len) keccak256_update(&c, msg, len);
    keccak256_final(&c, hash);
}

int eip191_sign(const uint8_t *msg, size_t len, const uint8_t priv[32], uint8_t sig[65]) {
    uint8_t h[32];
    eip191_hash(msg, len, h);
    if (secp_sign(h, priv, sig) != 0) return -1;
    sig[64] += 27;
    return 0;
}

int eip191_recover(const uint8_t *msg, size_t len, const uint8_t sig[65], uint8_t addr[20]) {
    /* EIP-2: (r, n - s) with the other v is a second valid signature of the same message by
     * the same key. Every signer (secp_sign, wallets) produces low s, so a high s is refused
     * rather than letting one signed message have two encodings. */
    if (!secp_sig_low_s(sig)) return -1;
    uint8_t h[32];
    eip191_hash(msg, len, h);
    return secp_recover_address(h, sig, addr);
}

int eip191_verify(const uint8_t *msg, size_t len, const uint8_t sig[65], const uint8_t expected[20]) {
    uint8_t a[20];
    if (eip191_recover(msg, len, sig, a) != 0) return -1;
    return memcmp(a, expected, 20) == 0 ? 0 : -1;
}
