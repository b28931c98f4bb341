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
    if (rc == STORE_INVALID) {
        snprintf(err, errlen, "transition from %s to %s not allowed", store_job_status_name(j.status),
                 store_job_status_name(r->to));
        return -1;
    }
    return rc;
}

/* ---- the agent.status subscription ------------------------------------------------------- */

/* Two subscriptions, each with its own store connection (libnats may run them on two threads):
 * the plain subject, and the per-provider subjects a server with accounts maps each provider's
 * publishes to (agent_status.h). */
#define REPORT_RETRIES 20   /* attempts, REPORT_RETRY_MS apart: */
#define REPORT_RETRY_MS 250 /* 5 s in all for a report that meets the database down */

struct agent_status_sub {
    const lamda_config *cfg;
    subscriber *sub[2];
    metrics_counter_t *m_ok, *m_dropped, *m_acked;
};

static void on_agent_status(subscriber *sub, void *ud, bus *b, const bus_msg *m) {
    (void)b;
    agent_status_sub *c = ud;
    agent_report r;
    char err[256];
    if (agent_status_parse(m->data, m->len, &r, err, sizeof err) != 0) {
        metrics_counter_inc(c->m_dropped);
        log_warn("job-dispatcher: agent.status dropped: %s", err);
        return;
    }
    if (agent_status_check_subject(m->subject, &r, err, sizeof err) != 0) {
        metrics_counter_inc(c->m_dropped);
        log_warn("job-dispatcher: agent.status refused: %s", err);
        return;
    }
    if (c->cfg->agent_status_require_signature && !r.signed_by_agent) {
        metrics_counter_inc(c->m_dropped);
        log_warn("job-dispatcher: agent.status refused: no signature (AGENT_STATUS_REQUIRE_SIGNATURE is true)");
        return;
    }
    /* A report is sent once (core NATS): one that meets the database down would be lost, and a
     * lost first report makes lamda send the job again after JOB_ACK_WAIT. So a connection
     * failure is retried for a few seconds (a PostgreSQL restart), the subscription's later
     * messages waiting behind it in order. */
    store *s = NULL;
    int rc = STORE_CONN;
    for (int attempt = 0; attempt < REPORT_RETRIES && !shutdown_requested(); attempt++) {
        if (attempt) shutdown_sleep_ms(REPORT_RETRY_MS);
        if (!(s = subscriber_store(sub, err, sizeof err))) continue;
        /* Any report from the job's provider proves its agent has the job: delivery is done,
         * whatever the transition below decides. */
        int arc = store_delivery_ack(s, r.job_id, r.agent, (int64_t)time(NULL));
        if (arc == STORE_OK) metrics_counter_inc(c->m_acked);
        if (arc == STORE_CONN) continue;
        rc = agent_status_apply(s, &r, (int64_t)time(NULL), err, sizeof err);
        if (rc != STORE_CONN) break;
    }
    if (!s) {
        log_warn("job-dispatcher: agent.status not applied, database unavailable: %s", err);
        return;
    }
    if (rc == 0) {
        metrics_counter_inc(c->m_ok);
        return;
    }
    metrics_counter_inc(c->m_dropped);
    if (rc == -1) log_warn("job-dispatcher: agent.status refused: %s", err);
    else log_warn("job-dispatcher: agent.status not applied: %s", store_errmsg(s));
}

agent_status_sub *agent_status_subscribe(bus *b, const lamda_config *cfg) {
    agent_status_sub *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->cfg = cfg;
    c->m_ok = metrics_counter("lamda_agent_status_total", "agent.status messages", "result=\"applied\"");
    c->m_dropped = metrics_counter("lamda_agent_status_total", "agent.status messages", "result=\"dropped\"");
    c->m_acked = metrics_counter("lamda_jobs_acknowledged_total", "Jobs whose agent first reported on agent.status", "");
    static const char *const subjects[2] = {AGENT_STATUS_SUBJECT, AGENT_STATUS_SUBJECT_PREFIX "*"};
    for (int i = 0; i < 2; i++) {
        char err[256];
        c->sub[i] = subscriber_start(b, subjects[i], NULL, cfg->database_url, on_agent_status, c, err, sizeof err);
        if (!c->sub[i])
            log_warn("job-dispatcher: %s subscription failed (%s); will not track agent progress", subjects[i], err);
    }
    return c;
}

void agent_status_unsubscribe(agent_status_sub *c) {
    if (!c) return;
    for (int i = 0; i < 2; i++) subscriber_stop(c->sub[i]);
    free(c);
}
