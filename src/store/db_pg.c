/* db_pg — the PostgreSQL backend (libpq).
 *
 * Statements are prepared on the server once per connection (lazily, at first execution) and
 * executed with PQexecPrepared: one round trip per call. Inside db_begin_bulk, writes go out in
 * libpq pipeline mode instead (pg_send): queued, with a Sync and a collection of the results
 * every PIPE_CHUNK statements (so neither side's socket buffer fills while the other waits) and
 * before any read, COMMIT or ROLLBACK (pg_drain). Blob parameters go in binary format;
 * results come back as text and bytea is decoded from its hex form (pg_col_blob).
 *
 * Reconnection: any failure that leaves the connection unusable marks it bad and returns
 * DB_CONN; the next call tries to connect again, attempts spaced by a doubling backoff
 * (100 ms … 5 s). A new connection bumps `gen`, which makes every cached statement prepare
 * itself again before its next execution. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/hex.h"
#include "store/db_internal.h"

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void quiet_notices(void *arg, const char *msg) {
    (void)arg;
    (void)msg; /* "relation already exists, skipping" and the like */
}

static void set_err_trim(db *d, const char *what, const char *msg) {
    db_set_err(d, "postgres %s: %s", what, msg && *msg ? msg : "unknown error");
    size_t n = strlen(d->errmsg);
    while (n && (d->errmsg[n - 1] == '\n' || d->errmsg[n - 1] == ' ')) d->errmsg[--n] = 0;
}

static void mark_bad(db *d) {
    d->bad = true;
    d->piped = false; /* a new connection starts outside pipeline mode */
    d->pending = 0;
    d->pipeline_ok = false;
    d->in_tx = false; /* the server has dropped it */
}

/* Classify a failed result. res may be NULL (libpq could not even produce one). */
static int pg_fail(db *d, PGresult *res, const char *what) {
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : NULL;
    set_err_trim(d, what, msg && *msg ? msg : PQerrorMessage(d->pg));
    if (!res || PQstatus(d->pg) != CONNECTION_OK ||
        (state && (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3)))) {
        mark_bad(d);
        return DB_CONN;
    }
    if (state && !strncmp(state, "23", 2)) return DB_CONSTRAINT;
    /* serialization failure / deadlock: the transaction is void, retrying it is correct */
    if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01"))) return DB_CONN;
    return DB_ERR;
}

static int pg_connect(db *d) {
    if (d->pg) PQfinish(d->pg);
    /* connect_timeout first so that a value in the URL overrides it */
    const char *keys[] = {"connect_timeout", "keepalives_idle", "dbname", NULL};
    const char *vals[] = {"5", "30", d->conninfo, NULL};
    d->pg = PQconnectdbParams(keys, vals, 1);
    if (!d->pg || PQstatus(d->pg) != CONNECTION_OK) {
        set_err_trim(d, "connect", d->pg ? PQerrorMessage(d->pg) : "out of memory");
        d->bad = true;
        return DB_CONN;
    }
    PQsetNoticeProcessor(d->pg, quiet_notices, NULL);
    PGresult *r = PQexec(d->pg, "SET bytea_output = 'hex'; SET client_min_messages = warning");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    int rc = ok ? DB_OK : pg_fail(d, r, "session setup");
    PQclear(r);
    if (rc != DB_OK) {
        d->bad = true;
        return rc == DB_CONN ? DB_CONN : DB_ERR;
    }
    d->bad = false;
    d->gen++;
    return DB_OK;
}

static int pg_ensure(db *d) {
    if (d->pg && !d->bad) return DB_OK;
    int64_t now = now_ms();
    if (now < d->next_try_ms) {
        if (!d->errmsg[0]) db_set_err(d, "postgres: connection lost, reconnecting");
        return DB_CONN;
    }
    int rc = pg_connect(d);
    if (rc == DB_OK) {
        d->reconnects++;
        d->backoff_ms = 0;
        d->next_try_ms = 0;
        return DB_OK;
    }
    d->backoff_ms = d->backoff_ms ? d->backoff_ms * 2 : 100;
    if (d->backoff_ms > 5000) d->backoff_ms = 5000;
    d->next_try_ms = now + d->backoff_ms;
    return rc;
}

static int pg_open(db *d, const char *url) {
    if (!(d->conninfo = strdup(url))) {
        db_set_err(d, "out of memory");
        return DB_ERR;
    }
    return pg_connect(d);
}

static void pg_close(db *d) {
    if (d->pg) PQfinish(d->pg);
    d->pg = NULL;
    free(d->conninfo);
    d->conninfo = NULL;
}

static int pg_exec(db *d, const char *sql) {
    int rc = pg_ensure(d);
    if (rc != DB_OK) return rc;
    PGresult *r = PQexec(d->pg, sql);
    ExecStatusType s = PQresultStatus(r);
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
        /* COMMIT of an aborted transaction "succeeds" as a ROLLBACK: report it. */
        if (!strcmp(PQcmdStatus(r), "ROLLBACK") && !strncmp(sql, "COMMIT", 6)) {
            db_set_err(d, "postgres: transaction was aborted by an earlier error; rolled back");
            rc = DB_ERR;
        }
    } else {
        rc = pg_fail(d, r, "exec");
    }
    PQclear(r);
    return rc;
}

/* Rewrite `?` placeholders to $1..$n, leaving quoted literals, identifiers and comments alone. */
static int pg_prepare(db_stmt *st) {
    const char *s = st->sql;
    size_t n = strlen(s);
    char *o = malloc(n * 4 + 1); /* "?" → "$NNN" at most */
    if (!o) {
        db_set_err(st->d, "out of memory");
        return DB_ERR;
    }
    size_t j = 0;
    int k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\'' || c == '"') {
            o[j++] = c;
            for (i++; i < n; i++) {
                o[j++] = s[i];
                if (s[i] == c) break;
            }
        } else if (c == '-' && s[i + 1] == '-') {
            while (i < n && s[i] != '\n') o[j++] = s[i++];
            if (i < n) o[j++] = s[i];
        } else if (c == '?') {
            j += (size_t)sprintf(o + j, "$%d", ++k);
        } else {
            o[j++] = c;
        }
    }
    o[j] = 0;
    st->pgsql = o;
    st->nparams = k;
    if (k) {
        st->vals = calloc((size_t)k, sizeof *st->vals);
        st->lens = calloc((size_t)k, sizeof *st->lens);
        st->fmts = calloc((size_t)k, sizeof *st->fmts);
        st->bufs = calloc((size_t)k, sizeof *st->bufs);
        st->caps = calloc((size_t)k, sizeof *st->caps);
        if (!st->vals || !st->lens || !st->fmts || !st->bufs || !st->caps) {
            db_set_err(st->d, "out of memory");
            return DB_ERR;
        }
    }
    return DB_OK;
}

static void pg_finalize(db_stmt *st) {
    if (st->res) PQclear(st->res);
    st->res = NULL;
    for (int i = 0; i < st->nparams && st->bufs; i++) free(st->bufs[i]);
    for (int i = 0; i < st->ncols && st->cols; i++) free(st->cols[i]);
    free(st->vals);
    free(st->lens);
    free(st->fmts);
    free(st->bufs);
    free(st->caps);
    free(st->cols);
    free(st->colcaps);
    free(st->pgsql);
}

static int ensure_cols(db_stmt *st, int n) {
    if (n <= st->ncols) return 0;
    uint8_t **c = realloc(st->cols, (size_t)n * sizeof *c);
    if (!c) return -1;
    st->cols = c;
    size_t *cc = realloc(st->colcaps, (size_t)n * sizeof *cc);
    if (!cc) return -1;
    st->colcaps = cc;
    for (int i = st->ncols; i < n; i++) {
        st->cols[i] = NULL;
        st->colcaps[i] = 0;
    }
    st->ncols = n;
    return 0;
}

static int pg_step(db_stmt *st) {
    db *d = st->d;
    if (!st->executed) {
        st->executed = true;
        int rc = pg_ensure(d);
        if (rc != DB_OK) return rc;
        if (st->gen != d->gen) {
            PGresult *r = PQprepare(d->pg, st->name, st->pgsql, st->nparams, NULL);
            if (PQresultStatus(r) != PGRES_COMMAND_OK) {
                rc = pg_fail(d, r, "prepare");
                PQclear(r);
                return rc;
            }
            PQclear(r);
            st->gen = d->gen;
        }
        PGresult *r = PQexecPrepared(d->pg, st->name, st->nparams, (const char *const *)st->vals,
                                     st->lens, st->fmts, 0);
        ExecStatusType s = PQresultStatus(r);
        if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
            rc = pg_fail(d, r, "query");
            PQclear(r);
            return rc;
        }
        const char *ct = PQcmdTuples(r);
        st->changes = *ct ? strtoll(ct, NULL, 10) : 0;
        if (s == PGRES_COMMAND_OK) {
            PQclear(r);
            return DB_DONE;
        }
        if (ensure_cols(st, PQnfields(r)) != 0) {
            PQclear(r);
            db_set_err(d, "out of memory");
            return DB_ERR;
        }
        st->res = r;
        st->nrows = PQntuples(r);
        st->row = -1;
    }
    if (!st->res) return DB_DONE;
    if (++st->row < st->nrows) return DB_ROW;
    return DB_DONE;
}

#define PIPE_CHUNK 512

/* Sync and collect every queued result; stays in pipeline mode. Returns the first failure. */
static int pipe_collect(db *d) {
    if (d->pending == 0) return DB_OK;
    if (PQpipelineSync(d->pg) != 1) return pg_fail(d, NULL, "pipeline sync");
    int first = DB_OK, nulls = 0;
    for (;;) {
        PGresult *r = PQgetResult(d->pg);
        if (!r) {
            /* one NULL ends each query's results; a stream of them means the link is gone */
            if (PQstatus(d->pg) != CONNECTION_OK || ++nulls > d->pending + 2) {
                if (first == DB_OK) first = pg_fail(d, NULL, "pipeline");
                mark_bad(d);
                return first;
            }
            continue;
        }
        nulls = 0;
        ExecStatusType s = PQresultStatus(r);
        if (s == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            break;
        }
        if (s == PGRES_FATAL_ERROR && first == DB_OK) first = pg_fail(d, r, "pipelined write");
        PQclear(r);
        if (d->bad) return first == DB_OK ? DB_CONN : first;
    }
    d->pending = 0;
    return first;
}

static int pg_send(db_stmt *st) {
    db *d = st->d;
    st->executed = true;
    int rc = pg_ensure(d);
    if (rc != DB_OK) return rc;
    if (!d->piped) {
        if (PQenterPipelineMode(d->pg) != 1) {
            set_err_trim(d, "pipeline", PQerrorMessage(d->pg));
            return DB_ERR;
        }
        d->piped = true;
        d->pending = 0;
    }
    if (st->gen != d->gen) {
        if (PQsendPrepare(d->pg, st->name, st->pgsql, st->nparams, NULL) != 1) return pg_fail(d, NULL, "prepare");
        d->pending++;
        st->gen = d->gen;
    }
    if (PQsendQueryPrepared(d->pg, st->name, st->nparams, (const char *const *)st->vals, st->lens, st->fmts, 0) != 1)
        return pg_fail(d, NULL, "query");
    d->pending++;
    st->changes = 1; /* not known until the results are collected; see db_begin_bulk */
    if (d->pending >= PIPE_CHUNK) return pipe_collect(d);
    return DB_OK;
}

static int pg_drain(db *d) {
    if (!d->piped) return DB_OK;
    int rc = d->bad ? DB_CONN : pipe_collect(d);
    if (d->piped && !d->bad && PQexitPipelineMode(d->pg) != 1 && rc == DB_OK) {
        set_err_trim(d, "pipeline exit", PQerrorMessage(d->pg));
        rc = DB_ERR;
    }
    d->piped = false;
    d->pending = 0;
    return rc;
}

static void pg_reset(db_stmt *st) {
    if (st->res) PQclear(st->res);
    st->res = NULL;
    st->nrows = 0;
    st->row = 0;
    for (int i = 0; i < st->nparams; i++) {
        st->vals[i] = NULL;
        st->lens[i] = 0;
        st->fmts[i] = 0;
    }
}

/* db_ops.exec: queued writes go first. */
static int pg_exec_after_queue(db *d, const char *sql) {
    if (d->piped) {
        int rc = pg_drain(d);
        if (rc != DB_OK) {
            /* a queued write failed: still send COMMIT/ROLLBACK so the aborted transaction
             * ends on the server, but report the write's failure */
            if (!d->bad) pg_exec(d, sql);
            return rc;
        }
    }
    return pg_exec(d, sql);
}

/* db_ops.step: a read, so the queued writes come first. */
static int pg_step_after_queue(db_stmt *st) {
    if (st->d->piped && !st->executed) {
        int rc = pg_drain(st->d);
        if (rc != DB_OK) return rc;
    }
    return pg_step(st);
}

/* ---- binding: each value in the statement's own buffer ------------------------------------ */

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

static int pg_bind_int64(db_stmt *st, int idx, int64_t v) {
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)v);
    return pg_param(st, idx, buf, (size_t)n, 0);
}

static int pg_bind_text(db_stmt *st, int idx, const char *v) {
    return pg_param(st, idx, v, v ? strlen(v) : 0, 0);
}

/* Binary format: no escaping cost, and the server sees the exact bytes. */
static int pg_bind_blob(db_stmt *st, int idx, const void *p, size_t n) {
    return pg_param(st, idx, p, p ? n : 0, p ? 1 : 0);
}

static int pg_bind_null(db_stmt *st, int idx) { return pg_param(st, idx, NULL, 0, 0); }
static int pg_param_count(db_stmt *st) { return st->nparams; }

/* ---- columns (text results) ------------------------------------------------------------------ */

static bool pg_col_is_null(db_stmt *st, int col) {
    if (!st->res || col >= st->ncols) return true;
    return PQgetisnull(st->res, st->row, col);
}

static int64_t pg_col_int64(db_stmt *st, int col) {
    if (pg_col_is_null(st, col)) return 0;
    return strtoll(PQgetvalue(st->res, st->row, col), NULL, 10);
}

static const char *pg_col_text(db_stmt *st, int col) {
    if (pg_col_is_null(st, col)) return "";
    return PQgetvalue(st->res, st->row, col);
}

static const uint8_t *pg_col_blob(db_stmt *st, int col, size_t *len) {
    if (pg_col_is_null(st, col)) return NULL;
    /* bytea arrives as "\x" + hex (bytea_output=hex, set at connect). */
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
        int hi = hex_digit(v[2 + 2 * i]), lo = hex_digit(v[3 + 2 * i]);
        if (hi < 0 || lo < 0) return NULL;
        o[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n;
    return o;
}

int db_pg_backend_pid(db *d) {
    if (!d->pg || d->bad) return 0; /* SQLite has no server */
    return PQbackendPID(d->pg);
}

const db_ops db_pg_ops = {
    .kind = DB_POSTGRES,
    .begin_sql = "BEGIN",
    .failed_commit_ends_tx = true,
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec_after_queue,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .step = pg_step_after_queue,
    .reset = pg_reset,
    .send = pg_send,
    .drain = pg_drain,
    .bind_int64 = pg_bind_int64,
    .bind_text = pg_bind_text,
    .bind_blob = pg_bind_blob,
    .bind_null = pg_bind_null,
    .param_count = pg_param_count,
    .col_is_null = pg_col_is_null,
    .col_int64 = pg_col_int64,
    .col_text = pg_col_text,
    .col_blob = pg_col_blob,
};
