#include "core/utf8.h"

#include <string.h>

size_t utf8_seq_len(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    if (len == 0) return 0;
    unsigned char c = p[0];
    if (c < 0x80) return 1;
    size_t n;
    unsigned lo = 0x80, hi = 0xBF; /* the allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;      /* no overlong forms */
        else if (c == 0xED) hi = 0x9F; /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        else if (c == 0xF4) hi = 0x8F; /* nothing above U+10FFFF */
    } else
        return 0;
    if (len < n || p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80) return 0;
    return n;
}

bool utf8_valid(const char *s, size_t len) {
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq_len(s + i, len - i);
        if (!n) return false;
        i += n;
    }
    return true;
}

void utf8_copy(char *out, size_t cap, const char *s, size_t len) {
    static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq_len(s + i, len - i);
        const char *from = n ? s + i : replacement;
        size_t w = n ? n : 3;
        if (o + w >= cap) break;
        memcpy(out + o, from, w);
        o += w;
        i += n ? n : 1;
    }
    out[o] = 0;
}
