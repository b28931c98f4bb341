/* agent_status: the published Go agent's exact messages. Its timestamps are Go's
 * time.RFC3339Nano (nine fraction digits at most, trailing zeros trimmed, a numeric offset or
 * Z); the instants below were worked out by hand from the offsets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/hex.h"
#include "core/json_text.h"
#include "evm/eip191.h"
#include "core/utf8.h"
#include "services/agent_status.h"
#include "test.h"

static int64_t t(const char *s) {
    int64_t v = -1;
    return agent_status_parse_time(s, &v) == 0 ? v : -1;
}

/* A report signed with key (hex) over agent_status_message(), as JSON in out. */
static void signed_report(const char *key_hex, const char *agent, char *out, size_t cap) {
    static const char job[] = "0x00000000000000000000000000000000000000000000000000000000000000aa";
    static const char cid[] = "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", ts[] = "2026-12-02T08:07:32Z";
    uint8_t id[32], key[32], sig[65];
    char msg[600], sighex[133];
    hex_decode_exact(job, strlen(job), id, 32);
    hex_decode_exact(key_hex, strlen(key_hex), key, 32);
    int n = agent_status_message(id, "completed", cid, ts, msg, sizeof msg);
    eip191_sign((const uint8_t *)msg, (size_t)n, key, sig);
    snprintf(out, cap,
             "{\"agent_address\":\"%s\",\"job_id\":\"%s\",\"status\":\"completed\",\"output_cid\":\"%s\","
             "\"timestamp\":\"%s\",\"signature\":\"%s\"}",
             agent, job, cid, ts, hex_encode(sig, 65, sighex));
}

#define KEY1 "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
#define ADDR1 "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
#define KEY4 "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a"

/* Issue 21: the optional signature is checked against agent_address; a forged one is refused. */
TEST(signed_reports_and_forgeries) {
    char m[1024], err[256];
    agent_report r;
    signed_report(KEY1, ADDR1, m, sizeof m);
    CHECK_EQ_INT(agent_status_parse((const uint8_t *)m, strlen(m), &r, err, sizeof err), 0);
    CHECK(r.signed_by_agent);
    signed_report(KEY4, ADDR1, m, sizeof m); /* someone else's key, the provider's address */
    CHECK_EQ_INT(agent_status_parse((const uint8_t *)m, strlen(m), &r, err, sizeof err), -1);
    CHECK(strstr(err, "signature is not agent_address's") != NULL);
    /* The signature covers the status: the same signature on "failed" is refused. */
    signed_report(KEY1, ADDR1, m, sizeof m);
    char *st = strstr(m, "\"completed\"");
    memcpy(st, "\"failed\"   ", 12);
    CHECK_EQ_INT(agent_status_parse((const uint8_t *)m, strlen(m), &r, err, sizeof err), -1);
    const char *unsigned_m = "{\"agent_address\":\"" ADDR1 "\",\"job_id\":\"0x00000000000000000000000000000000000000000000000000000000000000aa\",\"status\":\"processing\"}";
    CHECK_EQ_INT(agent_status_parse((const uint8_t *)unsigned_m, strlen(unsigned_m), &r, err, sizeof err), 0);
    CHECK(!r.signed_by_agent);
    /* Trailing data after the object is refused, as for every JSON body. */
    char trail[512];
    snprintf(trail, sizeof trail, "%s{}", unsigned_m);
    CHECK_EQ_INT(agent_status_parse((const uint8_t *)trail, strlen(trail), &r, err, sizeof err), -1);
    /* The subject's identity (server-mapped agent.status.<address>) must be agent_address. */
    agent_status_parse((const uint8_t *)unsigned_m, strlen(unsigned_m), &r, err, sizeof err);
    CHECK_EQ_INT(agent_status_check_subject("agent.status", &r, err, sizeof err), 0);
    CHECK_EQ_INT(agent_status_check_subject("agent.status." ADDR1, &r, err, sizeof err), 0);
    CHECK_EQ_INT(agent_status_check_subject("agent.status.0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65", &r, err, sizeof err), -1);
    CHECK_EQ_INT(agent_status_check_subject("agent.status.nope", &r, err, sizeof err), -1);
}

/* 2026-12-02T08:07:32Z */
#define T0 1796198852

TEST(go_rfc3339nano_offsets_are_the_right_utc_instant) {
    CHECK_EQ_INT(t("2026-12-02T08:07:32Z"), T0);
    CHECK_EQ_INT(t("2026-12-02T13:37:32.215190849+05:30"), T0);
    CHECK_EQ_INT(t("2026-12-02T04:37:32.215190849-03:30"), T0);
    CHECK_EQ_INT(t("2026-12-02T08:07:32.5Z"), T0);           /* trimmed fraction */
    CHECK_EQ_INT(t("2026-12-02T08:07:32.000000001Z"), T0);
    CHECK_EQ_INT(t("2026-12-01T23:07:32-09:00"), T0);       /* the offset crosses midnight */
    CHECK_EQ_INT(t("2026-12-02T08:07:32+00:00"), T0);
    CHECK_EQ_INT(t("2028-02-29T00:00:00Z"), 1835395200);    /* a leap day */
}

TEST(impossible_times_are_refused) {
    CHECK_EQ_INT(t("2026-02-31T00:00:00Z"), -1);
    CHECK_EQ_INT(t("2026-02-29T00:00:00Z"), -1); /* 2026 is not a leap year */
    CHECK_EQ_INT(t("2026-04-31T00:00:00Z"), -1);
    CHECK_EQ_INT(t("2026-12-02T08:07:60Z"), -1);
    CHECK_EQ_INT(t("2026-12-02T24:00:00Z"), -1);
    CHECK_EQ_INT(t("2026-12-02T08:07:32"), -1);   /* no offset */
    CHECK_EQ_INT(t("2026-12-02T08:07:32.Z"), -1); /* empty fraction */
    CHECK_EQ_INT(t("2026-12-02T08:07:32+0530"), -1);
    CHECK_EQ_INT(t("2026-12-02T08:07:32Zjunk"), -1);
}

static int parse(const char *msg, agent_report *r, char *err) {
    return agent_status_parse((const uint8_t *)msg, strlen(msg), r, err, 128);
}

#define AGENT "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
#define JOB "0x00000000000000000000000000000000000000000000000000000000000000a1"

TEST(the_published_agents_messages) {
    agent_report r;
    char err[128];
    /* processing, with the Go timestamp and the empty output_cid Go's zero value gives */
    CHECK_EQ_INT(parse("{\"agent_address\":\"" AGENT "\",\"job_id\":\"" JOB "\",\"status\":\"processing\","
                       "\"output_cid\":\"\",\"timestamp\":\"2026-12-02T13:37:32.215190849+05:30\"}", &r, err), 0);
    CHECK_EQ_INT(r.to, JOB_RUNNING);
    CHECK_EQ_INT(r.ts, T0);
    CHECK_EQ_INT(r.job_id[31], 0xa1);
    /* failed without output_cid at all: accepted, with the default reason */
    CHECK_EQ_INT(parse("{\"agent_address\":\"" AGENT "\",\"job_id\":\"" JOB "\",\"status\":\"failed\","
                       "\"timestamp\":\"2026-12-02T04:37:32.215190849-03:30\"}", &r, err), 0);
    CHECK_EQ_INT(r.to, JOB_FAILED);
    CHECK_EQ_INT(r.ts, T0);
    CHECK(r.error[0] != 0);
    /* failed with an error text: kept */
    CHECK_EQ_INT(parse("{\"agent_address\":\"" AGENT "\",\"job_id\":\"" JOB "\",\"status\":\"failed\","
                       "\"error\":\"image pull failed\",\"timestamp\":\"2026-12-02T08:07:32Z\"}", &r, err), 0);
    CHECK_EQ_STR(r.error, "image pull failed");
    /* completed carries its output CID */
    CHECK_EQ_INT(parse("{\"agent_address\":\"" AGENT "\",\"job_id\":\"" JOB "\",\"status\":\"completed\","
                       "\"output_cid\":\"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG\","
                       "\"timestamp\":\"2026-12-02T08:07:32.5Z\"}", &r, err), 0);
    CHECK_EQ_INT(r.to, JOB_COMPLETED);
    CHECK_EQ_STR(r.output_cid, "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG");
    /* completed without one is refused; so is an impossible date */
    CHECK(parse("{\"agent_address\":\"" AGENT "\",\"job_id\":\"" JOB "\",\"status\":\"completed\","
                "\"timestamp\":\"2026-12-02T08:07:32Z\"}", &r, err) != 0);
    CHECK(parse("{\"agent_address\":\"" AGENT "\",\"job_id\":\"" JOB "\",\"status\":\"processing\","
                "\"timestamp\":\"2026-02-31T08:07:32Z\"}", &r, err) != 0);
}

TEST(nul_characters_are_refused) {
    CHECK(json_text_has_nul("{\"a\":\"x\\u0000y\"}", 15));
    CHECK(json_text_has_nul("{\"a\":\"x\0y\"}", 11)); /* a raw 0 byte */
    CHECK(!json_text_has_nul("{\"a\":\"x\\\\u0000y\"}", 16)); /* an escaped backslash, then text */
    CHECK(!json_text_has_nul("{\"a\":\"\\u0001\\\"u0000\"}", 19));
    CHECK(!json_text_has_nul("{\"a\":\"x\\u00001\"}", 12)); /* cut before the escape completes */
    agent_report r;
    char err[128];
    CHECK(parse("{\"agent_address\":\"" AGENT "\",\"job_id\":\"" JOB "\",\"status\":\"completed\","
                "\"output_cid\":\"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG\\u0000<script>\"}", &r, err) != 0);
    CHECK(strstr(err, "NUL") != NULL);
}

TEST(utf8_is_checked_and_cut_between_characters) {
    agent_report r;
    char err[128], msg[1024], why[400];
    /* raw invalid bytes are refused, not stored */
    CHECK(parse("{\"agent_address\":\"" AGENT "\",\"job_id\":\"" JOB "\",\"status\":\"failed\","
                "\"error\":\"bad \xff\xfe bytes\"}", &r, err) != 0);
    CHECK(strstr(err, "UTF-8") != NULL);
    /* a long error of two-byte characters after two ASCII bytes: a cut at byte 255 would split
     * a character; it is cut before it instead */
    size_t k = 0;
    for (int i = 0; i < 150; i++) why[k++] = '\xc3', why[k++] = '\xa9';
    why[k++] = 'x';
    why[k] = 0;
    snprintf(msg, sizeof msg, "{\"agent_address\":\"%s\",\"job_id\":\"%s\",\"status\":\"failed\",\"error\":\"xy%s\"}",
             AGENT, JOB, why);
    CHECK_EQ_INT(parse(msg, &r, err), 0);
    size_t n = strlen(r.error);
    CHECK(n < STORE_ERROR_MAX);
    CHECK(n >= STORE_ERROR_MAX - 3);
    CHECK(utf8_valid(r.error, n));
}

/* Applied against a fresh SQLite store: the Go timestamp lands as the right instant, a report
 * from another address changes nothing, and failed without output_cid fails the job. */
TEST(reports_applied_to_a_store) {
    char dir[] = "/tmp/lamda-agent-XXXXXX", url[64], err[256];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(url, sizeof url, "sqlite:%s/t.db", dir);
    store *s = NULL;
    CHECK_EQ_INT(store_open(url, &s, err, sizeof err), STORE_OK);
    if (!s) return;
    store_job j;
    memset(&j, 0, sizeof j);
    j.job_id[31] = 0xa1;
    memset(j.renter, 0xaa, 20);
    agent_report r;
    CHECK_EQ_INT(parse("{\"agent_address\":\"" AGENT "\",\"job_id\":\"" JOB "\",\"status\":\"processing\","
                       "\"timestamp\":\"2026-12-02T13:37:32.215190849+05:30\"}", &r, err), 0);
    memcpy(j.provider, r.agent, 20);
    snprintf(j.payment, sizeof j.payment, "1000");
    j.status = JOB_ASSIGNED;
    j.created_at = j.assigned_at = T0 - 60;
    CHECK_EQ_INT(store_job_insert(s, &j), STORE_OK);

    agent_report other = r;
    other.agent[0] ^= 1;
    CHECK(agent_status_apply(s, &other, T0 + 10, err, sizeof err) != 0);
    CHECK_EQ_INT(agent_status_apply(s, &r, T0 + 10, err, sizeof err), 0);
    store_job got;
    CHECK_EQ_INT(store_job_get(s, j.job_id, &got), STORE_OK);
    CHECK_EQ_INT(got.status, JOB_RUNNING);
    CHECK_EQ_INT(got.running_at, T0);
    /* The same report again (its captured copy): a repeat, the job untouched. */
    CHECK_EQ_INT(agent_status_apply(s, &r, T0 + 20, err, sizeof err), AGENT_STATUS_REPEAT);
    CHECK_EQ_INT(store_job_get(s, j.job_id, &got), STORE_OK);
    CHECK_EQ_INT(got.running_at, T0);
    agent_report processing = r;

    CHECK_EQ_INT(parse("{\"agent_address\":\"" AGENT "\",\"job_id\":\"" JOB "\",\"status\":\"failed\","
                       "\"timestamp\":\"2026-12-02T04:38:32.1-03:30\"}", &r, err), 0);
    CHECK_EQ_INT(agent_status_apply(s, &r, T0 + 100, err, sizeof err), 0);
    CHECK_EQ_INT(store_job_get(s, j.job_id, &got), STORE_OK);
    CHECK_EQ_INT(got.status, JOB_FAILED);
    CHECK_EQ_INT(got.failed_at, T0 + 60);
    CHECK_EQ_STR(got.output_cid, "");
    /* After failed: processing is old news (a repeat), completed contradicts it (refused). */
    CHECK_EQ_INT(agent_status_apply(s, &processing, T0 + 110, err, sizeof err), AGENT_STATUS_REPEAT);
    CHECK_EQ_INT(agent_status_apply(s, &r, T0 + 110, err, sizeof err), AGENT_STATUS_REPEAT);
    agent_report completed;
    CHECK_EQ_INT(parse("{\"agent_address\":\"" AGENT "\",\"job_id\":\"" JOB "\",\"status\":\"completed\","
                       "\"output_cid\":\"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG\"}", &completed, err), 0);
    CHECK_EQ_INT(agent_status_apply(s, &completed, T0 + 110, err, sizeof err), -1);
    CHECK(strstr(err, "from failed to completed") != NULL);
    CHECK_EQ_INT(store_job_get(s, j.job_id, &got), STORE_OK);
    CHECK_EQ_INT(got.status, JOB_FAILED);
    store_close(s);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "  could not clean %s\n", dir);
}

int main(void) {
    RUN(go_rfc3339nano_offsets_are_the_right_utc_instant);
    RUN(impossible_times_are_refused);
    RUN(the_published_agents_messages);
    RUN(nul_characters_are_refused);
    RUN(utf8_is_checked_and_cut_between_characters);
    RUN(reports_applied_to_a_store);
    RUN(signed_reports_and_forgeries);
    TEST_EXIT();
}
