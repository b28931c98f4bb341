/* Unit tests for core/metrics: registration, atomics under threads, exposition format. */
#include <pthread.h>

#include "core/metrics.h"
#include "test.h"

static int contains(const char *hay, const char *needle) { return hay && strstr(hay, needle) != NULL; }

TEST(counter_basics_and_idempotent_registration) {
    metrics_reset();
    metrics_counter_t *a = metrics_counter("lamda_events_applied_total", "Events applied.", "chain=\"97\"");
    metrics_counter_t *b = metrics_counter("lamda_events_applied_total", "Events applied.", "chain=\"97\"");
    metrics_counter_t *c = metrics_counter("lamda_events_applied_total", "Events applied.", "chain=\"5611\"");
    CHECK(a != NULL);
    CHECK(a == b);
    CHECK(a != c);
    metrics_counter_inc(a);
    metrics_counter_add(b, 41);
    CHECK_EQ_INT(metrics_counter_value(a), 42);
    CHECK_EQ_INT(metrics_counter_value(c), 0);
    char *txt = metrics_render(NULL);
    CHECK(contains(txt, "# HELP lamda_events_applied_total Events applied.\n"
                        "# TYPE lamda_events_applied_total counter\n"
                        "lamda_events_applied_total{chain=\"97\"} 42\n"
                        "lamda_events_applied_total{chain=\"5611\"} 0\n"));
    free(txt);
}

TEST(invalid_registrations_return_null_and_updates_ignore_null) {
    metrics_reset();
    CHECK(metrics_counter("", "h", "") == NULL);
    CHECK(metrics_counter("9abc", "h", "") == NULL);
    CHECK(metrics_counter("a-b", "h", "") == NULL);
    CHECK(metrics_counter("ok_name", "h", "x=\"unbalanced") == NULL);
    CHECK(metrics_counter("ok_name", "h", "x=\"a\"\ny=\"b\"") == NULL);
    CHECK(metrics_counter("ok_name", "h", "x=\"a\"}") == NULL);
    CHECK(metrics_counter("dup", "h", "") != NULL);
    CHECK(metrics_gauge("dup", "h", "") == NULL); /* type conflict */
    double bad[] = {1, 1};
    CHECK(metrics_histogram("hh", "h", "", bad, 2) == NULL);
    CHECK(metrics_histogram("hh", "h", "", bad, 0) == NULL);
    metrics_counter_inc(NULL);
    metrics_gauge_set(NULL, 1);
    metrics_histogram_observe(NULL, 1);
    CHECK_EQ_INT(metrics_counter_value(NULL), 0);
}

TEST(gauge_set_add_and_format) {
    metrics_reset();
    metrics_gauge_t *g = metrics_gauge("lamda_follower_lag_blocks", "Lag.", "chain=\"97\"");
    metrics_gauge_set(g, 10);
    metrics_gauge_add(g, -3.5);
    CHECK(metrics_gauge_value(g) == 6.5);
    metrics_gauge_t *n = metrics_gauge("lamda_nolabels", "No labels.", "");
    metrics_gauge_set(n, 3);
    char *txt = metrics_render(NULL);
    CHECK(contains(txt, "# TYPE lamda_follower_lag_blocks gauge\nlamda_follower_lag_blocks{chain=\"97\"} 6.5\n"));
    CHECK(contains(txt, "\nlamda_nolabels 3\n"));
    free(txt);
}

TEST(histogram_buckets_are_cumulative) {
    metrics_reset();
    double b[] = {0.1, 1, 10};
    metrics_histogram_t *h = metrics_histogram("lamda_x_seconds", "X.", "route=\"/a\"", b, 3);
    CHECK(h != NULL);
    metrics_histogram_observe(h, 0.05);
    metrics_histogram_observe(h, 0.1); /* le is inclusive */
    metrics_histogram_observe(h, 5);
    metrics_histogram_observe(h, 100);
    CHECK_EQ_INT(metrics_histogram_count(h), 4);
    CHECK(metrics_histogram_sum(h) == 105.15);
    char *txt = metrics_render(NULL);
    CHECK(contains(txt, "# TYPE lamda_x_seconds histogram\n"
                        "lamda_x_seconds_bucket{route=\"/a\",le=\"0.1\"} 2\n"
                        "lamda_x_seconds_bucket{route=\"/a\",le=\"1\"} 2\n"
                        "lamda_x_seconds_bucket{route=\"/a\",le=\"10\"} 3\n"
                        "lamda_x_seconds_bucket{route=\"/a\",le=\"+Inf\"} 4\n"
                        "lamda_x_seconds_sum{route=\"/a\"} 105.15\n"
                        "lamda_x_seconds_count{route=\"/a\"} 4\n"));
    /* Default latency buckets, no labels. */
    metrics_histogram_t *d = metrics_histogram("lamda_lat_seconds", "L.", "", NULL, 0);
    metrics_histogram_observe(d, 0.0001);
    free(txt);
    txt = metrics_render(NULL);
    CHECK(contains(txt, "lamda_lat_seconds_bucket{le=\"0.0005\"} 1\n"));
    CHECK(contains(txt, "lamda_lat_seconds_count 1\n"));
    free(txt);
}

TEST(series_of_one_name_are_grouped) {
    metrics_reset();
    metrics_counter_t *a = metrics_counter("m_a", "A.", "k=\"1\"");
    metrics_counter("m_b", "B.", "");
    metrics_counter_t *a2 = metrics_counter("m_a", "A.", "k=\"2\"");
    metrics_counter_inc(a);
    metrics_counter_inc(a2);
    char *txt = metrics_render(NULL);
    CHECK(contains(txt, "# TYPE m_a counter\nm_a{k=\"1\"} 1\nm_a{k=\"2\"} 1\n# HELP m_b B.\n"));
    free(txt);
}

static metrics_counter_t *g_c;
static metrics_histogram_t *g_h;
static void *hammer(void *arg) {
    (void)arg;
    for (int i = 0; i < 100000; i++) {
        metrics_counter_inc(g_c);
        metrics_histogram_observe(g_h, 1.0);
    }
    return NULL;
}

TEST(concurrent_updates_are_not_lost) {
    metrics_reset();
    g_c = metrics_counter("t_total", "T.", "");
    g_h = metrics_histogram("t_seconds", "T.", "", NULL, 0);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, hammer, NULL);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    CHECK_EQ_INT(metrics_counter_value(g_c), 400000);
    CHECK_EQ_INT(metrics_histogram_count(g_h), 400000);
    CHECK(metrics_histogram_sum(g_h) == 400000.0);
}

TEST(registry_capacity_is_bounded) {
    metrics_reset();
    char lab[32];
    int got = 0;
    for (int i = 0; i < METRICS_MAX_SERIES + 10; i++) {
        snprintf(lab, sizeof lab, "i=\"%d\"", i);
        if (metrics_counter("cap_total", "C.", lab)) got++;
    }
    CHECK_EQ_INT(got, METRICS_MAX_SERIES);
    metrics_reset();
}

int main(void) {
    RUN(counter_basics_and_idempotent_registration);
    RUN(invalid_registrations_return_null_and_updates_ignore_null);
    RUN(gauge_set_add_and_format);
    RUN(histogram_buckets_are_cumulative);
    RUN(series_of_one_name_are_grouped);
    RUN(concurrent_updates_are_not_lost);
    RUN(registry_capacity_is_bounded);
    TEST_EXIT();
}
