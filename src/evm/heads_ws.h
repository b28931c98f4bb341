/* heads_ws — a background thread holding an eth_subscribe("newHeads") WebSocket subscription
 * (libwebsockets), so followers learn of a new block within milliseconds instead of at their
 * next poll.
 *
 * The thread connects, subscribes, and on every notification records the head (number, hash),
 * bumps an eventfd and calls the optional callback. On any failure (refused, closed, ping
 * timeout, subscription refused, hostile message) it reconnects with capped exponential
 * backoff, for as long as it runs. It is only a wake-up source: a follower must still poll
 * eth_blockNumber on a timer, and must treat a missed or reordered head as harmless.
 *
 * Thread-safety: every function below may be called from any thread; the latest head is
 * guarded by one mutex. The callback runs on the heads_ws thread and must not block. */
#ifndef LAMDA_HEADS_WS_H
#define LAMDA_HEADS_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct heads_ws heads_ws;

typedef void (*heads_ws_cb)(void *ud, uint64_t number, const uint8_t hash[32]);

/* Start the thread for url ("ws://host:port/path" or "wss://…"). cb may be NULL. Returns NULL
 * on a malformed URL or when resources cannot be allocated. */
heads_ws *heads_ws_start(const char *url, heads_ws_cb cb, void *ud);
/* Stop the thread, close the connection and free everything. NULL is a no-op. */
void heads_ws_stop(heads_ws *h);

/* True while connected and subscribed. */
bool heads_ws_connected(heads_ws *h);
/* The last head received; false (outputs untouched) before the first one. hash may be NULL. */
bool heads_ws_latest(heads_ws *h, uint64_t *number, uint8_t hash[32]);
/* Number of head notifications received since start. */
uint64_t heads_ws_count(heads_ws *h);
/* An eventfd that is readable after a new head arrived. Poll it, then heads_ws_ack(). */
int heads_ws_fd(heads_ws *h);
/* Clear the fd's readiness; returns how many heads arrived since the last ack. */
uint64_t heads_ws_ack(heads_ws *h);

/* ---- the message parser (pure; fuzzed) ------------------------------------------------------ */

#define HEADS_WS_SUBID_MAX 128

typedef enum {
    HEADS_MSG_IGNORED = 0, /* valid JSON but nothing for us (another id, another method) */
    HEADS_MSG_SUBSCRIBED,  /* the answer to our eth_subscribe: sub_id filled */
    HEADS_MSG_SUB_ERROR,   /* eth_subscribe refused */
    HEADS_MSG_HEAD,        /* a newHeads notification for sub_id: number and hash filled */
    HEADS_MSG_MALFORMED = -1,
} heads_msg_kind;

/* Classify one complete WebSocket message. sub_req_id is the id our eth_subscribe used;
 * sub_id is in/out: filled on SUBSCRIBED, and when non-empty a notification must carry it. */
heads_msg_kind heads_ws_parse(const char *msg, size_t len, long sub_req_id,
                              char sub_id[HEADS_WS_SUBID_MAX], uint64_t *number,
                              uint8_t hash[32]);

#endif
