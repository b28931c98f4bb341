#include "evm/keccak.h"

#include <string.h>

#define KECCAK_RATE 136 /* bytes: 1600-bit state minus 2*256-bit capacity */

static const uint64_t round_consts[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

/* rho rotation amounts and pi lane order, walked together along the pi permutation's cycle. */
static const unsigned rho[24] = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                                 27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
static const unsigned pi[24] = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                                15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

static inline uint64_t rotl(uint64_t x, unsigned n) { return (x << n) | (x >> (64 - n)); }

static void keccak_f1600(uint64_t s[25]) {
    for (int round = 0; round < 24; round++) {
        uint64_t c[5], t;
        for (int x = 0; x < 5; x++) c[x] = s[x] ^ s[x + 5] ^ s[x + 10] ^ s[x + 15] ^ s[x + 20];
        for (int x = 0; x < 5; x++) {
            t = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
            for (int y = 0; y < 25; y += 5) s[y + x] ^= t;
        }
        t = s[1];
        for (int i = 0; i < 24; i++) {
            uint64_t next = s[pi[i]];
            s[pi[i]] = rotl(t, rho[i]);
            t = next;
        }
        for (int y = 0; y < 25; y += 5) {
            for (int x = 0; x < 5; x++) c[x] = s[y + x];
            for (int x = 0; x < 5; x++) s[y + x] = c[x] ^ (~c[(x + 1) % 5] & c[(x + 2) % 5]);
        }
        s[0] ^= round_consts[round];
    }
}

/* The state is kept as little-endian lanes; XOR one byte at byte offset i. */
static inline void xor_byte(uint64_t *st, size_t i, uint8_t b) { st[i / 8] ^= (uint64_t)b << (8 * (i % 8)); }

void keccak256_init(keccak_ctx *c) { memset(c, 0, sizeof *c); }

void keccak256_update(keccak_ctx *c, const void *data, size_t len) {
    const uint8_t *p = data;
    while (len > 0) {
        /* Fast path: whole aligned 8-byte words while the block is word-aligned. */
        if (c->pos % 8 == 0 && len >= 8 && c->pos + 8 <= KECCAK_RATE) {
            uint64_t w = 0;
            for (int k = 7; k >= 0; k--) w = (w << 8) | p[k];
            c->st[c->pos / 8] ^= w;
            c->pos += 8;
            p += 8;
            len -= 8;
        } else {
            xor_byte(c->st, c->pos++, *p++);
            len--;
        }
        if (c->pos == KECCAK_RATE) {
            keccak_f1600(c->st);
            c->pos = 0;
        }
    }
}

void keccak256_final(keccak_ctx *c, uint8_t out[32]) {
    xor_byte(c->st, c->pos, 0x01);
    xor_byte(c->st, KECCAK_RATE - 1, 0x80);
    keccak_f1600(c->st);
    for (int i = 0; i < 32; i++) out[i] = (uint8_t)(c->st[i / 8] >> (8 * (i % 8)));
    memset(c, 0, sizeof *c);
}

void keccak256(const void *data, size_t len, uint8_t out[32]) {
    keccak_ctx c;
    keccak256_init(&c);
    keccak256_update(&c, data, len);
    keccak256_final(&c, out);
}
