/* Unit tests for src/evm/rlp: the examples of the Ethereum RLP specification (encode and
 * decode), and rejection of non-canonical, truncated and oversized encodings. */
#include "core/hex.h"
#include "evm/rlp.h"
#include "test.h"

static char hexbuf[4096];
static const char *hx(const rlp_buf *b) { return b->len * 2 + 3 <= sizeof hexbuf ? hex_encode(b->p, b->len, hexbuf) : "(too long)"; }

static int put_str(rlp_buf *b, const char *s) { return rlp_put_bytes(b, (const uint8_t *)s, strlen(s)); }

static const char LOREM[] = "Lorem ipsum dolor sit amet, consectetur adipisicing elit";

TEST(spec_examples_encode) {
    rlp_buf b;
    rlp_buf_init(&b);
    put_str(&b, "dog");
    CHECK_EQ_STR(hx(&b), "0x83646f67");
    b.len = 0;
    size_t m = rlp_list_begin(&b);
    put_str(&b, "cat");
    put_str(&b, "dog");
    rlp_list_end(&b, m);
    CHECK_EQ_STR(hx(&b), "0xc88363617483646f67");
    b.len = 0;
    put_str(&b, "");
    CHECK_EQ_STR(hx(&b), "0x80");
    b.len = 0;
    rlp_list_end(&b, rlp_list_begin(&b));
    CHECK_EQ_STR(hx(&b), "0xc0");
    b.len = 0;
    rlp_put_u64(&b, 0);
    CHECK_EQ_STR(hx(&b), "0x80");
    b.len = 0;
    rlp_put_bytes(&b, (const uint8_t *)"\x00", 1);
    CHECK_EQ_STR(hx(&b), "0x00");
    b.len = 0;
    rlp_put_bytes(&b, (const uint8_t *)"\x0f", 1);
    CHECK_EQ_STR(hx(&b), "0x0f");
    b.len = 0;
    rlp_put_u64(&b, 15);
    CHECK_EQ_STR(hx(&b), "0x0f");
    b.len = 0;
    rlp_put_u64(&b, 1024);
    CHECK_EQ_STR(hx(&b), "0x820400");
    b.len = 0;
    u256 v = u256_from_u64(1024);
    rlp_put_u256(&b, &v);
    CHECK_EQ_STR(hx(&b), "0x820400");
    /* [ [], [[]], [ [], [[]] ] ] */
    b.len = 0;
    size_t outer = rlp_list_begin(&b);
    rlp_list_end(&b, rlp_list_begin(&b));
    size_t l2 = rlp_list_begin(&b);
    rlp_list_end(&b, rlp_list_begin(&b));
    rlp_list_end(&b, l2);
    size_t l3 = rlp_list_begin(&b);
    rlp_list_end(&b, rlp_list_begin(&b));
    size_t l4 = rlp_list_begin(&b);
    rlp_list_end(&b, rlp_list_begin(&b));
    rlp_list_end(&b, l4);
    rlp_list_end(&b, l3);
    rlp_list_end(&b, outer);
    CHECK_EQ_STR(hx(&b), "0xc7c0c1c0c3c0c1c0");
    b.len = 0;
    put_str(&b, LOREM);
    CHECK_EQ_STR(hx(&b), "0xb8384c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e7365637465747572206164697069736963696e6720656c6974");
    /* A list whose payload is over 55 bytes takes the long list header. */
    b.len = 0;
    m = rlp_list_begin(&b);
    put_str(&b, LOREM);
    rlp_list_end(&b, m);
    CHECK_EQ_INT(b.len, 60);
    CHECK_EQ_INT(b.p[0], 0xf8);
    CHECK_EQ_INT(b.p[1], 58);
    /* 1024 bytes: two length bytes. */
    b.len = 0;
    uint8_t big[1024] = {0};
    rlp_put_bytes(&b, big, sizeof big);
    CHECK_EQ_INT(b.len, 1027);
    CHECK_EQ_INT(b.p[0], 0xb9);
    CHECK_EQ_INT(b.p[1], 0x04);
    CHECK_EQ_INT(b.p[2], 0x00);
    CHECK_EQ_INT(b.failed, 0);
    rlp_buf_free(&b);
}

static int dec(const char *hex, rlp_item *it, uint8_t *store) {
    long n = hex_decode(hex, strlen(hex), store, 2048);
    if (n < 0) return -2;
    return rlp_decode_whole(store, (size_t)n, it);
}

TEST(spec_examples_decode) {
    uint8_t s[2048];
    rlp_item it, x;
    rlp_iter i;
    uint64_t v;
    CHECK_EQ_INT(dec("83646f67", &it, s), 0);
    CHECK(!it.is_list && it.payload_len == 3 && memcmp(it.payload, "dog", 3) == 0);
    CHECK_EQ_INT(dec("c88363617483646f67", &it, s), 0);
    CHECK(it.is_list);
    CHECK_EQ_INT(rlp_list_count(&it), 2);
    CHECK_EQ_INT(rlp_iter_init(&i, &it), 0);
    CHECK_EQ_INT(rlp_iter_next(&i, &x), 1);
    CHECK(x.payload_len == 3 && memcmp(x.payload, "cat", 3) == 0);
    CHECK_EQ_INT(rlp_iter_next(&i, &x), 1);
    CHECK(x.payload_len == 3 && memcmp(x.payload, "dog", 3) == 0);
    CHECK_EQ_INT(rlp_iter_next(&i, &x), 0);
    CHECK_EQ_INT(dec("80", &it, s), 0);
    CHECK(!it.is_list && it.payload_len == 0);
    CHECK_EQ_INT(rlp_item_u64(&it, &v), 0);
    CHECK_EQ_INT(v, 0);
    CHECK_EQ_INT(dec("c0", &it, s), 0);
    CHECK_EQ_INT(rlp_list_count(&it), 0);
    CHECK_EQ_INT(dec("0f", &it, s), 0);
    CHECK_EQ_INT(rlp_item_u64(&it, &v), 0);
    CHECK_EQ_INT(v, 15);
    CHECK_EQ_INT(dec("820400", &it, s), 0);
    CHECK_EQ_INT(rlp_item_u64(&it, &v), 0);
    CHECK_EQ_INT(v, 1024);
    u256 u;
    CHECK_EQ_INT(rlp_item_u256(&it, &u), 0);
    CHECK(u.w[0] == 1024);
    CHECK_EQ_INT(dec("c7c0c1c0c3c0c1c0", &it, s), 0);
    CHECK_EQ_INT(rlp_list_count(&it), 3);
    rlp_iter_init(&i, &it);
    rlp_iter_next(&i, &x);
    CHECK_EQ_INT(rlp_list_count(&x), 0);
    rlp_iter_next(&i, &x);
    CHECK_EQ_INT(rlp_list_count(&x), 1);
    rlp_iter_next(&i, &x);
    CHECK_EQ_INT(rlp_list_count(&x), 2);
    CHECK_EQ_INT(dec("b8384c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e7365637465747572206164697069736963696e6720656c6974", &it, s), 0);
    CHECK(it.payload_len == 56 && memcmp(it.payload, LOREM, 56) == 0);
}

TEST(rejects_malformed) {
    uint8_t s[2048];
    rlp_item it;
    uint64_t v;
    CHECK_EQ_INT(dec("", &it, s), -1);             /* nothing */
    CHECK_EQ_INT(dec("8100", &it, s), -1);         /* 0x00 must be encoded as itself */
    CHECK_EQ_INT(dec("817f", &it, s), -1);         /* so must 0x7f */
    CHECK_EQ_INT(dec("8180", &it, s), 0);          /* 0x80 needs the prefix */
    CHECK_EQ_INT(dec("83646f", &it, s), -1);       /* truncated string */
    CHECK_EQ_INT(dec("83646f6767", &it, s), -1);   /* trailing byte (whole) */
    CHECK_EQ_INT(rlp_decode(s, 5, &it), 0);        /* …but fine as a prefix */
    CHECK_EQ_INT(dec("b80100", &it, s), -1);       /* long form for a 1-byte payload */
    CHECK_EQ_INT(dec("b837", &it, s), -1);         /* long form for 55, and truncated */
    CHECK_EQ_INT(dec("b90038", &it, s), -1);       /* leading zero in the length */
    CHECK_EQ_INT(dec("b8", &it, s), -1);           /* length bytes missing */
    CHECK_EQ_INT(dec("bfffffffffffffffff", &it, s), -1); /* 2^64-1 byte payload */
    CHECK_EQ_INT(dec("bf7fffffffffffffff", &it, s), -1);
    CHECK_EQ_INT(dec("f8", &it, s), -1);
    CHECK_EQ_INT(dec("c3c0c0", &it, s), -1);       /* list payload truncated */
    CHECK_EQ_INT(dec("ffffffffffffffffff", &it, s), -1);
    CHECK_EQ_INT(dec("c181", &it, s), 0);          /* the list itself parses… */
    CHECK_EQ_INT(rlp_list_count(&it), -1);         /* …its item does not */
    /* Integer rules. */
    CHECK_EQ_INT(dec("820004", &it, s), 0);
    CHECK_EQ_INT(rlp_item_u64(&it, &v), -1);      /* leading zero */
    CHECK_EQ_INT(dec("89010000000000000000", &it, s), 0);
    CHECK_EQ_INT(rlp_item_u64(&it, &v), -1);      /* 9 bytes */
    u256 u;
    CHECK_EQ_INT(rlp_item_u256(&it, &u), 0);
    CHECK_EQ_INT(dec("c0", &it, s), 0);
    CHECK_EQ_INT(rlp_item_u64(&it, &v), -1);      /* a list is not a number */
    uint8_t a[20];
    CHECK_EQ_INT(rlp_item_fixed(&it, a, 20), -1);
    CHECK_EQ_INT(rlp_decode(NULL, 0, &it), -1);
}

int main(void) {
    RUN(spec_examples_encode);
    RUN(spec_examples_decode);
    RUN(rejects_malformed);
    TEST_EXIT();
}
