#include "core/metrics.h"

#include "core/strbuf.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { M_COUNTER, M_GAUGE, M_HISTOGRAM } metric_type;

struct metrics_series {
    metric_type type;
    char *name, *help, *labels;
    _Atomic uint64_t count;  /* counter value; histogram observation count */
    _Atomic uint64_t bits;   /* gauge value; histogram sum (IEEE-754 bits of a double) */
    size_t nb;
    double bounds[METRICS_MAX_BUCKETS];
    _Atomic uint64_t buckets[METRICS_MAX_BUCKETS + 1]; /* non-cumulative; last = +Inf */
};

const double metrics_latency_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                          0.05,   0.1,   0.25,   0.5,   1,    2.5, 5, 10};
const size_t metrics_latency_nbuckets = sizeof metrics_latency_buckets / sizeof(double);

/* g_lock guards g_series/g_n against concurrent registration and rendering; the values inside
 * a series are atomics and are never guarded. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct metrics_series *g_series[METRICS_MAX_SERIES];
static size_t g_n;

static uint64_t dbits(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}
static double bitsd(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static bool valid_name(const char *s) {
    if (!s || !*s || strlen(s) > 200) return false;
    for (const char *p = s; *p; p++) {
        char c = *p;
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        if (!alpha && !(p != s && c >= '0' && c <= '9')) return false;
    }
    return true;
}

/* Labels are trusted code constants, but a stray newline or unbalanced quote would corrupt the
 * whole exposition, so reject them. */
static bool valid_labels(const char *s) {
    if (!s) return true;
    if (strlen(s) > 512) return false;
    int quotes = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '\n' || *p == '}' || *p == '{') return false;
        if (*p == '\\') {
            if (!p[1]) return false;
            p++;
            continue;
        }
        if (*p == '"') quotes++;
    }
    return quotes % 2 == 0;
}

static struct metrics_series *reg(metric_type t, const char *name, const char *help,
                                  const char *labels, const double *bounds, size_t nb) {
    if (!valid_name(name) || !valid_labels(labels)) return NULL;
    if (!labels) labels = "";
    if (t == M_HISTOGRAM) {
        if (!bounds) {
            bounds = metrics_latency_buckets;
            nb = metrics_latency_nbuckets;
        }
        if (nb == 0 || nb > METRICS_MAX_BUCKETS) return NULL;
        for (size_t i = 0; i < nb; i++)
            if (!isfinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1]))) return NULL;
    }
    struct metrics_series *s = NULL;
    pthread_mutex_lock(&g_lock);
    for (size_t i = 0; i < g_n; i++) {
        struct metrics_series *e = g_series[i];
        if (strcmp(e->name, name) != 0) continue;
        if (e->type != t) goto out; /* type conflict */
        if (strcmp(e->labels, labels) == 0) {
            s = e;
            goto out;
        }
    }
    if (g_n == METRICS_MAX_SERIES) goto out;
    s = calloc(1, sizeof *s);
    if (!s) goto out;
    s->type = t;
    s->name = strdup(name);
    s->help = strdup(help ? help : "");
    s->labels = strdup(labels);
    if (!s->name || !s->help || !s->labels) {
        free(s->name);
        free(s->help);
        free(s->labels);
        free(s);
        s = NULL;
        goto out;
    }
    if (t == M_HISTOGRAM) {
        s->nb = nb;
        memcpy(s->bounds, bounds, nb * sizeof(double));
    }
    atomic_store(&s->bits, dbits(0.0));
    g_series[g_n++] = s;
out:
    pthread_mutex_unlock(&g_lock);
    return s;
}

metrics_counter_t *metrics_counter(const char *name, const char *help, const char *labels) {
    return reg(M_COUNTER, name, help, labels, NULL, 0);
}
metrics_gauge_t *metrics_gauge(const char *name, const char *help, const char *labels) {
    return reg(M_GAUGE, name, help, labels, NULL, 0);
}
metrics_histogram_t *metrics_histogram(const char *name, const char *help, const char *labels,
                                       const double *bounds, size_t n) {
    return reg(M_HISTOGRAM, name, help, labels, bounds, n);
}

void metrics_counter_inc(metrics_counter_t *c) { metrics_counter_add(c, 1); }
void metrics_counter_add(metrics_counter_t *c, uint64_t n) {
    if (c && c->type == M_COUNTER) atomic_fetch_add_explicit(&c->count, n, memory_order_relaxed);
}
uint64_t metrics_counter_value(const metrics_counter_t *c) {
    return c ? atomic_load_explicit(&((struct metrics_series *)c)->count, memory_order_relaxed) : 0;
}

void metrics_gauge_set(metrics_gauge_t *g, double v) {
    if (g && g->type == M_GAUGE) atomic_store_explicit(&g->bits, dbits(v), memory_order_relaxed);
}

static void add_double(_Atomic uint64_t *a, double d) {
    uint64_t old = atomic_load_explicit(a, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(a, &old, dbits(bitsd(old) + d),
                                                  memory_order_relaxed, memory_order_relaxed)) {
    }
}

void metrics_gauge_add(metrics_gauge_t *g, double d) {
    if (g && g->type == M_GAUGE) add_double(&g->bits, d);
}
double metrics_gauge_value(const metrics_gauge_t *g) {
    return g ? bitsd(atomic_load_explicit(&((struct metrics_series *)g)->bits, memory_order_relaxed))
             : 0.0;
}

void metrics_histogram_observe(metrics_histogram_t *h, double v) {
    if (!h || h->type != M_HISTOGRAM || isnan(v)) return;
    size_t i = 0;
    while (i < h->nb && v > h->bounds[i]) i++;
    atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
    add_double(&h->bits, v);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
}
uint64_t metrics_histogram_count(const metrics_histogram_t *h) {
    return h ? atomic_load_explicit(&((struct metrics_series *)h)->count, memory_order_relaxed) : 0;
}
double metrics_histogram_sum(const metrics_histogram_t *h) {
    return h ? bitsd(atomic_load_explicit(&((struct metrics_series *)h)->bits, memory_order_relaxed))
             : 0.0;
}

/* ---- rendering ------------------------------------------------------------------------ */

/* HELP text escaping per the format: backslash and newline. */
static void sb_help(strbuf *b, const char *s) {
    for (; *s; s++) {
        if (*s == '\\') strbuf_printf(b, "\\\\");
        else if (*s == '\n') strbuf_printf(b, "\\n");
        else strbuf_printf(b, "%c", *s);
    }
}

static void sb_double(strbuf *b, double v) {
    if (isnan(v)) strbuf_printf(b, "NaN");
    else if (isinf(v)) strbuf_printf(b, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 1e15) strbuf_printf(b, "%.0f", v);
    else {
        /* Shortest text that reads back as the same double: 0.1 rather than 0.1000…01. */
        char tmp[40];
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(tmp, sizeof tmp, "%.*g", prec, v);
            if (strtod(tmp, NULL) == v) break;
        }
        strbuf_printf(b, "%s", tmp);
    }
}

static const char *type_name(metric_type t) {
    return t == M_COUNTER ? "counter" : t == M_GAUGE ? "gauge" : "histogram";
}

static void render_series(strbuf *b, struct metrics_series *s) {
    const char *l = s->labels;
    const char *sep = *l ? "," : "";
    switch (s->type) {
    case M_COUNTER:
        strbuf_printf(b, "%s%s%s%s %llu\n", s->name, *l ? "{" : "", l, *l ? "}" : "",
                  (unsigned long long)atomic_load(&s->count));
        break;
    case M_GAUGE:
        strbuf_printf(b, "%s%s%s%s ", s->name, *l ? "{" : "", l, *l ? "}" : "");
        sb_double(b, bitsd(atomic_load(&s->bits)));
        strbuf_printf(b, "\n");
        break;
    case M_HISTOGRAM: {
        /* Read the buckets first and derive the count from them, so that the +Inf bucket and
         * _count agree even while other threads observe. */
        uint64_t cum = 0;
        for (size_t i = 0; i <= s->nb; i++) {
            cum += atomic_load(&s->buckets[i]);
            strbuf_printf(b, "%s_bucket{%s%sle=\"", s->name, l, sep);
            if (i < s->nb) sb_double(b, s->bounds[i]);
            else strbuf_printf(b, "+Inf");
            strbuf_printf(b, "\"} %llu\n", (unsigned long long)cum);
        }
        strbuf_printf(b, "%s_sum%s%s%s ", s->name, *l ? "{" : "", l, *l ? "}" : "");
        sb_double(b, bitsd(atomic_load(&s->bits)));
        strbuf_printf(b, "\n%s_count%s%s%s %llu\n", s->name, *l ? "{" : "", l, *l ? "}" : "",
                  (unsigned long long)cum);
        break;
    }
    }
}

char *metrics_render(size_t *len) {
    strbuf b;
    strbuf_init(&b, 4096);
    if (b.oom) return NULL;
    pthread_mutex_lock(&g_lock);
    for (size_t i = 0; i < g_n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) seen = strcmp(g_series[j]->name, g_series[i]->name) == 0;
        if (seen) continue;
        strbuf_printf(&b, "# HELP %s ", g_series[i]->name);
        sb_help(&b, g_series[i]->help);
        strbuf_printf(&b, "\n# TYPE %s %s\n", g_series[i]->name, type_name(g_series[i]->type));
        for (size_t j = i; j < g_n; j++)
            if (strcmp(g_series[j]->name, g_series[i]->name) == 0) render_series(&b, g_series[j]);
    }
    pthread_mutex_unlock(&g_lock);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    if (len) *len = b.len;
    return b.p;
}

void metrics_reset(void) {
    pthread_mutex_lock(&g_lock);
    for (size_t i = 0; i < g_n; i++) {
        free(g_series[i]->name);
        free(g_series[i]->help);
        free(g_series[i]->labels);
        free(g_series[i]);
    }
    g_n = 0;
    pthread_mutex_unlock(&g_lock);
}
