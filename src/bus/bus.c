/* bus — see bus.h. A thin layer over libnats: it fixes the connection policy (reconnect
 * forever, start even when the server is down), the shape of the dispatch stream, and turns
 * libnats statuses into this project's "0 / -1 + message" convention. */
#include "bus/bus.h"

#include <nats/nats.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "bus/bus_internal.h"
#include "core/log.h"

#define CONNECT_TIMEOUT_MS 2000
#define RECONNECT_WAIT_MS 500
#define RECONNECT_JITTER_MS 250
#define RECONNECT_BUF_BYTES (8 * 1024 * 1024)
#define CLOSE_WAIT_MS 5000

struct bus_sub {
    bus *b;
    natsSubscription *ns;
    bus_msg_cb cb;
    void *ud;
    bool closing; /* an unsubscribe was issued; guarded by b->lock */
    bus_sub *next;
};

struct bus {
    natsConnection *nc;
    jsCtx *js;
    char name[64];
    /* lock guards subs (the open subscriptions) and every bus_sub's closing flag; done is
     * signalled each time libnats reports a subscription finished. */
    pthread_mutex_t lock;
    pthread_cond_t done;
    bus_sub *subs;
    /* bus_publish_dedup_many: a JetStream context of its own (made on first use) whose
     * acknowledgement handler reports into *pub, the batch of the call in progress (NULL
     * between calls, so a late acknowledgement touches nothing); both guarded by lock. */
    jsCtx *ajs;
    struct pub_batch *pub;
};

/* "what: status text (detail)" — libnats keeps a per-thread detail of the last failure. */
int bus_fail_nats(char *err, size_t errlen, const char *what, natsStatus s, jsErrCode jerr) {
    natsStatus last;
    const char *detail = nats_GetLastError(&last);
    if (jerr)
        return err_fail(err, errlen, "%s: %s (JetStream error %d%s%s)", what, natsStatus_GetText(s), (int)jerr,
                    detail && *detail ? ": " : "", detail ? detail : "");
    return err_fail(err, errlen, "%s: %s%s%s", what, natsStatus_GetText(s), detail && *detail ? ": " : "",
                detail ? detail : "");
}

bool bus_subject_valid(const char *subject, bool wildcards) {
    if (!subject) return false;
    size_t len = strnlen(subject, BUS_MAX_SUBJECT + 1);
    if (len == 0 || len > BUS_MAX_SUBJECT) return false;
    size_t tok_start = 0;
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = (unsigned char)subject[i];
        if (c == '.' || c == '\0') {
            size_t tlen = i - tok_start;
            if (tlen == 0) return false;
            const char *tok = subject + tok_start;
            if (tlen == 1 && (tok[0] == '*' || tok[0] == '>')) {
                if (!wildcards) return false;
                if (tok[0] == '>' && c != '\0') return false;
            }
            tok_start = i + 1;
            continue;
        }
        if (c <= 0x20 || c >= 0x7f) return false;
        if ((c == '*' || c == '>') && !wildcards) return false;
    }
    /* A '*' or '>' glued to other characters ("a*") is not a wildcard and not a valid token. */
    for (size_t i = 0; i < len; i++) {
        if (subject[i] != '*' && subject[i] != '>') continue;
        bool alone = (i == 0 || subject[i - 1] == '.') && (i + 1 == len || subject[i + 1] == '.');
        if (!alone) return false;
    }
    return true;
}

/* Connection events, on libnats's threads. They take no closure: libnats may still deliver the
 * "closed" event after bus_close has freed the bus. */
static void on_disconnected(natsConnection *nc, void *closure) {
    (void)closure;
    if (natsConnection_IsClosed(nc)) return; /* our own bus_close: on_closed says it */
    log_warn("nats: disconnected; reconnecting in the background, publishes are buffered");
}

static void on_reconnected(natsConnection *nc, void *closure) {
    (void)closure;
    char url[256] = "";
    natsConnection_GetConnectedUrl(nc, url, sizeof url);
    /* libnats reports the URL with its user:password@ (per-user NATS credentials, see
     * scripts/nats-auth.md); only the server part is logged. */
    const char *sep = strstr(url, "://");
    const char *at = sep ? strrchr(sep + 3, '@') : NULL;
    if (at) log_info("nats: connected to %.*s%s as %.*s", (int)(sep + 3 - url), url, at + 1,
                     (int)strcspn(sep + 3, ":@"), sep + 3);
    else log_info("nats: connected to %s", url);
}

static void on_closed(natsConnection *nc, void *closure) {
    (void)nc;
    (void)closure;
    log_info("nats: connection closed");
}

static void on_async_error(natsConnection *nc, natsSubscription *sub, natsStatus s, void *closure) {
    (void)nc;
    (void)sub;
    (void)closure;
    /* Typically a slow consumer: a subscription's pending limit was hit and messages dropped. */
    log_error("nats: asynchronous error: %s", natsStatus_GetText(s));
}

/* url is one server or a comma-separated list of seeds (a cluster). natsOptions_SetURL takes
 * one URL only, so a list goes in as the server pool; either way libnats adds the cluster
 * members the servers announce, so reconnects follow the cluster beyond the seeds. */
#define BUS_MAX_SEEDS 16
static natsStatus set_servers(natsOptions *opts, const char *url) {
    char copy[2048];
    if (strlen(url) >= sizeof copy) return NATS_INVALID_ARG;
    snprintf(copy, sizeof copy, "%s", url);
    const char *seeds[BUS_MAX_SEEDS];
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        if (n == BUS_MAX_SEEDS) return NATS_INVALID_ARG;
        seeds[n++] = tok;
    }
    if (n == 0) return NATS_INVALID_ARG;
    /* libnats copies the strings, so the stack buffer may go. */
    return n == 1 ? natsOptions_SetURL(opts, seeds[0]) : natsOptions_SetServers(opts, seeds, n);
}

int bus_connect(const char *url, const char *name, bus **out, char *err, size_t errlen) {
    natsOptions *opts = NULL;
    natsStatus s;
    int rc = -1;
    if (!out) return err_fail(err, errlen, "bus_connect: no output");
    *out = NULL;
    if (!url || !*url) return err_fail(err, errlen, "NATS_URL is empty");
    bus *b = calloc(1, sizeof *b);
    if (!b) return err_fail(err, errlen, "out of memory");
    snprintf(b->name, sizeof b->name, "%s", name && *name ? name : "lamda");
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->done, NULL);

    s = natsOptions_Create(&opts);
    if (s == NATS_OK) s = set_servers(opts, url);
    if (s == NATS_OK) s = natsOptions_SetName(opts, b->name);
    if (s == NATS_OK) s = natsOptions_SetTimeout(opts, CONNECT_TIMEOUT_MS);
    if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts, true);
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
    if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, RECONNECT_WAIT_MS);
    if (s == NATS_OK) s = natsOptions_SetReconnectJitter(opts, RECONNECT_JITTER_MS, RECONNECT_JITTER_MS);
    if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(opts, RECONNECT_BUF_BYTES);
    if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts, on_disconnected, NULL);
    if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts, on_reconnected, NULL);
    if (s == NATS_OK) s = natsOptions_SetClosedCB(opts, on_closed, NULL);
    if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts, on_async_error, NULL);
    /* A server that is down at start must not stop the service: the first connect is retried
     * like a reconnect, and the connected callback reports when it succeeds. */
    if (s == NATS_OK) s = natsOptions_SetRetryOnFailedConnect(opts, true, on_reconnected, NULL);
    if (s != NATS_OK) {
        bus_fail_nats(err, errlen, "NATS options", s, 0);
        goto out;
    }
    s = natsConnection_Connect(&b->nc, opts);
    if (s == NATS_NOT_YET_CONNECTED) {
        log_warn("nats %s: server not reachable yet; will keep trying in the background", b->name);
    } else if (s != NATS_OK) {
        bus_fail_nats(err, errlen, "NATS connect", s, 0);
        goto out;
    } else {
        on_reconnected(b->nc, NULL);
    }
    s = natsConnection_JetStream(&b->js, b->nc, NULL);
    if (s != NATS_OK) {
        bus_fail_nats(err, errlen, "JetStream context", s, 0);
        goto out;
    }
    *out = b;
    rc = 0;
out:
    natsOptions_Destroy(opts);
    if (rc != 0) {
        if (b->nc) natsConnection_Destroy(b->nc);
        pthread_cond_destroy(&b->done);
        pthread_mutex_destroy(&b->lock);
        free(b);
    }
    return rc;
}

int bus_flush(bus *b, int64_t timeout_ms) {
    if (!b || !b->nc) return -1;
    return natsConnection_FlushTimeout(b->nc, timeout_ms) == NATS_OK ? 0 : -1;
}
natsConnection *bus_nats_connection(bus *b) { return b ? b->nc : NULL; }
jsCtx *bus_jetstream(bus *b) { return b ? b->js : NULL; }
const char *bus_client_name(bus *b) { return b ? b->name : ""; }

bool bus_connected(bus *b) { return b && b->nc && natsConnection_Status(b->nc) == NATS_CONN_STATUS_CONNECTED; }

void bus_js_options(jsOptions *jo) {
    jsOptions_Init(jo);
    jo->Wait = STREAM_API_WAIT_MS;
}

bool bus_stream_same_subjects(const jsStreamConfig *c, const char *const *want, size_t n) {
    if (!c->Subjects || c->SubjectsLen != (int)n) return false;
    for (size_t i = 0; i < n; i++)
        if (!c->Subjects[i] || strcmp(c->Subjects[i], want[i]) != 0) return false;
    return true;
}

int bus_stream_find_or_add(bus *b, jsStreamConfig *sc, jsStreamInfo **si, bool *created, char *err,
                           size_t errlen) {
    jsOptions jo;
    jsErrCode jerr = 0;
    bus_js_options(&jo);
    *si = NULL;
    *created = false;
    natsStatus s = js_GetStreamInfo(si, b->js, sc->Name, &jo, &jerr);
    if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
        jerr = 0;
        s = js_AddStream(si, b->js, sc, &jo, &jerr);
        if (s != NATS_OK) return bus_fail_nats(err, errlen, "create stream", s, jerr);
        *created = true;
        return 0;
    }
    if (s != NATS_OK) return bus_fail_nats(err, errlen, "stream info", s, jerr);
    if (!(*si)->Config) {
        jsStreamInfo_Destroy(*si);
        *si = NULL;
        return err_fail(err, errlen, "stream %s: the server sent no configuration", sc->Name);
    }
    return 0;
}

/* Changing the replica count moves the stream's data between servers; that is an operator's
 * decision (nats stream edit), not something a starting service does behind their back. */
int bus_stream_check_replicas(const jsStreamInfo *si, int want, char *err, size_t errlen) {
    int have = (int)si->Config->Replicas;
    if (have == want) return 0;
    return err_fail(err, errlen,
                    "stream %s has %d replica%s but NATS_STREAM_REPLICAS is %d: set NATS_STREAM_REPLICAS=%d, or "
                    "change the stream's replicas on the server first",
                    si->Config->Name, have, have == 1 ? "" : "s", want, have);
}

static bool same_republish(const jsStreamConfig *c, bool want) {
    const jsRePublish *r = c->RePublish;
    if (!want) return !r || !r->Destination || !*r->Destination;
    return r && r->Source && r->Destination && strcmp(r->Source, BUS_DISPATCH_SUBJECTS) == 0 &&
           strcmp(r->Destination, BUS_AGENT_SUBJECTS) == 0 && !r->HeadersOnly;
}

int bus_ensure_dispatch_stream(bus *b, const char *stream_name, uint64_t duplicate_window_ms, int replicas,
                               bool republish,
                               char *err, size_t errlen) {
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    jsOptions jo;
    natsStatus s;
    if (!b || !stream_name || !*stream_name) return err_fail(err, errlen, "no stream name");
    /* Stream names become subject tokens of the JetStream API. */
    for (const char *p = stream_name; *p; p++)
        if (*p <= ' ' || *p >= 0x7f || *p == '.' || *p == '*' || *p == '>' || *p == '/' || *p == '\\')
            return err_fail(err, errlen, "invalid stream name \"%s\"", stream_name);
    if (duplicate_window_ms == 0 || duplicate_window_ms > INT64_MAX / NS_PER_MS)
        return err_fail(err, errlen, "duplicate window %llu ms out of range", (unsigned long long)duplicate_window_ms);
    if (replicas < 1 || replicas > 5) return err_fail(err, errlen, "stream replicas %d out of range (1 to 5)", replicas);
    uint64_t max_age_ms = BUS_DISPATCH_MAX_AGE_MS;
    /* The server refuses a duplicate window longer than the age limit. */
    if (max_age_ms < duplicate_window_ms) max_age_ms = duplicate_window_ms;

    const char *subjects[] = {BUS_DISPATCH_SUBJECTS};
    jsRePublish rp;
    jsRePublish_Init(&rp);
    rp.Source = BUS_DISPATCH_SUBJECTS;
    rp.Destination = BUS_AGENT_SUBJECTS;
    rp.HeadersOnly = false;
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    sc.Name = stream_name;
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    sc.Retention = js_LimitsPolicy;
    sc.Discard = js_DiscardOld;
    sc.Replicas = replicas;
    sc.Duplicates = (int64_t)duplicate_window_ms * NS_PER_MS;
    sc.MaxAge = (int64_t)max_age_ms * NS_PER_MS;
    sc.RePublish = republish ? &rp : NULL;

    bool created;
    if (bus_stream_find_or_add(b, &sc, &si, &created, err, errlen) != 0) return -1;
    if (created) {
        log_info("nats %s: created stream %s (%s, %d replica%s, duplicate window %llu ms, republish to %s)",
                 b->name, stream_name, BUS_DISPATCH_SUBJECTS, replicas, replicas == 1 ? "" : "s",
                 (unsigned long long)duplicate_window_ms, republish ? BUS_AGENT_SUBJECTS : "none");
        jsStreamInfo_Destroy(si);
        return 0;
    }
    if (bus_stream_check_replicas(si, replicas, err, errlen) != 0) {
        jsStreamInfo_Destroy(si);
        return -1;
    }
    const jsStreamConfig *cur = si->Config;
    bool same = bus_stream_same_subjects(cur, subjects, 1) && same_republish(cur, republish) &&
                cur->Storage == js_FileStorage && cur->Duplicates == sc.Duplicates && cur->MaxAge == sc.MaxAge &&
                cur->Retention == js_LimitsPolicy && cur->Discard == js_DiscardOld;
    bool republishes = cur->RePublish && cur->RePublish->Destination && *cur->RePublish->Destination;
    uint64_t held = si->State.Msgs;
    jsStreamInfo_Destroy(si);
    si = NULL;
    if (same) return 0;
    bus_js_options(&jo);
    if (republishes && !republish) {
        /* A stream made before acknowledged delivery republishes to the agents' subjects, and
         * the server refuses to change RePublish in place. Left as it is, every job would reach
         * its agent twice (republished, and delivered); so it is recreated. Its stored copies go:
         * the outbox is the record of what was dispatched, and the agents are served by
         * delivery. JetStream consumers of the old stream start again from the new one. */
        jerr = 0;
        s = js_DeleteStream(b->js, stream_name, &jo, &jerr);
        if (s != NATS_OK) return bus_fail_nats(err, errlen, "delete the republishing stream", s, jerr);
        jerr = 0;
        s = js_AddStream(&si, b->js, &sc, &jo, &jerr);
        if (s != NATS_OK) return bus_fail_nats(err, errlen, "create stream", s, jerr);
        jsStreamInfo_Destroy(si);
        log_warn("nats %s: stream %s republished to %s (before acknowledged delivery) and cannot be changed in "
                 "place; recreated without RePublish, its %llu stored message(s) dropped",
                 b->name, stream_name, BUS_AGENT_SUBJECTS, (unsigned long long)held);
        return 0;
    }
    jerr = 0;
    s = js_UpdateStream(&si, b->js, &sc, &jo, &jerr);
    if (s != NATS_OK) return bus_fail_nats(err, errlen, "update stream", s, jerr);
    jsStreamInfo_Destroy(si);
    log_info("nats %s: updated stream %s to the dispatch configuration (duplicate window %llu ms)", b->name,
             stream_name, (unsigned long long)duplicate_window_ms);
    return 0;
}

int bus_publish_dedup(bus *b, const char *subject, const void *data, size_t len, const char *msg_id,
                      int64_t timeout_ms, bool *duplicate, char *err, size_t errlen) {
    jsPubAck *pa = NULL;
    jsErrCode jerr = 0;
    jsPubOptions po;
    if (duplicate) *duplicate = false;
    if (!b) return err_fail(err, errlen, "no bus");
    if (!bus_subject_valid(subject, false) || strncmp(subject, BUS_DISPATCH_PREFIX, strlen(BUS_DISPATCH_PREFIX)) != 0)
        return err_fail(err, errlen, "subject must be a concrete %s<…> subject", BUS_DISPATCH_PREFIX);
    size_t idlen = msg_id ? strnlen(msg_id, BUS_MAX_MSG_ID + 1) : 0;
    if (idlen == 0 || idlen > BUS_MAX_MSG_ID) return err_fail(err, errlen, "message id empty or too long");
    for (size_t i = 0; i < idlen; i++)
        if ((unsigned char)msg_id[i] <= ' ' || (unsigned char)msg_id[i] >= 0x7f)
            return err_fail(err, errlen, "message id has a character that cannot go in a header");
    if (len > INT32_MAX || (len && !data)) return err_fail(err, errlen, "bad payload");
    if (timeout_ms <= 0) timeout_ms = STREAM_API_WAIT_MS;

    jsPubOptions_Init(&po);
    po.MsgId = msg_id;
    po.MaxWait = timeout_ms;
    natsStatus s = js_Publish(&pa, b->js, subject, data, (int)len, &po, &jerr);
    if (s != NATS_OK) return bus_fail_nats(err, errlen, "JetStream publish", s, jerr);
    if (duplicate) *duplicate = pa->Duplicate;
    jsPubAck_Destroy(pa);
    return 0;
}

/* bus_publish_dedup_many: the items of the call in progress. */
typedef struct pub_batch {
    bus_pub_item *items;
    size_t n;
} pub_batch;

/* Runs on a libnats thread for every acknowledgement (or failure) of an async publish. */
static void on_pub_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure) {
    (void)js;
    bus *b = closure;
    const char *id = NULL;
    if (msg && natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) != NATS_OK) id = NULL;
    pthread_mutex_lock(&b->lock);
    pub_batch *pb = b->pub;
    for (size_t i = 0; pb && id && i < pb->n; i++) {
        bus_pub_item *it = &pb->items[i];
        if (it->acked || strcmp(it->msg_id, id) != 0) continue;
        if (pa) {
            it->acked = true;
            it->duplicate = pa->Duplicate;
        } else if (pae) {
            snprintf(it->err, sizeof it->err, "JetStream publish: %s (%s, code %d)",
                     pae->ErrText ? pae->ErrText : "error", natsStatus_GetText(pae->Err), (int)pae->ErrCode);
        }
        break;
    }
    pthread_mutex_unlock(&b->lock);
    natsMsg_Destroy(msg);
}

static int pub_item_check(const bus_pub_item *it, char *err, size_t errlen) {
    if (!bus_subject_valid(it->subject, false) ||
        strncmp(it->subject, BUS_DISPATCH_PREFIX, strlen(BUS_DISPATCH_PREFIX)) != 0)
        return err_fail(err, errlen, "subject must be a concrete %s<…> subject", BUS_DISPATCH_PREFIX);
    size_t idlen = it->msg_id ? strnlen(it->msg_id, BUS_MAX_MSG_ID + 1) : 0;
    if (idlen == 0 || idlen > BUS_MAX_MSG_ID) return err_fail(err, errlen, "message id empty or too long");
    for (size_t i = 0; i < idlen; i++)
        if ((unsigned char)it->msg_id[i] <= ' ' || (unsigned char)it->msg_id[i] >= 0x7f)
            return err_fail(err, errlen, "message id has a character that cannot go in a header");
    if (it->len > INT32_MAX || (it->len && !it->data)) return err_fail(err, errlen, "bad payload");
    return 0;
}

#define PUB_ASYNC_MAX_PENDING 4096

int bus_publish_dedup_many(bus *b, bus_pub_item *items, size_t n, int64_t timeout_ms, char *err, size_t errlen) {
    if (!b) return err_fail(err, errlen, "no bus");
    if (n > PUB_ASYNC_MAX_PENDING) return err_fail(err, errlen, "more than %d messages at once", PUB_ASYNC_MAX_PENDING);
    for (size_t i = 0; i < n; i++) {
        items[i].acked = items[i].duplicate = false;
        snprintf(items[i].err, sizeof items[i].err, "no acknowledgement in time");
        if (pub_item_check(&items[i], err, errlen) != 0) return -1;
    }
    if (n == 0) return 0;
    if (timeout_ms <= 0) timeout_ms = STREAM_API_WAIT_MS;
    natsStatus s = NATS_OK;
    if (!b->ajs) {
        jsOptions jo;
        jsOptions_Init(&jo);
        jo.PublishAsync.AckHandler = on_pub_ack;
        jo.PublishAsync.AckHandlerClosure = b;
        jo.PublishAsync.MaxPending = PUB_ASYNC_MAX_PENDING;
        s = natsConnection_JetStream(&b->ajs, b->nc, &jo);
        if (s != NATS_OK) {
            b->ajs = NULL;
            return bus_fail_nats(err, errlen, "JetStream context", s, 0);
        }
    }
    pub_batch pb = {.items = items, .n = n};
    pthread_mutex_lock(&b->lock);
    b->pub = &pb;
    pthread_mutex_unlock(&b->lock);
    size_t queued = 0;
    for (; queued < n; queued++) {
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MsgId = items[queued].msg_id;
        s = js_PublishAsync(b->ajs, items[queued].subject, items[queued].data, (int)items[queued].len, &po);
        if (s != NATS_OK) {
            bus_fail_nats(items[queued].err, sizeof items[queued].err, "JetStream publish", s, 0);
            break;
        }
    }
    if (queued > 0) {
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MaxWait = timeout_ms;
        if (js_PublishAsyncComplete(b->ajs, &po) != NATS_OK) {
            /* Take back what is still unacknowledged: no handler runs for it after this. */
            natsMsgList pending;
            if (js_PublishAsyncGetPendingList(&pending, b->ajs) == NATS_OK) natsMsgList_Destroy(&pending);
        }
    } else {
        bus_fail_nats(err, errlen, "JetStream publish", s, 0);
    }
    pthread_mutex_lock(&b->lock);
    b->pub = NULL;
    int acked = 0;
    for (size_t i = 0; i < n; i++) acked += items[i].acked;
    pthread_mutex_unlock(&b->lock);
    return queued > 0 ? acked : -1;
}

int bus_stream_msg_count(bus *b, const char *stream_name, uint64_t *msgs, char *err, size_t errlen) {
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    jsOptions jo;
    if (!b || !stream_name || !msgs) return err_fail(err, errlen, "bad arguments");
    bus_js_options(&jo);
    natsStatus s = js_GetStreamInfo(&si, b->js, stream_name, &jo, &jerr);
    if (s != NATS_OK) return bus_fail_nats(err, errlen, "stream info", s, jerr);
    *msgs = si->State.Msgs;
    jsStreamInfo_Destroy(si);
    return 0;
}

int bus_publish(bus *b, const char *subject, const void *data, size_t len) {
    if (!b || !bus_subject_valid(subject, false) || len > INT32_MAX || (len && !data)) return -1;
    return natsConnection_Publish(b->nc, subject, data, (int)len) == NATS_OK ? 0 : -1;
}

static void on_message(natsConnection *nc, natsSubscription *ns, natsMsg *msg, void *closure) {
    (void)nc;
    (void)ns;
    bus_sub *s = closure;
    bus_msg m = {
        .subject = natsMsg_GetSubject(msg),
        .reply = natsMsg_GetReply(msg),
        .data = (const uint8_t *)natsMsg_GetData(msg),
        .len = (size_t)natsMsg_GetDataLength(msg),
    };
    if (m.reply && !*m.reply) m.reply = NULL;
    if (!m.data) m.data = (const uint8_t *)"";
    s->cb(s->b, &m, s->ud);
    natsMsg_Destroy(msg);
}

/* libnats calls this once a subscription is closed and its handler has returned for the last
 * time: only now may the wrapper the handler uses be freed. */
static void on_sub_complete(void *closure) {
    bus_sub *s = closure;
    bus *b = s->b;
    pthread_mutex_lock(&b->lock);
    for (bus_sub **pp = &b->subs; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    pthread_cond_broadcast(&b->done);
    pthread_mutex_unlock(&b->lock);
    free(s);
}

int bus_subscribe(bus *b, const char *subject, const char *queue, bus_msg_cb cb, void *ud, bus_sub **out,
                  char *err, size_t errlen) {
    natsStatus s;
    if (out) *out = NULL;
    if (!b || !cb) return err_fail(err, errlen, "bad arguments");
    if (!bus_subject_valid(subject, true)) return err_fail(err, errlen, "invalid subject");
    if (queue && !bus_subject_valid(queue, false)) return err_fail(err, errlen, "invalid queue group");
    bus_sub *sub = calloc(1, sizeof *sub);
    if (!sub) return err_fail(err, errlen, "out of memory");
    sub->b = b;
    sub->cb = cb;
    sub->ud = ud;
    /* Hold the lock across creation so bus_close cannot miss a subscription being made. */
    pthread_mutex_lock(&b->lock);
    if (queue)
        s = natsConnection_QueueSubscribe(&sub->ns, b->nc, subject, queue, on_message, sub);
    else
        s = natsConnection_Subscribe(&sub->ns, b->nc, subject, on_message, sub);
    if (s == NATS_OK) s = natsSubscription_SetOnCompleteCB(sub->ns, on_sub_complete, sub);
    if (s != NATS_OK) {
        pthread_mutex_unlock(&b->lock);
        bus_fail_nats(err, errlen, "subscribe", s, 0);
        if (sub->ns) {
            natsSubscription_Unsubscribe(sub->ns);
            natsSubscription_Destroy(sub->ns);
            /* The completion callback was not set or may not run: leaking beats a double free. */
            return -1;
        }
        free(sub);
        return -1;
    }
    sub->next = b->subs;
    b->subs = sub;
    pthread_mutex_unlock(&b->lock);
    if (out) *out = sub;
    return 0;
}

/* Issue the unsubscribe once; the caller holds b->lock. */
static natsSubscription *begin_close_locked(bus_sub *s) {
    if (s->closing) return NULL;
    s->closing = true;
    return s->ns;
}

void bus_unsubscribe(bus_sub *s) {
    if (!s) return;
    bus *b = s->b;
    pthread_mutex_lock(&b->lock);
    natsSubscription *ns = begin_close_locked(s);
    pthread_mutex_unlock(&b->lock);
    /* s may be freed by on_sub_complete as soon as the unsubscribe lands: use ns only. */
    if (ns) {
        natsSubscription_Unsubscribe(ns);
        natsSubscription_Destroy(ns);
    }
}

int bus_respond(bus *b, const bus_msg *m, const void *data, size_t len) {
    if (!b || !m || !m->reply) return -1;
    if (len > INT32_MAX || (len && !data)) return -1;
    return natsConnection_Publish(b->nc, m->reply, data, (int)len) == NATS_OK ? 0 : -1;
}

int bus_request(bus *b, const char *subject, const void *data, size_t len, int64_t timeout_ms, char **reply,
                size_t *reply_len, char *err, size_t errlen) {
    natsMsg *msg = NULL;
    if (reply) *reply = NULL;
    if (reply_len) *reply_len = 0;
    if (!b || !reply || !bus_subject_valid(subject, false) || len > INT32_MAX || (len && !data))
        return err_fail(err, errlen, "bad arguments");
    natsStatus s = natsConnection_Request(&msg, b->nc, subject, data, (int)len, timeout_ms);
    if (s != NATS_OK) return bus_fail_nats(err, errlen, "request", s, 0);
    size_t n = (size_t)natsMsg_GetDataLength(msg);
    char *copy = malloc(n + 1);
    if (!copy) {
        natsMsg_Destroy(msg);
        return err_fail(err, errlen, "out of memory");
    }
    if (n) memcpy(copy, natsMsg_GetData(msg), n);
    copy[n] = '\0';
    natsMsg_Destroy(msg);
    *reply = copy;
    if (reply_len) *reply_len = n;
    return 0;
}

void bus_close(bus *b) {
    if (!b) return;
    if (bus_connected(b)) natsConnection_FlushTimeout(b->nc, 2000);
    /* Close every subscription still open, then wait for libnats to finish each one (its
     * completion callback unlinks it), so no handler can run on a freed wrapper or bus. The
     * unsubscribe calls are made without the lock, as the completion callback takes it. */
    for (;;) {
        natsSubscription *ns = NULL;
        pthread_mutex_lock(&b->lock);
        for (bus_sub *s = b->subs; s && !ns; s = s->next) ns = begin_close_locked(s);
        pthread_mutex_unlock(&b->lock);
        if (!ns) break;
        natsSubscription_Unsubscribe(ns);
        natsSubscription_Destroy(ns);
    }
    pthread_mutex_lock(&b->lock);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += CLOSE_WAIT_MS / 1000;
    while (b->subs) {
        if (pthread_cond_timedwait(&b->done, &b->lock, &deadline) != 0) break;
    }
    bool leaked = b->subs != NULL;
    pthread_mutex_unlock(&b->lock);
    if (leaked) {
        /* A handler is stuck: freeing now could crash it, so leave the bus allocated. */
        log_error("nats %s: subscriptions did not finish within %d ms; leaking them", b->name, CLOSE_WAIT_MS);
        jsCtx_Destroy(b->js);
        if (b->ajs) jsCtx_Destroy(b->ajs);
        natsConnection_Close(b->nc);
        return;
    }
    jsCtx_Destroy(b->js);
    if (b->ajs) jsCtx_Destroy(b->ajs);
    natsConnection_Close(b->nc);
    natsConnection_Destroy(b->nc);
    pthread_cond_destroy(&b->done);
    pthread_mutex_destroy(&b->lock);
    free(b);
}
