/* strbuf — see strbuf.h. */
#include "core/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strbuf_init(strbuf *b, size_t hint) {
    b->len = 0;
    b->oom = false;
    b->cap = hint < 64 ? 64 : hint;
    b->p = malloc(b->cap);
    if (b->p) b->p[0] = 0;
    else {
        b->cap = 0;
        b->oom = true;
    }
}

bool strbuf_reserve(strbuf *b, size_t extra) {
    if (b->oom) return false;
    if (extra > (size_t)-1 / 2 - b->len) { /* a size no allocation can hold, and no doubling overflows */
        b->oom = true;
        return false;
    }
    if (b->len + extra + 1 <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void strbuf_append(strbuf *b, const void *s, size_t n) {
    if (!strbuf_reserve(b, n)) return;
    if (n) memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

void strbuf_putc(strbuf *b, char c) { strbuf_append(b, &c, 1); }

void strbuf_printf(strbuf *b, const char *fmt, ...) {
    for (int round = 0; round < 2; round++) { /* the second round has the room the first measured */
        if (!strbuf_reserve(b, 0)) return;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        if (!strbuf_reserve(b, (size_t)n)) return;
    }
}

void strbuf_free(strbuf *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}
