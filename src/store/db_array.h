/* db_array — one array parameter for a set-based statement on PostgreSQL
 * (`INSERT … SELECT … FROM unnest(?::bytea[], ?::bigint[], …)`): a batch of rows goes in as
 * one prepared statement with one array per column instead of one statement per row.
 *
 * The elements are built in PostgreSQL's binary array format, so nothing is escaped or
 * printed as text; the statement's cast (`?::bytea[]`) gives the server the type. SQLite has
 * no array parameters: its bulk paths run the one-row statement per row instead (with no round
 * trip per row, that is already its fast path), and db_bind_array fails there.
 *
 *   db_array a;
 *   db_array_init(&a, DB_ARRAY_BYTEA);
 *   for (…) db_array_blob(&a, key, 32);
 *   db_bind_array(st, 1, &a);   // copies; the array can be freed or reused at once
 *   db_array_free(&a);
 *
 * A failed append (no memory) is sticky: db_bind_array then fails, so a statement never runs
 * with a short array. */
#ifndef LAMDA_DB_ARRAY_H
#define LAMDA_DB_ARRAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

typedef enum { DB_ARRAY_BYTEA, DB_ARRAY_INT8, DB_ARRAY_TEXT } db_array_type;

typedef struct {
    uint8_t *buf; /* header space, then per element: 4-byte length (-1 = NULL), bytes */
    size_t len, cap;
    int32_t n;
    db_array_type type;
    bool has_null;
    bool failed;
} db_array;

void db_array_init(db_array *a, db_array_type type);
/* Empty it for the next batch, keeping its memory. */
void db_array_clear(db_array *a);
void db_array_free(db_array *a);

void db_array_blob(db_array *a, const void *p, size_t n);
void db_array_int64(db_array *a, int64_t v);
void db_array_text(db_array *a, const char *s); /* NULL: an SQL NULL element */
void db_array_null(db_array *a);

/* Bind it as parameter idx (PostgreSQL only; DB_ERR on SQLite or after a failed append). */
int db_bind_array(db_stmt *st, int idx, db_array *a);

#endif
