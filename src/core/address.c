#include "core/address.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "core/keccak.h"

char *address_format_lower(const uint8_t addr[20], char out[ADDRESS_STR_LEN]) {
    return hex_encode(addr, 20, out);
}

/* EIP-55: hash the lowercase hex digits (no prefix); a letter is uppercased when the
 * matching nibble of the hash is >= 8. */
static void format_checksummed(const uint8_t addr[20], char out[ADDRESS_STR_LEN]) {
    hex_encode(addr, 20, out);
    uint8_t h[32];
    keccak256(out + 2, 40, h);
    for (int i = 0; i < 40; i++) {
        int nibble = (i % 2 == 0) ? h[i / 2] >> 4 : h[i / 2] & 15;
        if (nibble >= 8) out[2 + i] = (char)toupper((unsigned char)out[2 + i]);
    }
}

/* A small per-thread cache of formatted addresses: an API list names the same renters and
 * providers over and over, and each keccak costs ~1 us. Direct-mapped, allocated on a
 * thread's first call and freed when the thread exits. */
#define ADDR_CACHE_SLOTS 128
typedef struct {
    uint8_t addr[20];
    char text[ADDRESS_STR_LEN];
    uint8_t used;
} addr_slot;

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static int cache_key_ok;

static void cache_key_make(void) { cache_key_ok = pthread_key_create(&cache_key, free) == 0; }

static addr_slot *cache_slot(const uint8_t addr[20]) {
    pthread_once(&cache_once, cache_key_make);
    if (!cache_key_ok) return NULL;
    addr_slot *tab = pthread_getspecific(cache_key);
    if (!tab) {
        tab = calloc(ADDR_CACHE_SLOTS, sizeof *tab);
        if (!tab || pthread_setspecific(cache_key, tab) != 0) {
            free(tab);
            return NULL;
        }
    }
    /* Mix every byte: real addresses are uniform, but test and seed ones differ in a few. */
    uint32_t h = 2166136261u;
    for (int i = 0; i < 20; i++) h = (h ^ addr[i]) * 16777619u;
    return &tab[(h ^ (h >> 16)) % ADDR_CACHE_SLOTS];
}

char *address_format(const uint8_t addr[20], char out[ADDRESS_STR_LEN]) {
    addr_slot *e = cache_slot(addr);
    if (e && e->used && memcmp(e->addr, addr, 20) == 0) {
        memcpy(out, e->text, ADDRESS_STR_LEN);
        return out;
    }
    format_checksummed(addr, out);
    if (e) {
        memcpy(e->addr, addr, 20);
        memcpy(e->text, out, ADDRESS_STR_LEN);
        e->used = 1;
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
