/* cid — IPFS content identifiers (CIDs) from untrusted text.
 *
 * Accepted forms:
 *   CIDv0: 46 base58btc characters "Qm…", the encoding of 0x12 0x20 + a 32-byte sha2-256 digest
 *          (implicitly codec dag-pb).
 *   CIDv1: a multibase prefix — 'b' base32 lower, 'B' base32 upper (RFC 4648, no padding),
 *          'z' base58btc, 'f' base16 lower, 'F' base16 upper — then the binary CID:
 *          varint version (= 1), varint codec (any), multihash (varint hash code, varint digest
 *          length, digest). The digest length must equal the bytes that remain, and for hash
 *          functions this module knows, the function's digest size.
 *
 * Varints are multiformats unsigned varints: at most 9 bytes, minimally encoded. Text longer
 * than CID_MAX_TEXT and digests longer than CID_MAX_DIGEST are refused, so every buffer here is
 * fixed-size and no input can make the parser allocate or overrun. */
#ifndef LAMDA_CID_H
#define LAMDA_CID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CID_MAX_TEXT 256
#define CID_MAX_DIGEST 128
/* Longest binary CIDv1 this module produces or accepts: version (1 byte), codec and hash code
 * (at most 9 bytes each), digest length (at most 2 bytes for 128) and the digest. Its base32
 * text (240 characters with the prefix) fits in CID_MAX_TEXT. */
#define CID_MAX_BINARY (1 + 9 + 9 + 2 + CID_MAX_DIGEST)
#define CID_V0_LEN 46 /* characters of a CIDv0, without the terminating NUL */

/* Multicodec codes this module has names for. Any codec is accepted. */
#define CID_CODEC_RAW 0x55
#define CID_CODEC_DAG_PB 0x70
#define CID_CODEC_DAG_CBOR 0x71
#define CID_CODEC_LIBP2P_KEY 0x72
#define CID_CODEC_DAG_JSON 0x0129

/* Multihash function codes whose digest size is checked. */
#define CID_HASH_IDENTITY 0x00
#define CID_HASH_SHA1 0x11
#define CID_HASH_SHA2_256 0x12
#define CID_HASH_SHA2_512 0x13
#define CID_HASH_SHA3_256 0x16
#define CID_HASH_KECCAK_256 0x1b
#define CID_HASH_BLAKE2B_256 0xb220

typedef struct {
    int version;        /* 0 or 1 */
    char multibase;     /* the prefix of a CIDv1 ('b', 'B', 'z', 'f', 'F'); 0 for CIDv0 */
    uint64_t codec;     /* CID_CODEC_DAG_PB for CIDv0 */
    uint64_t hash_code; /* multihash function code */
    size_t digest_len;
    uint8_t digest[CID_MAX_DIGEST];
} cid;

/* Parse and validate the CID in s[0..len). On success fills *out and returns 0; otherwise
 * returns -1 and writes a message naming the problem to err (e.g. "unknown multibase prefix
 * 'x'", "digest length 31 does not match sha2-256 (32)"). err may be NULL. */
int cid_parse(const char *s, size_t len, cid *out, char *err, size_t errlen);

/* Parse a binary CIDv1 (version varint onwards) from p[0..len). Same rules and errors. */
int cid_parse_binary(const uint8_t *p, size_t len, cid *out, char *err, size_t errlen);

/* Names of known codecs / hash functions ("dag-pb", "sha2-256"…), or NULL. */
const char *cid_codec_name(uint64_t codec);
const char *cid_hash_name(uint64_t hash_code);

/* The binary form of c as CIDv1 (version, codec, multihash), whatever c->version is. Returns
 * the number of bytes written, or -1 when cap is too small or c is out of range (a code of
 * 2^63 or more, a digest longer than CID_MAX_DIGEST). CID_MAX_BINARY always suffices. */
long cid_to_binary_v1(const cid *c, uint8_t *out, size_t cap);

/* Canonical CIDv1 text: 'b' + base32 lower of the binary form (a CIDv0 becomes its dag-pb
 * CIDv1). Returns the length written (NUL-terminated), or -1 when cap is too small;
 * CID_MAX_TEXT + 1 always suffices. */
long cid_to_v1_base32(const cid *c, char *out, size_t cap);

/* The usual text of c: base58btc "Qm…" for a CIDv0, cid_to_v1_base32 for a CIDv1. Returns the
 * length written (NUL-terminated), or -1 when cap is too small (CID_MAX_TEXT + 1 suffices). */
long cid_format(const cid *c, char *out, size_t cap);

/* The CIDv0 text of a sha2-256 digest: base58btc(0x12 0x20 digest), 46 characters + NUL.
 * Used by the optional mode where a jobId is the digest of its input CIDv0. */
void cid_v0_from_sha256(const uint8_t digest[32], char out[CID_V0_LEN + 1]);

/* base58btc (Bitcoin alphabet). Decode returns the byte count, or -1 on a character outside the
 * alphabet or when the result exceeds cap. Encode returns the text length (NUL-terminated), or
 * -1 when cap is too small. Leading zero bytes map to leading '1's and back. */
long cid_base58_decode(const char *s, size_t len, uint8_t *out, size_t cap);
long cid_base58_encode(const uint8_t *p, size_t len, char *out, size_t cap); /* len <= 256 */

/* RFC 4648 base32 without padding, in one case only: upper=false takes "a-z2-7", upper=true
 * "A-Z2-7". Lengths that cannot end a base32 string and non-zero unused trailing bits are
 * refused, so every byte string has exactly one accepted encoding. Returns the byte count or
 * -1. Encode writes lowercase, returns the text length (NUL-terminated) or -1 (cap). */
long cid_base32_decode(const char *s, size_t len, bool upper, uint8_t *out, size_t cap);
long cid_base32_encode(const uint8_t *p, size_t len, char *out, size_t cap);

#endif
