#include "core/hex.h"

#include <string.h>

int hex_digit(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void skip_prefix(const char **s, size_t *len) {
    if (*len >= 2 && (*s)[0] == '0' && ((*s)[1] == 'x' || (*s)[1] == 'X')) {
        *s += 2;
        *len -= 2;
    }
}

long hex_decode(const char *s, size_t slen, uint8_t *out, size_t cap) {
    if (!s) return -1;
    skip_prefix(&s, &slen);
    if (slen % 2 != 0 || slen / 2 > cap) return -1;
    for (size_t i = 0; i < slen / 2; i++) {
        int hi = hex_digit((unsigned char)s[2 * i]), lo = hex_digit((unsigned char)s[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (long)(slen / 2);
}

int hex_decode_exact(const char *s, size_t slen, uint8_t *out, size_t outlen) {
    if (!s) return -1;
    skip_prefix(&s, &slen);
    if (slen != 2 * outlen) return -1;
    return hex_decode(s, slen, out, outlen) == (long)outlen ? 0 : -1;
}

char *hex_encode_bare(const uint8_t *p, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
    return out;
}

char *hex_encode(const uint8_t *p, size_t n, char *out) {
    out[0] = '0';
    out[1] = 'x';
    hex_encode_bare(p, n, out + 2);
    return out;
}
