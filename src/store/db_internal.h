/* db_internal.h — shared by db.c, db_sqlite.c and db_pg.c only. */
#ifndef LAMDA_DB_INTERNAL_H
#define LAMDA_DB_INTERNAL_H

#include <libpq-fe.h>
#include <sqlite3.h>

#include "store/db.h"

#define DB_CACHE_BUCKETS 256
#define DB_LIT_SLOTS 64 /* direct-mapped by address; a collision only costs a text lookup */

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
    db_kind kind;
    char errmsg[512];
    db_stmt *buckets[DB_CACHE_BUCKETS];
    struct {
        const char *sql; /* db_prepare_lit: the literal's address */
        db_stmt *st;
    } lit[DB_LIT_SLOTS];
    int nstmts;
    bool in_tx;
    int reconnects;

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

/* Backends. */
int dbsq_open(db *d, const char *path);
void dbsq_close(db *d);
int dbsq_exec(db *d, const char *sql);
int dbsq_prepare(db_stmt *st);
void dbsq_finalize(db_stmt *st);
int dbsq_step(db_stmt *st);
void dbsq_reset(db_stmt *st);

int dbpg_open(db *d, const char *url);
void dbpg_close(db *d);
int dbpg_exec(db *d, const char *sql);
int dbpg_prepare(db_stmt *st); /* converts placeholders; the server-side prepare is lazy */
void dbpg_finalize(db_stmt *st);
int dbpg_step(db_stmt *st);
void dbpg_reset(db_stmt *st);
int dbpg_ensure(db *d);
int dbpg_send(db_stmt *st); /* pipeline mode: queue the execution, do not wait */
int dbpg_drain(db *d);      /* pipeline mode: sync, collect every result, leave the mode */

#endif
