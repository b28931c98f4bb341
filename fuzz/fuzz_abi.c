/* Fuzz the ABI decoder. The first bytes of the input are a program of decode operations,
 * the rest is the data they run over; nested tuples and arrays push cursors. Any accepted
 * bytes/string must lie inside the data. Also decodes the fixed shapes our contracts return. */
#include <stdlib.h>
#include <string.h>

#include "evm/abi.h"

static void check_inside(const uint8_t *p, size_t n, const uint8_t *base, size_t len) {
    if (p < base || n > len || (size_t)(p - base) > len - n) abort();
}

static void provider_info(const uint8_t *p, size_t n) {
    abi_dec d, t;
    char *s = NULL;
    size_t sl;
    uint64_t v;
    int b;
    abi_dec_init(&d, p, n);
    if (abi_dec_tuple(&d, &t) != 0 || abi_dec_string(&t, &s, &sl) != 0) return;
    if (strlen(s) > sl) abort();
    free(s);
    (void)(abi_dec_u64(&t, &v) == 0 && abi_dec_u64(&t, &v) == 0 && abi_dec_bool(&t, &b) == 0 &&
           abi_dec_u64(&d, &v) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t nops = data[0] % 32;
    if (size < 1 + nops) return 0;
    const uint8_t *ops = data + 1, *p = data + 1 + nops;
    size_t len = size - 1 - nops;
    provider_info(p, len);

    abi_dec stack[8];
    int sp = 0;
    abi_dec_init(&stack[0], p, len);
    for (size_t i = 0; i < nops; i++) {
        abi_dec *d = &stack[sp];
        u256 v;
        uint64_t x;
        uint8_t b8, a[32];
        int b;
        const uint8_t *bp;
        size_t bn;
        char *s;
        int rc = 0;
        switch (ops[i] & 15) {
        case 0: rc = abi_dec_u256(d, &v); break;
        case 1: rc = abi_dec_uint(d, (ops[i] >> 4) * 16 + 8, &v); break;
        case 2: rc = abi_dec_u64(d, &x); break;
        case 3: rc = abi_dec_u8(d, &b8); break;
        case 4: rc = abi_dec_bool(d, &b); break;
        case 5: rc = abi_dec_address(d, a); break;
        case 6: rc = abi_dec_bytes32(d, a); break;
        case 7: rc = abi_dec_fixed_bytes(d, a, (ops[i] >> 4) * 2 + 1); break;
        case 8:
            rc = abi_dec_bytes(d, &bp, &bn);
            if (rc == 0) check_inside(bp, bn, p, len);
            break;
        case 9:
            rc = abi_dec_string(d, &s, &bn);
            if (rc == 0) free(s);
            break;
        case 10:
            if (sp + 1 < 8) {
                rc = abi_dec_tuple(d, &stack[sp + 1]);
                if (rc == 0) sp++;
            }
            break;
        case 11:
            if (sp + 1 < 8) {
                rc = abi_dec_array(d, &bn, &stack[sp + 1]);
                if (rc == 0) sp++;
            }
            break;
        case 12: rc = abi_dec_skip(d, ops[i] >> 4); break;
        case 13:
            if (sp > 0) sp--;
            break;
        default: (void)abi_dec_at_end(d); break;
        }
        if (rc != 0 && sp > 0) sp--;
    }
    return 0;
}
