/* Unit tests for src/bus that need no server: subject validation, argument checks, and a
 * connection to a server that is down (it must be returned, not connected, and fail cleanly). */
#include "bus/bus.h"
#include "core/log.h"
#include "test.h"

TEST(subjects) {
    CHECK(bus_subject_valid("jobs.dispatch.0x70997970C51812dc3A010C7d01b50e0d17dc79C8", false));
    CHECK(bus_subject_valid("agent.status", false));
    CHECK(bus_subject_valid("a", false));
    CHECK(!bus_subject_valid("", false));
    CHECK(!bus_subject_valid(NULL, false));
    CHECK(!bus_subject_valid("a..b", false));
    CHECK(!bus_subject_valid(".a", false));
    CHECK(!bus_subject_valid("a.", false));
    CHECK(!bus_subject_valid("a b", false));
    CHECK(!bus_subject_valid("a\tb", false));
    CHECK(!bus_subject_valid("a\r\nPUB x 1", false)); /* protocol injection */
    CHECK(!bus_subject_valid("caf\xc3\xa9", false));
    CHECK(!bus_subject_valid("jobs.*", false));
    CHECK(!bus_subject_valid("jobs.>", false));
    CHECK(bus_subject_valid("jobs.*", true));
    CHECK(bus_subject_valid("jobs.>", true));
    CHECK(bus_subject_valid("*.dispatch.*", true));
    CHECK(bus_subject_valid(">", true));
    CHECK(!bus_subject_valid("jobs.>.x", true)); /* '>' only last */
    CHECK(!bus_subject_valid("jobs.a*", true));
    CHECK(!bus_subject_valid("jobs.>a", true));
    char big[BUS_MAX_SUBJECT + 2];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    CHECK(!bus_subject_valid(big, false));
    big[BUS_MAX_SUBJECT] = 0;
    CHECK(bus_subject_valid(big, false));
}

TEST(server_down) {
    char err[256] = "";
    bus *b = NULL;
    /* Port 1 on loopback: nothing listens, the connect is refused at once. */
    CHECK_EQ_INT(bus_connect("nats://127.0.0.1:1", "test", &b, err, sizeof err), 0);
    CHECK(b != NULL);
    if (!b) return;
    CHECK(!bus_connected(b));
    bool dup = true;
    /* Arguments are checked before anything is sent. */
    CHECK_EQ_INT(bus_publish_dedup(b, "jobs.dispatch.x", "{}", 2, "id", 100, &dup, err, sizeof err), -1);
    CHECK(strstr(err, "subject must be") != NULL);
    CHECK(!dup);
    CHECK_EQ_INT(bus_publish_dedup(b, "lamda.dispatch.x", "{}", 2, "", 100, &dup, err, sizeof err), -1);
    CHECK(strstr(err, "message id") != NULL);
    CHECK_EQ_INT(bus_publish_dedup(b, "lamda.dispatch.x", "{}", 2, "a b", 100, &dup, err, sizeof err), -1);
    CHECK_EQ_INT(bus_ensure_dispatch_stream(b, "bad.name", 1000, 1, true, err, sizeof err), -1);
    CHECK(strstr(err, "invalid stream name") != NULL);
    CHECK_EQ_INT(bus_ensure_dispatch_stream(b, "S", 0, 1, true, err, sizeof err), -1);
    /* No server: no acknowledgement, a clear error, and the caller may retry later. */
    err[0] = 0;
    CHECK_EQ_INT(bus_publish_dedup(b, "lamda.dispatch.x", "{}", 2, "id", 200, &dup, err, sizeof err), -1);
    CHECK(err[0] != 0);
    bus_msg m = {.subject = "x", .reply = NULL, .data = (const uint8_t *)"", .len = 0};
    CHECK_EQ_INT(bus_respond(b, &m, "x", 1), -1); /* nothing to reply to */
    CHECK_EQ_INT(bus_publish(b, "bad subject", "x", 1), -1);
    bus_close(b);
    CHECK_EQ_INT(bus_connect("", "test", &b, err, sizeof err), -1);
    CHECK(b == NULL);
}

int main(void) {
    log_set_level(LOG_ERROR);
    RUN(subjects);
    RUN(server_down);
    TEST_EXIT();
}
