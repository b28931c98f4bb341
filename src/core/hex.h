/* hex — hexadecimal codecs for chain data. Input is untrusted: every length is checked. */
#ifndef LAMDA_HEX_H
#define LAMDA_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Value of one hex digit, or -1. */
int hex_digit(int c);

/* Decode exactly outlen bytes from s[0..slen) with an optional "0x"/"0X" prefix. The digit
 * count must be exactly 2*outlen. Returns 0 or -1. */
int hex_decode_exact(const char *s, size_t slen, uint8_t *out, size_t outlen);

/* Decode a "0x"-prefixed (or bare) even-length hex string of any length into out (capacity
 * cap). Returns the number of bytes written, or -1 on malformed input or overflow. */
long hex_decode(const char *s, size_t slen, uint8_t *out, size_t cap);

/* Encode n bytes as lowercase hex with a "0x" prefix into out, which must hold 2*n+3 bytes.
 * Returns out. */
char *hex_encode(const uint8_t *p, size_t n, char *out);

/* Encode without prefix; out holds 2*n+1 bytes. */
char *hex_encode_bare(const uint8_t *p, size_t n, char *out);

#endif
