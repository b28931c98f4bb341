/* Fuzz target for src/ipfs/cid: any bytes must either be refused with a message or parse into a
 * CID whose canonical CIDv1 text parses back to the same CID. Also checks that base58btc and
 * base32 decoding of arbitrary text never overruns and re-encodes to the same text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipfs/cid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *s = (const char *)data;
    char err[160];
    cid c;
    if (cid_parse(s, size, &c, err, sizeof err) == 0) {
        char v1[CID_MAX_TEXT + 1];
        cid back;
        long n = cid_to_v1_base32(&c, v1, sizeof v1);
        if (n <= 0 || cid_parse(v1, (size_t)n, &back, err, sizeof err) != 0) abort();
        if (back.codec != c.codec || back.hash_code != c.hash_code || back.digest_len != c.digest_len ||
            memcmp(back.digest, c.digest, c.digest_len) != 0)
            abort();
    } else if (err[0] == '\0') {
        abort(); /* every refusal says why */
    }

    uint8_t bin[256];
    char text[512];
    long n = cid_base58_decode(s, size, bin, sizeof bin);
    if (n >= 0) {
        long m = cid_base58_encode(bin, (size_t)n, text, sizeof text);
        if (m != (long)size || memcmp(text, s, size) != 0) abort();
    }
    n = cid_base32_decode(s, size, false, bin, sizeof bin);
    if (n >= 0) {
        long m = cid_base32_encode(bin, (size_t)n, text, sizeof text);
        if (m != (long)size || memcmp(text, s, size) != 0) abort();
    }
    return 0;
}
