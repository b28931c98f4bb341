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

/* Run a bound write and reset it: STORE_OK when it changed a row, `if_none` (STORE_DUP for an
 * insert that met its conflict clause, STORE_NOTFOUND for an update/delete that matched
 * nothing) when it changed none, or the store code of the failure. */
static inline int store_run_write(store *s, db_stmt *st, int if_none) {
    int rc = db_run(st);
    int64_t n = db_changes(st);
    db_reset(st);
    if (rc != DB_OK) return store_rc(s, rc);
    return n ? STORE_OK : if_none;
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

/* Migrations (store_migrate.c). */
int store_migrate_db(db *d, char *err, size_t errlen);

#endif
