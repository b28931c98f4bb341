#include "services/job_delivery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/hex.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/address.h"

#define DELIVERY_BATCH 256
#define DELIVER_TIMEOUT_MS 2000
#define DEADLINE_EVERY_MS 1000
#define FIRST_BACKOFF_MS 100

struct job_delivery {
    const lamda_config *cfg;
    bool recovered;
    int64_t last_deadline_ms;
    int64_t last_settle_ms;
    int64_t awaiting; /* from the last deadline pass */
    metrics_gauge_t *m_awaiting, *m_oldest;
    metrics_counter_t *m_copies, *m_redelivered, *m_absent, *m_undelivered, *m_stalled, *m_unregistered;
    store_delivery rows[DELIVERY_BATCH];
    bus_deliver_item items[DELIVERY_BATCH];
};

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

job_delivery *job_delivery_new(const lamda_config *cfg) {
    job_delivery *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->cfg = cfg;
    d->m_awaiting = metrics_gauge("lamda_jobs_awaiting_agent", "Dispatched jobs no agent has acknowledged yet", "");
    d->m_oldest = metrics_gauge("lamda_jobs_oldest_undelivered_seconds",
                                "Age of the oldest dispatched job not acknowledged by its agent", "");
    d->m_copies = metrics_counter("lamda_dispatch_deliveries_total", "Job copies a live agent subscription took", "");
    d->m_redelivered = metrics_counter("lamda_dispatch_redeliveries_total",
                                       "Copies sent again after JOB_ACK_WAIT without a report (possible duplicates)", "");
    d->m_absent = metrics_counter("lamda_dispatch_no_responders_total",
                                  "Delivery attempts that found no agent subscribed", "");
    d->m_undelivered = metrics_counter("lamda_jobs_expired_total", "Jobs ended by a deadline", "reason=\"undelivered\"");
    d->m_stalled = metrics_counter("lamda_jobs_expired_total", "Jobs ended by a deadline", "reason=\"stalled\"");
    d->m_unregistered = metrics_counter("lamda_dispatch_unregistered_provider_total",
                                        "Jobs waiting for a provider that never registered on opBNB", "");
    return d;
}

void job_delivery_free(job_delivery *d) { free(d); }

int64_t job_delivery_backoff_ms(int64_t probes, uint64_t max_ms) {
    int64_t b = FIRST_BACKOFF_MS;
    for (int64_t i = 1; i < probes && b < (int64_t)max_ms; i++) b *= 2;
    return b > (int64_t)max_ms ? (int64_t)max_ms : b;
}

void job_delivery_subject(const uint8_t provider[20], char out[64]) {
    char a[ADDRESS_STR_LEN];
    snprintf(out, 64, "%s%s", BUS_AGENT_PREFIX, address_format(provider, a));
}

static void fmt_duration(uint64_t ms, char *out, size_t n) {
    if (ms % 3600000 == 0) snprintf(out, n, "%lluh", (unsigned long long)(ms / 3600000));
    else if (ms % 60000 == 0) snprintf(out, n, "%llum", (unsigned long long)(ms / 60000));
    else if (ms % 1000 == 0) snprintf(out, n, "%llus", (unsigned long long)(ms / 1000));
    else snprintf(out, n, "%llums", (unsigned long long)ms);
}

/* One job past JOB_DELIVERY_TIMEOUT: its delivery ends and the job shows undelivered, with
 * what was seen as the reason, in one transaction. */
static int expire_one(job_delivery *d, store *s, const store_delivery *r) {
    char reason[STORE_ERROR_MAX], dur[32], id[67];
    fmt_duration(d->cfg->job_delivery_timeout_ms, dur, sizeof dur);
    if (r->copies > 0 || r->state != STORE_DELIVERY_WAITING)
        snprintf(reason, sizeof reason,
                 "undelivered: %s took %lld cop%s but its agent never reported on agent.status within %s",
                 r->subject, (long long)(r->copies ? r->copies : 1), r->copies > 1 ? "ies" : "y", dur);
    else
        snprintf(reason, sizeof reason, "undelivered: no agent subscribed to %s within %s (%lld attempts)",
                 r->subject, dur, (long long)r->probes);
    int rc = store_begin(s);
    if (rc == STORE_OK) rc = store_delivery_expire(s, r->job_id, reason);
    if (rc == STORE_NOTFOUND) rc = STORE_OK; /* acknowledged meanwhile */
    int trc = STORE_NOTFOUND;
    if (rc == STORE_OK) {
        trc = store_job_transition(s, r->job_id, JOB_UNDELIVERED, (int64_t)time(NULL), NULL, reason);
        if (trc == STORE_INVALID || trc == STORE_NOTFOUND) rc = STORE_OK; /* cancelled, confirmed…: state stays */
        else rc = trc;
    }
    if (rc == STORE_OK) rc = store_commit(s);
    if (rc != STORE_OK) {
        store_rollback(s);
        return rc;
    }
    if (trc == STORE_OK) {
        metrics_counter_inc(d->m_undelivered);
        log_warn("job-dispatcher: job %s %s", hex_encode(r->job_id, 32, id), reason);
    }
    return STORE_OK;
}

static int deadlines(job_delivery *d, store *s, int64_t t_ms) {
    int64_t now = t_ms / 1000;
    int n = 0, rc;
    do {
        rc = store_delivery_overdue(s, now - (int64_t)(d->cfg->job_delivery_timeout_ms / 1000), DELIVERY_BATCH,
                                    d->rows, &n);
        for (int i = 0; rc == STORE_OK && i < n; i++) rc = expire_one(d, s, &d->rows[i]);
        store_delivery_rows_free(d->rows, n);
    } while (rc == STORE_OK && n == DELIVERY_BATCH);
    if (rc != STORE_OK) return rc;

    uint8_t ids[64][32];
    int64_t running_at[64];
    char dur[32], reason[STORE_ERROR_MAX], id[67];
    fmt_duration(d->cfg->job_run_timeout_ms, dur, sizeof dur);
    rc = store_jobs_stalled(s, now - (int64_t)(d->cfg->job_run_timeout_ms / 1000), 64, ids, running_at, &n);
    for (int i = 0; rc == STORE_OK && i < n; i++) {
        snprintf(reason, sizeof reason, "stalled: the agent reported processing %lld s ago and nothing since (JOB_RUN_TIMEOUT %s)",
                 (long long)(now - running_at[i]), dur);
        int trc = store_job_transition(s, ids[i], JOB_STALLED, now, NULL, reason);
        if (trc == STORE_OK) {
            metrics_counter_inc(d->m_stalled);
            log_warn("job-dispatcher: job %s %s", hex_encode(ids[i], 32, id), reason);
        } else if (trc != STORE_INVALID && trc != STORE_NOTFOUND) {
            rc = trc;
        }
    }
    if (rc != STORE_OK) return rc;

    int64_t awaiting = 0, oldest = 0;
    rc = store_delivery_stats(s, &awaiting, &oldest);
    if (rc == STORE_OK) {
        d->awaiting = awaiting;
        metrics_gauge_set(d->m_awaiting, (double)awaiting);
        metrics_gauge_set(d->m_oldest, oldest > 0 && now > oldest ? (double)(now - oldest) : 0);
    }
    return rc;
}

/* A job whose first attempt found nobody: say once whether its provider is even known. */
static void explain_absent(job_delivery *d, store *s, const store_delivery *r) {
    store_provider p;
    char id[67];
    hex_encode(r->job_id, 32, id);
    int rc = store_provider_get(s, r->provider, &p);
    if (rc == STORE_NOTFOUND || (rc == STORE_OK && !p.is_registered)) {
        metrics_counter_inc(d->m_unregistered);
        log_warn("job-dispatcher: job %s waits for %s: the provider never registered on opBNB", id, r->subject);
    } else if (rc == STORE_OK && !p.is_online) {
        log_info("job-dispatcher: job %s waits for %s: the provider is offline (no recent heartbeat)", id, r->subject);
    } else {
        log_info("job-dispatcher: job %s waits for %s: no agent subscribed yet", id, r->subject);
    }
}

static int deliver_due(job_delivery *d, store *s, bus *b, int64_t t_ms, int *handled) {
    int n = 0;
    *handled = 0;
    int64_t settled = 0;
    int rc = STORE_OK;
    if (t_ms - d->last_settle_ms >= DEADLINE_EVERY_MS) { /* a scan of the open deliveries: once a second */
        d->last_settle_ms = t_ms;
        rc = store_delivery_settle_moved(s, t_ms / 1000, &settled);
    }
    if (rc != STORE_OK) return rc;
    if (settled > 0)
        log_info("job-dispatcher: %lld delivery(ies) ended: their job moved on without a report received here",
                 (long long)settled);
    rc = store_delivery_due(s, t_ms, (int64_t)d->cfg->job_ack_wait_ms, DELIVERY_BATCH, d->rows, &n);
    if (rc != STORE_OK || n == 0) return rc;
    /* Write-ahead: every row is 'sending' before its copy leaves, so a crash from here on is
     * recovered as "maybe delivered" (store_delivery_recover), never as "send again now". */
    bool take[DELIVERY_BATCH];
    size_t m = 0;
    rc = store_begin(s);
    for (int i = 0; rc == STORE_OK && i < n; i++) {
        int mrc = store_delivery_mark(s, d->rows[i].job_id, d->rows[i].state, STORE_DELIVERY_SENDING, t_ms, 0);
        take[i] = mrc == STORE_OK;
        if (mrc != STORE_OK && mrc != STORE_NOTFOUND) rc = mrc;
    }
    if (rc == STORE_OK) rc = store_commit(s);
    if (rc != STORE_OK) {
        store_rollback(s);
        store_delivery_rows_free(d->rows, n);
        return rc;
    }
    int idx[DELIVERY_BATCH];
    for (int i = 0; i < n; i++) {
        if (!take[i]) continue;
        d->items[m] = (bus_deliver_item){.subject = d->rows[i].subject, .data = d->rows[i].payload,
                                         .len = d->rows[i].payload_len};
        idx[m++] = i;
    }
    char err[256] = "";
    if (m && bus_deliver_many(b, d->items, m, DELIVER_TIMEOUT_MS, err, sizeof err) != 0)
        log_warn("job-dispatcher: delivering %zu jobs failed (%s); will retry", m, err); /* all ABSENT: nothing left */
    int64_t done_ms = now_ms();
    rc = store_begin(s);
    for (size_t k = 0; rc == STORE_OK && k < m; k++) {
        const store_delivery *r = &d->rows[idx[k]];
        if (d->items[k].result == BUS_DELIVER_ABSENT) {
            int64_t next = done_ms + job_delivery_backoff_ms(r->probes + 1, d->cfg->job_redelivery_max_backoff_ms);
            rc = store_delivery_mark(s, r->job_id, STORE_DELIVERY_SENDING, STORE_DELIVERY_WAITING, 0, next);
        } else {
            rc = store_delivery_mark(s, r->job_id, STORE_DELIVERY_SENDING, STORE_DELIVERY_DELIVERED, done_ms, 0);
        }
        if (rc == STORE_NOTFOUND) rc = STORE_OK; /* acknowledged or expired meanwhile */
    }
    if (rc == STORE_OK) rc = store_commit(s);
    if (rc != STORE_OK) {
        store_rollback(s); /* left 'sending': recovered as delivered after a restart */
    } else {
        for (size_t k = 0; k < m; k++) {
            const store_delivery *r = &d->rows[idx[k]];
            char id[67];
            hex_encode(r->job_id, 32, id);
            if (d->items[k].result == BUS_DELIVER_ABSENT) {
                metrics_counter_inc(d->m_absent);
                if (r->probes == 0 && r->copies == 0) explain_absent(d, s, r);
                continue;
            }
            metrics_counter_inc(d->m_copies);
            if (r->copies > 0) {
                metrics_counter_inc(d->m_redelivered);
                log_warn("job-dispatcher: job %s sent again to %s: no agent.status report within JOB_ACK_WAIT (copy %lld)",
                         id, r->subject, (long long)r->copies + 1);
            } else if (r->probes > 0) {
                log_info("job-dispatcher: job %s delivered to %s after %lld attempts, %lld ms after dispatch", id,
                         r->subject, (long long)r->probes + 1, (long long)(done_ms - r->created_at * 1000));
            } else {
                log_debug("job-dispatcher: job %s delivered to %s%s", id, r->subject,
                          d->items[k].result == BUS_DELIVER_UNKNOWN ? " (unconfirmed: treated as delivered)" : "");
            }
        }
        *handled = (int)m;
    }
    store_delivery_rows_free(d->rows, n);
    return rc;
}

int job_delivery_pass(job_delivery *d, store *s, bus *b, long *next_ms) {
    *next_ms = 1000;
    int64_t t = now_ms();
    int rc;
    if (!d->recovered) {
        int64_t n = 0;
        if ((rc = store_delivery_recover(s, &n)) != STORE_OK) return rc;
        if (n) log_info("job-dispatcher: %lld job(s) were being handed to agents at the last stop; treated as delivered",
                        (long long)n);
        d->recovered = true;
    }
    if (t - d->last_deadline_ms >= DEADLINE_EVERY_MS) {
        if ((rc = deadlines(d, s, t)) != STORE_OK) return rc;
        d->last_deadline_ms = t;
    }
    if (!bus_connected(b)) return STORE_OK;
    int handled = 0;
    if ((rc = deliver_due(d, s, b, t, &handled)) != STORE_OK) return rc;
    /* A full batch means more may be due now; with jobs waiting, the earliest retry is
     * FIRST_BACKOFF_MS away at the soonest; with none, new rows wake the caller through the
     * commit notification. */
    if (handled == DELIVERY_BATCH) *next_ms = 0;
    else if (handled || d->awaiting) *next_ms = FIRST_BACKOFF_MS / 2;
    return STORE_OK;
}
