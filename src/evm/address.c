#include "evm/address.h"

#include <ctype.h>

#include "core/hex.h"
#include "evm/keccak.h"

char *address_format_lower(const uint8_t addr[20], char out[ADDRESS_STR_LEN]) {
    return hex_encode(addr, 20, out);
}

/* EIP-55: hash the lowercase hex digits (no prefix); a letter is uppercased when the
 * matching nibble of the hash is >= 8. */
char *address_format(const uint8_t addr[20], char out[ADDRESS_STR_LEN]) {
    hex_encode(addr, 20, out);
    uint8_t h[32];
    keccak256(out + 2, 40, h);
    for (int i = 0; i < 40; i++) {
        int nibble = (i % 2 == 0) ? h[i / 2] >> 4 : h[i / 2] & 15;
        if (nibble >= 8) out[2 + i] = (char)toupper((unsigned char)out[2 + i]);
    }
    return out;
}

int address_parse(const char *s, size_t len, uint8_t out[20]) {
    if (!s || len != 42 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return ADDRESS_MALFORMED;
    int lower = 0, upper = 0;
    for (size_t i = 2; i < 42; i++) {
        unsigned char c = (unsigned char)s[i];
        if (hex_digit(c) < 0) return ADDRESS_MALFORMED;
        if (c >= 'a' && c <= 'f') lower = 1;
        if (c >= 'A' && c <= 'F') upper = 1;
    }
    uint8_t tmp[20];
    if (hex_decode_exact(s, len, tmp, 20) != 0) return ADDRESS_MALFORMED;
    if (lower && upper) {
        char want[ADDRESS_STR_LEN];
        address_format(tmp, want);
        for (int i = 2; i < 42; i++)
            if (want[i] != s[i]) return ADDRESS_BAD_CHECKSUM;
    }
    for (int i = 0; i < 20; i++) out[i] = tmp[i];
    return ADDRESS_OK;
}
