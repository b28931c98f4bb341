/* log — one JSON line per event on stderr: {"ts","level","service","msg"}.
 *
 * Thread-safe: each line is formatted into a local buffer and written with one write(2),
 * so lines from different threads never interleave. Registered secrets are replaced by
 * "[REDACTED]" in every line before it is written, as a last line of defence: code must
 * still never pass a secret to the logger. */
#ifndef LAMDA_LOG_H
#define LAMDA_LOG_H

#include <stdarg.h>
#include <stdint.h>

#define LOG_DEFAULT_PER_SECOND 50

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF } log_level;

/* Parse "debug", "info", "warn", "error", "off"; returns -1 on anything else. */
int log_level_parse(const char *s, log_level *out);
void log_set_level(log_level lvl);
log_level log_get_level(void);
/* The service name stamped on every line (static string, not copied). */
void log_set_service(const char *service);
/* Add a string that must never appear in a log line (copied; at most 8 secrets). */
void log_add_secret(const char *secret);
/* Redirect output (default: fd 2). Used by tests. */
void log_set_fd(int fd);

/* Flood control: at most n lines per second from one call site (format string); the rest are
 * counted in lamda_log_suppressed_total{level} and summed up in one line per call site after
 * that second ("log: N more lines like \"fmt\" suppressed"). 0 = no limit. */
void log_set_max_per_second(uint32_t n);
/* Write the summaries still owed (at exit, or in tests). */
void log_flush_suppressed(void);

void log_write(log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vwrite(log_level lvl, const char *fmt, va_list ap);

#define log_debug(...) log_write(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_write(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_write(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)

#endif
