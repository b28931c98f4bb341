/* Fuzz the RLP decoder and the raw transaction decoder. Property: whatever the decoder
 * accepts as one whole item re-encodes to exactly the same bytes (it only accepts canonical
 * encodings), and no input reads out of bounds. */
#include <stdlib.h>
#include <string.h>

#include "evm/rlp.h"
#include "evm/tx.h"

/* Re-encode it into b; 0, or -1 if nesting is too deep to check. */
static int reencode(const rlp_item *it, rlp_buf *b, int depth) {
    if (depth > 64) return -1;
    if (!it->is_list) {
        u256 v;
        uint64_t x;
        if (rlp_item_u64(it, &x) == 0 && rlp_item_u256(it, &v) == 0) {
            if (!u256_fits_u64(&v) || v.w[0] != x) abort();
        }
        return rlp_put_bytes(b, it->payload, it->payload_len);
    }
    rlp_iter i;
    rlp_item c;
    int r;
    size_t m = rlp_list_begin(b);
    if (rlp_iter_init(&i, it) != 0) abort();
    while ((r = rlp_iter_next(&i, &c)) == 1)
        if (reencode(&c, b, depth + 1) != 0) return -1;
    if (r != 0) abort(); /* decode_whole validated only this level; inner errors are fine */
    return rlp_list_end(b, m);
}

static int valid_tree(const rlp_item *it, int depth) {
    if (!it->is_list) return 1;
    if (depth > 64) return 0;
    rlp_iter i;
    rlp_item c;
    int r;
    rlp_iter_init(&i, it);
    while ((r = rlp_iter_next(&i, &c)) == 1)
        if (!valid_tree(&c, depth + 1)) return 0;
    return r == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rlp_item it;
    if (rlp_decode_whole(data, size, &it) == 0 && valid_tree(&it, 0)) {
        rlp_buf b;
        rlp_buf_init(&b);
        if (reencode(&it, &b, 0) == 0 && (b.len != size || memcmp(b.p, data, size) != 0)) abort();
        rlp_buf_free(&b);
    }
    tx t;
    if (tx_decode(data, size, &t) == 0) {
        uint8_t h[32], a[20];
        (void)tx_hash(&t, h);
        (void)tx_sender(&t, a);
    }
    return 0;
}
