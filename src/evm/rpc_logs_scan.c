/* rpc_logs_scan — the eth_getLogs hot path: one forward pass over the response body that
 * validates the JSON-RPC envelope and fills rpc_log structs directly, without a cJSON tree.
 *
 * Contract: rpc_scan_logs_response accepts a body only when the cJSON path (rpc_parse_response
 * then rpc_parse_logs) would accept it and produce identical structs. Anything it is unsure
 * about — an "error" member, a second "result", a key with an escape or a NUL byte, an escape
 * inside a field we decode, a number outside strict JSON or longer than 63 characters, a \u
 * with non-hex digits, nesting deeper than SCAN_DEPTH, a UTF-8 BOM, any invalid field — makes
 * it decline, and the caller runs the cJSON path, which then gives the exact verdict and error
 * message. So the combined parser (rpc_parse_logs_response) has the cJSON path's acceptance
 * rules and errors by construction, and the differential unit test and fuzz target check the
 * "accept implies identical" half.
 *
 * cJSON behaviours mirrored here (cJSON 1.7.15, cJSON_ParseWithLengthOpts with
 * require_null_terminated = 0): every byte <= 0x20 is whitespace; bytes after the top-level
 * value are ignored; duplicate keys are all kept in the tree, and our walkers let the LAST
 * occurrence of a field win (each occurrence must still be valid), while two "result" members
 * are an error; string values are truncated at a NUL (a NUL makes our strict hex checks fail,
 * so we decline); strings may hold raw control bytes; escapes are \b \f \n \r \t \" \\ \/ and
 * \uXXXX (a high surrogate must be followed by a low one). */
#include <stdlib.h>
#include <string.h>

#include "evm/rpc_logs.h"

#define SCAN_DEPTH 64 /* deeper unknown values: decline (cJSON allows 1000) */

typedef struct {
    const char *p, *end;
} scan;

/* hex digit values, X (0xff) for non-digits; the decode loops OR two lookups and test once */
#define X 0xff
static const uint8_t hexv[256] = {
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, X, X, X, X, X, X,
    X, 10, 11, 12, 13, 14, 15, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, 10, 11, 12, 13, 14, 15, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
};
#undef X
static uint8_t hexval(unsigned char c) { return hexv[c]; }

static void ws(scan *s) {
    while (s->p < s->end && (unsigned char)*s->p <= 32) s->p++;
}

/* A string at s->p (which is '"'). On success str and len are the raw bytes between the quotes
 * and *esc tells whether they hold a backslash. Escapes are validated as cJSON decodes them.
 * Returns 0, or -1 to decline. */
static int string(scan *s, const char **str, size_t *len, bool *esc) {
    const char *b = s->p + 1;
    const char *q = memchr(b, '"', (size_t)(s->end - b));
    if (!q) return -1;
    const char *bs = memchr(b, '\\', (size_t)(q - b));
    *esc = bs != NULL;
    if (bs) {
        /* the end: a quote not escaped by a backslash (a backslash always skips one byte) */
        const char *e = b;
        while (e < s->end && *e != '"') {
            if (*e == '\\') {
                if (e + 1 >= s->end) return -1;
                e++;
            }
            e++;
        }
        if (e >= s->end) return -1;
        q = e;
        for (const char *i = bs; i < q;) {
            if (*i != '\\') {
                i++;
                continue;
            }
            switch (i[1]) {
            case 'b': case 'f': case 'n': case 'r': case 't': case '"': case '\\': case '/':
                i += 2;
                break;
            case 'u': {
                if (q - i < 6) return -1;
                unsigned u = 0;
                for (int k = 2; k < 6; k++) {
                    uint8_t d = hexval((unsigned char)i[k]);
                    if (d == 0xff) return -1;
                    u = u << 4 | d;
                }
                if (u >= 0xDC00 && u <= 0xDFFF) return -1;
                if (u >= 0xD800 && u <= 0xDBFF) {
                    const char *j = i + 6;
                    if (q - j < 6 || j[0] != '\\' || j[1] != 'u') return -1;
                    unsigned v = 0;
                    for (int k = 2; k < 6; k++) {
                        uint8_t d = hexval((unsigned char)j[k]);
                        if (d == 0xff) return -1;
                        v = v << 4 | d;
                    }
                    if (v < 0xDC00 || v > 0xDFFF) return -1;
                    i += 12;
                } else {
                    i += 6;
                }
                break;
            }
            default: return -1;
            }
        }
    }
    *str = b;
    *len = (size_t)(q - b);
    s->p = q + 1;
    return 0;
}

static bool numch(char c) {
    return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == 'e' || c == 'E' || c == '.';
}

/* A strict JSON number at s->p, at most 63 characters, not followed by a character cJSON
 * would take into the number. *integer: no fraction or exponent. */
static int number(scan *s, bool *integer) {
    const char *p = s->p, *e = s->end;
    if (p < e && *p == '-') p++;
    if (p >= e || *p < '0' || *p > '9') return -1;
    if (*p == '0') p++;
    else
        while (p < e && *p >= '0' && *p <= '9') p++;
    *integer = true;
    if (p < e && *p == '.') {
        p++;
        if (p >= e || *p < '0' || *p > '9') return -1;
        while (p < e && *p >= '0' && *p <= '9') p++;
        *integer = false;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-')) p++;
        if (p >= e || *p < '0' || *p > '9') return -1;
        while (p < e && *p >= '0' && *p <= '9') p++;
        *integer = false;
    }
    if (p - s->p > 63 || (p < e && numch(*p))) return -1;
    s->p = p;
    return 0;
}

static int literal(scan *s, const char *word, size_t n) {
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0) return -1;
    s->p += n;
    return 0;
}

/* Skip any value at s->p (whitespace already skipped). */
static int skip(scan *s, int depth) {
    if (s->p >= s->end) return -1;
    const char *str;
    size_t len;
    bool esc, integer;
    switch (*s->p) {
    case '"': return string(s, &str, &len, &esc);
    case 'n': return literal(s, "null", 4);
    case 't': return literal(s, "true", 4);
    case 'f': return literal(s, "false", 5);
    case '[':
    case '{': {
        char close = *s->p == '[' ? ']' : '}';
        bool obj = close == '}';
        if (depth >= SCAN_DEPTH) return -1;
        s->p++;
        ws(s);
        if (s->p < s->end && *s->p == close) {
            s->p++;
            return 0;
        }
        for (;;) {
            ws(s);
            if (obj) {
                if (s->p >= s->end || *s->p != '"' || string(s, &str, &len, &esc) != 0) return -1;
                ws(s);
                if (s->p >= s->end || *s->p != ':') return -1;
                s->p++;
                ws(s);
            }
            if (skip(s, depth + 1) != 0) return -1;
            ws(s);
            if (s->p >= s->end) return -1;
            if (*s->p == ',') {
                s->p++;
                continue;
            }
            if (*s->p != close) return -1;
            s->p++;
            return 0;
        }
    }
    default:
        if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) return number(s, &integer);
        return -1;
    }
}

/* A key: a plain string (no escape, no NUL byte), then ':' and whitespace. */
static int key(scan *s, const char **k, size_t *klen) {
    bool esc;
    if (s->p >= s->end || *s->p != '"' || string(s, k, klen, &esc) != 0 || esc) return -1;
    if (memchr(*k, 0, *klen)) return -1;
    ws(s);
    if (s->p >= s->end || *s->p != ':') return -1;
    s->p++;
    ws(s);
    return 0;
}

static bool keyis(const char *k, size_t n, const char *lit, size_t litn) {
    return n == litn && memcmp(k, lit, n) == 0;
}
#define KEYIS(k, n, lit) keyis(k, n, lit, sizeof lit - 1)

/* A string value we decode: plain (no escape). */
static int plain_string(scan *s, const char **v, size_t *n) {
    bool esc;
    if (s->p >= s->end || *s->p != '"' || string(s, v, n, &esc) != 0 || esc) return -1;
    return 0;
}

static int hex_into(const char *h, size_t ndigits, uint8_t *out) {
    for (size_t i = 0; i < ndigits / 2; i++) {
        uint8_t a = hexval((unsigned char)h[2 * i]), b = hexval((unsigned char)h[2 * i + 1]);
        if ((a | b) == 0xff) return -1;
        out[i] = (uint8_t)(a << 4 | b);
    }
    return 0;
}

static bool prefixed(const char *v, size_t n) { return n >= 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X'); }

/* rpc_parse_fixed on a plain string value */
static int fixed(scan *s, uint8_t *out, size_t nbytes) {
    const char *v;
    size_t n;
    if (plain_string(s, &v, &n) != 0 || n != 2 + 2 * nbytes || !prefixed(v, n)) return -1;
    return hex_into(v + 2, 2 * nbytes, out);
}

/* rpc_parse_u64 on a plain string value */
static int u64(scan *s, uint64_t *out) {
    const char *v;
    size_t n;
    if (plain_string(s, &v, &n) != 0 || !prefixed(v, n)) return -1;
    v += 2;
    n -= 2;
    if (n == 0 || n > 64) return -1;
    uint64_t x = 0;
    size_t sig = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t d = hexval((unsigned char)v[i]);
        if (d == 0xff) return -1;
        if (sig || d) sig++;
        x = x << 4 | d;
    }
    if (sig > 16) return -1;
    *out = x;
    return 0;
}

/* parse_bytes (rpc_methods.c) on a plain string value; replaces l->data */
static int data_field(scan *s, rpc_log *l) {
    const char *v;
    size_t n;
    if (plain_string(s, &v, &n) != 0 || !prefixed(v, n) || n % 2) return -1;
    free(l->data);
    l->data = NULL;
    l->data_len = 0;
    size_t nb = (n - 2) / 2;
    if (nb == 0) return 0;
    uint8_t *p = malloc(nb);
    if (!p) return -1;
    if (hex_into(v + 2, n - 2, p) != 0) {
        free(p);
        return -1;
    }
    l->data = p;
    l->data_len = nb;
    return 0;
}

enum {
    F_ADDR = 1 << 0, F_TOPICS = 1 << 1, F_DATA = 1 << 2, F_BN = 1 << 3, F_BH = 1 << 4,
    F_TH = 1 << 5, F_TI = 1 << 6, F_LI = 1 << 7, F_ALL = (1 << 8) - 1
};

/* One log object at s->p (a '{'), as parse_log (rpc_methods.c) reads it. */
static int log_object(scan *s, rpc_log *l) {
    if (s->p >= s->end || *s->p != '{') return -1;
    s->p++;
    ws(s);
    unsigned seen = 0;
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return -1; /* no fields */
    }
    for (;;) {
        ws(s);
        const char *k;
        size_t kn;
        if (key(s, &k, &kn) != 0) return -1;
        int rc = 0;
        if (KEYIS(k, kn, "address")) {
            rc = fixed(s, l->address, 20), seen |= F_ADDR;
        } else if (KEYIS(k, kn, "topics")) {
            if (s->p >= s->end || *s->p != '[') return -1;
            s->p++;
            ws(s);
            unsigned nt = 0;
            if (s->p < s->end && *s->p == ']') {
                s->p++;
            } else {
                for (;;) {
                    ws(s);
                    if (nt == 4 || fixed(s, l->topics[nt], 32) != 0) return -1;
                    nt++;
                    ws(s);
                    if (s->p >= s->end) return -1;
                    if (*s->p == ',') {
                        s->p++;
                        continue;
                    }
                    if (*s->p != ']') return -1;
                    s->p++;
                    break;
                }
            }
            l->ntopics = (uint8_t)nt;
            seen |= F_TOPICS;
        } else if (KEYIS(k, kn, "data")) {
            rc = data_field(s, l), seen |= F_DATA;
        } else if (KEYIS(k, kn, "blockNumber")) {
            rc = u64(s, &l->block_number), seen |= F_BN;
        } else if (KEYIS(k, kn, "blockHash")) {
            rc = fixed(s, l->block_hash, 32), seen |= F_BH;
        } else if (KEYIS(k, kn, "transactionHash")) {
            rc = fixed(s, l->tx_hash, 32), seen |= F_TH;
        } else if (KEYIS(k, kn, "transactionIndex")) {
            rc = u64(s, &l->tx_index), seen |= F_TI;
        } else if (KEYIS(k, kn, "logIndex")) {
            rc = u64(s, &l->log_index), seen |= F_LI;
        } else if (KEYIS(k, kn, "blockTimestamp")) {
            if (literal(s, "null", 4) != 0) {
                rc = u64(s, &l->block_time);
                if (rc == 0) l->has_block_time = true;
            }
        } else if (KEYIS(k, kn, "removed")) {
            if (literal(s, "true", 4) == 0) l->removed = true;
            else if (literal(s, "false", 5) == 0) l->removed = false;
            else rc = -1;
        } else {
            rc = skip(s, 3);
        }
        if (rc != 0) return -1;
        ws(s);
        if (s->p >= s->end) return -1;
        if (*s->p == ',') {
            s->p++;
            continue;
        }
        if (*s->p != '}') return -1;
        s->p++;
        return seen == F_ALL ? 0 : -1;
    }
}

/* The "result" array of logs. */
static int log_array(scan *s, size_t body_len, rpc_log **out, size_t *n) {
    if (s->p >= s->end || *s->p != '[') return -1;
    s->p++;
    ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return 0;
    }
    /* a log is ~500+ bytes of JSON; the first guess is capped, then the array doubles */
    size_t cap = body_len / 512 + 4, cnt = 0;
    if (cap > 65536) cap = 65536;
    rpc_log *logs = malloc(cap * sizeof *logs);
    if (!logs) return -1;
    for (;;) {
        ws(s);
        if (cnt == cap) {
            size_t nc = cap * 2;
            rpc_log *g = realloc(logs, nc * sizeof *logs);
            if (!g) goto fail;
            logs = g;
            cap = nc;
        }
        memset(&logs[cnt], 0, sizeof *logs);
        cnt++;
        if (log_object(s, &logs[cnt - 1]) != 0) goto fail;
        ws(s);
        if (s->p >= s->end) goto fail;
        if (*s->p == ',') {
            s->p++;
            continue;
        }
        if (*s->p != ']') goto fail;
        s->p++;
        *out = logs;
        *n = cnt;
        return 0;
    }
fail:
    rpc_logs_free(logs, cnt);
    return -1;
}

/* The id as id_value (rpc.c) reads it, for the forms we decide on: an integer of at most 15
 * digits, or a string of 1..15 decimal digits. */
static int id_field(scan *s, long *out, bool *ok) {
    *ok = false;
    if (s->p >= s->end) return -1;
    if (*s->p == '"') {
        const char *v;
        size_t n;
        if (plain_string(s, &v, &n) != 0) return -1;
        if (n == 0 || n > 15) return 0; /* a valid value, not a valid id */
        long x = 0;
        for (size_t i = 0; i < n; i++) {
            if (v[i] < '0' || v[i] > '9') return 0;
            x = x * 10 + (v[i] - '0');
        }
        *out = x;
        *ok = true;
        return 0;
    }
    if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) {
        const char *b = s->p;
        bool integer;
        if (number(s, &integer) != 0 || !integer) return -1;
        bool neg = *b == '-';
        if (neg) b++;
        if (s->p - b > 15) return -1;
        long x = 0;
        for (; b < s->p; b++) x = x * 10 + (*b - '0');
        *out = neg ? -x : x;
        *ok = true;
        return 0;
    }
    return skip(s, 1); /* another type: valid JSON, not a valid id */
}

int rpc_scan_logs_response(const char *body, size_t len, long id, rpc_log **out, size_t *n) {
    *out = NULL;
    *n = 0;
    if (!body || len == 0) return -1;
    scan s = {body, body + len};
    ws(&s);
    if (s.p >= s.end || *s.p != '{') return -1; /* also a UTF-8 BOM: decline */
    s.p++;
    ws(&s);
    bool ver_ok = false, id_ok = false, have_result = false;
    long got = 0;
    rpc_log *logs = NULL;
    size_t cnt = 0;
    if (s.p < s.end && *s.p == '}') goto fail;
    for (;;) {
        ws(&s);
        const char *k;
        size_t kn;
        if (key(&s, &k, &kn) != 0) goto fail;
        if (KEYIS(k, kn, "jsonrpc")) {
            const char *v;
            size_t vn;
            bool esc;
            if (s.p < s.end && *s.p == '"') {
                if (string(&s, &v, &vn, &esc) != 0) goto fail;
                ver_ok = !esc && vn == 3 && memcmp(v, "2.0", 3) == 0;
            } else {
                if (skip(&s, 1) != 0) goto fail;
                ver_ok = false;
            }
        } else if (KEYIS(k, kn, "id")) {
            if (id_field(&s, &got, &id_ok) != 0) goto fail;
        } else if (KEYIS(k, kn, "result")) {
            if (have_result) goto fail;
            have_result = true;
            if (log_array(&s, len, &logs, &cnt) != 0) goto fail;
        } else if (KEYIS(k, kn, "error")) {
            goto fail; /* errors: the cJSON path classifies them */
        } else if (skip(&s, 1) != 0) {
            goto fail;
        }
        ws(&s);
        if (s.p >= s.end) goto fail;
        if (*s.p == ',') {
            s.p++;
            continue;
        }
        if (*s.p != '}') goto fail;
        break; /* bytes after the object are ignored, as cJSON does here */
    }
    if (!ver_ok || !id_ok || got != id || !have_result) goto fail;
    *out = logs;
    *n = cnt;
    return 0;
fail:
    rpc_logs_free(logs, cnt);
    return -1;
}
