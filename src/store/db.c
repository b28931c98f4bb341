/* db — backend-neutral part of the driver: choosing the backend from the URL, the
 * per-connection statement cache, the sticky bind error and transactions. Everything else goes
 * through the backend's table (db_ops, db_internal.h): db_sqlite.c and db_pg.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db_internal.h"

void db_set_err(db *d, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->errmsg, sizeof d->errmsg, fmt, ap);
    va_end(ap);
}

int db_open(const char *url, db **out, char *err, size_t errlen) {
    *out = NULL;
    if (!url || !*url) {
        snprintf(err, errlen, "empty database URL");
        return DB_ERR;
    }
    db *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return DB_ERR;
    }
    /* The one place the backend is chosen. SQLite takes the path after its prefix; libpq
     * takes the whole URL. */
    static const struct {
        const char *prefix;
        bool strip;
        const db_ops *ops;
    } schemes[] = {{"sqlite:", true, &db_sqlite_ops},
                   {"postgres://", false, &db_pg_ops},
                   {"postgresql://", false, &db_pg_ops}};
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0] && !d->ops; i++) {
        size_t n = strlen(schemes[i].prefix);
        if (strncmp(url, schemes[i].prefix, n) != 0) continue;
        d->ops = schemes[i].ops;
        url += schemes[i].strip ? n : 0;
    }
    if (!d->ops) {
        snprintf(err, errlen, "unsupported database URL (want sqlite:PATH or postgres://…)");
        free(d);
        return DB_ERR;
    }
    int rc = d->ops->open(d, url);
    if (rc != DB_OK) {
        snprintf(err, errlen, "%s", d->errmsg);
        db_close(d);
        return rc;
    }
    *out = d;
    return DB_OK;
}

static void stmt_free(db_stmt *st) {
    st->d->ops->finalize(st);
    free(st->sql);
    free(st);
}

void db_close(db *d) {
    if (!d) return;
    for (int i = 0; i < DB_CACHE_BUCKETS; i++) {
        db_stmt *st = d->buckets[i];
        while (st) {
            db_stmt *next = st->next;
            stmt_free(st);
            st = next;
        }
    }
    d->ops->close(d);
    free(d);
}

db_kind db_backend(const db *d) { return d->ops->kind; }
const char *db_path(const db *d) { return d->path; /* set by SQLite only */ }
const char *db_errmsg(const db *d) { return d->errmsg; }
int db_reconnects(const db *d) { return d->reconnects; }

int db_exec(db *d, const char *sql) { return d->ops->exec(d, sql); }

static uint64_t sql_hash(const char *s) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static atomic_uint release_requests;

void db_release_everywhere(void) { atomic_fetch_add_explicit(&release_requests, 1, memory_order_relaxed); }

/* At the start of every statement: one relaxed load, and the release once per request. */
static void honour_release_request(db *d) {
    unsigned r = atomic_load_explicit(&release_requests, memory_order_relaxed);
    if (r != d->release_seen && !d->in_tx) {
        d->release_seen = r;
        db_release_memory(d);
    }
}

void db_idle(db *d) {
    if (d) honour_release_request(d);
}

int db_prepare(db *d, const char *sql, db_stmt **out) {
    honour_release_request(d);
    uint64_t h = sql_hash(sql);
    db_stmt **b = &d->buckets[h % DB_CACHE_BUCKETS];
    for (db_stmt *st = *b; st; st = st->next) {
        if (st->hash == h && !strcmp(st->sql, sql)) {
            db_reset(st);
            *out = st;
            return DB_OK;
        }
    }
    db_stmt *st = calloc(1, sizeof *st);
    if (!st || !(st->sql = strdup(sql))) {
        free(st);
        db_set_err(d, "out of memory");
        return DB_ERR;
    }
    st->d = d;
    st->hash = h;
    int rc = d->ops->prepare(st);
    if (rc != DB_OK) {
        stmt_free(st);
        return rc;
    }
    snprintf(st->name, sizeof st->name, "l%d", d->nstmts++);
    st->next = *b;
    *b = st;
    *out = st;
    return DB_OK;
}

int db_prepare_lit(db *d, const char *sql, db_stmt **out) {
    size_t slot = ((uintptr_t)sql >> 3) % DB_LIT_SLOTS;
    if (d->lit[slot].sql == sql) {
        honour_release_request(d);
        db_reset(d->lit[slot].st);
        *out = d->lit[slot].st;
        return DB_OK;
    }
    int rc = db_prepare(d, sql, out);
    if (rc == DB_OK) {
        d->lit[slot].sql = sql;
        d->lit[slot].st = *out;
    }
    return rc;
}

/* ---- binding ---------------------------------------------------------------------------- */

/* A failed bind is remembered until db_reset and returned by the next db_step/db_run, which
 * then do not execute: callers need not check every bind, and a statement never runs with a
 * parameter silently left NULL (libpq would send it as NULL). */
static int bound(db_stmt *st, int rc) {
    if (rc != DB_OK && st->bind_err == DB_OK) st->bind_err = rc;
    return rc;
}

int db_bind_int64(db_stmt *st, int idx, int64_t v) { return bound(st, st->d->ops->bind_int64(st, idx, v)); }
int db_bind_text(db_stmt *st, int idx, const char *v) { return bound(st, st->d->ops->bind_text(st, idx, v)); }
int db_bind_blob(db_stmt *st, int idx, const void *p, size_t n) {
    return bound(st, st->d->ops->bind_blob(st, idx, p, n));
}
int db_bind_null(db_stmt *st, int idx) { return bound(st, st->d->ops->bind_null(st, idx)); }
int db_param_count(db_stmt *st) { return st->d->ops->param_count(st); }

/* ---- stepping and columns ----------------------------------------------------------------- */

int db_step(db_stmt *st) {
    if (st->bind_err != DB_OK) return st->bind_err;
    return st->d->ops->step(st);
}

int db_run(db_stmt *st) {
    int rc;
    if (st->bind_err != DB_OK) return st->bind_err;
    if (st->d->pipeline_ok && !st->executed) return st->d->ops->send(st);
    while ((rc = db_step(st)) == DB_ROW) {
    }
    return rc == DB_DONE ? DB_OK : rc;
}

int64_t db_changes(db_stmt *st) { return st->changes; }

void db_reset(db_stmt *st) {
    st->d->ops->reset(st);
    st->executed = false;
    st->bind_err = DB_OK;
}

bool db_col_is_null(db_stmt *st, int col) { return st->d->ops->col_is_null(st, col); }
int64_t db_col_int64(db_stmt *st, int col) { return st->d->ops->col_int64(st, col); }
const char *db_col_text(db_stmt *st, int col) { return st->d->ops->col_text(st, col); }
const uint8_t *db_col_blob(db_stmt *st, int col, size_t *len) {
    *len = 0;
    return st->d->ops->col_blob(st, col, len);
}

int db_col_blob_fixed(db_stmt *st, int col, uint8_t *out, size_t n) {
    size_t len;
    const uint8_t *p = db_col_blob(st, col, &len);
    if (!p || len != n) {
        memset(out, 0, n);
        return -1;
    }
    memcpy(out, p, n);
    return 0;
}

void db_col_text_copy(db_stmt *st, int col, char *out, size_t cap) {
    if (!cap) return;
    snprintf(out, cap, "%s", db_col_text(st, col));
}

/* ---- transactions --------------------------------------------------------------------------- */

int db_begin(db *d) {
    if (d->in_tx) {
        db_set_err(d, "transaction already open");
        return DB_ERR;
    }
    int rc = db_exec(d, d->ops->begin_sql);
    if (rc == DB_OK) d->in_tx = true;
    return rc;
}

int db_begin_bulk(db *d) {
    int rc = db_begin(d);
    if (rc == DB_OK && d->ops->send) d->pipeline_ok = true;
    return rc;
}

int db_commit(db *d) {
    if (!d->in_tx) {
        db_set_err(d, "no transaction open");
        return DB_ERR;
    }
    d->pipeline_ok = false;
    int rc = db_exec(d, "COMMIT");
    if (rc == DB_OK || d->ops->failed_commit_ends_tx) d->in_tx = false;
    return rc;
}

int db_rollback(db *d) {
    d->pipeline_ok = false;
    if (d->ops->drain) d->ops->drain(d); /* the queued failure, if any, is moot */
    if (!d->in_tx) return DB_OK;
    d->in_tx = false;
    if (d->bad) return DB_OK; /* the connection is gone and the server dropped it already */
    int rc = db_exec(d, "ROLLBACK");
    return rc == DB_CONN ? DB_OK : rc;
}

bool db_in_tx(const db *d) { return d->in_tx; }

int db_ping(db *d) {
    db_stmt *st;
    int rc = db_prepare(d, "SELECT 1", &st);
    if (rc != DB_OK) return rc;
    rc = db_run(st);
    db_reset(st);
    return rc;
}

void db_release_memory(db *d) {
    if (d && d->ops->release_memory) d->ops->release_memory(d);
}

int64_t db_pages_read(db *d) { return d && d->ops->pages_read ? d->ops->pages_read(d) : -1; }
