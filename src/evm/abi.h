/* abi — the Solidity contract ABI: selectors and event topics, call encoding, and decoding of
 * return data and event logs.
 *
 * Encoding: an abi_enc collects one tuple (the call's arguments) in order. Static values go
 * into the head; dynamic values (bytes, string, T[], dynamic tuples) put an offset in the
 * head and their body in the tail; abi_enc_finish patches the offsets and returns
 * selector || head || tail. Static tuples and T[k] of static T are encoded inline: encode
 * their members one after another. A dynamic tuple or array is built in a child abi_enc and
 * attached with abi_enc_tuple / abi_enc_array. Errors (allocation) are sticky and reported
 * by abi_enc_finish.
 *
 * Decoding: an abi_dec is a cursor over the head of one tuple inside untrusted bytes. Each
 * abi_dec_* reads the next head slot; dynamic values follow their offset, which must lie
 * inside the tuple. Every offset and length is checked before use, so no input makes a
 * decoder read outside [p, p + len). Dirty high bits in addresses, booleans and uintN < 256,
 * and dirty low bits in bytesN, are rejected. All functions return 0 or -1; on -1 the
 * outputs are unspecified and the cursor must not be used further. */
#ifndef LAMDA_ABI_H
#define LAMDA_ABI_H

#include <stddef.h>
#include <stdint.h>

#include "core/u256.h"

/* First 4 bytes of keccak256 of a canonical signature such as "transfer(address,uint256)". */
void abi_selector(const char *signature, uint8_t out[4]);
/* keccak256 of an event signature such as "Transfer(address,address,uint256)": topic 0. */
void abi_event_topic(const char *signature, uint8_t out[32]);

typedef struct {
    uint8_t *p;
    size_t len, cap;
} abi_bytes;

typedef struct {
    abi_bytes head, tail;
    size_t *fix; /* head offsets of offset words (each holds a tail position until finish) */
    size_t nfix, fixcap;
    int failed;
} abi_enc;

void abi_enc_init(abi_enc *e);
void abi_enc_free(abi_enc *e);
int abi_enc_u256(abi_enc *e, const u256 *v);
int abi_enc_u64(abi_enc *e, uint64_t v); /* any uintN holding a value < 2^64 */
int abi_enc_bool(abi_enc *e, int v);
int abi_enc_address(abi_enc *e, const uint8_t addr[20]);
int abi_enc_bytes32(abi_enc *e, const uint8_t b[32]);
/* bytesN, 1 <= n <= 32: left-aligned, zero-padded. */
int abi_enc_fixed_bytes(abi_enc *e, const uint8_t *b, size_t n);
int abi_enc_bytes(abi_enc *e, const uint8_t *p, size_t n);
int abi_enc_string(abi_enc *e, const char *s, size_t n);
/* A dynamic tuple whose members were encoded into child. */
int abi_enc_tuple(abi_enc *e, const abi_enc *child);
/* A dynamic array T[] of count elements whose encodings (as a tuple) are in child. */
int abi_enc_array(abi_enc *e, size_t count, const abi_enc *child);
/* selector (may be NULL) || head || tail into a malloc'd buffer the caller frees. */
int abi_enc_finish(const abi_enc *e, const uint8_t selector[4], uint8_t **out, size_t *outlen);

typedef struct {
    const uint8_t *base; /* start of the tuple: offsets are relative to it */
    size_t len;          /* bytes available from base */
    size_t pos;          /* next head slot */
} abi_dec;

/* A cursor over p[0..len) (return data, or event data without topics). For call data, skip
 * the 4-byte selector first. */
void abi_dec_init(abi_dec *d, const uint8_t *p, size_t len);
int abi_dec_u256(abi_dec *d, u256 *v);
/* uintN for N in 8..256 (multiple of 8): the bits above N must be zero. */
int abi_dec_uint(abi_dec *d, unsigned bits, u256 *v);
/* A uint of any width whose value must fit in 64 bits. */
int abi_dec_u64(abi_dec *d, uint64_t *v);
int abi_dec_u8(abi_dec *d, uint8_t *v);
int abi_dec_bool(abi_dec *d, int *v);
int abi_dec_address(abi_dec *d, uint8_t addr[20]);
int abi_dec_bytes32(abi_dec *d, uint8_t b[32]);
int abi_dec_fixed_bytes(abi_dec *d, uint8_t *b, size_t n);
/* bytes: *p points into the input (not copied). The payload and its padding to a whole word
 * must lie inside the tuple. */
int abi_dec_bytes(abi_dec *d, const uint8_t **p, size_t *n);
/* string: a malloc'd NUL-terminated copy (caller frees) and its length (it may contain NULs). */
int abi_dec_string(abi_dec *d, char **s, size_t *n);
/* A dynamic tuple: child becomes a cursor over its members. */
int abi_dec_tuple(abi_dec *d, abi_dec *child);
/* A dynamic array: *count elements, child is a cursor over them (as a tuple). */
int abi_dec_array(abi_dec *d, size_t *count, abi_dec *child);
/* Skip n head slots. */
int abi_dec_skip(abi_dec *d, size_t n);
/* 1 if the cursor has consumed all bytes (meaningful for all-static tuples, e.g. to reject
 * trailing data). */
int abi_dec_at_end(const abi_dec *d);

/* Indexed event parameters (topics 1..3). */
int abi_topic_address(const uint8_t topic[32], uint8_t addr[20]);
void abi_topic_u256(const uint8_t topic[32], u256 *v);

#endif
