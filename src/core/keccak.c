#include "core/keccak.h"

#include <string.h>

#define KECCAK_RATE 136 /* bytes: 1600-bit state minus 2*256-bit capacity */

static const uint64_t round_consts[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

static inline uint64_t rotl(uint64_t x, unsigned n) { return (x << n) | (x >> (64 - n)); }

/* The permutation, written out lane by lane: every index is a constant, so the compiler keeps
 * the lanes in registers. (A loop over x with (x+1)%5 indexing was 10x slower, and EIP-55
 * formatting hashes every address the API returns.) rho and pi are combined: lane (x,y)
 * rotated by its rho offset moves to pi's position. */
static void keccak_f1600(uint64_t s[25]) {
    for (int round = 0; round < 24; round++) {
        uint64_t c0 = s[0] ^ s[5] ^ s[10] ^ s[15] ^ s[20];
        uint64_t c1 = s[1] ^ s[6] ^ s[11] ^ s[16] ^ s[21];
        uint64_t c2 = s[2] ^ s[7] ^ s[12] ^ s[17] ^ s[22];
        uint64_t c3 = s[3] ^ s[8] ^ s[13] ^ s[18] ^ s[23];
        uint64_t c4 = s[4] ^ s[9] ^ s[14] ^ s[19] ^ s[24];
        uint64_t d0 = c4 ^ rotl(c1, 1), d1 = c0 ^ rotl(c2, 1), d2 = c1 ^ rotl(c3, 1);
        uint64_t d3 = c2 ^ rotl(c4, 1), d4 = c3 ^ rotl(c0, 1);

        /* theta applied on the fly, then rho + pi into b[] */
        uint64_t b[25];
        b[0] = s[0] ^ d0;
        b[10] = rotl(s[1] ^ d1, 1);
        b[20] = rotl(s[2] ^ d2, 62);
        b[5] = rotl(s[3] ^ d3, 28);
        b[15] = rotl(s[4] ^ d4, 27);
        b[16] = rotl(s[5] ^ d0, 36);
        b[1] = rotl(s[6] ^ d1, 44);
        b[11] = rotl(s[7] ^ d2, 6);
        b[21] = rotl(s[8] ^ d3, 55);
        b[6] = rotl(s[9] ^ d4, 20);
        b[7] = rotl(s[10] ^ d0, 3);
        b[17] = rotl(s[11] ^ d1, 10);
        b[2] = rotl(s[12] ^ d2, 43);
        b[12] = rotl(s[13] ^ d3, 25);
        b[22] = rotl(s[14] ^ d4, 39);
        b[23] = rotl(s[15] ^ d0, 41);
        b[8] = rotl(s[16] ^ d1, 45);
        b[18] = rotl(s[17] ^ d2, 15);
        b[3] = rotl(s[18] ^ d3, 21);
        b[13] = rotl(s[19] ^ d4, 8);
        b[14] = rotl(s[20] ^ d0, 18);
        b[24] = rotl(s[21] ^ d1, 2);
        b[9] = rotl(s[22] ^ d2, 61);
        b[19] = rotl(s[23] ^ d3, 56);
        b[4] = rotl(s[24] ^ d4, 14);

        /* chi, row by row */
        for (int y = 0; y < 25; y += 5) {
            s[y + 0] = b[y + 0] ^ (~b[y + 1] & b[y + 2]);
            s[y + 1] = b[y + 1] ^ (~b[y + 2] & b[y + 3]);
            s[y + 2] = b[y + 2] ^ (~b[y + 3] & b[y + 4]);
            s[y + 3] = b[y + 3] ^ (~b[y + 4] & b[y + 0]);
            s[y + 4] = b[y + 4] ^ (~b[y + 0] & b[y + 1]);
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
