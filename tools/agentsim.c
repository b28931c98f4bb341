/* agentsim — a simulated node agent for demos and end-to-end tests.
 *
 * It speaks the published node agent's NATS protocol (docs: shared reference-notes.md) and
 * nothing more: a core NATS subscription to "jobs.dispatch.<EIP-55 address>", the job keys
 * job_id, image_name and input_file_cid, and progress reports on "agent.status":
 *   {"agent_address","job_id","status":"processing"|"failed"|"completed","output_cid","timestamp"}
 * with an RFC 3339 UTC timestamp. No container is run: after --work-ms the job "completes" with
 * an output CID that is the CIDv0 of sha2-256("lamda-agentsim\n" job_id "\n" image "\n" input),
 * so the same job always yields the same, valid CID.
 *
 *   agentsim (--key KEY | --address ADDR) [--nats URL] [--fail] [--once] [--count N]
 *            [--timeout SECONDS] [--work-ms MS] [--offline-for SECONDS] [--slow-ack SECONDS]
 *            [--die-mid-job]
 *
 * Faults, for the stranded-jobs tests: --offline-for stays connected but unsubscribed that
 * long before subscribing (an agent restarting); --slow-ack waits that long after a job
 * arrives before reporting processing; --die-mid-job reports processing for the first job and
 * exits at once (status 3) without completing it.
 *
 * KEY is 0x + 64 hex digits, env:NAME or @FILE (first line); only its address is used.
 * The NATS URL defaults to $NATS_URL, then nats://127.0.0.1:4222.
 *
 * Output on stdout, one line each:
 *   offline seconds=N                      (with --offline-for, before subscribing)
 *   ready address=0x… subject=jobs.dispatch.0x… at_ms=EPOCH_MS
 *   recv JOB_ID at_ms=EPOCH_MS             (the moment a job arrives)
 *   died JOB_ID at_ms=EPOCH_MS             (with --die-mid-job)
 *   job JOB_ID image=… input=… status=completed|failed output=CID|- at_ms=EPOCH_MS
 *       waited_ms=N handled_ms=N
 *   bad-message REASON
 *   done jobs=N
 * at_ms is the wall clock when the job arrived (callers subtract their own start time for an
 * end-to-end latency); waited_ms is the time since "ready" or the previous job; handled_ms is
 * from arrival to the last status published.
 *
 * Exit status: 0 when --count/--once was satisfied (or stopped by a signal without either),
 * 1 on --timeout before that, on a NATS error, 2 on a usage error. */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "bus/bus.h"
#include "core/address.h"
#include "core/hex.h"
#include "core/log.h"
#include "core/shutdown.h"
#include "evm/secp.h"
#include "ipfs/cid.h"

#define STATUS_SUBJECT "agent.status"

static const char USAGE[] =
    "usage: agentsim (--key KEY | --address ADDR) [--nats URL] [--fail] [--once] [--count N]\n"
    "                [--timeout SECONDS] [--work-ms MS] [--offline-for SECONDS]\n"
    "                [--slow-ack SECONDS] [--die-mid-job]\n"
    "  KEY: 0x + 64 hex digits, env:NAME or @FILE. Subscribes to jobs.dispatch.<address> and\n"
    "  reports processing, then completed (or failed with --fail) on agent.status.\n";

typedef struct {
    char address[ADDRESS_STR_LEN];
    bool fail;
    bool die_mid_job;
    long work_ms;
    long slow_ack_s;
    atomic_int jobs;
    long long last_ms; /* monotonic; only touched by the subscription callback after start */
} agent;

static long long mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* RFC 3339 in UTC, whole seconds, as the published agent writes it: 2025-01-02T03:04:05Z. */
static void rfc3339_now(char out[32]) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The private key in spec (0x…, env:NAME, @FILE) → its address. Never echoes the key. */
static int key_address(const char *spec, uint8_t addr[20]) {
    char buf[256];
    const char *s = spec;
    if (strncmp(spec, "env:", 4) == 0) {
        s = getenv(spec + 4);
        if (!s) {
            fprintf(stderr, "agentsim: environment variable %s is not set\n", spec + 4);
            return -1;
        }
    } else if (spec[0] == '@') {
        FILE *f = fopen(spec + 1, "r");
        if (!f) {
            fprintf(stderr, "agentsim: cannot read key file %s: %s\n", spec + 1, strerror(errno));
            return -1;
        }
        if (!fgets(buf, sizeof buf, f)) buf[0] = 0;
        fclose(f);
        buf[strcspn(buf, "\r\n")] = 0;
        s = buf;
    }
    uint8_t priv[32];
    int rc = -1;
    if (strlen(s) == 66 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && hex_decode_exact(s + 2, 64, priv, 32) == 0 &&
        secp_priv_address(priv, addr) == 0)
        rc = 0;
    else
        fprintf(stderr, "agentsim: invalid private key (want 0x + 64 hex digits, env:NAME or @FILE)\n");
    memset(priv, 0, sizeof priv);
    memset(buf, 0, sizeof buf);
    return rc;
}

static void publish_status(bus *b, const agent *a, const char *job_id, const char *status, const char *output) {
    char ts[32];
    rfc3339_now(ts);
    cJSON *o = cJSON_CreateObject();
    if (!o) return;
    cJSON_AddStringToObject(o, "agent_address", a->address);
    cJSON_AddStringToObject(o, "job_id", job_id);
    cJSON_AddStringToObject(o, "status", status);
    cJSON_AddStringToObject(o, "output_cid", output);
    cJSON_AddStringToObject(o, "timestamp", ts);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text) return;
    if (bus_publish(b, STATUS_SUBJECT, text, strlen(text)) < 0)
        fprintf(stderr, "agentsim: publishing %s status of %s failed\n", status, job_id);
    free(text);
}

/* A string member of o that is present and non-empty, else NULL. */
static const char *str_key(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

static void output_cid(const char *job_id, const char *image, const char *input, char out[CID_V0_LEN + 1]) {
    char buf[1024];
    int n = snprintf(buf, sizeof buf, "lamda-agentsim\n%s\n%s\n%s", job_id, image, input);
    if (n < 0 || (size_t)n >= sizeof buf) n = (int)sizeof buf - 1; /* still deterministic */
    uint8_t d[32];
    unsigned int dl = 0;
    if (EVP_Digest(buf, (size_t)n, d, &dl, EVP_sha256(), NULL) != 1 || dl != 32) memset(d, 0, sizeof d);
    cid_v0_from_sha256(d, out);
}

static void on_job(bus *b, const bus_msg *m, void *ud) {
    agent *a = ud;
    long long t0 = mono_ms(), at = wall_ms();
    long long waited = t0 - a->last_ms;
    a->last_ms = t0;
    cJSON *o = cJSON_ParseWithLength((const char *)m->data, m->len);
    const char *job_id = o ? str_key(o, "job_id") : NULL;
    if (!cJSON_IsObject(o) || !job_id) {
        printf("bad-message %s\n", !cJSON_IsObject(o) ? "not a JSON object" : "no job_id");
        fflush(stdout);
        cJSON_Delete(o);
        atomic_fetch_add(&a->jobs, 1);
        return;
    }
    const char *image = str_key(o, "image_name"), *input = str_key(o, "input_file_cid");
    /* On arrival, before anything can fail: a receipt counts even if the agent dies next. */
    printf("recv %s at_ms=%lld\n", job_id, at);
    fflush(stdout);
    if (a->slow_ack_s > 0) shutdown_sleep_ms(a->slow_ack_s * 1000);
    publish_status(b, a, job_id, "processing", "");
    if (a->die_mid_job) {
        /* A flush (PING/PONG) makes sure "processing" left, then die like a crashed agent: no
         * cleanup, no unsubscribe, no completed. */
        (void)bus_flush(b, 2000);
        printf("died %s at_ms=%lld\n", job_id, at);
        fflush(stdout);
        _exit(3);
    }
    if (a->work_ms > 0) shutdown_sleep_ms(a->work_ms);
    char out[CID_V0_LEN + 1] = "";
    bool failed = a->fail || !image || !input;
    if (failed) {
        publish_status(b, a, job_id, "failed", "");
    } else {
        output_cid(job_id, image, input, out);
        publish_status(b, a, job_id, "completed", out);
    }
    printf("job %s image=%s input=%s status=%s output=%s at_ms=%lld waited_ms=%lld handled_ms=%lld\n", job_id,
           image ? image : "-", input ? input : "-", failed ? "failed" : "completed", failed ? "-" : out, at, waited,
           mono_ms() - t0);
    fflush(stdout);
    cJSON_Delete(o);
    atomic_fetch_add(&a->jobs, 1);
}

int main(int argc, char **argv) {
    const char *key = NULL, *addr_text = NULL, *url = getenv("NATS_URL");
    long count = 0, timeout_s = 0, offline_s = 0;
    agent a = {.work_ms = 100};
    atomic_init(&a.jobs, 0);
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        bool has = i + 1 < argc;
        if (!strcmp(o, "--key") && has) key = argv[++i];
        else if (!strcmp(o, "--address") && has) addr_text = argv[++i];
        else if (!strcmp(o, "--nats") && has) url = argv[++i];
        else if (!strcmp(o, "--fail")) a.fail = true;
        else if (!strcmp(o, "--once")) count = 1;
        else if (!strcmp(o, "--count") && has) count = strtol(argv[++i], NULL, 10);
        else if (!strcmp(o, "--timeout") && has) timeout_s = strtol(argv[++i], NULL, 10);
        else if (!strcmp(o, "--work-ms") && has) a.work_ms = strtol(argv[++i], NULL, 10);
        else if (!strcmp(o, "--offline-for") && has) offline_s = strtol(argv[++i], NULL, 10);
        else if (!strcmp(o, "--slow-ack") && has) a.slow_ack_s = strtol(argv[++i], NULL, 10);
        else if (!strcmp(o, "--die-mid-job")) a.die_mid_job = true;
        else if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            fputs(USAGE, stdout);
            return 0;
        } else {
            fprintf(stderr, "agentsim: unknown or incomplete option %s\n%s", o, USAGE);
            return 2;
        }
    }
    if ((!key) == (!addr_text) || count < 0 || timeout_s < 0 || a.work_ms < 0 || offline_s < 0 || a.slow_ack_s < 0) {
        fputs(USAGE, stderr);
        return 2;
    }
    uint8_t addr[20];
    if (key) {
        if (key_address(key, addr) < 0) return 2;
    } else if (address_parse(addr_text, strlen(addr_text), addr) != ADDRESS_OK) {
        fprintf(stderr, "agentsim: invalid address %s\n", addr_text);
        return 2;
    }
    address_format(addr, a.address);
    if (!url || !*url) url = "nats://127.0.0.1:4222";

    log_set_service("agentsim");
    shutdown_install();
    char err[256] = "", subject[BUS_MAX_SUBJECT];
    snprintf(subject, sizeof subject, "%s%s", BUS_AGENT_PREFIX, a.address);
    bus *b = NULL;
    if (bus_connect(url, "agentsim", &b, err, sizeof err) < 0) {
        fprintf(stderr, "agentsim: %s\n", err);
        return 1;
    }
    long long start = mono_ms();
    long long deadline = timeout_s > 0 ? start + timeout_s * 1000 : 0;
    while (!bus_connected(b) && !shutdown_requested() && (!deadline || mono_ms() < deadline)) shutdown_sleep_ms(20);
    if (!bus_connected(b)) {
        fprintf(stderr, "agentsim: cannot connect to NATS at %s\n", url);
        bus_close(b);
        return 1;
    }
    if (offline_s > 0) {
        printf("offline seconds=%ld\n", offline_s);
        fflush(stdout);
        shutdown_sleep_ms(offline_s * 1000);
    }
    a.last_ms = mono_ms();
    bus_sub *sub = NULL;
    if (bus_subscribe(b, subject, NULL, on_job, &a, &sub, err, sizeof err) < 0) {
        fprintf(stderr, "agentsim: %s\n", err);
        bus_close(b);
        return 1;
    }
    /* The server answers in order, so once the PONG of a flush comes back the subscription is
     * registered and no job published after "ready" can be missed. (A flush, not a request:
     * a provider's NATS user may subscribe only to its own jobs, not to a reply inbox.) */
    (void)bus_flush(b, 2000);
    printf("ready address=%s subject=%s at_ms=%lld\n", a.address, subject, wall_ms());
    fflush(stdout);

    int rc = 0;
    for (;;) {
        if (count > 0 && atomic_load(&a.jobs) >= count) break;
        if (shutdown_requested()) break;
        if (deadline && mono_ms() >= deadline) {
            fprintf(stderr, "agentsim: timed out after %lds with %d of %ld job(s)\n", timeout_s,
                    atomic_load(&a.jobs), count);
            rc = count > 0 ? 1 : 0;
            break;
        }
        shutdown_sleep_ms(20);
    }
    bus_unsubscribe(sub);
    bus_close(b); /* flushes the last status publishes */
    printf("done jobs=%d\n", atomic_load(&a.jobs));
    return rc;
}
