#include "services/outbox_publisher.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/hex.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/shutdown.h"
#include "services/agent_status.h"
#include "services/job_delivery.h"
#include "store/store.h"

#define OUTBOX_BATCH 256
/* Fallback poll: rows committed in this process wake the publisher at once (store_notify);
 * rows written by another process (the follower can run in the reputation service, specs
 * arrive through the API) are found by this poll. */
#define OUTBOX_FALLBACK_POLL_MS 100
#define PUBLISH_TIMEOUT_MS 2000
/* Short: the same loop hands jobs to agents, which should not wait behind a JetStream retry. */
#define BACKOFF_MAX_MS 1000
#define CAPTURE_RETRY_S 5

int outbox_publisher_run(const lamda_config *cfg, bus *b) {
    store *s = NULL;
    long backoff = 0;
    bool stream_ready = false;
    bool capture_ready = false;
    time_t capture_next_try = 0;
    bool was_down = false;
    metrics_counter_t *m_sent = metrics_counter("lamda_jobs_dispatched_total", "Jobs published to JetStream", "");
    metrics_counter_t *m_dup = metrics_counter("lamda_dispatch_duplicates_total",
                                               "Publishes the stream recognised as duplicates", "");
    metrics_gauge_t *m_depth = metrics_gauge("lamda_outbox_depth", "Unsent NATS outbox rows", "");
    metrics_histogram_t *m_lat = metrics_histogram("lamda_dispatch_publish_seconds",
                                                   "Time from outbox row to JetStream ack", "",
                                                   NULL, 0);
    store_outbox_row rows[OUTBOX_BATCH];
    job_delivery *dl = job_delivery_new(cfg);
    if (!dl) {
        log_error("job-dispatcher: out of memory");
        return 1;
    }
    uint64_t seen = store_notify_seq();
    int64_t grace_until = 0; /* stream storing waits until then after a reconnect */
    while (!shutdown_requested()) {
        char err[256];
        if (!s && store_open(cfg->database_url, &s, err, sizeof err) != 0) {
            log_warn("job-dispatcher: outbox: database not available (%s)", err);
            s = NULL;
            goto retry;
        }
        /* The agents' reports are kept by a JetStream capture (agent_status.h). Without it the
         * live subscriptions still take them, as before the capture, so deliveries do not wait
         * for it; it is made again after an outage, in case the server came back without its
         * data. */
        if (!capture_ready && bus_connected(b) && time(NULL) >= capture_next_try) {
            if (agent_status_ensure_capture(b, cfg, err, sizeof err) == 0) {
                capture_ready = true;
            } else {
                log_warn("job-dispatcher: agent.status stream %s not ready (%s); reports are taken live only "
                         "until it is", AGENT_STATUS_STREAM, err);
                capture_next_try = time(NULL) + CAPTURE_RETRY_S;
            }
        }
        /* Deliveries to the agents first: they do not depend on the dispatch stream. */
        long next_ms = 1000;
        if (job_delivery_pass(dl, s, b, &next_ms) != STORE_OK) {
            log_warn("job-dispatcher: delivery pass failed: %s", store_errmsg(s));
            goto retry;
        }
        if (next_ms > OUTBOX_FALLBACK_POLL_MS) next_ms = OUTBOX_FALLBACK_POLL_MS;
        if (!stream_ready) {
            if (bus_ensure_dispatch_stream(b, cfg->nats_stream, cfg->nats_duplicate_window_ms,
                                           (int)cfg->nats_stream_replicas, false, err, sizeof err) != 0) {
                log_warn("job-dispatcher: JetStream stream %s not ready (%s)", cfg->nats_stream, err);
                goto retry;
            }
            stream_ready = true;
            log_info("job-dispatcher: stream %s ready (stores lamda.dispatch.>; agents are served by delivery)",
                     cfg->nats_stream);
        }
        /* The stream no longer feeds core subscribers (job_delivery does, and knows who was
         * there), so this grace only spreads the backlog's JetStream writes after an outage. */
        if (!bus_connected(b)) {
            was_down = true;
            shutdown_sleep_ms(50);
            continue;
        }
        if (was_down) {
            log_info("job-dispatcher: NATS is back; storing the backlog in the stream in %llu ms",
                     (unsigned long long)cfg->nats_reconnect_grace_ms);
            grace_until = (int64_t)time(NULL) * 1000 + (int64_t)cfg->nats_reconnect_grace_ms;
            was_down = false;
            capture_ready = false;
        }
        if ((int64_t)time(NULL) * 1000 < grace_until) {
            seen = store_notify_wait(seen, next_ms);
            continue;
        }
        int n = 0;
        int rc = store_outbox_pending(s, OUTBOX_BATCH, rows, &n);
        if (rc != STORE_OK) {
            log_warn("job-dispatcher: outbox read failed: %s", store_errmsg(s));
            goto retry;
        }
        if (n == 0) {
            int64_t depth = 0;
            store_outbox_depth(s, &depth);
            metrics_gauge_set(m_depth, (double)depth);
            backoff = 0;
            /* Sleep until a commit of this process queues work, the next delivery is due, or
             * the fallback poll. */
            if (next_ms > 0) seen = store_notify_wait(seen, next_ms);
            continue;
        }
        /* The whole batch in flight at once, then the acknowledged rows marked sent in one
         * transaction: marked after the ack, never before, so a crash in between re-publishes
         * and the stream drops the copy by its Msg-Id. */
        bool failed = false;
        char ids[OUTBOX_BATCH][67];
        bus_pub_item items[OUTBOX_BATCH];
        for (int i = 0; i < n; i++) {
            hex_encode(rows[i].job_id, 32, ids[i]);
            items[i] = (bus_pub_item){.subject = rows[i].subject, .data = rows[i].payload,
                                      .len = rows[i].payload_len, .msg_id = ids[i]};
        }
        int acked = bus_publish_dedup_many(b, items, (size_t)n, PUBLISH_TIMEOUT_MS, err, sizeof err);
        if (acked < 0) {
            log_warn("job-dispatcher: publishing %d outbox messages failed (%s); will retry", n, err);
            acked = 0;
        }
        if (acked > 0) {
            int64_t now = (int64_t)time(NULL);
            rc = store_begin(s);
            for (int i = 0; rc == STORE_OK && i < n; i++) {
                if (!items[i].acked) continue;
                rc = store_outbox_mark_sent(s, rows[i].id, now);
                if (rc == STORE_NOTFOUND) rc = STORE_OK;
            }
            if (rc == STORE_OK) rc = store_commit(s);
            if (rc != STORE_OK) {
                log_warn("job-dispatcher: marking %d published jobs sent failed: %s", acked, store_errmsg(s));
                store_rollback(s);
                failed = true;
            }
        }
        for (int i = 0; !failed && i < n; i++) {
            if (!items[i].acked) continue;
            if (items[i].duplicate) metrics_counter_inc(m_dup);
            else metrics_counter_inc(m_sent);
            double age = (double)time(NULL) - (double)rows[i].created_at;
            metrics_histogram_observe(m_lat, age < 0 ? 0 : age);
            log_debug("job-dispatcher: job %s published to %s%s", ids[i], rows[i].subject,
                      items[i].duplicate ? " (duplicate)" : "");
        }
        if (acked < n) {
            bool said = false;
            for (int i = 0; i < n; i++) {
                if (items[i].acked) continue;
                if (!said)
                    log_warn("job-dispatcher: publish of job %s not acknowledged (%s); %d of %d unacknowledged, will retry",
                             ids[i], items[i].err, n - acked, n);
                said = true;
                store_outbox_bump_attempts(s, rows[i].id);
            }
            failed = true;
        }
        store_outbox_rows_free(rows, n);
        if (!failed) {
            backoff = 0;
            continue;
        }
    retry:
        if (s && store_ping(s) != STORE_OK) {
            store_close(s);
            s = NULL;
        }
        backoff = backoff ? backoff * 2 : 100;
        if (backoff > BACKOFF_MAX_MS) backoff = BACKOFF_MAX_MS;
        shutdown_sleep_ms(backoff);
    }
    store_close(s);
    job_delivery_free(dl);
    return 0;
}
