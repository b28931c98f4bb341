/* db — a small backend-neutral SQL driver under the store: SQLite (embedded default) and
 * PostgreSQL (libpq). Every query of the store is written once, in portable SQL with `?`
 * placeholders; the PostgreSQL backend rewrites them to $1..$n.
 *
 * A `db` is one connection and is used by one thread at a time. Statements are prepared once
 * per connection and cached by their SQL text, so `db_prepare` on a hot path costs a hash
 * lookup. A statement handle stays valid for the life of the `db` (across reconnects).
 *
 * Usage:
 *   db_stmt *st;
 *   if (db_prepare(d, "SELECT a, b FROM t WHERE k = ?", &st)) ...
 *   db_bind_blob(st, 1, key, 32);
 *   while ((rc = db_step(st)) == DB_ROW) { db_col_int64(st, 0); ... }
 *   db_reset(st);                       // always, also after errors
 *
 * Connection loss (PostgreSQL): the call fails with DB_CONN, the open transaction is gone,
 * and the next call reconnects by itself (attempts spaced by a growing backoff, at most 5 s);
 * the caller retries its whole unit of work. */
#ifndef LAMDA_DB_H
#define LAMDA_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    DB_OK = 0,
    DB_ROW = 1,  /* db_step: a row is available */
    DB_DONE = 2, /* db_step: no (more) rows */
    DB_ERR = -1,
    DB_CONN = -2,       /* connection lost or unavailable: retry the unit of work later */
    DB_CONSTRAINT = -3, /* unique / primary key / foreign key violation */
};

typedef enum { DB_SQLITE = 1, DB_POSTGRES = 2 } db_kind;

typedef struct db db;
typedef struct db_stmt db_stmt;

/* url: "sqlite:PATH" (parent directory created; WAL, synchronous=NORMAL, busy timeout 5 s,
 * foreign keys on) or "postgres://…" / "postgresql://…". Returns DB_OK or DB_ERR/DB_CONN with
 * a message in err. */
int db_open(const char *url, db **out, char *err, size_t errlen);
void db_close(db *d);
db_kind db_backend(const db *d);
/* The file path of an SQLite database (NULL for PostgreSQL). */
const char *db_path(const db *d);
/* Message of the last failure on this connection ("" when none). */
const char *db_errmsg(const db *d);
/* Give back what an idle connection caches (SQLite's page cache); nothing on PostgreSQL. */
void db_release_memory(db *d);
/* Ask every connection of the process to give back its caches: each does so at its next
 * statement outside a transaction, on its own thread (SQLite connections are opened without
 * their own mutex, so no other thread may touch them). For a process that has gone idle. */
void db_release_everywhere(void);
/* The owner of a connection that may run no statement for a long time (a follower waiting
 * for blocks) calls this where it waits, so such a request reaches it too. */
void db_idle(db *d);
/* Database pages this connection has read from the file so far (SQLite's page-cache misses);
 * -1 on PostgreSQL, which does not say. Tests use it to show a query reads only what it needs. */
int64_t db_pages_read(db *d);

/* Run one or more statements without parameters (migrations, pragmas). */
int db_exec(db *d, const char *sql);

/* Look up or prepare the statement for sql (the text is copied into the cache, so a composed
 * string in a stack buffer is fine — compose it from constant fragments only, never from
 * values). The statement comes back reset with no bindings. */
int db_prepare(db *d, const char *sql, db_stmt **out);
/* The same for SQL in static storage that never changes (a string literal): the statement is
 * found by the pointer alone, without hashing or comparing the text — for the per-log writes
 * of the ingestion path. Never pass a buffer whose contents change. */
int db_prepare_lit(db *d, const char *sql, db_stmt **out);

/* Parameters are numbered from 1. Text and blob values are copied. A NULL text or blob pointer
 * binds SQL NULL. A failed bind (index out of range, no memory) is sticky: the next db_step or
 * db_run returns its error without executing, until db_reset. */
int db_bind_int64(db_stmt *st, int idx, int64_t v);
int db_bind_text(db_stmt *st, int idx, const char *v);
int db_bind_blob(db_stmt *st, int idx, const void *p, size_t n);
int db_bind_null(db_stmt *st, int idx);
/* How many parameters the statement has, so a caller binding from a list can check the list
 * against the SQL before it binds anything. */
int db_param_count(db_stmt *st);

/* Execute (first call) and advance: DB_ROW, DB_DONE, or an error code. */
int db_step(db_stmt *st);
/* db_step until DB_DONE; returns DB_OK or the error. For statements without result rows. */
int db_run(db_stmt *st);
/* Rows changed by the last executed INSERT/UPDATE/DELETE of st. */
int64_t db_changes(db_stmt *st);
/* Finish with the statement: drops the result and the bindings. Always call it. */
void db_reset(db_stmt *st);

/* Columns are numbered from 0; valid after DB_ROW until the next step/reset. */
bool db_col_is_null(db_stmt *st, int col);
int64_t db_col_int64(db_stmt *st, int col);
/* NUL-terminated text, "" for NULL. */
const char *db_col_text(db_stmt *st, int col);
/* Blob bytes (NULL and *len = 0 for NULL). */
const uint8_t *db_col_blob(db_stmt *st, int col, size_t *len);
/* Copy a blob column of exactly n bytes into out; zero-fills and returns -1 otherwise. */
int db_col_blob_fixed(db_stmt *st, int col, uint8_t *out, size_t n);
/* Copy a text column into out (capacity cap, truncated, always terminated). */
void db_col_text_copy(db_stmt *st, int col, char *out, size_t cap);

/* Transactions. SQLite: BEGIN IMMEDIATE, so the write lock is taken up front and a busy writer
 * waits on the busy timeout instead of failing at the first write. */
int db_begin(db *d);
/* A transaction for bulk writes (a follower's batch). On PostgreSQL, statements executed with
 * db_run are then sent in libpq pipeline mode without waiting for their results: N writes cost
 * one round trip instead of N. The price: such a db_run reports DB_OK and db_changes() = 1
 * without knowing; a failing write aborts the transaction and the failure is returned by the
 * next statement that reads rows (db_step), by db_commit, or lost in db_rollback. Reads work
 * as usual (they first collect the queued results). SQLite: the same as db_begin. */
int db_begin_bulk(db *d);
int db_commit(db *d);
/* Always safe to call; a no-op when no transaction is open or the connection is gone. */
int db_rollback(db *d);
bool db_in_tx(const db *d);

/* Check the connection with a trivial query (reconnecting if needed). */
int db_ping(db *d);

/* PostgreSQL: the server pid of this connection (0 on SQLite or when disconnected); lets the
 * lease code check pg_locks, and counts reconnects in tests. */
int db_pg_backend_pid(db *d);
/* How many times this connection has been re-established. */
int db_reconnects(const db *d);

#endif
