/* bus_capture — a stream that keeps core publishes for durable consumers (bus.h, bus_capture). */
#include <stdio.h>
#include <string.h>

#include "bus/bus_internal.h"
#include "core/err.h"
#include "core/log.h"

/* Interest retention deletes a message once every consumer acknowledged it; this bounds what a
 * consumer nobody runs any more (a deployment gone) holds: a report a day old is moot. */
#define MAX_AGE_MS (24LL * 3600 * 1000)
#define MAX_ACK_PENDING 10000

static int ensure_stream(bus *b, const bus_capture *q, char *err, size_t errlen) {
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    sc.Name = q->stream;
    sc.Subjects = (const char **)q->subjects;
    sc.SubjectsLen = (int)q->n_subjects;
    sc.Storage = js_FileStorage;
    sc.Retention = js_InterestPolicy;
    sc.Discard = js_DiscardOld;
    sc.Replicas = q->replicas;
    sc.MaxAge = MAX_AGE_MS * NS_PER_MS;
    sc.MaxMsgs = (int64_t)q->max_msgs;
    sc.MaxBytes = (int64_t)q->max_bytes;
    sc.MaxMsgSize = (int32_t)q->max_msg_size;
    jsStreamInfo *si = NULL;
    bool created;
    if (bus_stream_find_or_add(b, &sc, &si, &created, err, errlen) != 0) return -1;
    if (created) {
        jsStreamInfo_Destroy(si);
        log_info("nats %s: created stream %s (keeps %s%s for its consumers, %d replica%s)", bus_client_name(b), q->stream,
                 q->subjects[0], q->n_subjects > 1 ? ", …" : "", q->replicas, q->replicas == 1 ? "" : "s");
        return 0;
    }
    const jsStreamConfig *cur = si->Config;
    /* Retention cannot change in place; a stream of that name made for something else is the
     * operator's to remove, not ours to delete. */
    if (cur->Retention != js_InterestPolicy) {
        jsStreamInfo_Destroy(si);
        return err_fail(err, errlen, "stream %s exists without interest retention; remove it (nats stream rm %s)",
                        q->stream, q->stream);
    }
    if (bus_stream_check_replicas(si, q->replicas, err, errlen) != 0) {
        jsStreamInfo_Destroy(si);
        return -1;
    }
    bool same = bus_stream_same_subjects(cur, q->subjects, q->n_subjects) && cur->Storage == js_FileStorage &&
                cur->MaxAge == sc.MaxAge && cur->MaxMsgs == sc.MaxMsgs && cur->MaxBytes == sc.MaxBytes &&
                cur->MaxMsgSize == sc.MaxMsgSize && cur->Discard == js_DiscardOld;
    jsStreamInfo_Destroy(si);
    if (same) return 0;
    jsOptions jo;
    bus_js_options(&jo);
    jsErrCode jerr = 0;
    si = NULL;
    natsStatus s = js_UpdateStream(&si, bus_jetstream(b), &sc, &jo, &jerr);
    if (s != NATS_OK) return bus_fail_nats(err, errlen, "update capture stream", s, jerr);
    jsStreamInfo_Destroy(si);
    log_info("nats %s: updated stream %s to the capture configuration", bus_client_name(b), q->stream);
    return 0;
}

static int ensure_consumer(bus *b, const bus_capture *q, char *err, size_t errlen) {
    jsOptions jo;
    bus_js_options(&jo);
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = q->consumer;
    cc.DeliverSubject = q->deliver_subject;
    cc.DeliverGroup = q->consumer;
    cc.DeliverPolicy = js_DeliverAll;
    cc.AckPolicy = js_AckExplicit;
    cc.AckWait = (int64_t)q->ack_wait_ms * NS_PER_MS;
    cc.MaxDeliver = -1; /* a report is worth keeping until some dispatcher applies it */
    cc.MaxAckPending = MAX_ACK_PENDING;
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetConsumerInfo(&ci, bus_jetstream(b), q->stream, q->consumer, &jo, &jerr);
    if (s == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr) {
        jerr = 0;
        s = js_AddConsumer(&ci, bus_jetstream(b), q->stream, &cc, &jo, &jerr);
        if (s != NATS_OK) return bus_fail_nats(err, errlen, "create capture consumer", s, jerr);
        jsConsumerInfo_Destroy(ci);
        return 0;
    }
    if (s != NATS_OK) return bus_fail_nats(err, errlen, "consumer info", s, jerr);
    const jsConsumerConfig *cur = ci->Config;
    bool same = cur && cur->AckWait == cc.AckWait && cur->AckPolicy == js_AckExplicit &&
                cur->MaxAckPending == cc.MaxAckPending && cur->DeliverSubject &&
                strcmp(cur->DeliverSubject, q->deliver_subject) == 0 && cur->DeliverGroup &&
                strcmp(cur->DeliverGroup, q->consumer) == 0;
    jsConsumerInfo_Destroy(ci);
    if (same) return 0;
    ci = NULL;
    jerr = 0;
    s = js_UpdateConsumer(&ci, bus_jetstream(b), q->stream, &cc, &jo, &jerr);
    if (s != NATS_OK) return bus_fail_nats(err, errlen, "update capture consumer", s, jerr);
    jsConsumerInfo_Destroy(ci);
    return 0;
}

int bus_ensure_capture(bus *b, const bus_capture *q, char *err, size_t errlen) {
    if (!b || !q || !q->stream || !q->consumer || !q->deliver_subject || !q->subjects || !q->n_subjects)
        return err_fail(err, errlen, "bad arguments");
    if (!q->max_msgs || !q->max_bytes || !q->max_msg_size || q->max_msgs > INT64_MAX || q->max_bytes > INT64_MAX ||
        q->max_msg_size > INT32_MAX)
        return err_fail(err, errlen, "capture limits out of range");
    if (q->replicas < 1 || q->replicas > 5)
        return err_fail(err, errlen, "stream replicas %d out of range (1 to 5)", q->replicas);
    if (!bus_connected(b)) return err_fail(err, errlen, "not connected");
    if (ensure_stream(b, q, err, errlen) != 0) return -1;
    return ensure_consumer(b, q, err, errlen);
}

/* Only the server's ack subjects are answered: a message someone published straight to the
 * deliver subject carries a reply of their choosing, and an ack must not be a way to make
 * lamda publish there. */
static bool from_consumer(const bus_msg *m) { return m && m->reply && strncmp(m->reply, "$JS.ACK.", 8) == 0; }

static int respond_consumer(bus *b, const bus_msg *m, const char *body, size_t len) {
    return from_consumer(m) ? bus_respond(b, m, body, len) : -1;
}

int bus_ack(bus *b, const bus_msg *m) { return respond_consumer(b, m, "+ACK", 4); }

int bus_nak(bus *b, const bus_msg *m, int64_t delay_ms) {
    char body[64];
    int n = snprintf(body, sizeof body, "-NAK {\"delay\":%lld}", (long long)(delay_ms < 0 ? 0 : delay_ms) * NS_PER_MS);
    return respond_consumer(b, m, body, (size_t)n);
}

int bus_in_progress(bus *b, const bus_msg *m) { return respond_consumer(b, m, "+WPI", 4); }
