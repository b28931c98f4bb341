/* store_internal.h — shared by the store_*.c files only (not a public header).
 *
 * Pattern for a data-access function: one static SQL string with `?` placeholders, written
 * once for both backends, and its values, in one call: store_write, store_count, store_int64
 * or store_row when one of those endings fits, store_prepare (then step and db_reset) when the
 * rows are read in a loop. A db code becomes a store code with store_rc(). Only statements
 * whose parameters a letter list cannot name bind with db_bind_* themselves: PostgreSQL's bulk
 * paths (db_bind_array), SQL composed with a varying parameter list (a job transition, the
 * list filters of store_query.c), and the 64 ids of store_spec_get_many. */
#ifndef LAMDA_STORE_INTERNAL_H
#define LAMDA_STORE_INTERNAL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "store/state_names.h"
#include "store/store.h"

#define STORE_MAX_LEASES 8

struct store {
    db *db;
    char errmsg[600];
    struct {
        char name[64];
        int fd;   /* SQLite: the flock'ed lease file; -1 on PostgreSQL */
        int pgpid; /* PostgreSQL: backend pid the advisory lock was taken on */
        int64_t key;
        bool used;
    } leases[STORE_MAX_LEASES];
    bool notify_on_commit; /* this transaction queued something for the publisher */
};

/* Note that the current transaction (or, outside one, this statement) queued work for the
 * publisher; store_commit raises the commit notification (store_notify.c). */
void store_notify_mark(store *s);

/* Map a db return code (DB_OK/DB_DONE/DB_ROW/errors) to a store code. */
static inline int store_rc(store *s, int rc) {
    switch (rc) {
    case DB_OK:
    case DB_DONE:
    case DB_ROW: return STORE_OK;
    case DB_CONSTRAINT: return STORE_DUP;
    case DB_CONN:
        snprintf(s->errmsg, sizeof s->errmsg, "%s", db_errmsg(s->db));
        return STORE_CONN;
    default:
        snprintf(s->errmsg, sizeof s->errmsg, "%s", db_errmsg(s->db));
        return STORE_ERR;
    }
}

/* Run a bound statement to its end and reset it; *changed (when not NULL) is the number of
 * rows it changed. The store code of the run. */
static inline int store_run_count(store *s, db_stmt *st, int64_t *changed) {
    int rc = db_run(st);
    if (changed) *changed = db_changes(st);
    db_reset(st);
    return store_rc(s, rc);
}

/* Run a bound write and reset it: STORE_OK when it changed a row, `if_none` (STORE_DUP for an
 * insert that met its conflict clause, STORE_NOTFOUND for an update/delete that matched
 * nothing) when it changed none, or the store code of the failure. */
static inline int store_run_write(store *s, db_stmt *st, int if_none) {
    int64_t n;
    int rc = store_run_count(s, st, &n);
    if (rc != STORE_OK) return rc;
    return n ? STORE_OK : if_none;
}

/* Step a bound query once for its first column as an integer and reset it: STORE_OK with *out
 * set, STORE_NOTFOUND when it returned no row, or the store code of the failure. */
static inline int store_query_int64(store *s, db_stmt *st, int64_t *out) {
    int rc = db_step(st);
    if (rc == DB_ROW) *out = db_col_int64(st, 0);
    db_reset(st);
    return rc == DB_DONE ? STORE_NOTFOUND : store_rc(s, rc);
}

/* Prepare and bind in one call (store_bind.c). binds has one letter per `?` of sql, in order,
 * each taking the arguments named here:
 *   i  int64_t                  every integer, cast at the call site (an int or bool passed
 *                               as is is read wrongly: varargs are not converted to int64_t)
 *   p  const int64_t *          an optional integer: NULL binds SQL NULL
 *   t  const char *             text; NULL binds SQL NULL
 *   a  const uint8_t *          a 20-byte address; NULL binds SQL NULL
 *   h  const uint8_t *          a 32-byte hash or job id; NULL binds SQL NULL
 *   b  const void *, size_t     a blob of that length; NULL binds SQL NULL
 * A list that is not these letters, or not as many as sql has parameters, binds nothing and
 * returns STORE_ERR with the message in store_errmsg. A failed bind is the db layer's sticky
 * error: the statement's next run returns it. On STORE_OK *st is bound and the caller steps
 * and resets it. */
int store_prepare(store *s, db_stmt **st, const char *sql, const char *binds, ...);

/* Fills one row (a table's struct) from the current result row. */
typedef void (*store_read_fn)(db_stmt *st, void *row);

/* A store_read_fn for a row's first two integer columns, into int64_t[2]. */
static inline void store_read_int64_pair(db_stmt *st, void *row) {
    int64_t *v = row;
    v[0] = db_col_int64(st, 0);
    v[1] = db_col_int64(st, 1);
}

/* How store_run ends a statement it prepared and bound: the store_run_* ending above, or one
 * step read by `read` into `row` (STORE_OK, STORE_NOTFOUND when there is no row). */
typedef struct {
    enum { STORE_END_WRITE, STORE_END_COUNT, STORE_END_INT64, STORE_END_ROW } kind;
    bool lit;           /* prepare with db_prepare_lit: sql is a string literal (ingestion's hot paths) */
    int if_none;        /* WRITE: store_run_write's if_none */
    int64_t *n;         /* COUNT: rows changed (may be NULL); INT64: the value */
    store_read_fn read; /* ROW */
    void *row;
} store_end;

/* store_prepare and an ending in one call; use it through the names below. */
int store_run(store *s, store_end end, const char *sql, const char *binds, ...);

#define store_write(s, none, ...) store_run(s, (store_end){STORE_END_WRITE, .if_none = (none)}, __VA_ARGS__)
#define store_write_lit(s, none, ...) \
    store_run(s, (store_end){STORE_END_WRITE, .lit = true, .if_none = (none)}, __VA_ARGS__)
#define store_count(s, changed, ...) store_run(s, (store_end){STORE_END_COUNT, .n = (changed)}, __VA_ARGS__)
#define store_count_lit(s, changed, ...) \
    store_run(s, (store_end){STORE_END_COUNT, .lit = true, .n = (changed)}, __VA_ARGS__)
#define store_int64(s, out, ...) store_run(s, (store_end){STORE_END_INT64, .n = (out)}, __VA_ARGS__)
#define store_row(s, read_fn, out, ...) \
    store_run(s, (store_end){STORE_END_ROW, .read = (read_fn), .row = (out)}, __VA_ARGS__)

/* Run a one-parameter DELETE keyed by a job id: STORE_OK when a row went, STORE_NOTFOUND when
 * none matched. */
static inline int store_delete_job_keyed(store *s, const char *sql, const uint8_t job_id[32]) {
    return store_write(s, STORE_NOTFOUND, sql, "h", job_id);
}

/* A malloc'd copy of a blob column, terminated by a NUL past its *len bytes (a payload is also
 * read as a string); NULL when out of memory. A NULL column is an empty copy. */
static inline uint8_t *store_col_blob_dup(db_stmt *st, int col, size_t *len) {
    const uint8_t *p = db_col_blob(st, col, len);
    uint8_t *c = malloc(*len + 1);
    if (!c) return NULL;
    if (*len) memcpy(c, p, *len);
    c[*len] = 0;
    return c;
}

/* Shared query shapes (store_query.c). */

/* The row sql selects with its one parameter bound to key: STORE_OK with it read into out,
 * STORE_NOTFOUND when there is none, or the store code of the failure. */
int store_get_by_key(store *s, const char *sql, const uint8_t *key, size_t keylen, store_read_fn read, void *out);

/* " WHERE a AND b …" of the terms that are not NULL ("" when none) into w. */
void store_where(const char *const *terms, int n, char *w, size_t cap);

/* The list_counts row and column (migration 0006) that hold the total of a list's filter: list
 * NULL when no counter covers the filter's combination, and the total is counted. */
typedef struct {
    const char *list;     /* "jobs", "jobs_provider", "jobs_renter", "providers" */
    const uint8_t *owner; /* the provider or renter (20 bytes); NULL: the all-owners row */
    const char *column;   /* "total", a job status's name, or "online"/"offline" (providers) */
} store_count_key;

/* One list: the total from its counter (count) or, without one, "SELECT count(*) FROM
 * <table><where>", then "<cols><where> ORDER BY <order> LIMIT ? OFFSET ?". bind binds the
 * where's parameters of a filter from 1 and returns the next index; read fills one row of
 * row_size bytes from the current result row. */
typedef struct {
    const char *table, *cols, *order, *where;
    int (*bind)(db_stmt *st, const void *filter);
    store_read_fn read;
    size_t row_size;
    store_count_key count;
} store_page_query;

/* At most min(limit, cap) rows from offset into rows, *n of them; *total (when not NULL) the
 * count the filter matches. */
int store_page(store *s, const store_page_query *q, const void *filter, int64_t limit, int64_t offset, void *rows,
               int cap, int *n, int64_t *total);

/* Migrations (store_migrate.c). */
int store_migrate_db(db *d, char *err, size_t errlen);
int store_schema_check_db(db *d, char *err, size_t errlen); /* version == this binary's */

#endif
