/* The JSON writer (src/view/json_writer.c, domain_json.c) against cJSON_PrintUnformatted, which it replaced
 * for provider and job objects: the same bytes for every string byte, number and time. */
#include <stdint.h>
#include <time.h>

#include "core/address.h"
#include "core/hex.h"
#include "core/keccak.h"
#include "core/utf8.h"
#include "test.h"
#include "view/domain_json.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* w's text (NUL-terminated) and reset. */
static const char *text(view_jw *w) {
    view_jw_raw(w, "", 1);
    w->len = 0;
    return w->p;
}

/* Valid UTF-8 is escaped exactly as cJSON does it. Invalid bytes cannot go out in JSON: each
 * becomes U+FFFD, so the text is valid UTF-8 and reads back as the sanitized string. */
static void check_str(view_jw *w, const char *s) {
    size_t n = strlen(s);
    char clean[6 * 64 + 8];
    utf8_copy(clean, sizeof clean, s, n);
    cJSON *j = cJSON_CreateString(clean);
    char *want = cJSON_PrintUnformatted(j);
    view_jw_str(w, s);
    const char *got = text(w);
    CHECK(utf8_valid(got, strlen(got)));
    if (utf8_valid(s, n)) {
        CHECK_EQ_STR(got, want);
    } else {
        cJSON *back = cJSON_Parse(got);
        CHECK(cJSON_IsString(back));
        if (cJSON_IsString(back)) CHECK_EQ_STR(back->valuestring, clean);
        cJSON_Delete(back);
    }
    cJSON_free(want);
    cJSON_Delete(j);
}

TEST(strings_escape_like_cjson_and_stay_utf8) {
    view_jw w;
    view_jw_init(&w, 8);
    char s[4] = {0};
    for (int c = 1; c < 256; c++) {
        s[0] = (char)c;
        s[1] = 'x';
        check_str(&w, s);
    }
    check_str(&w, "");
    check_str(&w, "RTX 4090 \"Ti\" \\ \x01\x1f\x7f caf\xc3\xa9 \xff\xfe");
    for (int i = 0; i < 2000; i++) {
        char r[64];
        size_t n = next() % 63;
        for (size_t k = 0; k < n; k++) r[k] = (char)(1 + next() % 255);
        r[n] = 0;
        check_str(&w, r);
    }
    view_jw_opt_str(&w, "");
    CHECK_EQ_STR(text(&w), "null");
    view_jw_opt_str(&w, NULL);
    CHECK_EQ_STR(text(&w), "null");
    view_jw_free(&w);
}

TEST(numbers_print_like_cjson) {
    view_jw w;
    view_jw_init(&w, 8);
    int64_t v[] = {0, 1, -1, 2147483647, 2147483648LL, -2147483648LL, -2147483649LL, 999999999999999LL,
                   1000000000000000LL, 9007199254740993LL, INT64_MAX, INT64_MIN + 1, -999999999999999LL,
                   -1000000000000000LL, 123456789012345678LL};
    for (size_t i = 0; i < sizeof v / sizeof v[0] + 5000; i++) {
        int64_t x = i < sizeof v / sizeof v[0] ? v[i] : (int64_t)(next() >> (next() % 64));
        cJSON *j = cJSON_CreateNumber((double)x);
        char *want = cJSON_PrintUnformatted(j);
        view_jw_int(&w, x);
        CHECK_EQ_STR(text(&w), want);
        cJSON_free(want);
        cJSON_Delete(j);
    }
    view_jw_free(&w);
}

static void check_time(int64_t t) {
    char got[32], want[32] = "";
    view_fmt_time(t, got);
    if (t > 0) {
        time_t tt = (time_t)t;
        struct tm tm;
        if (gmtime_r(&tt, &tm)) strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    CHECK_EQ_STR(got, want);
}

TEST(times_match_strftime) {
    int64_t v[] = {-5, 0, 1, 59, 86399, 86400, 951782400 /* 2000-02-29 */, 951868800, 4107456000LL /* 2100-03-01 */,
                   1767225600, 253402300799LL, 253402300800LL, 67767976233316800LL, INT64_MAX};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) check_time(v[i]);
    for (int i = 0; i < 200000; i++) check_time((int64_t)(next() % 253402400000ULL));
    view_jw w;
    view_jw_init(&w, 8);
    view_jw_time(&w, 0, true);
    CHECK_EQ_STR(text(&w), "null");
    view_jw_time(&w, 0, false);
    CHECK_EQ_STR(text(&w), "\"\"");
    view_jw_time(&w, 1767225600, true);
    CHECK_EQ_STR(text(&w), "\"2026-01-01T00:00:00Z\"");
    view_jw_free(&w);
}

/* The per-thread EIP-55 cache: colliding and repeated addresses format as without it. */
TEST(address_cache_is_transparent) {
    uint8_t addrs[600][20];
    for (int i = 0; i < 600; i++)
        for (int k = 0; k < 20; k++) addrs[i][k] = (uint8_t)(i < 300 ? (uint64_t)(k == 19 ? i : k == 18 ? i >> 8 : 0) : next());
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 600; i++) {
            int idx = (int)(next() % 600);
            char got[ADDRESS_STR_LEN], want[ADDRESS_STR_LEN];
            address_format(addrs[idx], got);
            hex_encode(addrs[idx], 20, want);
            uint8_t h[32];
            keccak256(want + 2, 40, h);
            for (int d = 0; d < 40; d++) {
                int nib = d % 2 ? h[d / 2] & 15 : h[d / 2] >> 4;
                if (nib >= 8 && want[2 + d] >= 'a') want[2 + d] = (char)(want[2 + d] - 32);
            }
            CHECK_EQ_STR(got, want);
        }
}

int main(void) {
    RUN(strings_escape_like_cjson_and_stay_utf8);
    RUN(numbers_print_like_cjson);
    RUN(times_match_strftime);
    RUN(address_cache_is_transparent);
    TEST_EXIT();
}
