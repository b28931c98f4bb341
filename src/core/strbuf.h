/* strbuf — a growable byte buffer, NUL-terminated after every append so it can be used as text.
 *
 * A failed allocation is sticky: oom is set, later appends do nothing, and the writer checks
 * once at the end instead of after every call. The JSON writer, the metrics text, JSON-RPC
 * request bodies and the test proxy's reads all build on it. */
#ifndef LAMDA_STRBUF_H
#define LAMDA_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *p;
    size_t len, cap;
    bool oom; /* an allocation failed: the content is incomplete */
} strbuf;

/* Start with room for hint bytes (at least 64); oom when even that fails. */
void strbuf_init(strbuf *b, size_t hint);
/* Room for extra more bytes and a NUL; false (and oom) when that fails. */
bool strbuf_reserve(strbuf *b, size_t extra);
void strbuf_append(strbuf *b, const void *s, size_t n);
void strbuf_putc(strbuf *b, char c);
void strbuf_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_free(strbuf *b);

#endif
