/* staleness — how far the API lags a commit, while something else writes:
 *
 *   staleness API_URL DATABASE_URL SECONDS
 *
 * For SECONDS, about every millisecond: reads the jobs total from the database (through the
 * store, as the API does; another process, the follower, commits the jobs) and the total of
 * GET API_URL/api/jobs?limit=1 (the API in its own process, with its response cache). A new
 * database total is a commit; its staleness is the time from the probe first seeing it in the
 * database to the API first answering a total at least as large. The probe sees a commit up to
 * one loop after it happened, so the figure can be short by that much: the mean loop is printed
 * with it. Output: one JSON line {"commits", "seen", "p50_ms", "p99_ms", "max_ms", "loop_ms"}. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"
#include "store/store.h"

#define MAX_COMMITS 4096

typedef struct {
    char b[4096];
    size_t n;
} body;

/* The first 4 KB are enough: "total" is near the end of a one-row page, which is smaller. */
static size_t on_body(char *p, size_t sz, size_t nm, void *ud) {
    body *b = ud;
    size_t n = sz * nm, room = sizeof b->b - 1 - b->n;
    memcpy(b->b + b->n, p, n < room ? n : room);
    b->n += n < room ? n : room;
    return n;
}

/* The API's total, or -1 when the request or the body failed. */
static long long api_total(CURL *h, body *b) {
    b->n = 0;
    if (curl_easy_perform(h) != CURLE_OK) return -1;
    b->b[b->n] = '\0';
    const char *t = strstr(b->b, "\"total\":");
    return t ? atoll(t + 8) : -1;
}

static long long db_total(store *s) {
    store_job_filter f = {.status = -1, .limit = 1};
    store_job row;
    int n = 0;
    int64_t total = -1;
    return store_job_list(s, &f, &row, 1, &n, &total) == STORE_OK ? (long long)total : -1;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: staleness API_URL DATABASE_URL SECONDS\n");
        return 2;
    }
    char url[512];
    snprintf(url, sizeof url, "%s/api/jobs?limit=1", argv[1]);
    store *s;
    char err[256];
    if (store_open(argv[2], &s, err, sizeof err) != STORE_OK) {
        fprintf(stderr, "staleness: %s\n", err);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *h = curl_easy_init();
    body b;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2000L);

    static long long value[MAX_COMMITS];
    static double seen_db[MAX_COMMITS], lag[MAX_COMMITS];
    int ncommit = 0, nseen = 0, loops = 0;
    long long last_db = db_total(s), last_api = api_total(h, &b);
    double start = bench_now_ms(), end = start + atof(argv[3]) * 1e3;
    const struct timespec ms = {0, 1000000};
    while (bench_now_ms() < end) {
        long long d = db_total(s);
        if (d > last_db && ncommit < MAX_COMMITS) {
            value[ncommit] = d;
            seen_db[ncommit++] = bench_now_ms();
            last_db = d;
        }
        long long a = api_total(h, &b);
        if (a > last_api) last_api = a;
        /* Every commit the API's answer has reached: an API that answered it before the probe
         * read the database lags by 0. */
        double t = bench_now_ms();
        while (nseen < ncommit && value[nseen] <= last_api) {
            lag[nseen] = t - seen_db[nseen];
            nseen++;
        }
        loops++;
        nanosleep(&ms, NULL);
    }
    double loop_ms = loops ? (bench_now_ms() - start) / loops : 0;
    /* A commit seen near the end gets up to a second more to show (a missed one stays unseen). */
    for (double stop = bench_now_ms() + 1000; nseen < ncommit && bench_now_ms() < stop; nanosleep(&ms, NULL)) {
        long long a = api_total(h, &b);
        double t = bench_now_ms();
        while (nseen < ncommit && value[nseen] <= a) {
            lag[nseen] = t - seen_db[nseen];
            nseen++;
        }
    }
    qsort(lag, (size_t)nseen, sizeof *lag, bench_cmp_double);
    double p50 = nseen ? lag[nseen / 2] : 0, p99 = nseen ? lag[nseen * 99 / 100] : 0;
    printf("{\"commits\":%d,\"seen\":%d,\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"max_ms\":%.1f,\"loop_ms\":%.2f}\n", ncommit,
           nseen, p50, p99, nseen ? lag[nseen - 1] : 0, loop_ms);
    curl_easy_cleanup(h);
    curl_global_cleanup();
    store_close(s);
    return 0;
}
