/* db_array — array parameters in PostgreSQL's binary array format: a 20-byte header (1
 * dimension, the has-NULL flag, the element type's OID, the length, lower bound 1) followed by
 * each element as a 4-byte big-endian length (-1 for NULL) and its bytes; int8 elements are 8
 * big-endian bytes. The header is written into reserved space at bind time, so the buffer goes
 * to the driver as one blob without another copy. */
#include "store/db_array.h"

#include <stdlib.h>
#include <string.h>

#include "store/db_internal.h"

#define HEADER 20

static const uint32_t elem_oid[] = {[DB_ARRAY_BYTEA] = 17, [DB_ARRAY_INT8] = 20, [DB_ARRAY_TEXT] = 25};

static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

void db_array_init(db_array *a, db_array_type type) {
    memset(a, 0, sizeof *a);
    a->type = type;
    a->len = HEADER;
}

void db_array_clear(db_array *a) {
    a->len = HEADER;
    a->n = 0;
    a->has_null = false;
    a->failed = false;
}

void db_array_free(db_array *a) {
    free(a->buf);
    db_array_init(a, a->type);
}

static uint8_t *room(db_array *a, size_t n) {
    if (a->failed) return NULL;
    if (a->len + n > a->cap) {
        size_t cap = a->cap ? a->cap : 4096;
        while (cap < a->len + n) cap *= 2;
        uint8_t *p = realloc(a->buf, cap);
        if (!p || a->n == INT32_MAX) {
            if (p) a->buf = p;
            a->failed = true;
            return NULL;
        }
        a->buf = p;
        a->cap = cap;
    }
    uint8_t *p = a->buf + a->len;
    a->len += n;
    a->n++;
    return p;
}

void db_array_blob(db_array *a, const void *p, size_t n) {
    if (n > INT32_MAX) {
        a->failed = true;
        return;
    }
    uint8_t *o = room(a, 4 + n);
    if (!o) return;
    put32(o, (uint32_t)n);
    if (n) memcpy(o + 4, p, n);
}

void db_array_int64(db_array *a, int64_t v) {
    uint8_t *o = room(a, 12);
    if (!o) return;
    put32(o, 8);
    put32(o + 4, (uint32_t)((uint64_t)v >> 32));
    put32(o + 8, (uint32_t)v);
}

void db_array_text(db_array *a, const char *s) {
    if (!s) db_array_null(a);
    else db_array_blob(a, s, strlen(s));
}

void db_array_null(db_array *a) {
    uint8_t *o = room(a, 4);
    if (!o) return;
    put32(o, UINT32_MAX); /* -1 */
    a->has_null = true;
}

int db_bind_array(db_stmt *st, int idx, db_array *a) {
    if (st->d->ops->kind != DB_POSTGRES || a->failed || !room(a, 0)) {
        db_set_err(st->d, a->failed ? "array parameter: out of memory" : "array parameters are PostgreSQL only");
        if (st->bind_err == DB_OK) st->bind_err = DB_ERR; /* sticky, as a failed db_bind_* */
        return DB_ERR;
    }
    a->n--; /* room(a, 0) only made sure the buffer exists */
    if (a->n == 0) { /* an empty array has no dimensions */
        put32(a->buf, 0);
        put32(a->buf + 4, 0);
        put32(a->buf + 8, elem_oid[a->type]);
        return db_bind_blob(st, idx, a->buf, 12);
    }
    put32(a->buf, 1);
    put32(a->buf + 4, a->has_null ? 1 : 0);
    put32(a->buf + 8, elem_oid[a->type]);
    put32(a->buf + 12, (uint32_t)a->n);
    put32(a->buf + 16, 1);
    return db_bind_blob(st, idx, a->buf, a->len);
}
