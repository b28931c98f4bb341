/* Unit tests for src/core: hex, config parsing, log redaction; and the EVM address/keccak
 * primitives the configuration depends on. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/address.h"
#include "core/config.h"
#include "core/hex.h"
#include "core/keccak.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/strbuf.h"
#include "core/utf8.h"
#include "test.h"

static void keccak_hex(const void *p, size_t n, char out[67]) {
    uint8_t h[32];
    keccak256(p, n, h);
    hex_encode(h, 32, out);
}

/* Published Keccak-256 values (Ethereum's, i.e. pre-standard padding). */
TEST(keccak_vectors) {
    char out[67];
    keccak_hex("", 0, out);
    CHECK_EQ_STR(out, "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    keccak_hex("abc", 3, out);
    CHECK_EQ_STR(out, "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    const char *fox = "The quick brown fox jumps over the lazy dog";
    keccak_hex(fox, strlen(fox), out);
    CHECK_EQ_STR(out, "0x4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
    /* Multi-block: 200 bytes of 'a' crosses the 136-byte rate. */
    char a200[200];
    memset(a200, 'a', sizeof a200);
    uint8_t one[32], split[32];
    keccak256(a200, sizeof a200, one);
    keccak_ctx c;
    keccak256_init(&c);
    keccak256_update(&c, a200, 1);
    keccak256_update(&c, a200 + 1, 135);
    keccak256_update(&c, a200 + 136, 64);
    keccak256_final(&c, split);
    CHECK_MEM(one, split, 32);
    /* Function selector of transfer(address,uint256) is the well-known a9059cbb. */
    keccak_hex("transfer(address,uint256)", 25, out);
    CHECK(strncmp(out, "0xa9059cbb", 10) == 0);
}

/* Examples from EIP-55 itself. */
TEST(eip55_examples) {
    const char *ex[] = {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"};
    for (size_t i = 0; i < 4; i++) {
        uint8_t a[20];
        char out[ADDRESS_STR_LEN];
        CHECK_EQ_INT(address_parse(ex[i], 42, a), ADDRESS_OK);
        CHECK_EQ_STR(address_format(a, out), ex[i]);
    }
    uint8_t a[20];
    CHECK_EQ_INT(address_parse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", 42, a), ADDRESS_OK);
    CHECK_EQ_INT(address_parse("0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED", 42, a), ADDRESS_OK);
    CHECK_EQ_INT(address_parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", 42, a), ADDRESS_BAD_CHECKSUM);
    CHECK_EQ_INT(address_parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", 41, a), ADDRESS_MALFORMED);
    CHECK_EQ_INT(address_parse("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAedaa", 42, a), ADDRESS_MALFORMED);
    CHECK_EQ_INT(address_parse("0xgaAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", 42, a), ADDRESS_MALFORMED);
}

TEST(hex_codec) {
    uint8_t b[4];
    CHECK_EQ_INT(hex_decode("0xdeadBEEF", 10, b, 4), 4);
    CHECK(b[0] == 0xde && b[3] == 0xef);
    CHECK_EQ_INT(hex_decode("0xabc", 5, b, 4), -1);
    CHECK_EQ_INT(hex_decode("0x0011223344", 12, b, 4), -1);
    CHECK_EQ_INT(hex_decode("zz", 2, b, 4), -1);
    CHECK_EQ_INT(hex_decode_exact("00112233", 8, b, 4), 0);
    CHECK_EQ_INT(hex_decode_exact("001122", 6, b, 4), -1);
    char s[11];
    CHECK_EQ_STR(hex_encode(b, 4, s), "0x00112233");
}

TEST(durations_and_numbers) {
    uint64_t v;
    CHECK(config_parse_duration_ms("250ms", &v) == 0 && v == 250);
    CHECK(config_parse_duration_ms("5s", &v) == 0 && v == 5000);
    CHECK(config_parse_duration_ms("15m", &v) == 0 && v == 900000);
    CHECK(config_parse_duration_ms("6h", &v) == 0 && v == 21600000);
    CHECK(config_parse_duration_ms("5", &v) == -1);
    CHECK(config_parse_duration_ms("-5s", &v) == -1);
    CHECK(config_parse_duration_ms("5x", &v) == -1);
    CHECK(config_parse_duration_ms("", &v) == -1);
    CHECK(config_parse_u64("18446744073709551615", &v) == 0 && v == UINT64_MAX);
    CHECK(config_parse_u64("18446744073709551616", &v) == -1);
    CHECK(config_parse_u64("12a", &v) == -1);
}

static int load_with(const char *name, const char *value, char *err, size_t errlen) {
    lamda_config cfg;
    setenv(name, value, 1);
    int rc = config_load(&cfg, "/nonexistent/.env", err, errlen);
    unsetenv(name);
    if (rc == 0) config_free(&cfg);
    return rc;
}

TEST(config_validation_names_the_variable) {
    char err[512];
    const char *bad[][2] = {{"ADMIN_WALLET_PRIVATE_KEY", "zz"},
                            {"JOB_MANAGER_CONTRACT_ADDRESS", "0x1234"},
                            {"NODE_REPUTATION_CONTRACT_ADDRESS", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"},
                            {"BSC_RPC_URL", "not a url"},
                            {"API_PORT", "70000"},
                            {"POLL_INTERVAL", "fast"},
                            {"DATABASE_URL", "mysql://x"},
                            {"JOB_ID_FROM_CID", "maybe"},
                            {"LOG_LEVEL", "loud"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        CHECK_EQ_INT(load_with(bad[i][0], bad[i][1], err, sizeof err), -1);
        CHECK(strncmp(err, bad[i][0], strlen(bad[i][0])) == 0);
    }
    /* The zero scalar is not a valid key and the message does not echo the value. */
    CHECK_EQ_INT(load_with("ADMIN_WALLET_PRIVATE_KEY",
                           "0000000000000000000000000000000000000000000000000000000000000000", err, sizeof err), -1);
    CHECK(strstr(err, "0000000000") == NULL);
}

/* Each URL setting accepts only the schemes its client speaks: a wrong one is refused at start
 * (not retried forever at run time), naming the variable and never echoing the URL. */
TEST(config_url_schemes) {
    char err[512];
    const char *bad[][2] = {{"NATS_URL", "http://127.0.0.1:4222"},
                            {"BSC_RPC_URL", "ftp://127.0.0.1:8545"},
                            {"OPBNB_RPC_URL", "http://127.0.0.1:1,ws://127.0.0.1:2"},
                            {"BSC_WS_URL", "http://127.0.0.1:8545"},
                            {"OPBNB_WS_URL", "http://user:s3cret@127.0.0.1:8546"},
                            {"NATS_URL", "user:s3cret@127.0.0.1:4222"},
                            {"NATS_URL", "nats://127.0.0.1:1,http://127.0.0.1:2"},
                            {"NATS_URL", " , "},
                            {"NATS_STREAM_REPLICAS", "0"},
                            {"NATS_STREAM_REPLICAS", "6"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        CHECK_EQ_INT(load_with(bad[i][0], bad[i][1], err, sizeof err), -1);
        CHECK(strncmp(err, bad[i][0], strlen(bad[i][0])) == 0);
        CHECK(strstr(err, "127.0.0.1") == NULL && strstr(err, "s3cret") == NULL);
    }
    const char *good[][2] = {{"NATS_URL", "nats://127.0.0.1:4222"},
                             {"NATS_URL", "tls://u:p@127.0.0.1:4222"},
                             {"BSC_RPC_URL", "https://a.example,http://127.0.0.1:8545"},
                             {"OPBNB_WS_URL", "wss://a.example/ws"},
                             {"BSC_WS_URL", "ws://127.0.0.1:8545"}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        CHECK_EQ_INT(load_with(good[i][0], good[i][1], err, sizeof err), 0);
    /* A cluster's seed list is kept as libnats takes it: comma-separated, no spaces. */
    lamda_config cfg;
    setenv("NATS_URL", " nats://127.0.0.1:1 , tls://10.0.0.2:4222,nats://h3:4222 ", 1);
    setenv("NATS_STREAM_REPLICAS", "3", 1);
    CHECK_EQ_INT(config_load(&cfg, "/nonexistent/.env", err, sizeof err), 0);
    unsetenv("NATS_URL");
    unsetenv("NATS_STREAM_REPLICAS");
    CHECK_EQ_STR(cfg.nats_url, "nats://127.0.0.1:1,tls://10.0.0.2:4222,nats://h3:4222");
    CHECK(cfg.nats_stream_replicas == 3);
    config_free(&cfg);
}

TEST(config_dotenv_and_precedence) {
    char path[] = "/tmp/lamda-test-env-XXXXXX";
    int fd = mkstemp(path);
    const char *text = "# comment\nexport API_PORT=9001\nNATS_URL=\"nats://10.0.0.1:4222\"\nBSC_CONFIRMATIONS=7\n";
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    setenv("BSC_CONFIRMATIONS", "9", 1);
    lamda_config cfg;
    char err[256];
    CHECK_EQ_INT(config_load(&cfg, path, err, sizeof err), 0);
    CHECK_EQ_INT(cfg.api_port, 9001);
    CHECK_EQ_STR(cfg.nats_url, "nats://10.0.0.1:4222");
    CHECK_EQ_INT(cfg.bsc_confirmations, 9); /* the environment wins */
    CHECK_EQ_STR(cfg.database_url, "sqlite:./data/lamda.db");
    config_free(&cfg);
    unsetenv("BSC_CONFIRMATIONS");
    unlink(path);
}

TEST(config_keyfile_permissions) {
    char path[] = "/tmp/lamda-test-key-XXXXXX";
    int fd = mkstemp(path);
    const char *key = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80\n";
    CHECK(write(fd, key, strlen(key)) == (ssize_t)strlen(key));
    close(fd);
    char err[512];
    chmod(path, 0644);
    CHECK_EQ_INT(load_with("ADMIN_WALLET_PRIVATE_KEY_FILE", path, err, sizeof err), -1);
    CHECK(strstr(err, "group or others") != NULL);
    chmod(path, 0600);
    CHECK_EQ_INT(load_with("ADMIN_WALLET_PRIVATE_KEY_FILE", path, err, sizeof err), 0);
    unlink(path);
}

TEST(log_redacts_secrets) {
    char path[] = "/tmp/lamda-test-log-XXXXXX";
    int fd = mkstemp(path);
    log_set_fd(fd);
    log_add_secret("supersecretvalue123");
    log_info("token is supersecretvalue123 and \"quoted\"\n");
    log_set_fd(2);
    lseek(fd, 0, SEEK_SET);
    char buf[1024] = {0};
    CHECK(read(fd, buf, sizeof buf - 1) > 0);
    close(fd);
    unlink(path);
    CHECK(strstr(buf, "supersecretvalue123") == NULL);
    CHECK(strstr(buf, "[REDACTED]") != NULL);
    CHECK(strstr(buf, "\\\"quoted\\\"\\n") != NULL);
    CHECK(strstr(buf, "\"level\":\"info\"") != NULL);
}

/* A burst from one call site writes at most LOG_DEFAULT_PER_SECOND lines a second plus one
 * summary; the rest are counted in lamda_log_suppressed_total. */
TEST(log_flood_is_bounded_and_counted) {
    char path[] = "/tmp/lamda-test-log-XXXXXX";
    int fd = mkstemp(path);
    log_set_fd(fd);
    log_set_max_per_second(20);
    metrics_counter_t *sup = metrics_counter("lamda_log_suppressed_total", "x", "level=\"warn\"");
    uint64_t before = metrics_counter_value(sup);
    for (int i = 0; i < 50000; i++) log_warn("flood %d", i);
    log_info("an unrelated line is not limited by the flood");
    log_flush_suppressed();
    log_set_fd(2);
    log_set_max_per_second(LOG_DEFAULT_PER_SECOND);
    uint64_t suppressed = metrics_counter_value(sup) - before;
    lseek(fd, 0, SEEK_SET);
    static char buf[1 << 20];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    unlink(path);
    CHECK(n > 0);
    buf[n > 0 ? n : 0] = 0;
    size_t lines = 0, floods = 0;
    for (char *p = buf; (p = strchr(p, '\n')); p++) lines++;
    for (char *p = buf; (p = strstr(p, "\"msg\":\"flood ")); p++) floods++;
    /* The loop may straddle a second boundary: at most two windows of 20 plus their summaries. */
    CHECK(floods >= 20 && floods <= 40);
    CHECK(lines <= 40 + 2 + 1);
    CHECK_EQ_INT((int)(suppressed + floods), 50000);
    CHECK(strstr(buf, "more lines like \\\"flood %d\\\" suppressed") != NULL);
    CHECK(strstr(buf, "an unrelated line") != NULL);
}

/* Cases from the Unicode standard's Table 3-7 (well-formed byte sequences) and the classic
 * decoder stress tests: overlongs, surrogates, the edges of each range, truncation. */
TEST(utf8_strict) {
    struct {
        const char *s;
        bool ok;
    } v[] = {
        {"plain", true}, {"caf\xc3\xa9", true}, {"\xe2\x82\xac", true}, {"\xf0\x9f\x98\x80", true},
        {"\xc2\x80", true}, {"\xdf\xbf", true}, {"\xe0\xa0\x80", true}, {"\xef\xbf\xbf", true},
        {"\xf0\x90\x80\x80", true}, {"\xf4\x8f\xbf\xbf", true}, {"\xed\x9f\xbf", true},
        {"\xc0\xaf", false}, {"\xc1\xbf", false}, {"\xe0\x80\xaf", false}, {"\xf0\x80\x80\xaf", false},
        {"\xed\xa0\x80", false}, {"\xed\xbf\xbf", false}, {"\xf4\x90\x80\x80", false}, {"\xf5\x80\x80\x80", false},
        {"\xff", false}, {"\xfe", false}, {"\x80", false}, {"\xc3", false}, {"\xe2\x82", false},
        {"\xf0\x9f\x98", false}, {"a\xc3(", false},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        if (utf8_valid(v[i].s, strlen(v[i].s)) != v[i].ok) fprintf(stderr, "  case %zu\n", i);
        CHECK(utf8_valid(v[i].s, strlen(v[i].s)) == v[i].ok);
    }
    char out[8];
    utf8_copy(out, sizeof out, "ab\xff" "c", 4); /* an invalid byte becomes U+FFFD */
    CHECK_EQ_STR(out, "ab\xef\xbf\xbd" "c");
    utf8_copy(out, 6, "abc\xc3\xa9", 5); /* fits: 5 bytes + NUL */
    CHECK_EQ_STR(out, "abc\xc3\xa9");
    utf8_copy(out, 5, "abc\xc3\xa9", 5); /* é does not fit whole: cut before it */
    CHECK_EQ_STR(out, "abc");
}

/* Growth across many doublings, printf longer than the room left, NUL after every append. */
TEST(strbuf_grows_and_terminates) {
    strbuf b;
    strbuf_init(&b, 1);
    CHECK(!b.oom && b.cap >= 64 && b.len == 0 && b.p[0] == 0);
    for (int i = 0; i < 1000; i++) strbuf_printf(&b, "%04d,", i);
    CHECK(!b.oom);
    CHECK_EQ_INT((long long)b.len, 5000);
    CHECK_EQ_INT((long long)strlen(b.p), 5000);
    CHECK(memcmp(b.p + 4995, "0999,", 5) == 0);
    char big[300];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    strbuf_printf(&b, "[%s]", big); /* longer than what a fresh doubling leaves is fine too */
    strbuf_putc(&b, '!');
    strbuf_append(&b, "ab", 2);
    CHECK_EQ_INT((long long)b.len, 5000 + 301 + 1 + 2);
    CHECK_EQ_STR(b.p + 5000 + 301, "!ab");
    CHECK(!strbuf_reserve(&b, (size_t)-1 / 2)); /* a size nothing can hold: oom, sticky */
    CHECK(b.oom);
    size_t len = b.len;
    strbuf_append(&b, "c", 1);
    CHECK(b.len == len);
    strbuf_free(&b);
    strbuf z = {0}; /* zero-initialised works as an empty buffer */
    strbuf_printf(&z, "%s-%d", "id", 7);
    CHECK_EQ_STR(z.p, "id-7");
    strbuf_free(&z);
}

int main(void) {
    RUN(strbuf_grows_and_terminates);
    RUN(keccak_vectors);
    RUN(utf8_strict);
    RUN(eip55_examples);
    RUN(hex_codec);
    RUN(durations_and_numbers);
    RUN(config_validation_names_the_variable);
    RUN(config_url_schemes);
    RUN(config_dotenv_and_precedence);
    RUN(config_keyfile_permissions);
    RUN(log_redacts_secrets);
    RUN(log_flood_is_bounded_and_counted);
    TEST_EXIT();
}
