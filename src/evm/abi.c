#include "evm/abi.h"

#include <stdlib.h>
#include <string.h>

#include "core/keccak.h"

void abi_selector(const char *signature, uint8_t out[4]) {
    uint8_t h[32];
    keccak256(signature, strlen(signature), h);
    memcpy(out, h, 4);
}

void abi_event_topic(const char *signature, uint8_t out[32]) { keccak256(signature, strlen(signature), out); }

/* ---- encoding ---- */

static int grow(abi_bytes *b, size_t extra) {
    if (extra > SIZE_MAX / 4 - b->len) return -1;
    if (b->len + extra <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 128;
    while (cap < b->len + extra) cap *= 2;
    uint8_t *np = realloc(b->p, cap);
    if (!np) return -1;
    b->p = np;
    b->cap = cap;
    return 0;
}

static int append(abi_enc *e, abi_bytes *b, const uint8_t *p, size_t n) {
    if (e->failed || grow(b, n) != 0) {
        e->failed = 1;
        return -1;
    }
    if (n) memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

/* Append n bytes then zeros up to a multiple of 32. */
static int append_padded(abi_enc *e, abi_bytes *b, const uint8_t *p, size_t n) {
    static const uint8_t zero[32];
    if (append(e, b, p, n) != 0) return -1;
    return append(e, b, zero, (32 - n % 32) % 32);
}

static void word_u64(uint8_t w[32], uint64_t v) {
    memset(w, 0, 32);
    for (int i = 0; i < 8; i++) w[31 - i] = (uint8_t)(v >> (8 * i));
}

void abi_enc_init(abi_enc *e) { memset(e, 0, sizeof *e); }

void abi_enc_free(abi_enc *e) {
    free(e->head.p);
    free(e->tail.p);
    free(e->fix);
    memset(e, 0, sizeof *e);
}

static int head_word(abi_enc *e, const uint8_t w[32]) { return append(e, &e->head, w, 32); }

int abi_enc_u256(abi_enc *e, const u256 *v) {
    uint8_t w[32];
    u256_to_be32(v, w);
    return head_word(e, w);
}

int abi_enc_u64(abi_enc *e, uint64_t v) {
    uint8_t w[32];
    word_u64(w, v);
    return head_word(e, w);
}

int abi_enc_bool(abi_enc *e, int v) { return abi_enc_u64(e, v ? 1 : 0); }

int abi_enc_address(abi_enc *e, const uint8_t addr[20]) {
    uint8_t w[32] = {0};
    memcpy(w + 12, addr, 20);
    return head_word(e, w);
}

int abi_enc_bytes32(abi_enc *e, const uint8_t b[32]) { return head_word(e, b); }

int abi_enc_fixed_bytes(abi_enc *e, const uint8_t *b, size_t n) {
    if (n == 0 || n > 32) {
        e->failed = 1;
        return -1;
    }
    uint8_t w[32] = {0};
    memcpy(w, b, n);
    return head_word(e, w);
}

/* Put an offset word for the tail position about to be written, remembering to patch it. */
static int head_offset(abi_enc *e) {
    if (e->failed) return -1;
    if (e->nfix == e->fixcap) {
        size_t cap = e->fixcap ? e->fixcap * 2 : 8;
        size_t *nf = realloc(e->fix, cap * sizeof *nf);
        if (!nf) {
            e->failed = 1;
            return -1;
        }
        e->fix = nf;
        e->fixcap = cap;
    }
    e->fix[e->nfix++] = e->head.len;
    return abi_enc_u64(e, e->tail.len);
}

int abi_enc_bytes(abi_enc *e, const uint8_t *p, size_t n) {
    uint8_t w[32];
    if (n && !p) e->failed = 1;
    if (head_offset(e) != 0) return -1;
    word_u64(w, n);
    if (append(e, &e->tail, w, 32) != 0) return -1;
    return append_padded(e, &e->tail, p, n);
}

int abi_enc_string(abi_enc *e, const char *s, size_t n) { return abi_enc_bytes(e, (const uint8_t *)s, n); }

/* The tuple body of child (head with patched offsets, then tail) appended to b. */
static int append_body(abi_enc *e, abi_bytes *b, const abi_enc *child) {
    if (child->failed) e->failed = 1;
    size_t start = b->len;
    if (append(e, b, child->head.p, child->head.len) != 0) return -1;
    if (append(e, b, child->tail.p, child->tail.len) != 0) return -1;
    for (size_t i = 0; i < child->nfix; i++) {
        uint8_t *w = b->p + start + child->fix[i];
        uint64_t v = 0;
        for (int k = 0; k < 8; k++) v = v << 8 | w[24 + k];
        word_u64(w, v + child->head.len);
    }
    return 0;
}

int abi_enc_tuple(abi_enc *e, const abi_enc *child) {
    if (head_offset(e) != 0) return -1;
    return append_body(e, &e->tail, child);
}

int abi_enc_array(abi_enc *e, size_t count, const abi_enc *child) {
    uint8_t w[32];
    if (head_offset(e) != 0) return -1;
    word_u64(w, count);
    if (append(e, &e->tail, w, 32) != 0) return -1;
    return append_body(e, &e->tail, child);
}

int abi_enc_finish(const abi_enc *e, const uint8_t selector[4], uint8_t **out, size_t *outlen) {
    abi_enc tmp;
    abi_enc_init(&tmp);
    *out = NULL;
    *outlen = 0;
    if (e->failed) return -1;
    if (selector) append(&tmp, &tmp.head, selector, 4);
    append_body(&tmp, &tmp.head, e);
    if (tmp.failed) {
        abi_enc_free(&tmp);
        return -1;
    }
    if (!tmp.head.p) { /* nothing at all: still hand back a valid (empty) buffer */
        tmp.head.p = malloc(1);
        if (!tmp.head.p) return -1;
    }
    *out = tmp.head.p;
    *outlen = tmp.head.len;
    free(tmp.tail.p);
    free(tmp.fix);
    return 0;
}

/* ---- decoding ---- */

void abi_dec_init(abi_dec *d, const uint8_t *p, size_t len) {
    d->base = p;
    d->len = p ? len : 0;
    d->pos = 0;
}

/* The next head word, or NULL if it is not entirely inside the tuple. */
static const uint8_t *next_word(abi_dec *d) {
    if (d->pos > d->len || d->len - d->pos < 32) return NULL;
    const uint8_t *w = d->base + d->pos;
    d->pos += 32;
    return w;
}

static int zero(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

/* A word that must hold a value < 2^64 (offsets, lengths, small uints). */
static int word_to_u64(const uint8_t *w, uint64_t *v) {
    if (!zero(w, 24)) return -1;
    uint64_t x = 0;
    for (int i = 24; i < 32; i++) x = x << 8 | w[i];
    *v = x;
    return 0;
}

int abi_dec_u256(abi_dec *d, u256 *v) {
    const uint8_t *w = next_word(d);
    if (!w) return -1;
    u256_from_be32(v, w);
    return 0;
}

int abi_dec_uint(abi_dec *d, unsigned bits, u256 *v) {
    if (bits == 0 || bits > 256 || bits % 8) return -1;
    const uint8_t *w = next_word(d);
    if (!w || !zero(w, 32 - bits / 8)) return -1;
    u256_from_be32(v, w);
    return 0;
}

int abi_dec_u64(abi_dec *d, uint64_t *v) {
    const uint8_t *w = next_word(d);
    return w ? word_to_u64(w, v) : -1;
}

int abi_dec_u8(abi_dec *d, uint8_t *v) {
    const uint8_t *w = next_word(d);
    if (!w || !zero(w, 31)) return -1;
    *v = w[31];
    return 0;
}

int abi_dec_bool(abi_dec *d, int *v) {
    const uint8_t *w = next_word(d);
    if (!w || !zero(w, 31) || w[31] > 1) return -1;
    *v = w[31];
    return 0;
}

int abi_dec_address(abi_dec *d, uint8_t addr[20]) {
    const uint8_t *w = next_word(d);
    if (!w || !zero(w, 12)) return -1;
    memcpy(addr, w + 12, 20);
    return 0;
}

int abi_dec_bytes32(abi_dec *d, uint8_t b[32]) { return abi_dec_fixed_bytes(d, b, 32); }

int abi_dec_fixed_bytes(abi_dec *d, uint8_t *b, size_t n) {
    if (n == 0 || n > 32) return -1;
    const uint8_t *w = next_word(d);
    if (!w || !zero(w + n, 32 - n)) return -1;
    memcpy(b, w, n);
    return 0;
}

/* Follow the next head slot's offset: *at = base-relative start of the dynamic value,
 * guaranteed to leave at least `need` bytes inside the tuple. */
static int follow(abi_dec *d, size_t need, size_t *at) {
    const uint8_t *w = next_word(d);
    uint64_t off;
    if (!w || word_to_u64(w, &off) != 0) return -1;
    if (off > d->len || d->len - off < need) return -1;
    *at = (size_t)off;
    return 0;
}

int abi_dec_bytes(abi_dec *d, const uint8_t **p, size_t *n) {
    size_t at;
    uint64_t len;
    if (follow(d, 32, &at) != 0 || word_to_u64(d->base + at, &len) != 0) return -1;
    /* The payload and its zero padding to a whole word must be inside the tuple, as
     * Solidity's own decoder requires; len is checked first so the rounding cannot wrap. */
    size_t rest = d->len - at - 32;
    if (len > rest || len + (32 - len % 32) % 32 > rest) return -1;
    *p = d->base + at + 32;
    *n = (size_t)len;
    return 0;
}

int abi_dec_string(abi_dec *d, char **s, size_t *n) {
    const uint8_t *p;
    size_t len;
    if (abi_dec_bytes(d, &p, &len) != 0) return -1;
    char *c = malloc(len + 1); /* len < d->len, so len + 1 cannot overflow */
    if (!c) return -1;
    if (len) memcpy(c, p, len);
    c[len] = '\0';
    *s = c;
    *n = len;
    return 0;
}

int abi_dec_tuple(abi_dec *d, abi_dec *child) {
    size_t at;
    if (follow(d, 0, &at) != 0) return -1;
    abi_dec_init(child, d->base + at, d->len - at);
    return 0;
}

int abi_dec_array(abi_dec *d, size_t *count, abi_dec *child) {
    size_t at;
    uint64_t c;
    if (follow(d, 32, &at) != 0 || word_to_u64(d->base + at, &c) != 0) return -1;
    size_t rest = d->len - at - 32;
    /* Every element takes at least one head word, so a larger count cannot be valid. */
    if (c > rest / 32) return -1;
    *count = (size_t)c;
    abi_dec_init(child, d->base + at + 32, rest);
    return 0;
}

int abi_dec_skip(abi_dec *d, size_t n) {
    if (d->pos > d->len || n > (d->len - d->pos) / 32) return -1;
    d->pos += 32 * n;
    return 0;
}

int abi_dec_at_end(const abi_dec *d) { return d->pos >= d->len; }

int abi_topic_address(const uint8_t topic[32], uint8_t addr[20]) {
    if (!zero(topic, 12)) return -1;
    memcpy(addr, topic + 12, 20);
    return 0;
}

void abi_topic_u256(const uint8_t topic[32], u256 *v) { u256_from_be32(v, topic); }
