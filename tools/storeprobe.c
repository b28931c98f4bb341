/* storeprobe — exercise the store from outside the test framework.
 *
 *   storeprobe write URL N [pace_ms]  N units of work (job + ledger row + cursor, one
 *                                     transaction each), retrying a unit after STORE_CONN
 *   storeprobe check URL N            exit 0 when exactly units 0..N-1 are present
 *   storeprobe scale URL N            insert N jobs (10,000 per transaction) over 1,000
 *                                     providers, then time filtered, paginated queries
 *
 * Used by tests/integration/test_store_pg_restart.sh; `scale` is the scale check of issue 4. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/db.h"
#include "store/store.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void unit_ids(uint64_t i, uint8_t job_id[32], uint8_t tx[32]) {
    memset(job_id, 0, 32);
    memset(tx, 0, 32);
    for (int k = 0; k < 8; k++) job_id[31 - k] = tx[31 - k] = (uint8_t)(i >> (8 * k));
    job_id[0] = 0x10;
    tx[0] = 0x20;
}

static const uint8_t CONTRACT[20] = {0xc0, 0x01};

static int write_unit(store *s, uint64_t i) {
    store_job j;
    memset(&j, 0, sizeof j);
    rpc_log l;
    memset(&l, 0, sizeof l);
    unit_ids(i, j.job_id, l.tx_hash);
    j.renter[0] = 1;
    j.provider[0] = 2;
    snprintf(j.payment, sizeof j.payment, "%llu", (unsigned long long)(i * 1000));
    j.status = JOB_CREATED;
    j.created_at = 1700000000 + (int64_t)i;
    l.block_number = i;
    memcpy(l.address, CONTRACT, 20);
    l.ntopics = 2; /* topic1 is the ledger's entity key */
    memcpy(l.topics[1], j.job_id, 32);
    int rc = store_begin(s);
    if (rc == STORE_OK) {
        rc = store_job_insert(s, &j);
        if (rc == STORE_DUP) rc = STORE_OK; /* committed before the connection died */
    }
    if (rc == STORE_OK) {
        rc = store_ledger_insert(s, 97, &l);
        if (rc == STORE_DUP) rc = STORE_OK;
    }
    if (rc == STORE_OK) rc = store_cursor_set(s, 97, CONTRACT, i, l.tx_hash);
    if (rc == STORE_OK) rc = store_commit(s);
    if (rc != STORE_OK) store_rollback(s);
    return rc;
}

static int cmd_write(const char *url, uint64_t n, int pace_ms) {
    store *s = NULL;
    char err[512];
    int rc;
    /* the server may be down at start too: keep trying for a while */
    for (int t = 0; (rc = store_open(url, &s, err, sizeof err)) == STORE_CONN && t < 100; t++) usleep(100000);
    if (rc != STORE_OK) {
        fprintf(stderr, "storeprobe: %s\n", err);
        return 1;
    }
    int retries = 0;
    for (uint64_t i = 0; i < n; i++) {
        int tries = 0;
        while ((rc = write_unit(s, i)) == STORE_CONN && tries++ < 600) {
            retries++;
            usleep(100000);
        }
        if (rc != STORE_OK) {
            fprintf(stderr, "storeprobe: unit %llu: rc=%d %s\n", (unsigned long long)i, rc, store_errmsg(s));
            store_close(s);
            return 1;
        }
        if (pace_ms) usleep((useconds_t)pace_ms * 1000);
    }
    printf("wrote %llu units, %d retries\n", (unsigned long long)n, retries);
    store_close(s);
    return 0;
}

static int cmd_check(const char *url, uint64_t n) {
    store *s = NULL;
    char err[512];
    if (store_open(url, &s, err, sizeof err) != STORE_OK) {
        fprintf(stderr, "storeprobe: %s\n", err);
        return 1;
    }
    uint64_t missing = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint8_t id[32], tx[32];
        unit_ids(i, id, tx);
        store_job j;
        if (store_job_get(s, id, &j) != STORE_OK) missing++;
    }
    int64_t ledger = 0, total = 0;
    store_ledger_count(s, 97, CONTRACT, &ledger);
    store_job_summary sum;
    store_job_stats(s, &sum);
    total = sum.total;
    uint64_t block = 0;
    uint8_t h[32];
    store_cursor_get(s, 97, CONTRACT, &block, h);
    printf("jobs %lld ledger %lld missing %llu cursor %llu\n", (long long)total, (long long)ledger,
           (unsigned long long)missing, (unsigned long long)block);
    store_close(s);
    return missing == 0 && total == (int64_t)n && ledger == (int64_t)n && block == n - 1 ? 0 : 1;
}

static int cmd_scale(const char *url, uint64_t n) {
    store *s = NULL;
    char err[512];
    if (store_open(url, &s, err, sizeof err) != STORE_OK) {
        fprintf(stderr, "storeprobe: %s\n", err);
        return 1;
    }
    enum { PROVIDERS = 1000, BATCH = 10000 };
    double t0 = now_s();
    store_job j;
    memset(&j, 0, sizeof j);
    j.status = JOB_CREATED;
    snprintf(j.docker_image, sizeof j.docker_image, "ghcr.io/lamda/worker:1");
    snprintf(j.input_cid, sizeof j.input_cid, "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG");
    for (uint64_t i = 0; i < n; i++) {
        if (i % BATCH == 0 && store_begin(s) != STORE_OK) goto fail;
        uint8_t tx[32];
        unit_ids(i, j.job_id, tx);
        j.job_id[0] = 0x30;
        memset(j.provider, 0, 20);
        j.provider[18] = (uint8_t)((i % PROVIDERS) >> 8);
        j.provider[19] = (uint8_t)(i % PROVIDERS);
        memset(j.renter, 0, 20);
        j.renter[19] = (uint8_t)(i % 97);
        j.status = (job_status)((i / PROVIDERS) % 5);
        j.created_at = 1700000000 + (int64_t)i;
        snprintf(j.payment, sizeof j.payment, "%llu000000000000", (unsigned long long)(i % 1000 + 1));
        int rc = store_job_insert(s, &j);
        if (rc != STORE_OK && rc != STORE_DUP) goto fail;
        if ((i + 1) % BATCH == 0 || i + 1 == n) {
            if (store_commit(s) != STORE_OK) goto fail;
        }
    }
    double t1 = now_s();
    printf("%s: inserted %llu jobs in %.1f s (%.0f rows/s)\n", store_backend_name(s),
           (unsigned long long)n, t1 - t0, (double)n / (t1 - t0));
    store_job out[100];
    int got = 0;
    int64_t total = 0;
    uint8_t prov[20] = {0};
    prov[19] = 42;
    struct {
        const char *what;
        store_job_filter f;
    } q[] = {
        {"provider, limit 20 offset 0", {.provider = prov, .status = -1, .limit = 20, .offset = 0}},
        {"provider, limit 20 offset 500", {.provider = prov, .status = -1, .limit = 20, .offset = 500}},
        {"provider+status, limit 100", {.provider = prov, .status = JOB_RUNNING, .limit = 100}},
        {"all jobs, limit 20 offset 0", {.status = -1, .limit = 20}},
        {"status, limit 20 offset 1000", {.status = JOB_FAILED, .limit = 20, .offset = 1000}},
    };
    for (size_t k = 0; k < sizeof q / sizeof q[0]; k++) {
        double best = 1e9;
        for (int rep = 0; rep < 5; rep++) {
            double a = now_s();
            if (store_job_list(s, &q[k].f, out, 100, &got, &total) != STORE_OK) goto fail;
            double b = now_s();
            if (b - a < best) best = b - a;
        }
        printf("%s: query %-32s %3d rows of %7lld total: %.2f ms (best of 5, includes the count)\n",
               store_backend_name(s), q[k].what, got, (long long)total, best * 1000);
    }
    store_close(s);
    return 0;
fail:
    fprintf(stderr, "storeprobe: %s\n", store_errmsg(s));
    store_rollback(s);
    store_close(s);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: storeprobe write|check|scale URL N [pace_ms]\n");
        return 2;
    }
    uint64_t n = strtoull(argv[3], NULL, 10);
    if (!strcmp(argv[1], "write")) return cmd_write(argv[2], n, argc > 4 ? atoi(argv[4]) : 0);
    if (!strcmp(argv[1], "check")) return cmd_check(argv[2], n);
    if (!strcmp(argv[1], "scale")) return cmd_scale(argv[2], n);
    fprintf(stderr, "storeprobe: unknown command %s\n", argv[1]);
    return 2;
}
