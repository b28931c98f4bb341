/* seed — fill a fresh database with PROVIDERS providers and JOBS jobs for the API benchmark,
 * fast: `seed DATABASE_URL PROVIDERS JOBS`. The schema comes from the real migrations
 * (store_open); the rows go in through the backend's bulk path — on SQLite one transaction of
 * prepared inserts with a large page cache, on PostgreSQL one COPY per table.
 *
 * The rows are those of tools/apiseed: provider i has address 00..00 || be32(i+1); job k has id
 * be256(k+1), renter 0xaa…aa, provider (k mod PROVIDERS)+1, status created. Prints the first
 * provider's address. */
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/address.h"
#include "core/hex.h"
#include "store/job_status.h"
#include "store/store.h"

#define NOW 1767225600LL

/* A provider's last heartbeat: a few seconds before the wall clock, not NOW. `lamda all` sweeps
 * providers whose last_seen is older than PROVIDER_OFFLINE_AFTER (chain time, which is the wall
 * clock on anvil) offline, and GET /api/nodes lists online providers only: with a fixed past
 * time the bench measured an empty list (79 bytes). */
static long long seen_at(long i) { return (long long)time(NULL) - i % 60; }

static void be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static void provider_addr(long i, uint8_t a[20]) {
    memset(a, 0, 20);
    be32(a + 16, (uint32_t)(i + 1));
}

static void job_row(long k, long np, uint8_t id[32], uint8_t renter[20], uint8_t prov[20], char pay[40]) {
    memset(id, 0, 32);
    be32(id + 28, (uint32_t)(k + 1));
    memset(renter, 0xaa, 20);
    provider_addr(k % np, prov);
    snprintf(pay, 40, "%ld000000000000000", k + 1);
}

static int seed_sqlite(const char *path, long np, long nj) {
    sqlite3 *d;
    if (sqlite3_open(path, &d) != SQLITE_OK) return -1;
    sqlite3_exec(d, "PRAGMA synchronous=OFF; PRAGMA cache_size=-1000000; BEGIN", NULL, NULL, NULL);
    sqlite3_stmt *p, *j;
    if (sqlite3_prepare_v2(d,
                           "INSERT INTO providers (address, gpu_model, vram, last_seen, is_online, is_registered,"
                           " total_jobs_completed, reputation_score, registered_block, created_at, updated_at)"
                           " VALUES (?, ?, ?, ?, 1, 1, ?, 0, ?, ?, ?)",
                           -1, &p, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(d,
                           "INSERT INTO jobs (job_id, renter, provider, payment, status, created_block, created_at,"
                           " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &j, NULL) != SQLITE_OK) {
        fprintf(stderr, "seed: %s\n", sqlite3_errmsg(d));
        return -1;
    }
    for (long i = 0; i < np; i++) {
        uint8_t a[20];
        provider_addr(i, a);
        sqlite3_bind_blob(p, 1, a, 20, SQLITE_STATIC);
        sqlite3_bind_text(p, 2, i % 2 ? "RTX 4090" : "A100", -1, SQLITE_STATIC);
        sqlite3_bind_int64(p, 3, 8192 * (1 + i % 10));
        sqlite3_bind_int64(p, 4, seen_at(i));
        sqlite3_bind_int64(p, 5, i % 50);
        sqlite3_bind_int64(p, 6, i + 1);
        sqlite3_bind_int64(p, 7, NOW + i);
        sqlite3_bind_int64(p, 8, NOW + i);
        if (sqlite3_step(p) != SQLITE_DONE) goto fail;
        sqlite3_reset(p);
    }
    const char *status = store_job_status_name(JOB_CREATED);
    for (long k = 0; k < nj; k++) {
        uint8_t id[32], r[20], pr[20];
        char pay[40];
        job_row(k, np, id, r, pr, pay);
        sqlite3_bind_blob(j, 1, id, 32, SQLITE_STATIC);
        sqlite3_bind_blob(j, 2, r, 20, SQLITE_STATIC);
        sqlite3_bind_blob(j, 3, pr, 20, SQLITE_STATIC);
        sqlite3_bind_text(j, 4, pay, -1, SQLITE_STATIC);
        sqlite3_bind_text(j, 5, status, -1, SQLITE_STATIC);
        sqlite3_bind_int64(j, 6, k + 1);
        sqlite3_bind_int64(j, 7, NOW + k);
        sqlite3_bind_int64(j, 8, NOW + k);
        if (sqlite3_step(j) != SQLITE_DONE) goto fail;
        sqlite3_reset(j);
    }
    sqlite3_finalize(p);
    sqlite3_finalize(j);
    if (sqlite3_exec(d, "COMMIT; ANALYZE", NULL, NULL, NULL) != SQLITE_OK) goto fail;
    sqlite3_close(d);
    return 0;
fail:
    fprintf(stderr, "seed: %s\n", sqlite3_errmsg(d));
    return -1;
}

static size_t put_bytea(char *o, const uint8_t *p, size_t n) {
    memcpy(o, "\\\\x", 3);
    hex_encode_bare(p, n, o + 3);
    return 3 + 2 * n;
}

static int copy_end(PGconn *c, char *buf, size_t *w, bool flush_all) {
    if (*w > (flush_all ? 0 : (size_t)900000) && PQputCopyData(c, buf, (int)*w) != 1) return -1;
    if (*w > (flush_all ? 0 : (size_t)900000)) *w = 0;
    return 0;
}

static int pg_copy(PGconn *c, const char *sql) {
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COPY_IN;
    PQclear(r);
    return ok ? 0 : -1;
}

static int pg_finish(PGconn *c) {
    if (PQputCopyEnd(c, NULL) != 1) return -1;
    PGresult *r = PQgetResult(c);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) fprintf(stderr, "seed: %s", PQresultErrorMessage(r));
    PQclear(r);
    while ((r = PQgetResult(c))) PQclear(r);
    return ok ? 0 : -1;
}

static int seed_pg(const char *url, long np, long nj) {
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK) return -1;
    char *buf = malloc(1 << 20);
    size_t w = 0;
    if (!buf || pg_copy(c, "COPY providers (address, gpu_model, vram, last_seen, is_online, is_registered,"
                           " total_jobs_completed, reputation_score, registered_block, created_at, updated_at)"
                           " FROM STDIN") != 0)
        goto fail;
    for (long i = 0; i < np; i++) {
        uint8_t a[20];
        provider_addr(i, a);
        w += put_bytea(buf + w, a, 20);
        w += (size_t)sprintf(buf + w, "\t%s\t%ld\t%lld\t1\t1\t%ld\t0\t%ld\t%lld\t%lld\n", i % 2 ? "RTX 4090" : "A100",
                             8192 * (1 + i % 10), seen_at(i), i % 50, i + 1, NOW + i, NOW + i);
        if (copy_end(c, buf, &w, false) != 0) goto fail;
    }
    if (copy_end(c, buf, &w, true) != 0 || pg_finish(c) != 0) goto fail;
    if (pg_copy(c, "COPY jobs (job_id, renter, provider, payment, status, created_block, created_at, updated_at)"
                   " FROM STDIN") != 0)
        goto fail;
    const char *status = store_job_status_name(JOB_CREATED);
    for (long k = 0; k < nj; k++) {
        uint8_t id[32], r[20], pr[20];
        char pay[40];
        job_row(k, np, id, r, pr, pay);
        w += put_bytea(buf + w, id, 32);
        buf[w++] = '\t';
        w += put_bytea(buf + w, r, 20);
        buf[w++] = '\t';
        w += put_bytea(buf + w, pr, 20);
        w += (size_t)sprintf(buf + w, "\t%s\t%s\t%ld\t%lld\t%lld\n", pay, status, k + 1, NOW + k, NOW + k);
        if (copy_end(c, buf, &w, false) != 0) goto fail;
    }
    if (copy_end(c, buf, &w, true) != 0 || pg_finish(c) != 0) goto fail;
    PGresult *r = PQexec(c, "ANALYZE");
    PQclear(r);
    free(buf);
    PQfinish(c);
    return 0;
fail:
    fprintf(stderr, "seed: %s\n", PQerrorMessage(c));
    free(buf);
    PQfinish(c);
    return -1;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: seed DATABASE_URL PROVIDERS JOBS\n");
        return 2;
    }
    long np = atol(argv[2]), nj = atol(argv[3]);
    if (np < 1) np = 1;
    store *s;
    char err[256];
    if (store_open(argv[1], &s, err, sizeof err) != STORE_OK) { /* runs the migrations */
        fprintf(stderr, "seed: %s\n", err);
        return 1;
    }
    store_close(s);
    int rc = !strncmp(argv[1], "sqlite:", 7) ? seed_sqlite(argv[1] + 7, np, nj) : seed_pg(argv[1], np, nj);
    if (rc != 0) return 1;
    uint8_t a[20];
    char as[ADDRESS_STR_LEN];
    provider_addr(0, a);
    printf("%s\n", address_format(a, as));
    return 0;
}
