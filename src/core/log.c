#include "core/log.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/metrics.h"

#define LOG_LINE_MAX 4096
#define LOG_MAX_SECRETS 8

static log_level g_level = LOG_INFO;
static const char *g_service = "lamda";
static int g_fd = 2;
/* Guards g_secrets/g_nsecrets; secrets are registered at start-up, read on every line. */
static pthread_mutex_t g_secret_lock = PTHREAD_MUTEX_INITIALIZER;
static char *g_secrets[LOG_MAX_SECRETS];
static int g_nsecrets;

static const char *level_names[] = {"debug", "info", "warn", "error", "off"};

int log_level_parse(const char *s, log_level *out) {
    for (int i = 0; i <= LOG_OFF; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (log_level)i;
            return 0;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = LOG_WARN;
        return 0;
    }
    return -1;
}

void log_set_level(log_level lvl) { g_level = lvl; }
log_level log_get_level(void) { return g_level; }
void log_set_service(const char *service) { g_service = service; }
void log_set_fd(int fd) { g_fd = fd; }

void log_add_secret(const char *secret) {
    if (!secret || strlen(secret) < 8) return; /* too short to redact without mangling logs */
    pthread_mutex_lock(&g_secret_lock);
    if (g_nsecrets < LOG_MAX_SECRETS) {
        char *copy = strdup(secret);
        if (copy) g_secrets[g_nsecrets++] = copy;
    }
    pthread_mutex_unlock(&g_secret_lock);
}

/* Append s to buf as the body of a JSON string (without quotes), escaping as needed. */
static size_t json_escape_into(char *buf, size_t pos, size_t cap, const char *s) {
    static const char hexd[] = "0123456789abcdef";
    for (; *s && pos + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[pos++] = '\\';
            buf[pos++] = (char)c;
        } else if (c == '\n') {
            buf[pos++] = '\\';
            buf[pos++] = 'n';
        } else if (c < 0x20) {
            buf[pos++] = '\\';
            buf[pos++] = 'u';
            buf[pos++] = '0';
            buf[pos++] = '0';
            buf[pos++] = hexd[c >> 4];
            buf[pos++] = hexd[c & 15];
        } else {
            buf[pos++] = (char)c;
        }
    }
    return pos;
}

static void redact(char *line) {
    pthread_mutex_lock(&g_secret_lock);
    for (int i = 0; i < g_nsecrets; i++) {
        size_t n = strlen(g_secrets[i]);
        char *p;
        while ((p = strcasestr(line, g_secrets[i])) != NULL) {
            /* "[REDACTED]" is 10 bytes; secrets are >= 8, so the line never grows by more
             * than 2 bytes per hit and the buffer keeps room (checked below). */
            static const char mark[] = "[REDACTED]";
            size_t tail = strlen(p + n);
            if (n < sizeof(mark) - 1 && strlen(line) + (sizeof(mark) - 1 - n) >= LOG_LINE_MAX) {
                memset(p, '*', n);
                continue;
            }
            memmove(p + sizeof(mark) - 1, p + n, tail + 1);
            memcpy(p, mark, sizeof(mark) - 1);
        }
    }
    pthread_mutex_unlock(&g_secret_lock);
}

/* Flood control. A cause is a call site's format string (a static string, so its address
 * identifies it). Each cause may write g_per_sec lines per wall second; beyond that its lines
 * are counted, not written, and the first log call after that second writes one summary line
 * per suppressed cause. So a burst of N identical events costs at most g_per_sec + 1 lines
 * per second, whatever N is (a 429 storm once wrote 590,000 lines in 10 s). */
#define LOG_CAUSES 256
#define LOG_PROBES 16
#define LOG_SUMMARIES 16

typedef struct {
    const char *fmt; /* NULL = free slot */
    int64_t sec;     /* the second lines is counting */
    uint32_t lines;
    uint64_t suppressed; /* lines not written since the last summary */
    log_level lvl;
} log_cause;

typedef struct {
    const char *fmt;
    uint64_t n;
    log_level lvl;
} log_summary;

static pthread_mutex_t g_limit_lock = PTHREAD_MUTEX_INITIALIZER;
static log_cause g_causes[LOG_CAUSES];
static unsigned g_pending; /* causes with suppressed > 0 */
static uint32_t g_per_sec = LOG_DEFAULT_PER_SECOND;

void log_set_max_per_second(uint32_t n) {
    pthread_mutex_lock(&g_limit_lock);
    g_per_sec = n;
    pthread_mutex_unlock(&g_limit_lock);
}

static int64_t now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

/* Collect (and clear) the summaries of causes whose suppressing second is over. */
static size_t take_summaries(int64_t now, bool all, log_summary *out, size_t cap) {
    size_t n = 0;
    for (size_t i = 0; i < LOG_CAUSES && g_pending && n < cap; i++) {
        log_cause *c = &g_causes[i];
        if (!c->suppressed || (!all && c->sec >= now)) continue;
        out[n++] = (log_summary){c->fmt, c->suppressed, c->lvl};
        c->suppressed = 0;
        g_pending--;
    }
    return n;
}

/* Whether a line of this cause may be written now; fills the summaries due. */
static bool admit(const char *fmt, log_level lvl, log_summary *sum, size_t *nsum) {
    pthread_mutex_lock(&g_limit_lock);
    int64_t now = now_sec();
    *nsum = g_pending ? take_summaries(now, false, sum, LOG_SUMMARIES) : 0;
    bool ok = true;
    if (g_per_sec) {
        size_t h = ((uintptr_t)fmt >> 3) % LOG_CAUSES;
        log_cause *c = NULL;
        for (size_t i = 0; i < LOG_PROBES; i++) {
            log_cause *t = &g_causes[(h + i) % LOG_CAUSES];
            if (t->fmt == fmt || !t->fmt) {
                c = t;
                break;
            }
        }
        if (c) { /* a full table (more call sites than slots) is left unlimited */
            if (!c->fmt) *c = (log_cause){.fmt = fmt, .sec = now};
            if (c->sec != now) {
                c->sec = now;
                c->lines = 0;
            }
            if (c->lines < g_per_sec) {
                c->lines++;
            } else {
                if (!c->suppressed++) g_pending++;
                c->lvl = lvl;
                ok = false;
            }
        }
    }
    pthread_mutex_unlock(&g_limit_lock);
    return ok;
}

static void write_line(log_level lvl, const char *msg);

static void write_summaries(const log_summary *sum, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char msg[LOG_LINE_MAX / 2];
        snprintf(msg, sizeof msg, "log: %llu more lines like \"%.200s\" suppressed (over %u per second)",
                 (unsigned long long)sum[i].n, sum[i].fmt, g_per_sec);
        write_line(sum[i].lvl, msg);
    }
}

void log_flush_suppressed(void) {
    log_summary sum[LOG_SUMMARIES];
    size_t n;
    do {
        pthread_mutex_lock(&g_limit_lock);
        n = take_summaries(0, true, sum, LOG_SUMMARIES);
        pthread_mutex_unlock(&g_limit_lock);
        write_summaries(sum, n);
    } while (n == LOG_SUMMARIES);
}

void log_vwrite(log_level lvl, const char *fmt, va_list ap) {
    if (lvl < g_level || lvl >= LOG_OFF) return;
    log_summary sum[LOG_SUMMARIES];
    size_t nsum;
    bool ok = admit(fmt, lvl, sum, &nsum);
    write_summaries(sum, nsum);
    if (!ok) {
        static const char *const lv[] = {"level=\"debug\"", "level=\"info\"", "level=\"warn\"", "level=\"error\""};
        /* Looked up each time (idempotent): a cached pointer would dangle after metrics_reset. */
        metrics_counter_inc(metrics_counter("lamda_log_suppressed_total",
                                            "log lines not written by flood control (one summary line per cause and second instead)",
                                            lv[lvl]));
        return;
    }
    char msg[LOG_LINE_MAX / 2];
    vsnprintf(msg, sizeof msg, fmt, ap);
    write_line(lvl, msg);
}

static void write_line(log_level lvl, const char *msg) {

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);

    char line[LOG_LINE_MAX];
    size_t pos = (size_t)snprintf(line, sizeof line,
                                  "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"level\":\"%s\","
                                  "\"service\":\"",
                                  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                                  tm.tm_sec, ts.tv_nsec / 1000000, level_names[lvl]);
    pos = json_escape_into(line, pos, sizeof line - 16, g_service);
    pos += (size_t)snprintf(line + pos, sizeof line - pos, "\",\"msg\":\"");
    pos = json_escape_into(line, pos, sizeof line - 16, msg);
    memcpy(line + pos, "\"}\n", 4);
    redact(line);
    ssize_t left = (ssize_t)strlen(line);
    const char *p = line;
    while (left > 0) {
        ssize_t w = write(g_fd, p, (size_t)left);
        if (w <= 0) break;
        p += w;
        left -= w;
    }
}

void log_write(log_level lvl, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(lvl, fmt, ap);
    va_end(ap);
}
