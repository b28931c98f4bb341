/* Fuzz the text parsers for chain values: hex, addresses and u256. Properties: accepted
 * values format and parse back to the same value; nothing reads past len (the input is not
 * NUL-terminated). */
#include <stdlib.h>
#include <string.h>

#include "core/address.h"
#include "core/hex.h"
#include "core/u256.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *s = (const char *)data;
    uint8_t out[256], again[256];
    char txt[2 * sizeof out + 3];
    long n = hex_decode(s, size, out, sizeof out);
    if (n >= 0) {
        hex_encode(out, (size_t)n, txt);
        if (hex_decode(txt, strlen(txt), again, sizeof again) != n || memcmp(out, again, (size_t)n) != 0) abort();
    }
    (void)hex_decode_exact(s, size, out, 32);

    uint8_t addr[20], addr2[20];
    char as[ADDRESS_STR_LEN];
    if (address_parse(s, size, addr) == ADDRESS_OK) {
        if (address_parse(address_format(addr, as), 42, addr2) != ADDRESS_OK || memcmp(addr, addr2, 20) != 0) abort();
    }

    u256 v, w;
    char d[U256_DEC_LEN], h[U256_HEX_LEN];
    if (u256_parse(s, size, &v) == 0) {
        u256_format_dec(&v, d);
        if (u256_parse_dec(d, strlen(d), &w) != 0 || u256_cmp(&v, &w) != 0) abort();
        u256_format_hex(&v, h);
        if (u256_parse_hex(h, strlen(h), &w) != 0 || u256_cmp(&v, &w) != 0) abort();
    }
    return 0;
}
