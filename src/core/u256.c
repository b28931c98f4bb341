#include "core/u256.h"

#include <string.h>

#include "core/hex.h"

typedef unsigned __int128 u128;

u256 u256_from_u64(uint64_t v) {
    u256 r = {{v, 0, 0, 0}};
    return r;
}

int u256_fits_u64(const u256 *a) { return (a->w[1] | a->w[2] | a->w[3]) == 0; }

int u256_to_u64(const u256 *a, uint64_t *out) {
    if (!u256_fits_u64(a)) return -1;
    *out = a->w[0];
    return 0;
}

int u256_is_zero(const u256 *a) { return (a->w[0] | a->w[1] | a->w[2] | a->w[3]) == 0; }

int u256_cmp(const u256 *a, const u256 *b) {
    for (int i = 3; i >= 0; i--) {
        if (a->w[i] != b->w[i]) return a->w[i] < b->w[i] ? -1 : 1;
    }
    return 0;
}

int u256_add(u256 *out, const u256 *a, const u256 *b) {
    uint64_t carry = 0;
    u256 r;
    for (int i = 0; i < 4; i++) {
        u128 s = (u128)a->w[i] + b->w[i] + carry;
        r.w[i] = (uint64_t)s;
        carry = (uint64_t)(s >> 64);
    }
    *out = r;
    return carry != 0;
}

int u256_sub(u256 *out, const u256 *a, const u256 *b) {
    uint64_t borrow = 0;
    u256 r;
    for (int i = 0; i < 4; i++) {
        uint64_t x = a->w[i], y = b->w[i];
        r.w[i] = x - y - borrow;
        borrow = (x < y) || (x - y < borrow);
    }
    *out = r;
    return borrow != 0;
}

int u256_mul_u64(u256 *out, const u256 *a, uint64_t m) {
    uint64_t carry = 0;
    u256 r;
    for (int i = 0; i < 4; i++) {
        u128 p = (u128)a->w[i] * m + carry;
        r.w[i] = (uint64_t)p;
        carry = (uint64_t)(p >> 64);
    }
    *out = r;
    return carry != 0;
}

int u256_div_u64(u256 *q, const u256 *a, uint64_t d, uint64_t *rem) {
    if (d == 0) return -1;
    u256 r;
    u128 cur = 0;
    for (int i = 3; i >= 0; i--) {
        cur = (cur << 64) | a->w[i]; /* cur < d * 2^64 here, so the quotient word fits */
        r.w[i] = (uint64_t)(cur / d);
        cur %= d;
    }
    *q = r;
    if (rem) *rem = (uint64_t)cur;
    return 0;
}

void u256_from_be32(u256 *out, const uint8_t in[32]) {
    for (int i = 0; i < 4; i++) {
        uint64_t v = 0;
        for (int j = 0; j < 8; j++) v = v << 8 | in[(3 - i) * 8 + j];
        out->w[i] = v;
    }
}

void u256_to_be32(const u256 *a, uint8_t out[32]) {
    for (int i = 0; i < 4; i++) {
        uint64_t v = a->w[i];
        for (int j = 7; j >= 0; j--) {
            out[(3 - i) * 8 + j] = (uint8_t)v;
            v >>= 8;
        }
    }
}

int u256_from_be(u256 *out, const uint8_t *p, size_t len) {
    while (len > 0 && p[0] == 0) {
        p++;
        len--;
    }
    if (len > 32) return -1;
    uint8_t buf[32] = {0};
    if (len) memcpy(buf + 32 - len, p, len);
    u256_from_be32(out, buf);
    return 0;
}

size_t u256_to_be_min(const u256 *a, uint8_t out[32]) {
    uint8_t buf[32];
    u256_to_be32(a, buf);
    size_t skip = 0;
    while (skip < 32 && buf[skip] == 0) skip++;
    memcpy(out, buf + skip, 32 - skip);
    return 32 - skip;
}

int u256_parse_dec(const char *s, size_t len, u256 *out) {
    if (!s || len == 0) return -1;
    u256 r = u256_from_u64(0);
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        u256 d = u256_from_u64((uint64_t)(s[i] - '0'));
        if (u256_mul_u64(&r, &r, 10) || u256_add(&r, &r, &d)) return -1;
    }
    *out = r;
    return 0;
}

int u256_parse_hex(const char *s, size_t len, u256 *out) {
    if (!s) return -1;
    if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        len -= 2;
    }
    if (len == 0) return -1;
    u256 r = u256_from_u64(0);
    for (size_t i = 0; i < len; i++) {
        int d = hex_digit((unsigned char)s[i]);
        if (d < 0) return -1;
        if (r.w[3] >> 60) return -1; /* shifting in another digit would overflow */
        for (int k = 3; k > 0; k--) r.w[k] = r.w[k] << 4 | r.w[k - 1] >> 60;
        r.w[0] = r.w[0] << 4 | (uint64_t)d;
    }
    *out = r;
    return 0;
}

int u256_parse(const char *s, size_t len, u256 *out) {
    if (s && len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) return u256_parse_hex(s, len, out);
    return u256_parse_dec(s, len, out);
}

char *u256_format_dec(const u256 *a, char out[U256_DEC_LEN]) {
    /* Peel off 19 digits at a time (10^19 < 2^64); 5 rounds cover 78 digits. */
    char tmp[U256_DEC_LEN];
    size_t n = 0;
    u256 v = *a;
    do {
        uint64_t rem;
        u256_div_u64(&v, &v, 10000000000000000000ULL, &rem);
        int more = !u256_is_zero(&v);
        for (int i = 0; i < 19 && (more || rem); i++) {
            tmp[n++] = (char)('0' + rem % 10);
            rem /= 10;
        }
    } while (!u256_is_zero(&v));
    if (n == 0) tmp[n++] = '0';
    for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
    out[n] = '\0';
    return out;
}

char *u256_format_hex(const u256 *a, char out[U256_HEX_LEN]) {
    uint8_t be[32];
    char digits[65];
    u256_to_be32(a, be);
    hex_encode_bare(be, 32, digits);
    size_t skip = 0;
    while (skip < 63 && digits[skip] == '0') skip++;
    out[0] = '0';
    out[1] = 'x';
    memcpy(out + 2, digits + skip, 65 - skip); /* includes the NUL */
    return out;
}
