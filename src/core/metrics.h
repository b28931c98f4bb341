/* metrics — a process-wide Prometheus registry: counters, gauges and fixed-bucket histograms,
 * rendered in the text exposition format 0.0.4 by metrics_render().
 *
 * Registration (metrics_counter/gauge/histogram) takes a lock and is meant for start-up or the
 * first use of a series; it is idempotent: the same name and label set returns the same
 * series, so a caller may register lazily. Updates are lock-free atomics and may be made from
 * any thread. Series live until metrics_reset() (tests) or process exit; pointers stay valid.
 *
 * Labels are given at registration as the inside of the braces, already formatted and
 * escaped: `chain="97"` or `route="/api/nodes/{address}",method="GET"` ("" = no labels).
 * Names must match [a-zA-Z_:][a-zA-Z0-9_:]*; invalid names or labels, a full registry or a
 * type conflict (a name registered as a counter and then as a gauge) return NULL, and every
 * update function accepts NULL and does nothing, so a failed registration never crashes. */
#ifndef LAMDA_METRICS_H
#define LAMDA_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_MAX_SERIES 1024
#define METRICS_MAX_BUCKETS 24

typedef struct metrics_series metrics_counter_t;
typedef struct metrics_series metrics_gauge_t;
typedef struct metrics_series metrics_histogram_t;

metrics_counter_t *metrics_counter(const char *name, const char *help, const char *labels);
metrics_gauge_t *metrics_gauge(const char *name, const char *help, const char *labels);
/* bounds: n strictly increasing upper bounds (the +Inf bucket is implicit), n <= 24.
 * bounds == NULL uses metrics_latency_buckets (seconds, 0.5 ms .. 10 s). */
metrics_histogram_t *metrics_histogram(const char *name, const char *help, const char *labels,
                                       const double *bounds, size_t n);

extern const double metrics_latency_buckets[];
extern const size_t metrics_latency_nbuckets;

void metrics_counter_inc(metrics_counter_t *c);
void metrics_counter_add(metrics_counter_t *c, uint64_t n);
uint64_t metrics_counter_value(const metrics_counter_t *c);

void metrics_gauge_set(metrics_gauge_t *g, double v);
void metrics_gauge_add(metrics_gauge_t *g, double d); /* d may be negative */
double metrics_gauge_value(const metrics_gauge_t *g);

void metrics_histogram_observe(metrics_histogram_t *h, double v);
/* Observation count and sum (for tests and summaries). */
uint64_t metrics_histogram_count(const metrics_histogram_t *h);
double metrics_histogram_sum(const metrics_histogram_t *h);

/* The whole registry as exposition text (series of one name grouped under one HELP/TYPE).
 * Returns a malloc'd NUL-terminated string (caller frees) and its length in *len (may be
 * NULL), or NULL on allocation failure. */
char *metrics_render(size_t *len);

/* Forget every series (unit tests only: pointers handed out before become dangling). */
void metrics_reset(void);

#endif
