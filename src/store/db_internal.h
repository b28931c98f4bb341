/* db_internal.h — shared by db.c, db_sqlite.c and db_pg.c only. */
#ifndef LAMDA_DB_INTERNAL_H
#define LAMDA_DB_INTERNAL_H

#include <libpq-fe.h>
#include <sqlite3.h>

#include "store/db.h"

#define DB_CACHE_BUCKETS 256
#define DB_LIT_SLOTS 64 /* direct-mapped by address; a collision only costs a text lookup */

typedef struct db_ops db_ops;

struct db_stmt {
    db *d;
    char *sql;      /* the cache key, owned */
    uint64_t hash;
    db_stmt *next;  /* hash chain */
    bool executed;  /* db_step ran the statement since the last reset */
    int bind_err;   /* the first failed bind since the last reset (sticky), DB_OK when none */
    int64_t changes;

    /* SQLite */
    sqlite3_stmt *sq;

    /* PostgreSQL */
    char name[24];
    unsigned gen;    /* connection generation it was prepared on; 0 = never */
    char *pgsql;     /* sql with $n placeholders */
    int nparams;
    char **vals;     /* per parameter: points into buf or NULL (SQL NULL) */
    int *lens, *fmts;
    char **bufs;     /* owned per-parameter storage */
    size_t *caps;
    PGresult *res;
    int row, nrows;
    uint8_t **cols; /* decoded bytea per column */
    size_t *colcaps;
    int ncols;
};

struct db {
    const db_ops *ops; /* the backend, chosen once by db_open */
    char errmsg[512];
    db_stmt *buckets[DB_CACHE_BUCKETS];
    struct {
        const char *sql; /* db_prepare_lit: the literal's address */
        db_stmt *st;
    } lit[DB_LIT_SLOTS];
    int nstmts;
    bool in_tx;
    int reconnects;
    unsigned release_seen; /* the db_release_everywhere request this connection has honoured */

    /* SQLite */
    sqlite3 *sq;
    char *path;

    /* PostgreSQL */
    PGconn *pg;
    char *conninfo;
    unsigned gen;    /* bumped on every (re)connect; statements re-prepare lazily */
    bool bad;        /* the connection is gone; reconnect on next use */
    int64_t next_try_ms;
    int backoff_ms;
    bool pipeline_ok; /* db_begin_bulk: writes run through db_run may be pipelined */
    bool piped;       /* the connection is in libpq pipeline mode */
    int pending;      /* results still to collect in pipeline mode */
};

void db_set_err(db *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A backend: everything of the driver that differs between SQLite and PostgreSQL. db_open
 * chooses the table from the URL once; db.c calls the backend only through it, so a backend
 * is one file and one table, and db.c asks no question about which one it has. */
struct db_ops {
    db_kind kind;
    const char *begin_sql;       /* opens a write transaction */
    bool failed_commit_ends_tx;  /* PostgreSQL ends it even then; SQLite keeps it (SQLITE_BUSY) */
    int (*open)(db *d, const char *url);
    void (*close)(db *d);
    int (*exec)(db *d, const char *sql);
    void (*release_memory)(db *d); /* give back caches an idle connection holds; NULL: none */
    int64_t (*pages_read)(db *d);  /* db_pages_read; NULL: unknown */
    int (*prepare)(db_stmt *st);
    void (*finalize)(db_stmt *st);
    int (*step)(db_stmt *st);
    void (*reset)(db_stmt *st);
    /* Inside db_begin_bulk: queue a write without waiting for it, and collect what was queued
     * (rollback calls drain: what was queued is moot). NULL: the backend runs each write. */
    int (*send)(db_stmt *st);
    int (*drain)(db *d);
    int (*bind_int64)(db_stmt *st, int idx, int64_t v);
    int (*bind_text)(db_stmt *st, int idx, const char *v); /* NULL → SQL NULL */
    int (*bind_blob)(db_stmt *st, int idx, const void *p, size_t n);
    int (*bind_null)(db_stmt *st, int idx);
    int (*param_count)(db_stmt *st);
    bool (*col_is_null)(db_stmt *st, int col);
    int64_t (*col_int64)(db_stmt *st, int col);
    const char *(*col_text)(db_stmt *st, int col);
    const uint8_t *(*col_blob)(db_stmt *st, int col, size_t *len);
};

extern const db_ops db_sqlite_ops; /* db_sqlite.c */
extern const db_ops db_pg_ops;     /* db_pg.c */

#endif
