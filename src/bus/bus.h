/* bus — the NATS and JetStream connection every service shares: connect (and keep reconnecting),
 * the dispatch stream, de-duplicated JetStream publishes, core subscriptions and request/reply.
 *
 * No job logic lives here; the dispatcher's outbox publisher is built on bus_publish_dedup.
 *
 * Dispatch (docs/design.md §3, §7) rests on two facts this module arranges:
 *   - jobs are stored on the internal subjects "lamda.dispatch.<addr>", published with a
 *     Nats-Msg-Id, so the stream keeps one copy per id within its duplicate window (for
 *     JetStream consumers);
 *   - jobs reach the agents' core subscriptions on "jobs.dispatch.<addr>" through
 *     bus_deliver_many, which tells from the server's "no responders" answers whether anyone
 *     was subscribed, so the dispatcher can retry exactly the copies nobody took. (The stream
 *     used to republish to the agents instead; a republish cannot tell that nobody listened.)
 *
 * Thread safety: every function may be called from any thread. Subscription callbacks run on
 * libnats threads; one subscription's callbacks never run concurrently with each other. */
#ifndef LAMDA_BUS_H
#define LAMDA_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUS_DISPATCH_SUBJECTS "lamda.dispatch.>" /* what the dispatch stream stores */
#define BUS_DISPATCH_PREFIX "lamda.dispatch."
#define BUS_AGENT_PREFIX "jobs.dispatch." /* where agents receive jobs (bus_deliver_many) */
#define BUS_AGENT_SUBJECTS "jobs.dispatch.>"
#define BUS_DISPATCH_MAX_AGE_MS (7ULL * 24 * 3600 * 1000) /* stored jobs are kept a week */
#define BUS_MAX_SUBJECT 256
#define BUS_MAX_MSG_ID 128

typedef struct bus bus;
typedef struct bus_sub bus_sub;

/* A received message. Valid only during the callback; data is untrusted. reply is NULL when
 * the sender expects no answer. */
typedef struct {
    const char *subject;
    const char *reply;
    const uint8_t *data;
    size_t len;
} bus_msg;

typedef void (*bus_msg_cb)(bus *b, const bus_msg *m, void *ud);

/* Connect to url (a comma-separated list is allowed) as client name. The connection reconnects
 * forever (buffering publishes meanwhile) and logs disconnects, reconnects and closure. A server
 * that is down at start is not an error: *out is still returned, bus_connected() is false, and
 * the connection is made in the background as soon as the server is up. Returns 0, or -1 with
 * err on bad options or URL. */
int bus_connect(const char *url, const char *name, bus **out, char *err, size_t errlen);

/* True while connected to a server. */
bool bus_connected(bus *b);

/* Create the dispatch stream, or bring an existing one to this configuration: subjects
 * BUS_DISPATCH_SUBJECTS, file storage, duplicate window duplicate_window_ms, messages kept
 * BUS_DISPATCH_MAX_AGE_MS (or the window, if longer), stored on `replicas` servers (1 to 5; a
 * cluster needs at least that many JetStream servers; an existing stream with another replica
 * count is refused, not changed), and, when republish is true, each stored message republished
 * to BUS_AGENT_SUBJECTS. The dispatcher passes false: it hands jobs to core subscribers itself
 * (bus_deliver_many), so that it knows whether anyone was there; the stream then serves
 * JetStream consumers only. A stream that republishes when republish is false cannot be
 * changed in place (the server refuses): it is deleted and created again, dropping its stored
 * messages, with a warning.
 * Returns 0, or -1 with err (not connected, JetStream disabled, a conflicting stream…). */
int bus_ensure_dispatch_stream(bus *b, const char *stream_name, uint64_t duplicate_window_ms, int replicas,
                               bool republish, char *err, size_t errlen);

/* Durable capture of plain core publishes (the agents' agent.status reports): a stream that
 * keeps `subjects` with interest retention (a message is deleted once every consumer has
 * acknowledged it), shared by every deployment on the server, and one durable push consumer
 * per deployment, delivering to deliver_subject with explicit acknowledgement. A message
 * published while none of the deployment's processes listens, or received by one that dies
 * before handling it, is kept and delivered again: to the consumer's subscribers (bus_subscribe
 * on deliver_subject with queue = consumer, so a deployment's instances share it) once one is
 * there, or ack_wait_ms after an unacknowledged delivery. Handlers answer with bus_ack or
 * bus_nak. */
typedef struct {
    const char *stream;
    const char *const *subjects;
    size_t n_subjects;
    const char *consumer; /* durable name, also the deliver (queue) group */
    const char *deliver_subject;
    uint64_t ack_wait_ms;
    /* Oldest dropped beyond max_msgs or max_bytes, larger messages not kept: a flood cannot
     * fill the server's disk. */
    uint64_t max_msgs, max_bytes, max_msg_size;
    int replicas; /* as for the dispatch stream */
} bus_capture;

/* Create the stream and the consumer, or bring existing ones to this configuration. Returns 0,
 * or -1 with err (not connected, JetStream disabled, another stream already captures the
 * subjects…). Cheap to call again after a reconnect. */
int bus_ensure_capture(bus *b, const bus_capture *q, char *err, size_t errlen);

/* Acknowledge a message a capture consumer delivered (m->reply is the server's ack subject):
 * it is not delivered to this consumer again. bus_nak asks for it again after delay_ms
 * instead. Returns 0, or -1 when m did not come from a consumer (its reply is not a $JS.ACK
 * subject) or the publish fails. */
int bus_ack(bus *b, const bus_msg *m);
int bus_nak(bus *b, const bus_msg *m, int64_t delay_ms);
/* Tell the server a delivered message is still being handled: its ack_wait starts again. */
int bus_in_progress(bus *b, const bus_msg *m);

/* One message of bus_deliver_many: subject and data (in); result (out). */
typedef enum {
    BUS_DELIVER_ABSENT = 0, /* the server answered "no responders": nobody is subscribed */
    BUS_DELIVER_LIVE,       /* no such answer: a subscription on the subject took the message */
    BUS_DELIVER_UNKNOWN,    /* the round trip did not complete (disconnect): maybe delivered */
} bus_deliver_result;

typedef struct {
    const char *subject;
    const void *data;
    size_t len;
    bus_deliver_result result;
} bus_deliver_item;

/* Publish each item as a core NATS request (a reply inbox of this call; the agents never
 * answer) and learn, from the server's "no responders" status answers (NATS ≥ 2.2 headers),
 * which subjects had no subscriber. All are published, then one flush (PING/PONG, up to
 * timeout_ms) guarantees every such answer has arrived: the server sends them in order,
 * before the PONG. Returns 0 with each result set, or -1 with err when nothing was sent (not
 * connected, invalid subject) — then every result is BUS_DELIVER_ABSENT. */
int bus_deliver_many(bus *b, bus_deliver_item *items, size_t n, int64_t timeout_ms, char *err, size_t errlen);

/* Publish data to subject (which must start with BUS_DISPATCH_PREFIX and be a valid, wildcard-
 * free subject) through JetStream with Nats-Msg-Id msg_id, and wait up to timeout_ms for the
 * stream's acknowledgement. Returns 0 once stored; *duplicate is then true when the stream had
 * already stored msg_id (the message was dropped, which is success). Returns -1 with err when
 * no acknowledgement came (not connected, timeout, no stream): the caller retries later with the
 * same msg_id. */
int bus_publish_dedup(bus *b, const char *subject, const void *data, size_t len, const char *msg_id,
                      int64_t timeout_ms, bool *duplicate, char *err, size_t errlen);

/* One message of bus_publish_dedup_many: subject, data, len and msg_id as for
 * bus_publish_dedup (in); acked, duplicate and err (out). */
typedef struct {
    const char *subject;
    const void *data;
    size_t len;
    const char *msg_id;
    bool acked;     /* the stream stored it (or had it already: duplicate) */
    bool duplicate;
    char err[160];  /* why not, when !acked */
} bus_pub_item;

/* bus_publish_dedup for n messages at once: all are sent without waiting (JetStream async
 * publish, every one with its Nats-Msg-Id), then the acknowledgements are awaited together, up
 * to timeout_ms in all. Each item says whether it was acknowledged; one that was not may or
 * may not be stored, and is retried later with the same msg_id like a failed
 * bus_publish_dedup. Returns the number acknowledged, or -1 with err when nothing could be
 * sent (an invalid item is refused up front, with err, and nothing is sent). */
int bus_publish_dedup_many(bus *b, bus_pub_item *items, size_t n, int64_t timeout_ms, char *err, size_t errlen);

/* Number of messages the stream holds, for health checks and tests. Returns 0 or -1 with err. */
int bus_stream_msg_count(bus *b, const char *stream_name, uint64_t *msgs, char *err, size_t errlen);

/* Core NATS publish (no acknowledgement; buffered while reconnecting). Returns 0 or -1. */
int bus_publish(bus *b, const char *subject, const void *data, size_t len);

/* Subscribe to subject (wildcards allowed) with core NATS; queue, when not NULL, makes it a
 * queue subscription so several instances share the load. *out (may be NULL) is the handle for
 * bus_unsubscribe; subscriptions still open at bus_close are closed there. Returns 0 or -1. */
int bus_subscribe(bus *b, const char *subject, const char *queue, bus_msg_cb cb, void *ud, bus_sub **out,
                  char *err, size_t errlen);

/* Stop a subscription. Safe to call from its own callback. After it returns the callback may
 * still be running one last time on another thread, but it is not called again afterwards. */
void bus_unsubscribe(bus_sub *s);

/* Answer a request received in a callback (m->reply). Returns 0, or -1 when m has no reply
 * subject or the publish fails. */
int bus_respond(bus *b, const bus_msg *m, const void *data, size_t len);

/* Send a request and wait up to timeout_ms for one reply. On success *reply (NUL-terminated,
 * caller frees) and *reply_len are set and 0 is returned; -1 with err on timeout, no
 * responders or disconnection. */
int bus_request(bus *b, const char *subject, const void *data, size_t len, int64_t timeout_ms, char **reply,
                size_t *reply_len, char *err, size_t errlen);

/* Wait up to timeout_ms for the server to have processed everything sent so far (a PING/PONG
 * round trip): after it, a subscription made before is registered. Needs no permission, unlike
 * a request (which a client restricted to a few subjects may not make). Returns 0 or -1. */
int bus_flush(bus *b, int64_t timeout_ms);

/* Validate a subject: printable ASCII without spaces, non-empty dot-separated tokens, at most
 * BUS_MAX_SUBJECT bytes; '*' and '>' tokens only when wildcards is true ('>' only last). */
bool bus_subject_valid(const char *subject, bool wildcards);

/* Flush pending publishes, close every open subscription and the connection, free b. NULL ok. */
void bus_close(bus *b);

#endif
