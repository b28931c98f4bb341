/* bench_clock.h — what the latency benchmarks share: a monotonic clock in milliseconds and the
 * comparison that sorts their samples for percentiles. */
#ifndef LAMDA_BENCH_CLOCK_H
#define LAMDA_BENCH_CLOCK_H

#include <time.h>

static inline double bench_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* qsort comparison of doubles, ascending. */
static inline int bench_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#endif
