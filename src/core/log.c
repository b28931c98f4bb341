#include "core/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

void log_vwrite(log_level lvl, const char *fmt, va_list ap) {
    if (lvl < g_level || lvl >= LOG_OFF) return;
    char msg[LOG_LINE_MAX / 2];
    vsnprintf(msg, sizeof msg, fmt, ap);

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
