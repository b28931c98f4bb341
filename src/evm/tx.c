#include "evm/tx.h"

#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "core/keccak.h"
#include "evm/secp.h"

void tx_init(tx *t, int type, uint64_t chain_id) {
    memset(t, 0, sizeof *t);
    t->type = type;
    t->chain_id = chain_id;
}

/* Minimal-integer form of a 32-byte big-endian scalar (r, s). */
static int put_scalar(rlp_buf *b, const uint8_t v[32]) {
    size_t i = 0;
    while (i < 32 && v[i] == 0) i++;
    return rlp_put_bytes(b, v + i, 32 - i);
}

/* The fields shared by the signing payload and the signed encoding, up to and including
 * data (legacy) or the access list (type 2). */
static void put_body(rlp_buf *b, const tx *t) {
    if (t->type == TX_EIP1559) {
        rlp_put_u64(b, t->chain_id);
        rlp_put_u64(b, t->nonce);
        rlp_put_u256(b, &t->max_priority_fee);
        rlp_put_u256(b, &t->max_fee);
    } else {
        rlp_put_u64(b, t->nonce);
        rlp_put_u256(b, &t->gas_price);
    }
    rlp_put_u64(b, t->gas_limit);
    rlp_put_bytes(b, t->has_to ? t->to : NULL, t->has_to ? 20 : 0);
    rlp_put_u256(b, &t->value);
    rlp_put_bytes(b, t->data, t->data_len);
    if (t->type == TX_EIP1559) rlp_list_end(b, rlp_list_begin(b)); /* empty access list */
}

/* Legacy v: 27/28 without a chain id, chain_id * 2 + 35/36 with one (EIP-155). */
static int legacy_v(const tx *t, uint64_t *v) {
    if (t->chain_id == 0) {
        *v = 27u + t->y_parity;
        return 0;
    }
    if (t->chain_id > (UINT64_MAX - 36) / 2) return -1;
    *v = t->chain_id * 2 + 35 + t->y_parity;
    return 0;
}

static int encode(const tx *t, rlp_buf *b, int for_signing) {
    if (t->type != TX_LEGACY && t->type != TX_EIP1559) return -1;
    if (!for_signing && !t->is_signed) return -1;
    if (t->data_len && !t->data) return -1;
    if (t->type == TX_EIP1559) rlp_put_raw(b, (const uint8_t *)"\x02", 1);
    size_t m = rlp_list_begin(b);
    put_body(b, t);
    if (for_signing) {
        if (t->type == TX_LEGACY && t->chain_id != 0) {
            rlp_put_u64(b, t->chain_id);
            rlp_put_u64(b, 0);
            rlp_put_u64(b, 0);
        }
    } else {
        if (t->type == TX_EIP1559) {
            rlp_put_u64(b, t->y_parity);
        } else {
            uint64_t v;
            if (legacy_v(t, &v) != 0) return -1;
            rlp_put_u64(b, v);
        }
        put_scalar(b, t->r);
        put_scalar(b, t->s);
    }
    rlp_list_end(b, m);
    return b->failed ? -1 : 0;
}

static int hash_of(const tx *t, int for_signing, uint8_t hash[32]) {
    rlp_buf b;
    rlp_buf_init(&b);
    int rc = encode(t, &b, for_signing);
    if (rc == 0) keccak256(b.p, b.len, hash);
    rlp_buf_free(&b);
    return rc;
}

int tx_signing_hash(const tx *t, uint8_t hash[32]) { return hash_of(t, 1, hash); }

int tx_hash(const tx *t, uint8_t hash[32]) { return hash_of(t, 0, hash); }

int tx_sign(tx *t, const uint8_t priv[32]) {
    uint8_t h[32], sig[65];
    uint64_t v;
    if (tx_signing_hash(t, h) != 0) return -1;
    if (t->type == TX_LEGACY && legacy_v(t, &v) != 0) return -1;
    if (secp_sign(h, priv, sig) != 0) return -1;
    memcpy(t->r, sig, 32);
    memcpy(t->s, sig + 32, 32);
    t->y_parity = sig[64];
    t->is_signed = 1;
    return 0;
}

int tx_encode(const tx *t, rlp_buf *out) { return encode(t, out, 0); }

int tx_encode_hex(const tx *t, char **hex) {
    rlp_buf b;
    rlp_buf_init(&b);
    int rc = -1;
    *hex = NULL;
    if (encode(t, &b, 0) != 0) goto out;
    char *s = malloc(2 * b.len + 3);
    if (!s) goto out;
    hex_encode(b.p, b.len, s);
    *hex = s;
    rc = 0;
out:
    rlp_buf_free(&b);
    return rc;
}

/* Reads the next list item into *it; -1 if the list ended or the item is malformed. */
static int next(rlp_iter *i, rlp_item *it) { return rlp_iter_next(i, it) == 1 ? 0 : -1; }

static int next_u64(rlp_iter *i, uint64_t *v) {
    rlp_item it;
    return next(i, &it) == 0 ? rlp_item_u64(&it, v) : -1;
}

static int next_u256(rlp_iter *i, u256 *v) {
    rlp_item it;
    return next(i, &it) == 0 ? rlp_item_u256(&it, v) : -1;
}

static int next_scalar(rlp_iter *i, uint8_t out[32]) {
    u256 v;
    if (next_u256(i, &v) != 0) return -1;
    u256_to_be32(&v, out);
    return 0;
}

int tx_decode(const uint8_t *p, size_t len, tx *t) {
    rlp_item list, it;
    rlp_iter i;
    uint64_t v;
    if (!p || len == 0) return -1;
    tx_init(t, TX_LEGACY, 0);
    if (p[0] == 0x02) {
        t->type = TX_EIP1559;
        p++;
        len--;
    } else if (p[0] < 0xc0) {
        return -1; /* another typed transaction, or not a list */
    }
    if (rlp_decode_whole(p, len, &list) != 0 || rlp_iter_init(&i, &list) != 0) return -1;
    if (t->type == TX_EIP1559) {
        if (next_u64(&i, &t->chain_id) || next_u64(&i, &t->nonce) || next_u256(&i, &t->max_priority_fee) ||
            next_u256(&i, &t->max_fee))
            return -1;
    } else {
        if (next_u64(&i, &t->nonce) || next_u256(&i, &t->gas_price)) return -1;
    }
    if (next_u64(&i, &t->gas_limit) || next(&i, &it) || it.is_list) return -1;
    if (it.payload_len == 20) {
        t->has_to = 1;
        memcpy(t->to, it.payload, 20);
    } else if (it.payload_len != 0) {
        return -1;
    }
    if (next_u256(&i, &t->value) || next(&i, &it) || it.is_list) return -1;
    t->data = it.payload_len ? it.payload : NULL;
    t->data_len = it.payload_len;
    if (t->type == TX_EIP1559) {
        if (next(&i, &it) || !it.is_list || it.payload_len != 0) return -1;
        if (next_u64(&i, &v) || v > 1) return -1;
        t->y_parity = (uint8_t)v;
    } else {
        if (next_u64(&i, &v)) return -1;
        if (v == 27 || v == 28) {
            t->y_parity = (uint8_t)(v - 27);
        } else if (v >= 37) {
            t->chain_id = (v - 35) / 2;
            t->y_parity = (uint8_t)((v - 35) % 2);
        } else {
            return -1;
        }
    }
    if (next_scalar(&i, t->r) || next_scalar(&i, t->s)) return -1;
    if (rlp_iter_next(&i, &it) != 0) return -1; /* extra fields */
    t->is_signed = 1;
    return 0;
}

int tx_sender(const tx *t, uint8_t addr[20]) {
    uint8_t h[32], sig[65];
    if (!t->is_signed || t->y_parity > 1) return -1;
    memcpy(sig, t->r, 32);
    memcpy(sig + 32, t->s, 32);
    sig[64] = t->y_parity;
    if (!secp_sig_low_s(sig)) return -1;
    if (tx_signing_hash(t, h) != 0) return -1;
    return secp_recover_address(h, sig, addr);
}
