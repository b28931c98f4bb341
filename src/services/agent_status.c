#include "services/agent_status.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/address.h"
#include "core/hex.h"
#include "core/json_strict.h"
#include "core/json_text.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/shutdown.h"
#include "core/utf8.h"
#include "evm/eip191.h"
#include "ipfs/cid.h"
#include "services/subscriber.h"

static int digits(const char *s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int agent_status_parse_time(const char *s, int64_t *out) {
    int y, mo, d, h, mi, sec;
    size_t n = strlen(s);
    if (n < 20 || n > 40 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s + 11, 2, &h) ||
        s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec))
        return -1;
    /* A real calendar day, and no leap second: Go's time package (the published agent) never
     * writes :60 and refuses to read it, so neither do we. */
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) || h > 23 ||
        mi > 59 || sec > 59)
        return -1;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p)) return -1;
        while (isdigit((unsigned char)*p)) p++;
    }
    int offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59) return -1;
        offset = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p) return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec};
    *out = (int64_t)timegm(&tm) - offset;
    return 0;
}

int agent_status_message(const uint8_t job_id[32], const char *status, const char *output_cid,
                         const char *timestamp, char *out, size_t cap) {
    char id[67];
    int n = snprintf(out, cap, "lamda:agent-status\njob:%s\nstatus:%s\noutput:%s\ntimestamp:%s",
                     hex_encode(job_id, 32, id), status, output_cid ? output_cid : "", timestamp ? timestamp : "");
    return (n < 0 || (size_t)n >= cap) ? -1 : n;
}

int agent_status_check_subject(const char *subject, const agent_report *r, char *err, size_t errlen) {
    if (!strcmp(subject, AGENT_STATUS_SUBJECT)) return 0;
    size_t pl = strlen(AGENT_STATUS_SUBJECT_PREFIX);
    uint8_t who[20];
    if (strncmp(subject, AGENT_STATUS_SUBJECT_PREFIX, pl) != 0 ||
        address_parse(subject + pl, strlen(subject + pl), who) != ADDRESS_OK) {
        snprintf(err, errlen, "not an agent.status subject");
        return -1;
    }
    if (memcmp(who, r->agent, 20) != 0) {
        snprintf(err, errlen, "agent_address is not the sender's (%s)", subject + pl);
        return -1;
    }
    return 0;
}

static const char *str(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int agent_status_parse(const uint8_t *p, size_t len, agent_report *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (len > AGENT_STATUS_MAX_BYTES) {
        snprintf(err, errlen, "message of %zu bytes exceeds %d", len, AGENT_STATUS_MAX_BYTES);
        return -1;
    }
    /* One JSON object and nothing after it; unknown fields are tolerated here (unlike the
     * query bodies), since later versions of the published agent may add some. */
    char why[128];
    cJSON *o = json_strict_object((const char *)p, len, NULL, why, sizeof why);
    int rc = -1;
    if (!o) {
        snprintf(err, errlen, "%s in the message", why);
        goto out;
    }
    const char *agent = str(o, "agent_address"), *job = str(o, "job_id"), *status = str(o, "status"),
               *ocid = str(o, "output_cid"), *ts = str(o, "timestamp"), *e = str(o, "error");
    if (!agent || address_parse(agent, strlen(agent), out->agent) != ADDRESS_OK) {
        snprintf(err, errlen, "agent_address missing or not an address");
        goto out;
    }
    if (!job || hex_decode_exact(job, strlen(job), out->job_id, 32) != 0) {
        snprintf(err, errlen, "job_id missing or not 32 bytes of hex");
        goto out;
    }
    if (!status) {
        snprintf(err, errlen, "status missing");
        goto out;
    }
    if (!strcmp(status, "processing")) out->to = JOB_RUNNING;
    else if (!strcmp(status, "completed")) out->to = JOB_COMPLETED;
    else if (!strcmp(status, "failed")) out->to = JOB_FAILED;
    else {
        snprintf(err, errlen, "unknown status (expected processing, completed or failed)");
        goto out;
    }
    if (out->to == JOB_COMPLETED) {
        cid c;
        char cerr[128];
        if (!ocid || cid_parse(ocid, strlen(ocid), &c, cerr, sizeof cerr) != 0) {
            snprintf(err, errlen, "completed needs a valid output_cid: %s", ocid ? cerr : "missing");
            goto out;
        }
        snprintf(out->output_cid, sizeof out->output_cid, "%s", ocid);
    }
    if (out->to == JOB_FAILED) {
        const char *why = e && *e ? e : "agent reported failure";
        utf8_copy(out->error, sizeof out->error, why, strlen(why)); /* cut between characters */
    }
    if (ts && agent_status_parse_time(ts, &out->ts) != 0) {
        snprintf(err, errlen, "timestamp is not RFC 3339");
        goto out;
    }
    const cJSON *sigj = cJSON_GetObjectItemCaseSensitive(o, "signature");
    if (sigj && !cJSON_IsNull(sigj)) {
        uint8_t sig[65], signer[20];
        char msg[600];
        int mlen = agent_status_message(out->job_id, status, ocid, ts, msg, sizeof msg);
        if (!cJSON_IsString(sigj) || hex_decode_exact(sigj->valuestring, strlen(sigj->valuestring), sig, 65) != 0) {
            snprintf(err, errlen, "signature must be 0x followed by 130 hex digits");
            goto out;
        }
        if (mlen < 0 || eip191_recover((const uint8_t *)msg, (size_t)mlen, sig, signer) != 0 ||
            memcmp(signer, out->agent, 20) != 0) {
            snprintf(err, errlen, "signature is not agent_address's");
            goto out;
        }
        out->signed_by_agent = true;
    }
    rc = 0;
out:
    cJSON_Delete(o);
    return rc;
}

/* A report that tells nothing new: the job is already there, or past it. Each report arrives
 * twice (live and captured, agent_status.h) and an agent may send one again, so this is the
 * common case and not an error; a report that contradicts the job (failed after completed) is. */
static bool report_is_repeat(job_status now_in, job_status to) {
    if (now_in == to) return true;
    if (now_in == JOB_CONFIRMED || now_in == JOB_PAID) return to != JOB_FAILED;
    return to == JOB_RUNNING && (now_in == JOB_COMPLETED || now_in == JOB_FAILED || now_in == JOB_STALLED);
}

int agent_status_apply(store *s, const agent_report *r, int64_t now, char *err, size_t errlen) {
    store_job j;
    int rc = store_job_get(s, r->job_id, &j);
    if (rc == STORE_NOTFOUND) {
        snprintf(err, errlen, "unknown job");
        return -1;
    }
    if (rc != STORE_OK) return rc;
    if (memcmp(j.provider, r->agent, 20) != 0) {
        snprintf(err, errlen, "report from an agent that is not the job's provider");
        return -1;
    }
    /* The agent's clock is not trusted for ordering; it is recorded only when plausible. */
    int64_t ts = (r->ts > 0 && r->ts <= now + 300) ? r->ts : now;
    rc = store_job_transition(s, r->job_id, r->to, ts, r->to == JOB_COMPLETED ? r->output_cid : NULL,
                              r->to == JOB_FAILED ? r->error : NULL);
    if (rc != STORE_INVALID) return rc;
    /* Read again: the other copy of this report may have moved the job since the read above. */
    if ((rc = store_job_get(s, r->job_id, &j)) == STORE_NOTFOUND) {
        snprintf(err, errlen, "unknown job");
        return -1;
    }
    if (rc != STORE_OK) return rc;
    if (report_is_repeat(j.status, r->to)) return AGENT_STATUS_REPEAT;
    snprintf(err, errlen, "transition from %s to %s not allowed", store_job_status_name(j.status),
             store_job_status_name(r->to));
    return -1;
}

/* ---- the agent.status subscriptions ------------------------------------------------------ */

/* Every report reaches lamda twice (agent_status.h): live, on core subscriptions to
 * agent.status and to agent.status.<address> (the per-provider subjects a server with accounts
 * maps each provider's publishes to), and captured, from this deployment's consumer of the
 * stream AGENT_STATUS_STREAM, which keeps each report until a dispatcher acknowledged it. Live
 * alone loses a report sent while no dispatcher is subscribed (a restart) or held by one that
 * is SIGKILLed before applying it, and a lost first report makes lamda send the job again after
 * JOB_ACK_WAIT. Captured alone loses what is published while a clustered stream has no leader
 * (seconds after its node dies: core publishes are not stored then). Together a report is lost
 * only when both happen at once. Applying is idempotent (AGENT_STATUS_REPEAT), so the second
 * copy costs one read. */
#define REPORT_RETRIES 20   /* attempts of a captured report, REPORT_RETRY_MS apart: */
#define REPORT_RETRY_MS 250 /* 5 s in all for a report that meets the database down */
#define REPORT_NAK_MS 1000  /* then the report is handed back, to come again after this */
/* What the stream keeps while no dispatcher takes reports: a report is a few hundred bytes, so
 * this is hours of a busy network, and a provider flooding the subject cannot fill a disk. */
#define CAPTURE_MAX_MSGS 1000000
#define CAPTURE_MAX_BYTES (256LL * 1024 * 1024)
/* A report a dispatcher took and did not acknowledge (it died) comes again after this; well
 * under JOB_ACK_WAIT, so it arrives before the job would be sent again. */
#define CAPTURE_ACK_WAIT_MIN_MS 1000
#define CAPTURE_ACK_WAIT_MAX_MS 10000

/* What the live subscriptions take and the capture keeps. */
static const char *const report_subjects[2] = {AGENT_STATUS_SUBJECT, AGENT_STATUS_SUBJECT_PREFIX "*"};

struct agent_status_sub {
    const lamda_config *cfg;
    subscriber *live[2], *captured;
    metrics_counter_t *m_ok, *m_dropped, *m_retried, *m_repeat, *m_live, *m_acked;
};

/* The capture of this deployment: consumer and deliver subject are named after NATS_STREAM
 * (already checked to be a valid subject token). */
static void capture_of(const lamda_config *cfg, bus_capture *q, char consumer[BUS_MAX_SUBJECT],
                       char deliver[BUS_MAX_SUBJECT]) {
    snprintf(consumer, BUS_MAX_SUBJECT, "%s_agent_status", cfg->nats_stream);
    snprintf(deliver, BUS_MAX_SUBJECT, "lamda.status.%s", cfg->nats_stream);
    uint64_t wait = cfg->job_ack_wait_ms / 4;
    if (wait < CAPTURE_ACK_WAIT_MIN_MS) wait = CAPTURE_ACK_WAIT_MIN_MS;
    if (wait > CAPTURE_ACK_WAIT_MAX_MS) wait = CAPTURE_ACK_WAIT_MAX_MS;
    *q = (bus_capture){.stream = AGENT_STATUS_STREAM, .subjects = report_subjects, .n_subjects = 2,
                       .consumer = consumer, .deliver_subject = deliver, .ack_wait_ms = wait,
                       .max_msgs = CAPTURE_MAX_MSGS, .max_bytes = CAPTURE_MAX_BYTES,
                       .max_msg_size = AGENT_STATUS_MAX_BYTES, .replicas = (int)cfg->nats_stream_replicas};
}

int agent_status_ensure_capture(bus *b, const lamda_config *cfg, char *err, size_t errlen) {
    bus_capture q;
    char consumer[BUS_MAX_SUBJECT], deliver[BUS_MAX_SUBJECT];
    capture_of(cfg, &q, consumer, deliver);
    return bus_ensure_capture(b, &q, err, errlen);
}

/* Parse the message and check who sent it: 0, or -1 with the reason. */
static int check_report(const agent_status_sub *c, const bus_msg *m, agent_report *r, char *err, size_t errlen) {
    if (agent_status_parse(m->data, m->len, r, err, errlen) != 0) return -1;
    if (agent_status_check_subject(m->subject, r, err, errlen) != 0) return -1;
    if (c->cfg->agent_status_require_signature && !r->signed_by_agent) {
        snprintf(err, errlen, "no signature (AGENT_STATUS_REQUIRE_SIGNATURE is true)");
        return -1;
    }
    return 0;
}

/* One attempt on the subscription's store: agent_status_apply's result, or STORE_CONN. */
static int apply_once(agent_status_sub *c, subscriber *sub, const agent_report *r, char *err, size_t errlen) {
    store *s = subscriber_store(sub, err, errlen);
    if (!s) return STORE_CONN;
    /* Any report from the job's provider proves its agent has the job: delivery is done,
     * whatever the transition below decides. */
    int64_t now = (int64_t)time(NULL);
    int rc = store_delivery_ack(s, r->job_id, r->agent, now);
    if (rc == STORE_OK) metrics_counter_inc(c->m_acked);
    if (rc != STORE_CONN) rc = agent_status_apply(s, r, now, err, errlen);
    if (rc < -1) snprintf(err, errlen, "%s", store_errmsg(s)); /* a database failure */
    return rc;
}

/* The live copy: applied at once or left to the captured one, which reports what is wrong. */
static void on_live(subscriber *sub, void *ud, bus *b, const bus_msg *m) {
    (void)b;
    agent_status_sub *c = ud;
    agent_report r;
    char err[256];
    if (check_report(c, m, &r, err, sizeof err) != 0) return;
    if (apply_once(c, sub, &r, err, sizeof err) == 0) metrics_counter_inc(c->m_live);
}

/* The captured copy: true when it is done with (applied, a repeat, or refused for good), false
 * when the database could not be reached and the report should come again. */
static bool handle_captured(agent_status_sub *c, subscriber *sub, bus *b, const bus_msg *m) {
    agent_report r;
    char err[256];
    if (check_report(c, m, &r, err, sizeof err) != 0) {
        metrics_counter_inc(c->m_dropped);
        log_warn("job-dispatcher: agent.status dropped: %s", err);
        return true;
    }
    /* A connection failure is retried here for a few seconds (a PostgreSQL restart), the
     * consumer's later reports waiting behind it in order; only then is it handed back. */
    int rc = STORE_CONN;
    for (int attempt = 0; attempt < REPORT_RETRIES && !shutdown_requested(); attempt++) {
        if (attempt) {
            bus_in_progress(b, m); /* still ours: the server must not deliver it elsewhere meanwhile */
            shutdown_sleep_ms(REPORT_RETRY_MS);
        }
        if ((rc = apply_once(c, sub, &r, err, sizeof err)) != STORE_CONN) break;
    }
    switch (rc) {
    case STORE_CONN:
        metrics_counter_inc(c->m_retried);
        log_warn("job-dispatcher: agent.status not applied yet, database unavailable (%s); it comes again", err);
        return false;
    case 0: metrics_counter_inc(c->m_ok); return true;
    case AGENT_STATUS_REPEAT: metrics_counter_inc(c->m_repeat); return true;
    case -1:
        metrics_counter_inc(c->m_dropped);
        log_warn("job-dispatcher: agent.status refused: %s", err);
        return true;
    default:
        metrics_counter_inc(c->m_dropped);
        log_warn("job-dispatcher: agent.status not applied: %s", err);
        return true;
    }
}

static void on_captured(subscriber *sub, void *ud, bus *b, const bus_msg *m) {
    if (handle_captured(ud, sub, b, m)) bus_ack(b, m);
    else bus_nak(b, m, REPORT_NAK_MS);
}

agent_status_sub *agent_status_subscribe(bus *b, const lamda_config *cfg) {
    agent_status_sub *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->cfg = cfg;
    static const char *const help = "agent.status reports, each counted once (from the capture)";
    c->m_ok = metrics_counter("lamda_agent_status_total", help, "result=\"applied\"");
    c->m_repeat = metrics_counter("lamda_agent_status_total", help, "result=\"repeat\"");
    c->m_dropped = metrics_counter("lamda_agent_status_total", help, "result=\"dropped\"");
    c->m_retried = metrics_counter("lamda_agent_status_total", help, "result=\"retried\"");
    c->m_live = metrics_counter("lamda_agent_status_live_applied_total",
                                "agent.status reports applied from the live subscription", "");
    c->m_acked = metrics_counter("lamda_jobs_acknowledged_total", "Jobs whose agent first reported on agent.status", "");
    char err[256];
    for (int i = 0; i < 2; i++) {
        c->live[i] = subscriber_start(b, report_subjects[i], NULL, cfg->database_url, on_live, c, err, sizeof err);
        if (!c->live[i]) log_warn("job-dispatcher: %s subscription failed (%s)", report_subjects[i], err);
    }
    bus_capture q;
    char consumer[BUS_MAX_SUBJECT], deliver[BUS_MAX_SUBJECT];
    capture_of(cfg, &q, consumer, deliver);
    /* Made now, served once the capture exists (the outbox publisher ensures it when NATS is
     * up): messages come only from the consumer, so the order does not matter. */
    c->captured = subscriber_start(b, deliver, consumer, cfg->database_url, on_captured, c, err, sizeof err);
    if (!c->captured) log_warn("job-dispatcher: %s subscription failed (%s)", deliver, err);
    return c;
}

void agent_status_unsubscribe(agent_status_sub *c) {
    if (!c) return;
    for (int i = 0; i < 2; i++) subscriber_stop(c->live[i]);
    subscriber_stop(c->captured);
    free(c);
}
