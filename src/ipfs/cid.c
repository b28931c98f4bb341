/* cid — see cid.h. Every decoder writes into a caller-sized buffer and checks the room it has
 * before each byte, and every varint is bounded at 9 bytes, so no input can overrun or
 * overflow; the fuzzer in fuzz/fuzz_cid.c holds us to that. */
#include "ipfs/cid.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/hex.h"

#define VARINT_MAX 9
#define B58_ENCODE_MAX 256 /* input bytes cid_base58_encode accepts */

static const char b58_alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
static const char b32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

/* A character for an error message: itself when printable, else its code. */
static const char *show_char(unsigned char c, char buf[8]) {
    if (c >= 0x20 && c < 0x7f)
        snprintf(buf, 8, "'%c'", c);
    else
        snprintf(buf, 8, "0x%02x", c);
    return buf;
}

static int b58_value(unsigned char c) {
    const char *p = c ? strchr(b58_alphabet, c) : NULL;
    return p ? (int)(p - b58_alphabet) : -1;
}

static int b32_value(unsigned char c, bool upper) {
    if (upper ? (c >= 'A' && c <= 'Z') : (c >= 'a' && c <= 'z')) return (c | 0x20) - 'a';
    if (c >= '2' && c <= '7') return c - '2' + 26;
    return -1;
}

/* Decoders report where they failed so cid_parse can say so. */
enum { DEC_BAD_CHAR = -1, DEC_TOO_LONG = -2, DEC_BAD_TAIL = -3 };

static long b58_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *badpos) {
    size_t zeros = 0;
    while (zeros < len && s[zeros] == '1') zeros++;
    if (zeros > cap) return DEC_TOO_LONG;
    /* out[zeros .. zeros+size) holds the big number little-endian while we accumulate. */
    uint8_t *num = out + zeros;
    size_t room = cap - zeros, size = 0;
    for (size_t i = zeros; i < len; i++) {
        int v = b58_value((unsigned char)s[i]);
        if (v < 0) {
            *badpos = i;
            return DEC_BAD_CHAR;
        }
        unsigned carry = (unsigned)v;
        for (size_t j = 0; j < size; j++) {
            carry += (unsigned)num[j] * 58;
            num[j] = (uint8_t)carry;
            carry >>= 8;
        }
        while (carry) {
            if (size >= room) return DEC_TOO_LONG;
            num[size++] = (uint8_t)carry;
            carry >>= 8;
        }
    }
    memset(out, 0, zeros);
    for (size_t i = 0; i < size / 2; i++) {
        uint8_t t = num[i];
        num[i] = num[size - 1 - i];
        num[size - 1 - i] = t;
    }
    return (long)(zeros + size);
}

long cid_base58_decode(const char *s, size_t len, uint8_t *out, size_t cap) {
    size_t bad;
    if (!s || !out) return -1;
    long n = b58_decode(s, len, out, cap, &bad);
    return n < 0 ? -1 : n;
}

long cid_base58_encode(const uint8_t *p, size_t len, char *out, size_t cap) {
    uint8_t digits[B58_ENCODE_MAX * 138 / 100 + 1]; /* log(256)/log(58) < 1.38 */
    if (!p || !out || len > B58_ENCODE_MAX) return -1;
    size_t zeros = 0, size = 0;
    while (zeros < len && p[zeros] == 0) zeros++;
    for (size_t i = zeros; i < len; i++) {
        unsigned carry = p[i];
        for (size_t j = 0; j < size; j++) {
            carry += (unsigned)digits[j] << 8;
            digits[j] = (uint8_t)(carry % 58);
            carry /= 58;
        }
        while (carry) {
            digits[size++] = (uint8_t)(carry % 58);
            carry /= 58;
        }
    }
    if (zeros + size + 1 > cap) return -1;
    memset(out, '1', zeros);
    for (size_t i = 0; i < size; i++) out[zeros + i] = b58_alphabet[digits[size - 1 - i]];
    out[zeros + size] = '\0';
    return (long)(zeros + size);
}

static long b32_decode(const char *s, size_t len, bool upper, uint8_t *out, size_t cap, size_t *badpos) {
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b32_value((unsigned char)s[i], upper);
        if (v < 0) {
            *badpos = i;
            return DEC_BAD_CHAR;
        }
        acc = (acc << 5) | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            if (n >= cap) return DEC_TOO_LONG;
            bits -= 8;
            out[n++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* Five or more spare bits mean a length no encoder produces (len % 8 of 1, 3 or 6);
     * non-zero spare bits mean a second spelling of the same bytes. */
    if (bits >= 5 || acc != 0) return DEC_BAD_TAIL;
    return (long)n;
}

long cid_base32_decode(const char *s, size_t len, bool upper, uint8_t *out, size_t cap) {
    size_t bad;
    if (!s || !out) return -1;
    long n = b32_decode(s, len, upper, out, cap, &bad);
    return n < 0 ? -1 : n;
}

long cid_base32_encode(const uint8_t *p, size_t len, char *out, size_t cap) {
    if (!p || !out) return -1;
    size_t need = (len * 8 + 4) / 5;
    if (need + 1 > cap) return -1;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | p[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[n++] = b32_alphabet[(acc >> bits) & 31];
        }
        acc &= (1u << bits) - 1;
    }
    if (bits) out[n++] = b32_alphabet[(acc << (5 - bits)) & 31];
    out[n] = '\0';
    return (long)n;
}

/* base16 in one case only, as the multibase prefix promises. */
static long b16_decode(const char *s, size_t len, bool upper, uint8_t *out, size_t cap, size_t *badpos) {
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool ok = (c >= '0' && c <= '9') || (upper ? (c >= 'A' && c <= 'F') : (c >= 'a' && c <= 'f'));
        if (!ok) {
            *badpos = i;
            return DEC_BAD_CHAR;
        }
    }
    if (len % 2) return DEC_BAD_TAIL;
    if (len / 2 > cap) return DEC_TOO_LONG;
    for (size_t i = 0; i < len / 2; i++)
        out[i] = (uint8_t)(hex_digit((unsigned char)s[2 * i]) << 4 | hex_digit((unsigned char)s[2 * i + 1]));
    return (long)(len / 2);
}

const char *cid_codec_name(uint64_t codec) {
    switch (codec) {
    case CID_CODEC_RAW: return "raw";
    case CID_CODEC_DAG_PB: return "dag-pb";
    case CID_CODEC_DAG_CBOR: return "dag-cbor";
    case CID_CODEC_LIBP2P_KEY: return "libp2p-key";
    case CID_CODEC_DAG_JSON: return "dag-json";
    default: return NULL;
    }
}

const char *cid_hash_name(uint64_t hash_code) {
    switch (hash_code) {
    case CID_HASH_IDENTITY: return "identity";
    case CID_HASH_SHA1: return "sha1";
    case CID_HASH_SHA2_256: return "sha2-256";
    case CID_HASH_SHA2_512: return "sha2-512";
    case CID_HASH_SHA3_256: return "sha3-256";
    case CID_HASH_KECCAK_256: return "keccak-256";
    case CID_HASH_BLAKE2B_256: return "blake2b-256";
    default: return NULL;
    }
}

/* The digest size of a known fixed-size hash function; 0 for identity and unknown codes. */
static size_t hash_digest_size(uint64_t hash_code) {
    switch (hash_code) {
    case CID_HASH_SHA1: return 20;
    case CID_HASH_SHA2_256:
    case CID_HASH_SHA3_256:
    case CID_HASH_KECCAK_256:
    case CID_HASH_BLAKE2B_256: return 32;
    case CID_HASH_SHA2_512: return 64;
    default: return 0;
    }
}

/* A multiformats unsigned varint: little-endian groups of 7 bits, at most 9 bytes (63 bits, so
 * no overflow), and minimal — a final 0x00 byte would be a second encoding of the same value. */
static int varint_read(const uint8_t *p, size_t len, size_t *pos, uint64_t *v, const char *what, char *err,
                       size_t errlen) {
    uint64_t x = 0;
    for (size_t i = 0; i < VARINT_MAX; i++) {
        if (*pos + i >= len) return err_fail(err, errlen, "truncated %s varint", what);
        uint8_t b = p[*pos + i];
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            if (i > 0 && b == 0) return err_fail(err, errlen, "non-minimal %s varint", what);
            *pos += i + 1;
            *v = x;
            return 0;
        }
    }
    return err_fail(err, errlen, "%s varint longer than %d bytes", what, VARINT_MAX);
}

static size_t varint_write(uint64_t v, uint8_t *out) {
    size_t n = 0;
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        out[n++] = (uint8_t)(b | (v ? 0x80 : 0));
    } while (v);
    return n;
}

/* Multihash at p[0..len): code, digest length, digest, and nothing after it. */
static int multihash_parse(const uint8_t *p, size_t len, cid *out, char *err, size_t errlen) {
    size_t pos = 0;
    uint64_t code, dlen;
    if (varint_read(p, len, &pos, &code, "multihash code", err, errlen) < 0) return -1;
    if (varint_read(p, len, &pos, &dlen, "digest length", err, errlen) < 0) return -1;
    size_t rest = len - pos;
    const char *name = cid_hash_name(code);
    if (dlen > CID_MAX_DIGEST)
        return err_fail(err, errlen, "digest length %llu exceeds the limit of %d", (unsigned long long)dlen,
                    CID_MAX_DIGEST);
    if (dlen > rest)
        return err_fail(err, errlen, "truncated multihash: digest length %llu but %zu bytes follow",
                    (unsigned long long)dlen, rest);
    if (dlen < rest)
        return err_fail(err, errlen, "digest length %llu does not match the %zu bytes that follow",
                    (unsigned long long)dlen, rest);
    size_t want = hash_digest_size(code);
    if (want && dlen != want)
        return err_fail(err, errlen, "digest length %llu does not match %s (%zu)", (unsigned long long)dlen, name,
                    want);
    out->hash_code = code;
    out->digest_len = (size_t)dlen;
    memcpy(out->digest, p + pos, (size_t)dlen);
    return 0;
}

int cid_parse_binary(const uint8_t *p, size_t len, cid *out, char *err, size_t errlen) {
    size_t pos = 0;
    uint64_t version, codec;
    if (!p || !out) return err_fail(err, errlen, "no input");
    memset(out, 0, sizeof *out);
    if (len == 0) return err_fail(err, errlen, "empty binary CID");
    if (varint_read(p, len, &pos, &version, "version", err, errlen) < 0) return -1;
    if (version == CID_HASH_SHA2_256)
        return err_fail(err, errlen, "unsupported CID version 18 (a binary CIDv0; CIDv0 text has no multibase prefix)");
    if (version != 1) return err_fail(err, errlen, "unsupported CID version %llu", (unsigned long long)version);
    if (varint_read(p, len, &pos, &codec, "codec", err, errlen) < 0) return -1;
    if (pos >= len) return err_fail(err, errlen, "missing multihash");
    if (multihash_parse(p + pos, len - pos, out, err, errlen) < 0) return -1;
    out->version = 1;
    out->codec = codec;
    return 0;
}

static int parse_v0(const char *s, size_t len, cid *out, char *err, size_t errlen) {
    uint8_t bin[64];
    size_t bad = 0;
    if (len != CID_V0_LEN) return err_fail(err, errlen, "CIDv0 must be %d characters, got %zu", CID_V0_LEN, len);
    long n = b58_decode(s, len, bin, sizeof bin, &bad);
    if (n == DEC_BAD_CHAR) {
        char cb[8];
        return err_fail(err, errlen, "invalid base58btc character %s at offset %zu", show_char((unsigned char)s[bad], cb),
                    bad);
    }
    if (n != 34 || bin[0] != 0x12 || bin[1] != 0x20)
        return err_fail(err, errlen, "CIDv0 does not decode to a sha2-256 multihash (0x12 0x20 + 32 bytes)");
    out->version = 0;
    out->multibase = 0;
    out->codec = CID_CODEC_DAG_PB;
    out->hash_code = CID_HASH_SHA2_256;
    out->digest_len = 32;
    memcpy(out->digest, bin + 2, 32);
    return 0;
}

int cid_parse(const char *s, size_t len, cid *out, char *err, size_t errlen) {
    uint8_t bin[CID_MAX_TEXT]; /* every base decodes to fewer bytes than characters */
    size_t bad = 0;
    long n;
    char cb[8];
    if (!out) return err_fail(err, errlen, "no output");
    memset(out, 0, sizeof *out);
    if (!s || len == 0) return err_fail(err, errlen, "empty CID");
    if (len > CID_MAX_TEXT)
        return err_fail(err, errlen, "CID too long (%zu characters, limit %d)", len, CID_MAX_TEXT);
    /* "Qm" is how every CIDv0 starts ('Q' is no multibase prefix, so there is no ambiguity). */
    if (s[0] == 'Q') return parse_v0(s, len, out, err, errlen);
    const char *body = s + 1;
    size_t blen = len - 1;
    const char *base;
    switch (s[0]) {
    case 'b': base = "base32"; n = b32_decode(body, blen, false, bin, sizeof bin, &bad); break;
    case 'B': base = "base32upper"; n = b32_decode(body, blen, true, bin, sizeof bin, &bad); break;
    case 'z': base = "base58btc"; n = b58_decode(body, blen, bin, sizeof bin, &bad); break;
    case 'f': base = "base16"; n = b16_decode(body, blen, false, bin, sizeof bin, &bad); break;
    case 'F': base = "base16upper"; n = b16_decode(body, blen, true, bin, sizeof bin, &bad); break;
    default: return err_fail(err, errlen, "unknown multibase prefix %s", show_char((unsigned char)s[0], cb));
    }
    if (n == DEC_BAD_CHAR)
        return err_fail(err, errlen, "invalid %s character %s at offset %zu", base,
                    show_char((unsigned char)body[bad], cb), bad + 1);
    if (n == DEC_BAD_TAIL) return err_fail(err, errlen, "malformed %s: impossible length or non-zero padding bits", base);
    if (n < 0) return err_fail(err, errlen, "%s text decodes to too many bytes", base);
    if (cid_parse_binary(bin, (size_t)n, out, err, errlen) < 0) return -1;
    out->multibase = s[0];
    return 0;
}

long cid_to_binary_v1(const cid *c, uint8_t *out, size_t cap) {
    uint8_t buf[CID_MAX_BINARY];
    if (!c || !out || c->digest_len > CID_MAX_DIGEST) return -1;
    if (c->codec >> 63 || c->hash_code >> 63) return -1; /* would need a 10th varint byte */
    size_t n = varint_write(1, buf);
    n += varint_write(c->codec, buf + n);
    n += varint_write(c->hash_code, buf + n);
    n += varint_write(c->digest_len, buf + n);
    memcpy(buf + n, c->digest, c->digest_len);
    n += c->digest_len;
    if (n > cap) return -1;
    memcpy(out, buf, n);
    return (long)n;
}

long cid_to_v1_base32(const cid *c, char *out, size_t cap) {
    uint8_t bin[CID_MAX_BINARY];
    long n = cid_to_binary_v1(c, bin, sizeof bin);
    if (n < 0 || cap < 2) return -1;
    long m = cid_base32_encode(bin, (size_t)n, out + 1, cap - 1);
    if (m < 0) return -1;
    out[0] = 'b';
    return m + 1;
}

long cid_format(const cid *c, char *out, size_t cap) {
    if (!c || !out) return -1;
    if (c->version == 0) {
        if (c->hash_code != CID_HASH_SHA2_256 || c->digest_len != 32 || cap < CID_V0_LEN + 1) return -1;
        cid_v0_from_sha256(c->digest, out);
        return CID_V0_LEN;
    }
    return cid_to_v1_base32(c, out, cap);
}

void cid_v0_from_sha256(const uint8_t digest[32], char out[CID_V0_LEN + 1]) {
    uint8_t mh[34] = {0x12, 0x20};
    memcpy(mh + 2, digest, 32);
    /* 34 bytes starting 0x12 0x20 always encode to exactly 46 characters "Qm…". */
    (void)cid_base58_encode(mh, sizeof mh, out, CID_V0_LEN + 1);
}
