/* sse_latency — commit → Server-Sent Event latency, across processes:
 *
 *   sse_latency HOST PORT DATABASE_URL COUNT [FIRST_JOB]
 *
 * Holds one GET /api/events stream open on a running API (another process), then COUNT times:
 * cancels one seeded job (apiseed's job ids be256(FIRST_JOB..)) in its own transaction through
 * the store, takes the time right after store_commit returns, and waits for the stream to
 * carry that job's event. A random 0–25 ms pause between changes keeps them out of step with
 * the API's polling. Output: one JSON line {"events", "received", "p50_ms", "p99_ms",
 * "max_ms", "mean_ms"}. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"
#include "core/hex.h"
#include "store/store.h"

static char buf[1 << 20];
static size_t blen;

/* Read from fd until needle appears in what was read (then drop everything up to it), or
 * timeout_ms passes. */
static int wait_for(int fd, const char *needle, double timeout_ms) {
    double end = bench_now_ms() + timeout_ms;
    for (;;) {
        buf[blen] = '\0';
        char *hit = strstr(buf, needle);
        if (hit) {
            size_t cut = (size_t)(hit - buf) + strlen(needle);
            memmove(buf, buf + cut, blen - cut);
            blen -= cut;
            return 0;
        }
        if (blen > sizeof buf / 2) { /* keep the tail only: a needle is never this long */
            memmove(buf, buf + blen - 256, 256);
            blen = 256;
        }
        double left = end - bench_now_ms();
        if (left <= 0) return -1;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)left + 1) <= 0) continue;
        ssize_t n = read(fd, buf + blen, sizeof buf - 1 - blen);
        if (n <= 0) return -1;
        blen += (size_t)n;
    }
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: sse_latency HOST PORT DATABASE_URL COUNT [FIRST_JOB]\n");
        return 2;
    }
    int count = atoi(argv[4]), first = argc > 5 ? atoi(argv[5]) : 1;
    char err[256];
    store *s;
    if (store_open(argv[3], &s, err, sizeof err) != STORE_OK) {
        fprintf(stderr, "sse_latency: %s\n", err);
        return 1;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    inet_pton(AF_INET, argv[1], &a.sin_addr);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("sse_latency: connect");
        return 1;
    }
    static const char req[] = "GET /api/events HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n";
    if (write(fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1) || wait_for(fd, "retry: ", 5000) != 0) {
        fprintf(stderr, "sse_latency: no event stream\n");
        return 1;
    }
    double *lat = calloc((size_t)count, sizeof *lat);
    int got = 0;
    srand((unsigned)time(NULL));
    for (int i = 0; i < count; i++) {
        uint8_t id[32] = {0};
        uint32_t v = (uint32_t)(first + i);
        id[28] = (uint8_t)(v >> 24), id[29] = (uint8_t)(v >> 16), id[30] = (uint8_t)(v >> 8), id[31] = (uint8_t)v;
        char hexid[67], needle[160];
        hex_encode(id, 32, hexid);
        snprintf(needle, sizeof needle, "\"job_id\":\"%s\",\"status\":\"cancelled\"", hexid);
        if (store_begin(s) != STORE_OK || store_job_transition(s, id, JOB_CANCELLED, time(NULL), NULL, NULL) != STORE_OK ||
            store_commit(s) != STORE_OK) {
            fprintf(stderr, "sse_latency: job %d: %s\n", first + i, store_errmsg(s));
            store_rollback(s);
            continue;
        }
        double t0 = bench_now_ms();
        if (wait_for(fd, needle, 5000) == 0) lat[got++] = bench_now_ms() - t0;
        usleep((useconds_t)(rand() % 25000));
    }
    qsort(lat, (size_t)got, sizeof *lat, bench_cmp_double);
    double sum = 0;
    for (int i = 0; i < got; i++) sum += lat[i];
    printf("{\"events\":%d,\"received\":%d,\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f,\"mean_ms\":%.2f}\n", count, got,
           got ? lat[got / 2] : 0, got ? lat[(int)(got * 0.99) < got ? (int)(got * 0.99) : got - 1] : 0,
           got ? lat[got - 1] : 0, got ? sum / got : 0);
    store_close(s);
    close(fd);
    free(lat);
    return got == count ? 0 : 1;
}
