/* keccak — Keccak-256 as Ethereum uses it (the original Keccak padding 0x01, not SHA3-256's
 * 0x06). Our own implementation: Debian's OpenSSL 3.0 has SHA3 but not Keccak-256. */
#ifndef LAMDA_KECCAK_H
#define LAMDA_KECCAK_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t st[25];
    size_t pos; /* bytes absorbed into the current 136-byte block */
} keccak_ctx;

void keccak256_init(keccak_ctx *c);
void keccak256_update(keccak_ctx *c, const void *data, size_t len);
void keccak256_final(keccak_ctx *c, uint8_t out[32]);
/* One-shot. */
void keccak256(const void *data, size_t len, uint8_t out[32]);

#endif
