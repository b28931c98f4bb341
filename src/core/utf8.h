/* utf8 — strict UTF-8 (RFC 3629: shortest form, no surrogates, at most U+10FFFF).
 *
 * Everything we serve is JSON, which must be valid UTF-8; what we are sent (HTTP bodies, NATS
 * messages, strings in chain events) may not be. Text is checked where it comes in, cut only on
 * character boundaries, and the JSON writer replaces what it cannot vouch for. */
#ifndef LAMDA_UTF8_H
#define LAMDA_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* The length (1..4) of the valid sequence at s[0..len), or 0 when none starts there. */
size_t utf8_seq_len(const char *s, size_t len);
bool utf8_valid(const char *s, size_t len);
/* Copy len bytes of s into out (cap >= 1 bytes, always NUL-terminated): a byte that starts no
 * valid sequence becomes U+FFFD, and the copy ends before a character that would not fit. */
void utf8_copy(char *out, size_t cap, const char *s, size_t len);

#endif
