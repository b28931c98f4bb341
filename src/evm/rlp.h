/* rlp — Recursive Length Prefix encoding (Ethereum yellow paper, appendix B).
 *
 * Encoding appends to an rlp_buf the caller owns (p/len are readable at any time; free with
 * rlp_buf_free). Lists: remember rlp_list_begin's mark, append the items, then
 * rlp_list_end(mark) inserts the list header in front of them, so lists nest freely.
 * An allocation failure makes the buffer sticky-failed: later calls do nothing and
 * return -1, so a caller may check once at the end.
 *
 * Decoding never allocates: an rlp_item points into the input. The decoder accepts only
 * canonical encodings (single bytes < 0x80 as themselves, short forms where they fit, no
 * leading zeros in long lengths) and checks every length against the input before use. */
#ifndef LAMDA_RLP_H
#define LAMDA_RLP_H

#include <stddef.h>
#include <stdint.h>

#include "core/u256.h"

typedef struct {
    uint8_t *p;
    size_t len, cap;
    int failed; /* an allocation failed; the contents are incomplete */
} rlp_buf;

void rlp_buf_init(rlp_buf *b);
void rlp_buf_free(rlp_buf *b);
/* Append already-encoded bytes verbatim (e.g. a type byte, or an encoded item). */
int rlp_put_raw(rlp_buf *b, const uint8_t *p, size_t n);
/* A byte string. p may be NULL when n is 0. */
int rlp_put_bytes(rlp_buf *b, const uint8_t *p, size_t n);
/* Integers as minimal big-endian byte strings (0 is the empty string, 0x80). */
int rlp_put_u64(rlp_buf *b, uint64_t v);
int rlp_put_u256(rlp_buf *b, const u256 *v);
size_t rlp_list_begin(rlp_buf *b);
int rlp_list_end(rlp_buf *b, size_t mark);

typedef struct {
    int is_list;
    const uint8_t *payload; /* string bytes, or the concatenated encodings of the list items */
    size_t payload_len;
    size_t total_len;       /* header + payload */
} rlp_item;

/* Decode the item at the start of p[0..len); it may be followed by more bytes. 0 or -1. */
int rlp_decode(const uint8_t *p, size_t len, rlp_item *it);
/* Decode exactly one item spanning all of p[0..len). 0 or -1. */
int rlp_decode_whole(const uint8_t *p, size_t len, rlp_item *it);

/* Walk the items of a list. */
typedef struct {
    const uint8_t *p;
    size_t len, pos;
} rlp_iter;
/* -1 if it is not a list. */
int rlp_iter_init(rlp_iter *i, const rlp_item *list);
/* 1 and *out on an item, 0 at the end of the list, -1 on a malformed item. */
int rlp_iter_next(rlp_iter *i, rlp_item *out);
/* Number of items in a list, or -1 if it is not a well-formed list. */
long rlp_list_count(const rlp_item *list);

/* Integers: a byte string without leading zeros that fits. 0 or -1. */
int rlp_item_u64(const rlp_item *it, uint64_t *out);
int rlp_item_u256(const rlp_item *it, u256 *out);
/* A byte string of exactly n bytes (e.g. 20 for an address). 0 or -1. */
int rlp_item_fixed(const rlp_item *it, uint8_t *out, size_t n);

#endif
