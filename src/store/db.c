/* db — backend-neutral part of the driver: URL dispatch, the per-connection statement cache,
 * parameter binding, column access and transactions. The backends live in db_sqlite.c and
 * db_pg.c. */
#include <errno.h>
#include <stdarg.h>
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
    int rc;
    if (!strncmp(url, "sqlite:", 7)) {
        d->kind = DB_SQLITE;
        rc = dbsq_open(d, url + 7);
    } else if (!strncmp(url, "postgres://", 11) || !strncmp(url, "postgresql://", 13)) {
        d->kind = DB_POSTGRES;
        rc = dbpg_open(d, url);
    } else {
        snprintf(err, errlen, "unsupported database URL (want sqlite:PATH or postgres://…)");
        free(d);
        return DB_ERR;
    }
    if (rc != DB_OK) {
        snprintf(err, errlen, "%s", d->errmsg);
        db_close(d);
        return rc;
    }
    *out = d;
    return DB_OK;
}

static void stmt_free(db_stmt *st) {
    if (st->d->kind == DB_SQLITE) dbsq_finalize(st);
    else dbpg_finalize(st);
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
    if (d->kind == DB_SQLITE) dbsq_close(d);
    else if (d->kind == DB_POSTGRES) dbpg_close(d);
    free(d);
}

db_kind db_backend(const db *d) { return d->kind; }
const char *db_path(const db *d) { return d->kind == DB_SQLITE ? d->path : NULL; }
const char *db_errmsg(const db *d) { return d->errmsg; }
int db_reconnects(const db *d) { return d->reconnects; }

int db_exec(db *d, const char *sql) {
    if (d->kind == DB_SQLITE) return dbsq_exec(d, sql);
    if (d->piped) {
        int rc = dbpg_drain(d);
        if (rc != DB_OK) {
            /* a queued write failed: still send COMMIT/ROLLBACK so the aborted transaction
             * ends on the server, but report the write's failure */
            if (!d->bad) dbpg_exec(d, sql);
            return rc;
        }
    }
    return dbpg_exec(d, sql);
}

static uint64_t sql_hash(const char *s) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

int db_prepare(db *d, const char *sql, db_stmt **out) {
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
    int rc = d->kind == DB_SQLITE ? dbsq_prepare(st) : dbpg_prepare(st);
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

/* PostgreSQL: store a parameter value in the statement's own buffer. */
static int pg_param(db_stmt *st, int idx, const void *p, size_t n, int fmt) {
    if (idx < 1 || idx > st->nparams) {
        db_set_err(st->d, "parameter %d out of range (statement has %d)", idx, st->nparams);
        return DB_ERR;
    }
    int i = idx - 1;
    if (!p) {
        st->vals[i] = NULL;
        st->lens[i] = 0;
        st->fmts[i] = 0;
        return DB_OK;
    }
    if (st->caps[i] < n + 1) {
        size_t cap = n + 1 < 64 ? 64 : n + 1;
        char *nb = realloc(st->bufs[i], cap);
        if (!nb) {
            db_set_err(st->d, "out of memory");
            return DB_ERR;
        }
        st->bufs[i] = nb;
        st->caps[i] = cap;
    }
    memcpy(st->bufs[i], p, n);
    st->bufs[i][n] = 0;
    st->vals[i] = st->bufs[i];
    st->lens[i] = (int)n;
    st->fmts[i] = fmt;
    return DB_OK;
}

static int sq_bind_rc(db_stmt *st, int rc) {
    if (rc == SQLITE_OK) return DB_OK;
    db_set_err(st->d, "bind: %s", sqlite3_errmsg(st->d->sq));
    return DB_ERR;
}

static int bind_int64(db_stmt *st, int idx, int64_t v) {
    if (st->d->kind == DB_SQLITE) return sq_bind_rc(st, sqlite3_bind_int64(st->sq, idx, v));
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)v);
    return pg_param(st, idx, buf, (size_t)n, 0);
}

static int bind_text(db_stmt *st, int idx, const char *v) {
    if (st->d->kind == DB_SQLITE) {
        if (!v) return sq_bind_rc(st, sqlite3_bind_null(st->sq, idx));
        return sq_bind_rc(st, sqlite3_bind_text(st->sq, idx, v, -1, SQLITE_TRANSIENT));
    }
    return pg_param(st, idx, v, v ? strlen(v) : 0, 0);
}

static int bind_blob(db_stmt *st, int idx, const void *p, size_t n) {
    if (st->d->kind == DB_SQLITE) {
        if (!p) return sq_bind_rc(st, sqlite3_bind_null(st->sq, idx));
        return sq_bind_rc(st, sqlite3_bind_blob64(st->sq, idx, p, n, SQLITE_TRANSIENT));
    }
    /* Binary format: no escaping cost, and the server sees the exact bytes. */
    if (!p) return pg_param(st, idx, NULL, 0, 0);
    return pg_param(st, idx, p, n, 1);
}

static int bind_null(db_stmt *st, int idx) {
    if (st->d->kind == DB_SQLITE) return sq_bind_rc(st, sqlite3_bind_null(st->sq, idx));
    return pg_param(st, idx, NULL, 0, 0);
}

/* A failed bind is remembered until db_reset and returned by the next db_step/db_run, which
 * then do not execute: callers need not check every bind, and a statement never runs with a
 * parameter silently left NULL (libpq would send it as NULL). */
static int bound(db_stmt *st, int rc) {
    if (rc != DB_OK && st->bind_err == DB_OK) st->bind_err = rc;
    return rc;
}

int db_bind_int64(db_stmt *st, int idx, int64_t v) { return bound(st, bind_int64(st, idx, v)); }
int db_bind_text(db_stmt *st, int idx, const char *v) { return bound(st, bind_text(st, idx, v)); }
int db_bind_blob(db_stmt *st, int idx, const void *p, size_t n) { return bound(st, bind_blob(st, idx, p, n)); }
int db_bind_null(db_stmt *st, int idx) { return bound(st, bind_null(st, idx)); }

/* ---- stepping and columns ----------------------------------------------------------------- */

int db_step(db_stmt *st) {
    if (st->bind_err != DB_OK) return st->bind_err;
    if (st->d->kind == DB_SQLITE) return dbsq_step(st);
    if (st->d->piped && !st->executed) {
        int rc = dbpg_drain(st->d); /* a read: the queued writes come first */
        if (rc != DB_OK) return rc;
    }
    return dbpg_step(st);
}

int db_run(db_stmt *st) {
    int rc;
    if (st->bind_err != DB_OK) return st->bind_err;
    if (st->d->kind == DB_POSTGRES && st->d->pipeline_ok && !st->executed) return dbpg_send(st);
    while ((rc = db_step(st)) == DB_ROW) {
    }
    return rc == DB_DONE ? DB_OK : rc;
}

int64_t db_changes(db_stmt *st) { return st->changes; }

void db_reset(db_stmt *st) {
    if (st->d->kind == DB_SQLITE) dbsq_reset(st);
    else dbpg_reset(st);
    st->executed = false;
    st->bind_err = DB_OK;
}

bool db_col_is_null(db_stmt *st, int col) {
    if (st->d->kind == DB_SQLITE) return sqlite3_column_type(st->sq, col) == SQLITE_NULL;
    if (!st->res || col >= st->ncols) return true;
    return PQgetisnull(st->res, st->row, col);
}

int64_t db_col_int64(db_stmt *st, int col) {
    if (st->d->kind == DB_SQLITE) return sqlite3_column_int64(st->sq, col);
    if (db_col_is_null(st, col)) return 0;
    return strtoll(PQgetvalue(st->res, st->row, col), NULL, 10);
}

const char *db_col_text(db_stmt *st, int col) {
    if (st->d->kind == DB_SQLITE) {
        const unsigned char *t = sqlite3_column_text(st->sq, col);
        return t ? (const char *)t : "";
    }
    if (db_col_is_null(st, col)) return "";
    return PQgetvalue(st->res, st->row, col);
}

static int hexv(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

const uint8_t *db_col_blob(db_stmt *st, int col, size_t *len) {
    *len = 0;
    if (st->d->kind == DB_SQLITE) {
        const void *p = sqlite3_column_blob(st->sq, col);
        if (!p) return NULL;
        *len = (size_t)sqlite3_column_bytes(st->sq, col);
        return p;
    }
    if (db_col_is_null(st, col)) return NULL;
    /* Text results: bytea arrives as "\x" + hex (bytea_output=hex, set at connect). */
    const char *v = PQgetvalue(st->res, st->row, col);
    size_t vn = (size_t)PQgetlength(st->res, st->row, col);
    if (vn < 2 || v[0] != '\\' || v[1] != 'x' || (vn & 1)) return NULL;
    size_t n = (vn - 2) / 2;
    if (st->colcaps[col] < n + 1) {
        uint8_t *nb = realloc(st->cols[col], n + 1);
        if (!nb) return NULL;
        st->cols[col] = nb;
        st->colcaps[col] = n + 1;
    }
    uint8_t *o = st->cols[col];
    for (size_t i = 0; i < n; i++) {
        int hi = hexv(v[2 + 2 * i]), lo = hexv(v[3 + 2 * i]);
        if (hi < 0 || lo < 0) return NULL;
        o[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n;
    return o;
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
    int rc = db_exec(d, d->kind == DB_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN");
    if (rc == DB_OK) d->in_tx = true;
    return rc;
}

int db_begin_bulk(db *d) {
    int rc = db_begin(d);
    if (rc == DB_OK && d->kind == DB_POSTGRES) d->pipeline_ok = true;
    return rc;
}

int db_commit(db *d) {
    if (!d->in_tx) {
        db_set_err(d, "no transaction open");
        return DB_ERR;
    }
    d->pipeline_ok = false;
    int rc = db_exec(d, "COMMIT");
    if (rc == DB_OK || d->kind == DB_POSTGRES) d->in_tx = false;
    return rc;
}

int db_rollback(db *d) {
    d->pipeline_ok = false;
    if (d->kind == DB_POSTGRES && d->piped) dbpg_drain(d); /* the queued failure, if any, is moot */
    if (!d->in_tx) return DB_OK;
    d->in_tx = false;
    if (d->kind == DB_POSTGRES && d->bad) return DB_OK; /* the server dropped it already */
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

int db_pg_backend_pid(db *d) {
    if (d->kind != DB_POSTGRES || !d->pg || d->bad) return 0;
    return PQbackendPID(d->pg);
}
