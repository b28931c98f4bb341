#include "evm/heads_ws.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <libwebsockets.h>

#include "core/log.h"
#include "evm/rpc_methods.h"

#define SUB_REQ_ID 1
#define MAX_MESSAGE (1u << 20) /* a header notification is ~1-2 KB; anything near this is hostile */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 10000

struct heads_ws {
    /* set at start, read-only afterwards */
    char *url;
    char host[256], path[512], origin[300];
    int port;
    bool tls;
    heads_ws_cb cb;
    void *ud;
    int efd;

    struct lws_context *ctx;
    pthread_t thread;
    atomic_bool stop;
    atomic_bool connected;
    atomic_uint_fast64_t count;

    /* service-thread only */
    struct lws *wsi;
    lws_sorted_usec_list_t sul;
    long backoff_ms;
    bool subscribe_sent;
    char sub_id[HEADS_WS_SUBID_MAX];
    char *rx;
    size_t rx_len, rx_cap;
    bool rx_overflow;

    /* guarded by mu: the latest head */
    pthread_mutex_t mu;
    bool have;
    uint64_t number;
    uint8_t hash[32];
};

/* ---- parser -------------------------------------------------------------------------------- */

heads_msg_kind heads_ws_parse(const char *msg, size_t len, long sub_req_id,
                              char sub_id[HEADS_WS_SUBID_MAX], uint64_t *number,
                              uint8_t hash[32]) {
    if (!msg || len == 0) return HEADS_MSG_MALFORMED;
    cJSON *root = cJSON_ParseWithLengthOpts(msg, len, NULL, 0);
    if (!root) return HEADS_MSG_MALFORMED;
    heads_msg_kind kind = HEADS_MSG_MALFORMED;
    if (!cJSON_IsObject(root)) goto out;
    cJSON *method = cJSON_GetObjectItemCaseSensitive(root, "method");
    cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
    if (cJSON_IsString(method)) {
        if (strcmp(method->valuestring, "eth_subscription") != 0) {
            kind = HEADS_MSG_IGNORED;
            goto out;
        }
        cJSON *params = cJSON_GetObjectItemCaseSensitive(root, "params");
        if (!cJSON_IsObject(params)) goto out;
        cJSON *sub = cJSON_GetObjectItemCaseSensitive(params, "subscription");
        cJSON *res = cJSON_GetObjectItemCaseSensitive(params, "result");
        if (!cJSON_IsString(sub) || !cJSON_IsObject(res)) goto out;
        if (sub_id[0] && strcmp(sub_id, sub->valuestring) != 0) {
            kind = HEADS_MSG_IGNORED; /* a stale subscription's notification */
            goto out;
        }
        uint64_t n;
        uint8_t h[32];
        if (rpc_parse_u64(cJSON_GetObjectItemCaseSensitive(res, "number"), &n) != 0 ||
            rpc_parse_fixed(cJSON_GetObjectItemCaseSensitive(res, "hash"), h, 32) != 0)
            goto out;
        *number = n;
        memcpy(hash, h, 32);
        kind = HEADS_MSG_HEAD;
        goto out;
    }
    if (cJSON_IsNumber(id) && id->valuedouble == (double)sub_req_id) {
        cJSON *res = cJSON_GetObjectItemCaseSensitive(root, "result");
        cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
        if (err && !res) {
            kind = HEADS_MSG_SUB_ERROR;
        } else if (cJSON_IsString(res) && !err) {
            size_t l = strlen(res->valuestring);
            if (l == 0 || l >= HEADS_WS_SUBID_MAX) goto out;
            memcpy(sub_id, res->valuestring, l + 1);
            kind = HEADS_MSG_SUBSCRIBED;
        }
        goto out;
    }
    kind = HEADS_MSG_IGNORED;
out:
    cJSON_Delete(root);
    return kind;
}

/* ---- connection ---------------------------------------------------------------------------- */

static void connect_now(lws_sorted_usec_list_t *sul);

static void schedule_reconnect(heads_ws *h) {
    if (atomic_load(&h->stop)) return;
    long d = h->backoff_ms;
    h->backoff_ms = d * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : d * 2;
    lws_sul_schedule(h->ctx, 0, &h->sul, connect_now, (lws_usec_t)d * 1000);
}

static void connect_now(lws_sorted_usec_list_t *sul) {
    heads_ws *h = lws_container_of(sul, heads_ws, sul);
    if (atomic_load(&h->stop) || h->wsi) return;
    /* Ping an idle connection and drop it when pings go unanswered, so a silently dead TCP
     * connection does not leave us "connected" forever. */
    static const lws_retry_bo_t idle = {.secs_since_valid_ping = 15,
                                        .secs_since_valid_hangup = 30};
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = h->ctx;
    ci.address = h->host;
    ci.port = h->port;
    ci.path = h->path;
    ci.host = h->host;
    ci.origin = h->origin;
    ci.ssl_connection = h->tls ? LCCSCF_USE_SSL : 0;
    ci.local_protocol_name = "lamda-heads";
    ci.retry_and_idle_policy = &idle;
    ci.pwsi = &h->wsi;
    h->subscribe_sent = false;
    h->sub_id[0] = 0;
    h->rx_len = 0;
    h->rx_overflow = false;
    if (!lws_client_connect_via_info(&ci)) {
        h->wsi = NULL;
        schedule_reconnect(h);
    }
}

static void on_message(heads_ws *h, struct lws *wsi) {
    uint64_t n = 0;
    uint8_t hash[32];
    heads_msg_kind k = heads_ws_parse(h->rx, h->rx_len, SUB_REQ_ID, h->sub_id, &n, hash);
    switch (k) {
    case HEADS_MSG_SUBSCRIBED:
        atomic_store(&h->connected, true);
        h->backoff_ms = BACKOFF_MIN_MS;
        log_info("heads_ws: subscribed to newHeads on %s", h->url);
        break;
    case HEADS_MSG_SUB_ERROR:
        log_warn("heads_ws: %s refused eth_subscribe newHeads", h->url);
        lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
        break;
    case HEADS_MSG_HEAD: {
        pthread_mutex_lock(&h->mu);
        h->have = true;
        h->number = n;
        memcpy(h->hash, hash, 32);
        pthread_mutex_unlock(&h->mu);
        atomic_fetch_add(&h->count, 1);
        uint64_t one = 1;
        ssize_t w = write(h->efd, &one, sizeof one);
        (void)w; /* EAGAIN only when the counter is saturated: still readable */
        if (h->cb) h->cb(h->ud, n, hash);
        break;
    }
    case HEADS_MSG_IGNORED: break;
    case HEADS_MSG_MALFORMED:
        log_debug("heads_ws: ignoring a malformed message (%zu bytes)", h->rx_len);
        break;
    }
}

static int on_event(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len) {
    (void)user;
    struct lws_context *ctx = lws_get_context(wsi);
    heads_ws *h = ctx ? lws_context_user(ctx) : NULL;
    if (!h) return 0;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        lws_callback_on_writable(wsi);
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        if (h->subscribe_sent) break;
        static const char req[] =
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_subscribe\",\"params\":[\"newHeads\"]}";
        unsigned char buf[LWS_PRE + sizeof req];
        memcpy(buf + LWS_PRE, req, sizeof req - 1);
        if (lws_write(wsi, buf + LWS_PRE, sizeof req - 1, LWS_WRITE_TEXT) < (int)(sizeof req - 1))
            return -1;
        h->subscribe_sent = true;
        break;
    }
    case LWS_CALLBACK_CLIENT_RECEIVE: {
        /* A message may arrive in several fragments and several reads: accumulate until the
         * final fragment is complete. Oversized messages are dropped whole. */
        if (!h->rx_overflow && len > 0) {
            if (len > MAX_MESSAGE - h->rx_len) {
                h->rx_overflow = true;
            } else {
                if (h->rx_len + len > h->rx_cap) {
                    size_t cap = h->rx_cap ? h->rx_cap : 4096;
                    while (cap < h->rx_len + len) cap *= 2;
                    char *p = realloc(h->rx, cap);
                    if (!p) return -1;
                    h->rx = p;
                    h->rx_cap = cap;
                }
                memcpy(h->rx + h->rx_len, in, len);
                h->rx_len += len;
            }
        }
        if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
            if (h->rx_overflow) log_warn("heads_ws: dropped an oversized message");
            else if (!lws_frame_is_binary(wsi)) on_message(h, wsi);
            h->rx_len = 0;
            h->rx_overflow = false;
        }
        break;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        log_debug("heads_ws: connect to %s failed: %s", h->url, in ? (const char *)in : "?");
        h->wsi = NULL;
        atomic_store(&h->connected, false);
        schedule_reconnect(h);
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (atomic_load(&h->connected)) log_warn("heads_ws: connection to %s closed", h->url);
        h->wsi = NULL;
        atomic_store(&h->connected, false);
        schedule_reconnect(h);
        break;
    default: break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"lamda-heads", on_event, 0, 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void *run(void *arg) {
    heads_ws *h = arg;
    while (!atomic_load(&h->stop))
        if (lws_service(h->ctx, 0) < 0) break;
    return NULL;
}

static void lws_to_log(int level, const char *line) {
    (void)level;
    log_debug("libwebsockets: %.*s", (int)strcspn(line, "\n"), line);
}

/* lws logging is process-global: route its errors to our logger at debug level (connection
 * failures are reported by us, once, with context). */
static void set_lws_log(void) { lws_set_log_level(LLL_ERR | LLL_WARN, lws_to_log); }

/* Split ws[s]://host[:port][/path] into the fields lws wants. */
static int parse_url(heads_ws *h, const char *url) {
    const char *p;
    if (strncmp(url, "ws://", 5) == 0) p = url + 5, h->tls = false, h->port = 80;
    else if (strncmp(url, "wss://", 6) == 0) p = url + 6, h->tls = true, h->port = 443;
    else return -1;
    size_t hl = strcspn(p, ":/?#");
    if (hl == 0 || hl >= sizeof h->host) return -1;
    memcpy(h->host, p, hl);
    h->host[hl] = 0;
    p += hl;
    if (*p == ':') {
        char *end;
        errno = 0;
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || errno || port <= 0 || port > 65535) return -1;
        h->port = (int)port;
        p = end;
    }
    if (*p == 0) strcpy(h->path, "/");
    else if (*p == '/' && strlen(p) < sizeof h->path) strcpy(h->path, p);
    else return -1;
    snprintf(h->origin, sizeof h->origin, "%s", h->host);
    return 0;
}

heads_ws *heads_ws_start(const char *url, heads_ws_cb cb, void *ud) {
    if (!url) return NULL;
    heads_ws *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->efd = -1;
    if (parse_url(h, url) != 0) {
        log_error("heads_ws: malformed WebSocket URL");
        free(h);
        return NULL;
    }
    if (!(h->url = strdup(url))) goto fail;
    h->cb = cb;
    h->ud = ud;
    h->backoff_ms = BACKOFF_MIN_MS;
    pthread_mutex_init(&h->mu, NULL);
    h->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (h->efd < 0) goto fail;

    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, set_lws_log);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.user = h;
    info.gid = -1;
    info.uid = -1;
    if (h->tls) info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    h->ctx = lws_create_context(&info);
    if (!h->ctx) goto fail;
    /* first connect from the service thread, via the scheduler (sul is not thread-safe, but
     * the thread does not exist yet) */
    lws_sul_schedule(h->ctx, 0, &h->sul, connect_now, 1);
    if (pthread_create(&h->thread, NULL, run, h) != 0) goto fail;
    return h;
fail:
    if (h->ctx) lws_context_destroy(h->ctx);
    if (h->efd >= 0) close(h->efd);
    free(h->url);
    free(h);
    return NULL;
}

void heads_ws_stop(heads_ws *h) {
    if (!h) return;
    atomic_store(&h->stop, true);
    lws_cancel_service(h->ctx);
    pthread_join(h->thread, NULL);
    lws_context_destroy(h->ctx);
    close(h->efd);
    pthread_mutex_destroy(&h->mu);
    free(h->rx);
    free(h->url);
    free(h);
}

bool heads_ws_connected(heads_ws *h) { return atomic_load(&h->connected); }

bool heads_ws_latest(heads_ws *h, uint64_t *number, uint8_t hash[32]) {
    pthread_mutex_lock(&h->mu);
    bool have = h->have;
    if (have) {
        *number = h->number;
        if (hash) memcpy(hash, h->hash, 32);
    }
    pthread_mutex_unlock(&h->mu);
    return have;
}

uint64_t heads_ws_count(heads_ws *h) { return atomic_load(&h->count); }

int heads_ws_fd(heads_ws *h) { return h->efd; }

uint64_t heads_ws_ack(heads_ws *h) {
    uint64_t v = 0;
    if (read(h->efd, &v, sizeof v) != (ssize_t)sizeof v) return 0;
    return v;
}
