#include "evm/rlp.h"

#include <stdlib.h>
#include <string.h>

void rlp_buf_init(rlp_buf *b) { memset(b, 0, sizeof *b); }

void rlp_buf_free(rlp_buf *b) {
    free(b->p);
    memset(b, 0, sizeof *b);
}

static int reserve(rlp_buf *b, size_t extra) {
    if (b->failed) return -1;
    if (extra > SIZE_MAX / 2 - b->len) goto fail;
    if (b->len + extra <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra) cap *= 2;
    uint8_t *np = realloc(b->p, cap);
    if (!np) goto fail;
    b->p = np;
    b->cap = cap;
    return 0;
fail:
    b->failed = 1;
    return -1;
}

int rlp_put_raw(rlp_buf *b, const uint8_t *p, size_t n) {
    if (reserve(b, n) != 0) return -1;
    if (n) memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

/* Header for a payload of n bytes: offset 0x80 (strings) or 0xc0 (lists). Returns its size. */
static size_t header(uint8_t out[9], uint8_t base, size_t n) {
    if (n <= 55) {
        out[0] = (uint8_t)(base + n);
        return 1;
    }
    size_t nb = 0;
    for (size_t v = n; v; v >>= 8) nb++;
    out[0] = (uint8_t)(base + 55 + nb);
    for (size_t i = 0; i < nb; i++) out[nb - i] = (uint8_t)(n >> (8 * i));
    return 1 + nb;
}

int rlp_put_bytes(rlp_buf *b, const uint8_t *p, size_t n) {
    if (n == 1 && p[0] < 0x80) return rlp_put_raw(b, p, 1);
    uint8_t h[9];
    size_t hl = header(h, 0x80, n);
    if (reserve(b, hl + n) != 0) return -1;
    rlp_put_raw(b, h, hl);
    return rlp_put_raw(b, p, n);
}

int rlp_put_u64(rlp_buf *b, uint64_t v) {
    uint8_t be[8];
    size_t n = 0;
    for (uint64_t t = v; t; t >>= 8) n++;
    for (size_t i = 0; i < n; i++) be[n - 1 - i] = (uint8_t)(v >> (8 * i));
    return rlp_put_bytes(b, be, n);
}

int rlp_put_u256(rlp_buf *b, const u256 *v) {
    uint8_t be[32];
    size_t n = u256_to_be_min(v, be);
    return rlp_put_bytes(b, be, n);
}

size_t rlp_list_begin(rlp_buf *b) { return b->len; }

int rlp_list_end(rlp_buf *b, size_t mark) {
    if (b->failed || mark > b->len) return -1;
    size_t n = b->len - mark;
    uint8_t h[9];
    size_t hl = header(h, 0xc0, n);
    if (reserve(b, hl) != 0) return -1;
    memmove(b->p + mark + hl, b->p + mark, n);
    memcpy(b->p + mark, h, hl);
    b->len += hl;
    return 0;
}

int rlp_decode(const uint8_t *p, size_t len, rlp_item *it) {
    if (!p || len == 0) return -1;
    uint8_t t = p[0];
    size_t hl, n;
    int list = t >= 0xc0;
    if (t < 0x80) {
        it->is_list = 0;
        it->payload = p;
        it->payload_len = 1;
        it->total_len = 1;
        return 0;
    }
    uint8_t base = list ? 0xc0 : 0x80;
    if (t <= base + 55) {
        hl = 1;
        n = (size_t)(t - base);
        /* A single byte below 0x80 must encode as itself. */
        if (!list && n == 1 && (len < 2 || p[1] < 0x80)) return -1;
    } else {
        size_t nb = (size_t)(t - base - 55); /* 1..8 */
        if (nb > sizeof(size_t) || len < 1 + nb) return -1;
        if (p[1] == 0) return -1; /* leading zero in the length */
        n = 0;
        for (size_t i = 0; i < nb; i++) n = n << 8 | p[1 + i];
        if (n <= 55) return -1; /* should have used the short form */
        hl = 1 + nb;
    }
    if (n > len - hl) return -1;
    it->is_list = list;
    it->payload = p + hl;
    it->payload_len = n;
    it->total_len = hl + n;
    return 0;
}

int rlp_decode_whole(const uint8_t *p, size_t len, rlp_item *it) {
    if (rlp_decode(p, len, it) != 0) return -1;
    return it->total_len == len ? 0 : -1;
}

int rlp_iter_init(rlp_iter *i, const rlp_item *list) {
    if (!list->is_list) return -1;
    i->p = list->payload;
    i->len = list->payload_len;
    i->pos = 0;
    return 0;
}

int rlp_iter_next(rlp_iter *i, rlp_item *out) {
    if (i->pos >= i->len) return 0;
    if (rlp_decode(i->p + i->pos, i->len - i->pos, out) != 0) return -1;
    i->pos += out->total_len;
    return 1;
}

long rlp_list_count(const rlp_item *list) {
    rlp_iter i;
    rlp_item it;
    long n = 0;
    int r;
    if (rlp_iter_init(&i, list) != 0) return -1;
    while ((r = rlp_iter_next(&i, &it)) == 1) n++;
    return r == 0 ? n : -1;
}

int rlp_item_u64(const rlp_item *it, uint64_t *out) {
    if (it->is_list || it->payload_len > 8) return -1;
    if (it->payload_len > 0 && it->payload[0] == 0) return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < it->payload_len; i++) v = v << 8 | it->payload[i];
    *out = v;
    return 0;
}

int rlp_item_u256(const rlp_item *it, u256 *out) {
    if (it->is_list || it->payload_len > 32) return -1;
    if (it->payload_len > 0 && it->payload[0] == 0) return -1;
    return u256_from_be(out, it->payload, it->payload_len);
}

int rlp_item_fixed(const rlp_item *it, uint8_t *out, size_t n) {
    if (it->is_list || it->payload_len != n) return -1;
    if (n) memcpy(out, it->payload, n);
    return 0;
}
