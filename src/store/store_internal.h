/* store_internal.h — shared by the store_*.c files only (not a public header).
 *
 * Pattern for a data-access function: one static SQL string with `?` placeholders, written
 * once for both backends; db_prepare (cached per connection), bind, step, db_reset, and map
 * the db code to a store code with store_rc(). */
#ifndef LAMDA_STORE_INTERNAL_H
#define LAMDA_STORE_INTERNAL_H

#include <stdio.h>
#include <string.h>

#include "store/db.h"
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

/* Run a one-parameter DELETE keyed by a job id: STORE_OK when a row went, STORE_NOTFOUND when
 * none matched. */
static inline int store_delete_job_keyed(store *s, const char *sql, const uint8_t job_id[32]) {
    db_stmt *st;
    int rc = db_prepare(s->db, sql, &st);
    if (rc != DB_OK) return store_rc(s, rc);
    db_bind_blob(st, 1, job_id, 32);
    return store_run_write(s, st, STORE_NOTFOUND);
}

/* Shared query shapes (store_query.c). */

/* Fills one row (a table's struct) from the current result row. */
typedef void (*store_read_fn)(db_stmt *st, void *row);

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
