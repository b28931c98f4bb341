/* lamdadev — the operator/developer chain tool: deploy the contracts, send signed
 * transactions, call view functions, decode the contracts' event logs, and sign/recover
 * EIP-191 messages. Every transaction is built and signed by our own code (evm/tx.h).
 *
 * Private keys are never printed, logged or echoed in an error message. A KEY argument is
 * "0x" + 64 hex digits, "env:NAME" (read from the environment) or "@FILE" (first line of a
 * file), so a key need not appear on a command line.
 *
 * Exit status: 0 success, 1 failure (including a reverted transaction), 2 usage error. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "core/address.h"
#include "core/hex.h"
#include "core/keccak.h"
#include "core/u256.h"
#include "evm/abi.h"
#include "evm/contracts.h"
#include "evm/eip191.h"
#include "evm/rlp.h"
#include "evm/rpc_methods.h"
#include "evm/secp.h"
#include "evm/tx.h"

static const char USAGE[] =
    "usage: lamdadev COMMAND [OPTIONS]\n"
    "\n"
    "  address KEY                               checksummed address of a private key\n"
    "  deploy --rpc URL --key KEY --artifact FILE\n"
    "                                            deploy {abi, bytecode} artifact; prints\n"
    "                                            address=0x.. block=N tx=0x..\n"
    "  send --rpc URL --key KEY --to ADDR [--value WEI] [--nonce N] [--gas N] [--legacy]\n"
    "       [--no-wait] SIGNATURE [ARGS...]      sign and send a call; prints tx=0x.. block=N\n"
    "                                            status=S (exit 1 when reverted)\n"
    "  call --rpc URL --to ADDR [--from ADDR] SIGNATURE [ARGS...] [--returns TYPES]\n"
    "                                            eth_call; prints decoded values one per line\n"
    "  logs --rpc URL --address ADDR [--from N] [--to N] [--count EVENT]\n"
    "                                            decode the contracts' events, one per line\n"
    "  calldata SIGNATURE [ARGS...]              ABI-encoded call data (0x..), e.g. for\n"
    "                                            eth_sendTransaction or anvil_reorg\n"
    "  sign-message --key KEY MESSAGE            EIP-191 personal_sign signature (0x..)\n"
    "  recover MESSAGE SIGNATURE                 signer address of an EIP-191 signature\n"
    "\n"
    "KEY: 0x + 64 hex digits, env:NAME or @FILE. SIGNATURE: e.g. 'registerNode(string,uint256)';\n"
    "argument types: address, uint<N>, int<N>, bool, bytes<N>, bytes, string. TYPES: the return\n"
    "list, e.g. 'address', 'uint256,bool' or '((string,uint256,uint256,bool),uint256)' (one\n"
    "outer pair of parentheses is the list itself; inner parentheses are tuples).\n";

#define ERRLEN 512

/* ---- small helpers ------------------------------------------------------------------------ */

static void errf(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void errf(char *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, ERRLEN, fmt, ap);
    va_end(ap);
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int parse_u64(const char *s, uint64_t *out) {
    u256 v;
    if (!s || !*s || u256_parse(s, strlen(s), &v) != 0 || u256_to_u64(&v, out) != 0) return -1;
    return 0;
}

static int parse_addr(const char *s, uint8_t out[20]) {
    return s ? address_parse(s, strlen(s), out) : -1;
}

/* KEY → 32 bytes. The error never contains the key. */
static int load_key(const char *spec, uint8_t priv[32], char *err) {
    char buf[256];
    const char *s = spec;
    if (!spec) {
        errf(err, "--key is required");
        return -1;
    }
    if (strncmp(spec, "env:", 4) == 0) {
        s = getenv(spec + 4);
        if (!s) {
            errf(err, "environment variable %s is not set", spec + 4);
            return -1;
        }
    } else if (spec[0] == '@') {
        FILE *f = fopen(spec + 1, "r");
        if (!f) {
            errf(err, "cannot read key file %s: %s", spec + 1, strerror(errno));
            return -1;
        }
        if (!fgets(buf, sizeof buf, f)) buf[0] = 0;
        fclose(f);
        buf[strcspn(buf, "\r\n \t")] = 0;
        s = buf;
    }
    size_t n = strlen(s);
    int bad = hex_decode_exact(s, n, priv, 32) != 0 || secp_seckey_valid(priv) != 0;
    memset(buf, 0, sizeof buf);
    if (bad) {
        errf(err, "invalid private key (want 0x + 64 hex digits, env:NAME or @FILE)");
        return -1;
    }
    return 0;
}

static rpc_client *open_rpc(const char *url, char *err) {
    if (!url) {
        errf(err, "--rpc is required");
        return NULL;
    }
    rpc_options o;
    rpc_options_default(&o);
    o.max_attempts = 3;
    const char *urls[1] = {url};
    rpc_client *c = rpc_client_new_urls(urls, 1, &o);
    if (!c) errf(err, "cannot create an RPC client for %s", url);
    return c;
}

static void rpc_errf(char *err, const char *what, const rpc_error *e) {
    errf(err, "%s: %s (%s)", what, e->message[0] ? e->message : "error",
         rpc_error_kind_name(e->kind));
}

/* ---- ABI: types ----------------------------------------------------------------------------
 * The subset the contracts use: elementary types, bytes, string and tuples (no arrays). */

enum { T_UINT, T_INT, T_ADDRESS, T_BOOL, T_BYTESN, T_BYTES, T_STRING, T_TUPLE };

#define ABI_MAX_KIDS 16
typedef struct abi_type {
    int kind;
    int size; /* bits for T_UINT/T_INT, bytes for T_BYTESN */
    int nkids;
    struct abi_type *kids[ABI_MAX_KIDS];
} abi_type;

static void type_free(abi_type *t) {
    if (!t) return;
    for (int i = 0; i < t->nkids; i++) type_free(t->kids[i]);
    free(t);
}

static bool type_dynamic(const abi_type *t) {
    if (t->kind == T_BYTES || t->kind == T_STRING) return true;
    if (t->kind == T_TUPLE)
        for (int i = 0; i < t->nkids; i++)
            if (type_dynamic(t->kids[i])) return true;
    return false;
}

static abi_type *parse_type(const char **pp, int depth, char *err);

/* Parse "T1,T2,..." up to (not including) close (')' or NUL) into a tuple. */
static abi_type *parse_list(const char **pp, char close, int depth, char *err) {
    abi_type *t = calloc(1, sizeof *t);
    if (!t) {
        errf(err, "out of memory");
        return NULL;
    }
    t->kind = T_TUPLE;
    if (**pp == close) return t;
    for (;;) {
        if (t->nkids == ABI_MAX_KIDS) {
            errf(err, "too many components (max %d)", ABI_MAX_KIDS);
            goto fail;
        }
        abi_type *k = parse_type(pp, depth + 1, err);
        if (!k) goto fail;
        t->kids[t->nkids++] = k;
        if (**pp == ',') {
            (*pp)++;
            continue;
        }
        if (**pp == close) return t;
        errf(err, "unexpected '%c' in type list", **pp ? **pp : '?');
        goto fail;
    }
fail:
    type_free(t);
    return NULL;
}

static abi_type *parse_type(const char **pp, int depth, char *err) {
    const char *p = *pp;
    if (depth > 8) {
        errf(err, "types nested too deeply");
        return NULL;
    }
    if (*p == '(') {
        *pp = p + 1;
        abi_type *t = parse_list(pp, ')', depth, err);
        if (!t) return NULL;
        (*pp)++; /* ')' */
        return t;
    }
    size_t n = 0;
    while (isalnum((unsigned char)p[n])) n++;
    char name[32];
    if (n == 0 || n >= sizeof name) {
        errf(err, "bad type at '%.20s'", p);
        return NULL;
    }
    memcpy(name, p, n);
    name[n] = 0;
    if (p[n] == '[') {
        errf(err, "array types are not supported ('%s[]')", name);
        return NULL;
    }
    abi_type *t = calloc(1, sizeof *t);
    if (!t) {
        errf(err, "out of memory");
        return NULL;
    }
    char *end;
    long sz;
    if (strcmp(name, "address") == 0) {
        t->kind = T_ADDRESS;
    } else if (strcmp(name, "bool") == 0) {
        t->kind = T_BOOL;
    } else if (strcmp(name, "string") == 0) {
        t->kind = T_STRING;
    } else if (strcmp(name, "bytes") == 0) {
        t->kind = T_BYTES;
    } else if (strncmp(name, "bytes", 5) == 0) {
        sz = strtol(name + 5, &end, 10);
        if (*end || sz < 1 || sz > 32) goto bad;
        t->kind = T_BYTESN;
        t->size = (int)sz;
    } else if (strncmp(name, "uint", 4) == 0 || strncmp(name, "int", 3) == 0) {
        int is_u = name[0] == 'u';
        const char *digits = name + (is_u ? 4 : 3);
        sz = *digits ? strtol(digits, &end, 10) : 256;
        if ((*digits && *end) || sz < 8 || sz > 256 || sz % 8) goto bad;
        t->kind = is_u ? T_UINT : T_INT;
        t->size = (int)sz;
    } else {
        goto bad;
    }
    *pp = p + n;
    return t;
bad:
    errf(err, "unsupported type '%s'", name);
    free(t);
    return NULL;
}

/* Parse a whole comma list (no outer parentheses required) into a tuple. */
static abi_type *parse_types(const char *s, char *err) {
    char clean[512];
    size_t j = 0;
    for (; *s && j + 1 < sizeof clean; s++)
        if (!isspace((unsigned char)*s)) clean[j++] = *s;
    if (*s) {
        errf(err, "type list too long");
        return NULL;
    }
    clean[j] = 0;
    const char *p = clean;
    abi_type *t = parse_list(&p, 0, 0, err);
    if (t && *p) {
        errf(err, "trailing characters in type list");
        type_free(t);
        return NULL;
    }
    /* "(T1,T2)" wrapped in one pair of parentheses is the list T1,T2 itself, as in the
     * signature's return list: '((string,uint256),uint256)' is a tuple and a uint256. */
    if (t && t->nkids == 1 && t->kids[0]->kind == T_TUPLE && clean[0] == '(') {
        abi_type *inner = t->kids[0];
        t->nkids = 0;
        type_free(t);
        return inner;
    }
    return t;
}

/* Canonical name of a type ("uint" → "uint256") appended to out. */
static void type_canon(const abi_type *t, char *out, size_t cap) {
    size_t n = strlen(out);
    switch (t->kind) {
    case T_UINT: snprintf(out + n, cap - n, "uint%d", t->size); break;
    case T_INT: snprintf(out + n, cap - n, "int%d", t->size); break;
    case T_ADDRESS: snprintf(out + n, cap - n, "address"); break;
    case T_BOOL: snprintf(out + n, cap - n, "bool"); break;
    case T_BYTESN: snprintf(out + n, cap - n, "bytes%d", t->size); break;
    case T_BYTES: snprintf(out + n, cap - n, "bytes"); break;
    case T_STRING: snprintf(out + n, cap - n, "string"); break;
    case T_TUPLE:
        snprintf(out + n, cap - n, "(");
        for (int i = 0; i < t->nkids; i++) {
            if (i) strncat(out, ",", cap - strlen(out) - 1);
            type_canon(t->kids[i], out, cap);
        }
        strncat(out, ")", cap - strlen(out) - 1);
        break;
    }
}

/* ---- ABI: encoding call arguments (evm/abi.h) -------------------------------------------- */

/* Encode one top-level argument from its text. */
static int encode_arg(abi_enc *e, const abi_type *t, const char *s, char *err) {
    uint8_t buf[32];
    u256 v;
    int rc = -1;
    switch (t->kind) {
    case T_ADDRESS:
        if (parse_addr(s, buf) != 0) goto bad;
        rc = abi_enc_address(e, buf);
        break;
    case T_BOOL:
        if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0) rc = abi_enc_bool(e, 1);
        else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0) rc = abi_enc_bool(e, 0);
        else goto bad;
        break;
    case T_BYTESN:
        if (hex_decode_exact(s, strlen(s), buf, (size_t)t->size) != 0) goto bad;
        rc = abi_enc_fixed_bytes(e, buf, (size_t)t->size);
        break;
    case T_UINT:
    case T_INT: {
        bool neg = t->kind == T_INT && s[0] == '-';
        const char *d = neg ? s + 1 : s;
        if (u256_parse(d, strlen(d), &v) != 0) goto bad;
        /* Range: uintN < 2^N; intN magnitude < 2^(N-1), or equal for the negative minimum. */
        int bits = t->kind == T_UINT ? t->size : t->size - 1;
        if (bits < 256) {
            u256 lim = u256_from_u64(0);
            lim.w[bits / 64] = 1ULL << (bits % 64);
            int c = u256_cmp(&v, &lim);
            if (c > 0 || (c == 0 && !neg)) {
                errf(err, "value '%.100s' out of range for its type", s);
                return -1;
            }
        }
        if (!neg) {
            rc = abi_enc_u256(e, &v);
            break;
        }
        u256_to_be32(&v, buf); /* two's complement of the magnitude */
        for (int i = 0; i < 32; i++) buf[i] = (uint8_t)~buf[i];
        for (int i = 31; i >= 0; i--)
            if (++buf[i] != 0) break;
        rc = abi_enc_bytes32(e, buf);
        break;
    }
    case T_STRING: rc = abi_enc_string(e, s, strlen(s)); break;
    case T_BYTES: {
        size_t len = strlen(s);
        uint8_t *dec = malloc(len / 2 + 1);
        long n = dec ? hex_decode(s, len, dec, len / 2 + 1) : -1;
        if (n < 0) {
            free(dec);
            goto bad;
        }
        rc = abi_enc_bytes(e, dec, (size_t)n);
        free(dec);
        break;
    }
    case T_TUPLE: errf(err, "tuple arguments are not supported"); return -1;
    }
    if (rc != 0) errf(err, "out of memory");
    return rc;
bad : {
    char name[64] = "";
    type_canon(t, name, sizeof name);
    errf(err, "cannot encode '%.100s' as %s", s, name);
    return -1;
}
}

/* "name(types)" + argument texts → selector || encoded arguments (*out malloc'd). */
static int encode_call(const char *sig, char **args, int nargs, uint8_t **out, size_t *outlen,
                       char *err) {
    const char *lp = strchr(sig, '(');
    size_t sl = strlen(sig);
    if (!lp || lp == sig || sl < 2 || sig[sl - 1] != ')') {
        errf(err, "bad function signature '%.100s' (want name(type,...))", sig);
        return -1;
    }
    char types[512];
    size_t tl = sl - (size_t)(lp - sig) - 2;
    if (tl >= sizeof types) {
        errf(err, "signature too long");
        return -1;
    }
    memcpy(types, lp + 1, tl);
    types[tl] = 0;
    abi_type *t = parse_types(types, err);
    if (!t) return -1;
    int rc = -1;
    abi_enc e;
    abi_enc_init(&e);
    /* parse_types unwraps a lone tuple; the signature's list is always the argument list. */
    if (types[0] == '(') {
        errf(err, "tuple arguments are not supported");
        goto out;
    }
    if (nargs != t->nkids) {
        errf(err, "%.100s takes %d arguments, %d given", sig, t->nkids, nargs);
        goto out;
    }
    for (int i = 0; i < nargs; i++)
        if (encode_arg(&e, t->kids[i], args[i], err) != 0) goto out;
    char canon[600];
    snprintf(canon, sizeof canon, "%.*s", (int)(lp - sig), sig);
    type_canon(t, canon, sizeof canon); /* appends "(…)" */
    uint8_t sel[4];
    abi_selector(canon, sel);
    if (abi_enc_finish(&e, sel, out, outlen) != 0) {
        errf(err, "out of memory");
        goto out;
    }
    rc = 0;
out:
    abi_enc_free(&e);
    type_free(t);
    return rc;
}

/* ---- ABI: decoding (evm/abi.h) ----------------------------------------------------------- */

/* Print a string value: as-is when printable, control bytes and backslashes escaped; quoted
 * when asked and it holds a space, quote or '=' (so key=value lines stay parseable). */
static void put_text(FILE *f, const uint8_t *p, size_t n, bool quote_spaces) {
    bool q = false;
    if (quote_spaces)
        for (size_t i = 0; i < n; i++)
            if (p[i] == ' ' || p[i] == '"' || p[i] == '=') q = true;
    if (q) fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\\' || (q && p[i] == '"')) fprintf(f, "\\%c", p[i]);
        else if (p[i] < 0x20 || p[i] == 0x7f) fprintf(f, "\\x%02x", p[i]);
        else fputc(p[i], f);
    }
    if (q) fputc('"', f);
}

/* One decoded leaf: address = 20 bytes, bool = 1 byte, uint/int = 32-byte word, bytesN =
 * N bytes, bytes/string = the payload. */
static void leaf_text(const abi_type *t, const uint8_t *p, size_t n, FILE *f, bool quote) {
    char buf[U256_DEC_LEN + 2];
    u256 v;
    switch (t->kind) {
    case T_ADDRESS: {
        char a[ADDRESS_STR_LEN];
        fputs(address_format(p, a), f);
        break;
    }
    case T_BOOL: fputs(p[0] ? "true" : "false", f); break;
    case T_UINT:
        u256_from_be32(&v, p);
        fputs(u256_format_dec(&v, buf), f);
        break;
    case T_INT:
        if (p[0] & 0x80) {
            uint8_t m[32];
            for (int i = 0; i < 32; i++) m[i] = (uint8_t)~p[i];
            for (int i = 31; i >= 0; i--)
                if (++m[i] != 0) break;
            u256_from_be32(&v, m);
            fputc('-', f);
        } else {
            u256_from_be32(&v, p);
        }
        fputs(u256_format_dec(&v, buf), f);
        break;
    case T_BYTESN:
    case T_BYTES:
        fputs("0x", f);
        for (size_t i = 0; i < n; i++) fprintf(f, "%02x", p[i]);
        break;
    case T_STRING: put_text(f, p, n, quote); break;
    }
}

typedef struct {
    FILE *f;
    bool kv;   /* key=value mode: quote strings, no newline */
} leaf_out;

static void leaf_emit(leaf_out *o, const abi_type *t, const uint8_t *p, size_t n) {
    leaf_text(t, p, n, o->f, o->kv);
    if (!o->kv) fputc('\n', o->f);
}

/* Decode the next value of type t at cursor d and print its leaves. */
static int decode_value(abi_dec *d, const abi_type *t, leaf_out *o) {
    uint8_t buf[32];
    u256 v;
    switch (t->kind) {
    case T_TUPLE: {
        abi_dec child, *c = d;
        if (type_dynamic(t)) { /* a dynamic tuple sits behind an offset */
            if (abi_dec_tuple(d, &child) != 0) return -1;
            c = &child;
        } /* a static tuple is inline: its members are the next head slots */
        for (int i = 0; i < t->nkids; i++)
            if (decode_value(c, t->kids[i], o) != 0) return -1;
        return 0;
    }
    case T_STRING: {
        char *s = NULL;
        size_t n = 0;
        if (abi_dec_string(d, &s, &n) != 0) return -1;
        leaf_emit(o, t, (const uint8_t *)s, n);
        free(s);
        return 0;
    }
    case T_BYTES: {
        const uint8_t *p;
        size_t n;
        if (abi_dec_bytes(d, &p, &n) != 0) return -1;
        leaf_emit(o, t, p, n);
        return 0;
    }
    case T_ADDRESS:
        if (abi_dec_address(d, buf) != 0) return -1;
        leaf_emit(o, t, buf, 20);
        return 0;
    case T_BOOL: {
        int b;
        if (abi_dec_bool(d, &b) != 0) return -1;
        buf[0] = (uint8_t)b;
        leaf_emit(o, t, buf, 1);
        return 0;
    }
    case T_UINT:
        if (abi_dec_uint(d, (unsigned)t->size, &v) != 0) return -1;
        u256_to_be32(&v, buf);
        leaf_emit(o, t, buf, 32);
        return 0;
    case T_INT: /* the word as is; leaf_text reads the sign */
        if (abi_dec_bytes32(d, buf) != 0) return -1;
        leaf_emit(o, t, buf, 32);
        return 0;
    case T_BYTESN:
        if (abi_dec_fixed_bytes(d, buf, (size_t)t->size) != 0) return -1;
        leaf_emit(o, t, buf, (size_t)t->size);
        return 0;
    }
    return -1;
}

/* Decode all of p[0..len) as the tuple t, printing into a memory buffer first so malformed
 * data prints nothing rather than half the values. *text is malloc'd. */
static int decode_all(const abi_type *t, const uint8_t *p, size_t len, bool kv, char **text) {
    size_t tl = 0;
    *text = NULL;
    leaf_out o = {open_memstream(text, &tl), kv};
    if (!o.f) return -1;
    abi_dec d;
    abi_dec_init(&d, p, len);
    int rc = 0;
    for (int i = 0; i < t->nkids && rc == 0; i++) {
        if (kv && i) fputc(' ', o.f);
        rc = decode_value(&d, t->kids[i], &o);
    }
    fclose(o.f);
    if (rc != 0) {
        free(*text);
        *text = NULL;
    }
    return rc;
}

/* Revert data → a readable reason: Error(string), Panic(uint256) or a known custom error. */
static void revert_reason(const uint8_t *d, size_t n, char *out, size_t cap) {
    static const struct {
        const char *sig, *args;
    } known[] = {
        {"Error(string)", "string"},
        {"Panic(uint256)", "uint256"},
        {"OwnableUnauthorizedAccount(address)", "address"},
        {"OwnableInvalidOwner(address)", "address"},
        {"ReentrancyGuardReentrantCall()", ""},
    };
    snprintf(out, cap, "no reason given");
    if (n < 4) return;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        uint8_t sel[4];
        abi_selector(known[i].sig, sel);
        if (memcmp(sel, d, 4) != 0) continue;
        char err[ERRLEN], *text = NULL;
        abi_type *t = parse_types(known[i].args, err);
        if (t && decode_all(t, d + 4, n - 4, false, &text) == 0) {
            size_t l = strlen(text);
            while (l && text[l - 1] == '\n') text[--l] = 0;
            if (i == 0) snprintf(out, cap, "%s", text); /* Error(string): just the message */
            else snprintf(out, cap, "%.*s%s%s", (int)(strchr(known[i].sig, '(') - known[i].sig),
                          known[i].sig, l ? " " : "", text);
        }
        free(text);
        type_free(t);
        return;
    }
    char hex[2 * 36 + 3];
    hex_encode(d, n < 36 ? n : 36, hex);
    snprintf(out, cap, "revert data %s%s", hex, n > 36 ? "..." : "");
}

/* ---- transactions ------------------------------------------------------------------------ */

typedef struct {
    const char *rpc, *key, *to, *value, *nonce, *gas;
    bool legacy, no_wait;
    long timeout_ms;
} send_opts;

/* Wait for the receipt of hash; 0 with r filled, -1 on timeout or error. */
static int wait_receipt(rpc_client *c, const uint8_t hash[32], long timeout_ms, rpc_receipt *r,
                        char *err) {
    long waited = 0, step = 50;
    for (;;) {
        rpc_error e;
        memset(r, 0, sizeof *r);
        if (rpc_get_receipt(c, hash, r, &e) != 0) {
            rpc_errf(err, "eth_getTransactionReceipt", &e);
            return -1;
        }
        if (r->found) return 0;
        rpc_receipt_free(r);
        if (waited >= timeout_ms) {
            errf(err, "no receipt after %ld ms", timeout_ms);
            return -1;
        }
        sleep_ms(step);
        waited += step;
        if (step < 500) step *= 2;
    }
}

/* Build, sign, send (and, unless no_wait, wait for) a transaction. to == NULL creates a
 * contract. On success prints nothing; fills hash, *nonce_used and the receipt. */
static int send_tx(const send_opts *o, const uint8_t *to, const uint8_t *data, size_t dlen,
                   uint8_t hash[32], uint64_t *nonce_used, uint8_t from[20], rpc_receipt *rcpt,
                   char *err) {
    uint8_t priv[32];
    int rc = -1;
    rpc_client *c = NULL;
    rpc_error e;
    char *raw_hex = NULL;
    rlp_buf raw;
    rlp_buf_init(&raw);
    memset(rcpt, 0, sizeof *rcpt);

    if (load_key(o->key, priv, err) != 0) return -1;
    if (secp_priv_address(priv, from) != 0) {
        errf(err, "invalid private key");
        goto out;
    }
    if (!(c = open_rpc(o->rpc, err))) goto out;

    u256 value = u256_from_u64(0);
    if (o->value && u256_parse(o->value, strlen(o->value), &value) != 0) {
        errf(err, "bad --value '%s' (wei, decimal or 0x hex)", o->value);
        goto out;
    }
    uint64_t chain_id;
    if (rpc_chain_id(c, &chain_id, &e) != 0) {
        rpc_errf(err, "eth_chainId", &e);
        goto out;
    }
    uint64_t nonce;
    if (o->nonce) {
        if (parse_u64(o->nonce, &nonce) != 0) {
            errf(err, "bad --nonce '%s'", o->nonce);
            goto out;
        }
    } else if (rpc_get_transaction_count(c, from, true, &nonce, &e) != 0) {
        rpc_errf(err, "eth_getTransactionCount", &e);
        goto out;
    }

    rpc_block_header head;
    bool found = false;
    if (rpc_get_block_header(c, RPC_BLOCK_LATEST, &head, &found, &e) != 0 || !found) {
        if (found) rpc_errf(err, "eth_getBlockByNumber", &e);
        else errf(err, "eth_getBlockByNumber: no latest block");
        goto out;
    }

    tx t;
    bool eip1559 = head.has_base_fee && !o->legacy;
    tx_init(&t, eip1559 ? TX_EIP1559 : TX_LEGACY, chain_id);
    t.nonce = nonce;
    t.value = value;
    t.data = data;
    t.data_len = dlen;
    if (to) {
        t.has_to = 1;
        memcpy(t.to, to, 20);
    }
    uint8_t w[32];
    if (eip1559) {
        /* max fee = 2 × base fee + tip: stays valid through several full blocks. */
        u256 base, tip, fee;
        u256_from_be32(&base, head.base_fee);
        if (rpc_max_priority_fee(c, w, &e) == 0) u256_from_be32(&tip, w);
        else tip = u256_from_u64(1000000000); /* 1 gwei when the node has no opinion */
        if (u256_mul_u64(&fee, &base, 2) != 0 || u256_add(&fee, &fee, &tip) != 0) {
            errf(err, "fee overflow");
            goto out;
        }
        t.max_priority_fee = tip;
        t.max_fee = fee;
    } else {
        if (rpc_gas_price(c, w, &e) != 0) {
            rpc_errf(err, "eth_gasPrice", &e);
            goto out;
        }
        u256_from_be32(&t.gas_price, w);
    }

    if (o->gas) {
        if (parse_u64(o->gas, &t.gas_limit) != 0 || t.gas_limit < 21000) {
            errf(err, "bad --gas '%s'", o->gas);
            goto out;
        }
    } else {
        /* eth_estimateGas by hand: rpc_estimate_gas needs a "to", a creation has none. */
        char fromh[ADDRESS_STR_LEN], toh[ADDRESS_STR_LEN], valh[U256_HEX_LEN];
        char *datah = malloc(2 * dlen + 3);
        char *params = malloc(2 * dlen + 256);
        if (!datah || !params) {
            free(datah);
            free(params);
            errf(err, "out of memory");
            goto out;
        }
        hex_encode(data, dlen, datah);
        snprintf(params, 2 * dlen + 256, "[{\"from\":\"%s\"%s%s%s,\"value\":\"%s\",\"data\":\"%s\"}]",
                 address_format_lower(from, fromh), to ? ",\"to\":\"" : "",
                 to ? address_format_lower(to, toh) : "", to ? "\"" : "",
                 u256_format_hex(&value, valh), datah);
        free(datah);
        cJSON *res = NULL;
        int erc = rpc_call(c, "eth_estimateGas", params, &res, &e);
        free(params);
        uint64_t est = 0;
        if (erc != 0) {
            if (e.kind == RPC_REVERT) {
                char why[300];
                revert_reason(e.revert_data, e.revert_len, why, sizeof why);
                errf(err, "transaction would revert: %s", why);
            } else {
                rpc_errf(err, "eth_estimateGas", &e);
            }
            goto out;
        }
        int prc = rpc_parse_u64(res, &est);
        cJSON_Delete(res);
        if (prc != 0) {
            errf(err, "eth_estimateGas: malformed result");
            goto out;
        }
        /* 25% + 10k margin: estimates are exact on anvil but not on every node. */
        t.gas_limit = est + est / 4 + 10000;
    }

    if (tx_sign(&t, priv) != 0 || tx_encode(&t, &raw) != 0 || raw.failed || tx_hash(&t, hash) != 0) {
        errf(err, "signing the transaction failed");
        goto out;
    }
    uint8_t sent[32];
    if (rpc_send_raw_transaction(c, raw.p, raw.len, sent, &e) != 0) {
        rpc_errf(err, "eth_sendRawTransaction", &e);
        goto out;
    }
    if (memcmp(sent, hash, 32) != 0) {
        errf(err, "node returned a different transaction hash than ours");
        goto out;
    }
    *nonce_used = nonce;
    if (!o->no_wait && wait_receipt(c, hash, o->timeout_ms, rcpt, err) != 0) goto out;
    rc = 0;
out:
    memset(priv, 0, sizeof priv);
    free(raw_hex);
    rlp_buf_free(&raw);
    rpc_client_free(c);
    return rc;
}

/* ---- option parsing ---------------------------------------------------------------------- */

typedef struct {
    const char *name;
    const char **val; /* NULL for a flag */
    bool *flag;
} opt;

/* Split argv into options (from table) and positionals (kept in order in pos). */
static int parse_opts(int argc, char **argv, const opt *opts, char **pos, int *npos, char *err) {
    *npos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || strcmp(a, "--") == 0) {
            if (strcmp(a, "--") == 0) {
                while (++i < argc) pos[(*npos)++] = argv[i];
                break;
            }
            pos[(*npos)++] = argv[i];
            continue;
        }
        const opt *o = NULL;
        for (const opt *p = opts; p->name; p++)
            if (strcmp(p->name, a + 2) == 0) o = p;
        if (!o) {
            errf(err, "unknown option %s", a);
            return -1;
        }
        if (o->flag) {
            *o->flag = true;
        } else {
            if (i + 1 >= argc) {
                errf(err, "option %s needs a value", a);
                return -1;
            }
            *o->val = argv[++i];
        }
    }
    return 0;
}

/* ---- commands ---------------------------------------------------------------------------- */

static int cmd_address(int argc, char **argv, char *err) {
    if (argc != 1) {
        errf(err, "usage: lamdadev address KEY");
        return 2;
    }
    uint8_t priv[32], addr[20];
    char a[ADDRESS_STR_LEN];
    if (load_key(argv[0], priv, err) != 0) return 1;
    int rc = secp_priv_address(priv, addr);
    memset(priv, 0, sizeof priv);
    if (rc != 0) {
        errf(err, "invalid private key");
        return 1;
    }
    printf("%s\n", address_format(addr, a));
    return 0;
}

static int cmd_deploy(int argc, char **argv, char *err) {
    send_opts so = {.timeout_ms = 60000};
    const char *artifact = NULL;
    opt opts[] = {{"rpc", &so.rpc, NULL}, {"key", &so.key, NULL}, {"artifact", &artifact, NULL},
                  {"nonce", &so.nonce, NULL}, {"gas", &so.gas, NULL}, {"legacy", NULL, &so.legacy},
                  {NULL, NULL, NULL}};
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos, rc = 1;
    char *text = NULL;
    cJSON *j = NULL;
    uint8_t *code = NULL;
    rpc_receipt r = {0};
    if (!pos) {
        errf(err, "out of memory");
        return 1;
    }
    if (parse_opts(argc, argv, opts, pos, &npos, err) != 0 || npos != 0 || !artifact) {
        if (!err[0]) errf(err, "usage: lamdadev deploy --rpc URL --key KEY --artifact FILE");
        rc = 2;
        goto out;
    }
    FILE *f = fopen(artifact, "r");
    if (!f) {
        errf(err, "cannot open %s: %s", artifact, strerror(errno));
        goto out;
    }
    size_t cap = 0, len = 0;
    FILE *m = open_memstream(&text, &cap);
    char buf[8192];
    size_t n;
    while (m && (n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, m);
    fclose(f);
    if (!m) {
        errf(err, "out of memory");
        goto out;
    }
    fclose(m);
    len = cap;
    j = cJSON_ParseWithLength(text, len);
    const cJSON *bc = j ? cJSON_GetObjectItemCaseSensitive(j, "bytecode") : NULL;
    if (!cJSON_IsString(bc)) {
        errf(err, "%s: not an artifact with a \"bytecode\" string", artifact);
        goto out;
    }
    size_t hl = strlen(bc->valuestring);
    code = malloc(hl / 2 + 1);
    long clen = code ? hex_decode(bc->valuestring, hl, code, hl / 2 + 1) : -1;
    if (clen <= 0) {
        errf(err, "%s: bytecode is empty or not hex", artifact);
        goto out;
    }
    uint8_t hash[32], from[20];
    uint64_t nonce;
    if (send_tx(&so, NULL, code, (size_t)clen, hash, &nonce, from, &r, err) != 0) goto out;
    char hh[67], ah[ADDRESS_STR_LEN];
    hex_encode(hash, 32, hh);
    if (r.status != 1) {
        errf(err, "deployment reverted: tx=%s block=%llu", hh, (unsigned long long)r.block_number);
        goto out;
    }
    /* The contract address is keccak256(rlp([sender, nonce]))[12:]. */
    rlp_buf b;
    rlp_buf_init(&b);
    size_t mark = rlp_list_begin(&b);
    rlp_put_bytes(&b, from, 20);
    rlp_put_u64(&b, nonce);
    if (rlp_list_end(&b, mark) != 0 || b.failed) {
        rlp_buf_free(&b);
        errf(err, "out of memory");
        goto out;
    }
    uint8_t h[32];
    keccak256(b.p, b.len, h);
    rlp_buf_free(&b);
    printf("address=%s block=%llu tx=%s\n", address_format(h + 12, ah),
           (unsigned long long)r.block_number, hh);
    rc = 0;
out:
    rpc_receipt_free(&r);
    free(code);
    cJSON_Delete(j);
    free(text);
    free(pos);
    return rc;
}

static int cmd_send(int argc, char **argv, char *err) {
    send_opts so = {.timeout_ms = 60000};
    const char *to_s = NULL, *timeout = NULL;
    opt opts[] = {{"rpc", &so.rpc, NULL},       {"key", &so.key, NULL},
                  {"to", &to_s, NULL},          {"value", &so.value, NULL},
                  {"nonce", &so.nonce, NULL},   {"gas", &so.gas, NULL},
                  {"timeout", &timeout, NULL},  {"legacy", NULL, &so.legacy},
                  {"no-wait", NULL, &so.no_wait}, {NULL, NULL, NULL}};
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos, rc = 1;
    uint8_t *data = NULL;
    size_t dlen = 0;
    rpc_receipt r = {0};
    uint8_t to[20];
    if (!pos) {
        errf(err, "out of memory");
        return 1;
    }
    if (parse_opts(argc, argv, opts, pos, &npos, err) != 0 || npos < 1 || !to_s) {
        if (!err[0]) errf(err, "usage: lamdadev send --rpc URL --key KEY --to ADDR SIGNATURE [ARGS...]");
        rc = 2;
        goto out;
    }
    if (parse_addr(to_s, to) != 0) {
        errf(err, "bad --to address '%s'", to_s);
        goto out;
    }
    uint64_t tmo;
    if (timeout) {
        if (parse_u64(timeout, &tmo) != 0 || tmo == 0 || tmo > 86400) {
            errf(err, "bad --timeout (seconds)");
            goto out;
        }
        so.timeout_ms = (long)tmo * 1000;
    }
    if (encode_call(pos[0], pos + 1, npos - 1, &data, &dlen, err) != 0) goto out;
    uint8_t hash[32], from[20];
    uint64_t nonce;
    if (send_tx(&so, to, data, dlen, hash, &nonce, from, &r, err) != 0) goto out;
    char hh[67];
    hex_encode(hash, 32, hh);
    if (so.no_wait) {
        printf("tx=%s nonce=%llu\n", hh, (unsigned long long)nonce);
        rc = 0;
        goto out;
    }
    printf("tx=%s block=%llu status=%llu\n", hh, (unsigned long long)r.block_number,
           (unsigned long long)r.status);
    if (r.status != 1) {
        errf(err, "transaction reverted");
        goto out;
    }
    rc = 0;
out:
    rpc_receipt_free(&r);
    free(data);
    free(pos);
    return rc;
}

static int cmd_call(int argc, char **argv, char *err) {
    const char *rpc = NULL, *to_s = NULL, *from_s = NULL, *returns = NULL;
    opt opts[] = {{"rpc", &rpc, NULL},   {"to", &to_s, NULL},         {"from", &from_s, NULL},
                  {"returns", &returns, NULL}, {NULL, NULL, NULL}};
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos, rc = 1;
    uint8_t *data = NULL;
    size_t dlen = 0;
    rpc_client *c = NULL;
    abi_type *rt = NULL;
    uint8_t *out = NULL;
    size_t outlen = 0;
    uint8_t to[20], from[20];
    if (!pos) {
        errf(err, "out of memory");
        return 1;
    }
    if (parse_opts(argc, argv, opts, pos, &npos, err) != 0 || npos < 1 || !to_s) {
        if (!err[0]) errf(err, "usage: lamdadev call --rpc URL --to ADDR SIGNATURE [ARGS...] [--returns TYPES]");
        rc = 2;
        goto out;
    }
    if (parse_addr(to_s, to) != 0 || (from_s && parse_addr(from_s, from) != 0)) {
        errf(err, "bad address in --to/--from");
        goto out;
    }
    if (returns && !(rt = parse_types(returns, err))) goto out;
    if (encode_call(pos[0], pos + 1, npos - 1, &data, &dlen, err) != 0) goto out;
    if (!(c = open_rpc(rpc, err))) goto out;
    rpc_error e;
    if (rpc_eth_call(c, from_s ? from : NULL, to, data, dlen, &out, &outlen, &e) != 0) {
        if (e.kind == RPC_REVERT) {
            char why[300];
            revert_reason(e.revert_data, e.revert_len, why, sizeof why);
            errf(err, "call reverted: %s", why);
        } else {
            rpc_errf(err, "eth_call", &e);
        }
        goto out;
    }
    if (!rt) {
        char *h = malloc(2 * outlen + 3);
        if (!h) {
            errf(err, "out of memory");
            goto out;
        }
        printf("%s\n", hex_encode(out, outlen, h));
        free(h);
        rc = 0;
        goto out;
    }
    if (outlen == 0 && rt->nkids > 0) {
        errf(err, "empty return data (no contract at %s?)", to_s);
        goto out;
    }
    char *text = NULL;
    if (decode_all(rt, out, outlen, false, &text) != 0) {
        errf(err, "return data (%zu bytes) does not decode as %s", outlen, returns);
        goto out;
    }
    fputs(text, stdout);
    free(text);
    rc = 0;
out:
    free(out);
    type_free(rt);
    rpc_client_free(c);
    free(data);
    free(pos);
    return rc;
}

/* The seven events of the two contracts. Indexed parameters come from topics 1..3; the rest
 * are ABI-encoded in data, in declaration order. */
typedef struct {
    const char *name, *sig;
    const uint8_t *topic; /* keccak256(sig), from evm/contracts.h */
    int nparams;
    struct {
        const char *name, *type;
        bool indexed;
    } p[4];
} event_def;

static const event_def EVENTS[] = {
    {"NodeRegistered", CONTRACT_SIG_NODE_REGISTERED, CONTRACT_TOPIC_NODE_REGISTERED, 3,
     {{"provider", "address", true}, {"gpuModel", "string", false}, {"vram", "uint256", false}}},
    {"NodeHeartbeat", CONTRACT_SIG_NODE_HEARTBEAT, CONTRACT_TOPIC_NODE_HEARTBEAT, 2,
     {{"provider", "address", true}, {"timestamp", "uint256", false}}},
    {"JobCountIncremented", CONTRACT_SIG_JOB_COUNT_INCREMENTED, CONTRACT_TOPIC_JOB_COUNT_INCREMENTED, 2,
     {{"provider", "address", true}, {"newCount", "uint256", false}}},
    {"OwnershipTransferred", CONTRACT_SIG_OWNERSHIP_TRANSFERRED, CONTRACT_TOPIC_OWNERSHIP_TRANSFERRED, 2,
     {{"previousOwner", "address", true}, {"newOwner", "address", true}}},
    {"JobCreated", CONTRACT_SIG_JOB_CREATED, CONTRACT_TOPIC_JOB_CREATED, 4,
     {{"jobId", "bytes32", true}, {"renter", "address", true}, {"provider", "address", true},
      {"payment", "uint256", false}}},
    {"JobConfirmed", CONTRACT_SIG_JOB_CONFIRMED, CONTRACT_TOPIC_JOB_CONFIRMED, 2,
     {{"jobId", "bytes32", true}, {"confirmedAt", "uint256", false}}},
    {"PaymentClaimed", CONTRACT_SIG_PAYMENT_CLAIMED, CONTRACT_TOPIC_PAYMENT_CLAIMED, 3,
     {{"jobId", "bytes32", true}, {"provider", "address", true}, {"amount", "uint256", false}}},
};
#define NEVENTS (sizeof EVENTS / sizeof EVENTS[0])

/* One log as "Name block=N k=v ... tx=0x.. index=N\n" into *line (malloc'd). -1 if the log
 * does not have the event's shape (topic count, data layout). */
static int format_log(const rpc_log *l, const event_def *ev, char **line, char *err) {
    size_t tl = 0;
    *line = NULL;
    leaf_out o = {open_memstream(line, &tl), true};
    if (!o.f) {
        errf(err, "out of memory");
        return -1;
    }
    int rc = 0, topic = 1, nindexed = 0;
    for (int i = 0; i < ev->nparams; i++) nindexed += ev->p[i].indexed;
    if (l->ntopics != 1 + nindexed) rc = -1;
    abi_dec d;
    abi_dec_init(&d, l->data, l->data_len);
    fprintf(o.f, "%s block=%llu", ev->name, (unsigned long long)l->block_number);
    for (int i = 0; i < ev->nparams && rc == 0; i++) {
        abi_type *t = parse_types(ev->p[i].type, err);
        if (!t) {
            rc = -1;
            break;
        }
        fprintf(o.f, " %s=", ev->p[i].name);
        if (ev->p[i].indexed) {
            /* Indexed value types are their ABI word, stored as the topic. */
            const uint8_t *w = l->topics[topic++];
            uint8_t a[20];
            if (t->kids[0]->kind == T_ADDRESS) {
                rc = abi_topic_address(w, a);
                if (rc == 0) leaf_emit(&o, t->kids[0], a, 20);
            } else {
                leaf_emit(&o, t->kids[0], w, 32);
            }
        } else {
            rc = decode_value(&d, t->kids[0], &o);
        }
        type_free(t);
    }
    char hh[67];
    fprintf(o.f, " tx=%s index=%llu%s\n", hex_encode(l->tx_hash, 32, hh),
            (unsigned long long)l->log_index, l->removed ? " removed=true" : "");
    fclose(o.f);
    if (rc != 0) {
        errf(err, "%s log at block %llu index %llu is malformed", ev->name,
             (unsigned long long)l->block_number, (unsigned long long)l->log_index);
        free(*line);
        *line = NULL;
    }
    return rc;
}

static int cmd_logs(int argc, char **argv, char *err) {
    const char *rpc = NULL, *addr_s = NULL, *from_s = NULL, *to_s = NULL, *count = NULL;
    opt opts[] = {{"rpc", &rpc, NULL},   {"address", &addr_s, NULL}, {"from", &from_s, NULL},
                  {"to", &to_s, NULL},   {"count", &count, NULL},     {NULL, NULL, NULL}};
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos, rc = 1;
    rpc_client *c = NULL;
    uint8_t addr[1][20];
    if (!pos) {
        errf(err, "out of memory");
        return 1;
    }
    if (parse_opts(argc, argv, opts, pos, &npos, err) != 0 || npos != 0 || !addr_s) {
        if (!err[0]) errf(err, "usage: lamdadev logs --rpc URL --address ADDR [--from N] [--to N] [--count EVENT]");
        rc = 2;
        goto out;
    }
    if (parse_addr(addr_s, addr[0]) != 0) {
        errf(err, "bad --address '%s'", addr_s);
        goto out;
    }
    const event_def *want = NULL;
    if (count) {
        for (size_t i = 0; i < NEVENTS; i++)
            if (strcmp(EVENTS[i].name, count) == 0) want = &EVENTS[i];
        if (!want) {
            errf(err, "unknown event '%s'", count);
            goto out;
        }
    }

    if (!(c = open_rpc(rpc, err))) goto out;
    rpc_error e;
    uint64_t from = 0, to;
    if (from_s && parse_u64(from_s, &from) != 0) {
        errf(err, "bad --from block");
        goto out;
    }
    if (to_s) {
        if (parse_u64(to_s, &to) != 0) {
            errf(err, "bad --to block");
            goto out;
        }
    } else if (rpc_block_number(c, &to, &e) != 0) {
        rpc_errf(err, "eth_blockNumber", &e);
        goto out;
    }
    uint64_t matched = 0, span = 5000;
    for (uint64_t lo = from; lo <= to;) {
        uint64_t hi = to - lo < span ? to : lo + span - 1;
        rpc_log *logs = NULL;
        size_t n = 0;
        if (rpc_get_logs(c, lo, hi, addr, 1, NULL, 0, &logs, &n, &e) != 0) {
            if (e.kind == RPC_RANGE && span > 1) {
                span /= 2; /* the node caps ranges: ask for less */
                continue;
            }
            rpc_errf(err, "eth_getLogs", &e);
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            const rpc_log *l = &logs[i];
            const event_def *ev = NULL;
            for (size_t k = 0; k < NEVENTS && l->ntopics > 0; k++)
                if (memcmp(l->topics[0], EVENTS[k].topic, 32) == 0) ev = &EVENTS[k];
            if (want) {
                matched += ev == want;
                continue;
            }
            if (!ev) {
                char th[67];
                printf("Unknown block=%llu topic0=%s\n", (unsigned long long)l->block_number,
                       l->ntopics ? hex_encode(l->topics[0], 32, th) : "none");
                continue;
            }
            char *line = NULL;
            if (format_log(l, ev, &line, err) != 0) {
                rpc_logs_free(logs, n);
                goto out;
            }
            fputs(line, stdout);
            free(line);
        }
        rpc_logs_free(logs, n);
        if (hi == to) break;
        lo = hi + 1;
    }
    if (want) printf("%llu\n", (unsigned long long)matched);
    rc = 0;
out:
    rpc_client_free(c);
    free(pos);
    return rc;
}

static int cmd_sign_message(int argc, char **argv, char *err) {
    const char *key = NULL;
    opt opts[] = {{"key", &key, NULL}, {NULL, NULL, NULL}};
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos, rc = 1;
    if (!pos) {
        errf(err, "out of memory");
        return 1;
    }
    if (parse_opts(argc, argv, opts, pos, &npos, err) != 0 || npos != 1) {
        if (!err[0]) errf(err, "usage: lamdadev sign-message --key KEY MESSAGE");
        rc = 2;
        goto out;
    }
    uint8_t priv[32], sig[65];
    if (load_key(key, priv, err) != 0) goto out;
    int s = eip191_sign((const uint8_t *)pos[0], strlen(pos[0]), priv, sig);
    memset(priv, 0, sizeof priv);
    if (s != 0) {
        errf(err, "signing failed");
        goto out;
    }
    char h[2 * 65 + 3];
    printf("%s\n", hex_encode(sig, 65, h));
    rc = 0;
out:
    free(pos);
    return rc;
}

static int cmd_recover(int argc, char **argv, char *err) {
    if (argc != 2) {
        errf(err, "usage: lamdadev recover MESSAGE SIGNATURE");
        return 2;
    }
    uint8_t sig[65], addr[20];
    if (hex_decode_exact(argv[1], strlen(argv[1]), sig, 65) != 0) {
        errf(err, "signature must be 0x + 130 hex digits");
        return 1;
    }
    if (eip191_recover((const uint8_t *)argv[0], strlen(argv[0]), sig, addr) != 0) {
        errf(err, "signature does not recover to an address");
        return 1;
    }
    char a[ADDRESS_STR_LEN];
    printf("%s\n", address_format(addr, a));
    return 0;
}

/* Print the call data of SIGNATURE(ARGS) without sending anything. */
static int cmd_calldata(int argc, char **argv, char *err) {
    if (argc < 1) {
        errf(err, "usage: lamdadev calldata SIGNATURE [ARGS...]");
        return 2;
    }
    uint8_t *data = NULL;
    size_t dlen = 0;
    if (encode_call(argv[0], argv + 1, argc - 1, &data, &dlen, err) != 0) return 1;
    char *hex = malloc(dlen * 2 + 3);
    if (!hex) {
        free(data);
        errf(err, "out of memory");
        return 1;
    }
    hex_encode(data, dlen, hex);
    printf("%s\n", hex);
    free(hex);
    free(data);
    return 0;
}

int main(int argc, char **argv) {
    static const struct {
        const char *name;
        int (*fn)(int, char **, char *);
    } cmds[] = {{"address", cmd_address}, {"deploy", cmd_deploy},   {"send", cmd_send},
                {"call", cmd_call},       {"logs", cmd_logs},       {"sign-message", cmd_sign_message},
                {"recover", cmd_recover}, {"calldata", cmd_calldata}};
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(argv[1], cmds[i].name) != 0) continue;
        char err[ERRLEN] = "";
        int rc = cmds[i].fn(argc - 2, argv + 2, err);
        if (fflush(stdout) != 0) {
            fprintf(stderr, "lamdadev %s: cannot write output\n", argv[1]);
            return 1;
        }
        if (rc != 0) {
            fprintf(stderr, "lamdadev %s: %s\n", argv[1], err[0] ? err : "failed");
            if (rc == 2) fputs("run 'lamdadev help' for usage\n", stderr);
        }
        return rc;
    }
    fprintf(stderr, "lamdadev: unknown command '%s'\n\n%s", argv[1], USAGE);
    return 2;
}
