/* apiseed — fill a database with synthetic providers and jobs for the API tests and the
 * benchmarks: `apiseed DATABASE_URL PROVIDERS JOBS [PROVIDER_KEY_HEX]`.
 *
 * Provider i has address bytes 00..00 || be32(i+1) (so 0x…0001 is the first); job j has id
 * be256(j+1), renter 0xaa…aa, provider (j mod PROVIDERS)+1, status created. When a private
 * key is given, provider 1 is replaced by that key's address (tests sign as it). Prints the
 * first provider's address and the first job id.
 *
 * `apiseed --sign KEY_HEX MESSAGE` prints the EIP-191 personal_sign signature of MESSAGE. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/address.h"
#include "core/hex.h"
#include "evm/eip191.h"
#include "evm/secp.h"
#include "store/store.h"

static void be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

int main(int argc, char **argv) {
    if (argc == 4 && !strcmp(argv[1], "--sign")) {
        uint8_t key[32], sig[65];
        char hex[135];
        if (hex_decode_exact(argv[2], strlen(argv[2]), key, 32) != 0 ||
            eip191_sign((const uint8_t *)argv[3], strlen(argv[3]), key, sig) != 0) {
            fprintf(stderr, "apiseed: bad key\n");
            return 2;
        }
        printf("%s\n", hex_encode(sig, 65, hex));
        return 0;
    }
    if (argc < 4) {
        fprintf(stderr, "usage: apiseed DATABASE_URL PROVIDERS JOBS [PROVIDER_KEY_HEX]\n");
        return 2;
    }
    long np = atol(argv[2]), nj = atol(argv[3]);
    if (np < 1) np = 1;
    uint8_t first[20] = {0};
    bool have_key = false;
    if (argc > 4) {
        uint8_t key[32];
        if (hex_decode_exact(argv[4], strlen(argv[4]), key, 32) != 0 || secp_priv_address(key, first) != 0) {
            fprintf(stderr, "apiseed: bad key\n");
            return 2;
        }
        have_key = true;
    }
    store *s;
    char err[256];
    if (store_open(argv[1], &s, err, sizeof err) != STORE_OK) {
        fprintf(stderr, "apiseed: %s\n", err);
        return 1;
    }
    int64_t now = 1767225600; /* 2026-01-01T00:00:00Z */
    store_begin(s);
    uint8_t addr[20];
    for (long i = 0; i < np; i++) {
        memset(addr, 0, 20);
        be32(addr + 16, (uint32_t)(i + 1));
        if (i == 0 && have_key) memcpy(addr, first, 20);
        if (i == 0) memcpy(first, addr, 20);
        char gpu[32];
        snprintf(gpu, sizeof gpu, i % 2 ? "RTX 4090" : "A100");
        if (store_provider_register(s, addr, gpu, (uint64_t)(8192 * (1 + i % 10)), now + i, (uint64_t)(i + 1)) != STORE_OK ||
            store_provider_set_job_count(s, addr, i % 50) != STORE_OK) {
            fprintf(stderr, "apiseed: provider %ld: %s\n", i, store_errmsg(s));
            return 1;
        }
        if ((i + 1) % 10000 == 0) { store_commit(s); store_begin(s); }
    }
    store_job j;
    for (long k = 0; k < nj; k++) {
        memset(&j, 0, sizeof j);
        be32(j.job_id + 28, (uint32_t)(k + 1));
        memset(j.renter, 0xaa, 20);
        memset(j.provider, 0, 20);
        be32(j.provider + 16, (uint32_t)(k % np + 1));
        if (k % np == 0) memcpy(j.provider, first, 20);
        snprintf(j.payment, sizeof j.payment, "%ld000000000000000", k + 1);
        j.status = JOB_CREATED;
        j.created_block = k + 1;
        j.created_at = now + k;
        j.updated_at = now + k;
        if (store_job_insert(s, &j) != STORE_OK) {
            fprintf(stderr, "apiseed: job %ld: %s\n", k, store_errmsg(s));
            return 1;
        }
        if ((k + 1) % 20000 == 0) { store_commit(s); store_begin(s); }
    }
    store_commit(s);
    store_close(s);
    char a[ADDRESS_STR_LEN], id[67];
    uint8_t jid[32] = {0};
    be32(jid + 28, 1);
    printf("%s %s\n", address_format(first, a), hex_encode(jid, 32, id));
    return 0;
}
