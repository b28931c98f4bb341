/* u256 — 256-bit unsigned integers for chain quantities (wei amounts, fees, uint256 ABI values).
 *
 * Four 64-bit words, least significant first. Values are plain structs: copy them freely.
 * Parsers take untrusted text and reject anything that does not fit in 256 bits. Arithmetic
 * reports overflow instead of wrapping silently. */
#ifndef LAMDA_U256_H
#define LAMDA_U256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t w[4]; /* w[0] is the least significant word */
} u256;

#define U256_DEC_LEN 79 /* 78 digits of 2^256-1 + NUL */
#define U256_HEX_LEN 67 /* "0x" + 64 digits + NUL */

u256 u256_from_u64(uint64_t v);
/* 0 and *out = value when it fits in 64 bits, -1 otherwise (out untouched). */
int u256_to_u64(const u256 *a, uint64_t *out);
int u256_fits_u64(const u256 *a);
int u256_is_zero(const u256 *a);
/* -1, 0 or 1 as a <, ==, > b. */
int u256_cmp(const u256 *a, const u256 *b);

/* out = a + b mod 2^256; returns 1 on overflow (carry out), else 0. out may alias a or b. */
int u256_add(u256 *out, const u256 *a, const u256 *b);
/* out = a - b mod 2^256; returns 1 if b > a (borrow), else 0. */
int u256_sub(u256 *out, const u256 *a, const u256 *b);
/* out = a * m mod 2^256; returns 1 on overflow, else 0. */
int u256_mul_u64(u256 *out, const u256 *a, uint64_t m);
/* q = a / d, *rem = a % d (rem may be NULL). Returns -1 if d == 0 (q untouched), else 0. */
int u256_div_u64(u256 *q, const u256 *a, uint64_t d, uint64_t *rem);

/* 32-byte big-endian (the ABI word and RLP/JSON-RPC byte order). */
void u256_from_be32(u256 *out, const uint8_t in[32]);
void u256_to_be32(const u256 *a, uint8_t out[32]);
/* Big-endian bytes of any length: leading zero bytes are allowed; -1 if the value does not
 * fit in 256 bits. len 0 is the value 0. */
int u256_from_be(u256 *out, const uint8_t *p, size_t len);
/* Minimal big-endian form (no leading zeros; zero is 0 bytes) into out[32]; returns its
 * length. This is the RLP integer encoding. */
size_t u256_to_be_min(const u256 *a, uint8_t out[32]);

/* Decimal digits only, at least one, leading zeros allowed. 0 or -1 (bad char/overflow). */
int u256_parse_dec(const char *s, size_t len, u256 *out);
/* Hex with optional "0x"/"0X" prefix, at least one digit, any case, leading zeros allowed
 * (JSON-RPC quantities like "0x0" and ABI words both parse). 0 or -1. */
int u256_parse_hex(const char *s, size_t len, u256 *out);
/* "0x…" → hex, otherwise decimal. */
int u256_parse(const char *s, size_t len, u256 *out);
/* Decimal text into out[U256_DEC_LEN]; returns out. */
char *u256_format_dec(const u256 *a, char out[U256_DEC_LEN]);
/* Minimal "0x…" quantity ("0x0", "0x1a") into out[U256_HEX_LEN]; returns out. */
char *u256_format_hex(const u256 *a, char out[U256_HEX_LEN]);

#endif
