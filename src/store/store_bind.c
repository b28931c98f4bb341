/* store_bind — prepare a statement and bind its parameters from a list of letters in one call
 * (store_internal.h), so a data-access function states its SQL and its values and nothing
 * else. */
#include <stdarg.h>

#include "store/store_internal.h"

static const char LETTERS[] = "iptahb";

/* The whole list is checked against the statement before the first va_arg: a letter too many
 * would read an argument the caller never passed. */
static int bind_list(store *s, db_stmt *st, const char *sql, const char *binds, va_list ap) {
    size_t n = strlen(binds);
    if (strspn(binds, LETTERS) != n || n != (size_t)db_param_count(st)) {
        snprintf(s->errmsg, sizeof s->errmsg, "bind list \"%.40s\" does not fit the %d parameters of: %.480s",
                 binds, db_param_count(st), sql);
        db_reset(st);
        return STORE_ERR;
    }
    for (int i = 0; binds[i]; i++) {
        int idx = i + 1;
        switch (binds[i]) {
        case 'i': db_bind_int64(st, idx, va_arg(ap, int64_t)); break;
        case 'p': {
            const int64_t *v = va_arg(ap, const int64_t *);
            if (v) db_bind_int64(st, idx, *v);
            else db_bind_null(st, idx);
            break;
        }
        case 't': db_bind_text(st, idx, va_arg(ap, const char *)); break;
        case 'a': db_bind_blob(st, idx, va_arg(ap, const void *), 20); break;
        case 'h': db_bind_blob(st, idx, va_arg(ap, const void *), 32); break;
        case 'b': {
            const void *p = va_arg(ap, const void *);
            db_bind_blob(st, idx, p, va_arg(ap, size_t));
            break;
        }
        }
    }
    return STORE_OK;
}

static int prepare_list(store *s, db_stmt **st, bool lit, const char *sql, const char *binds, va_list ap) {
    int rc = lit ? db_prepare_lit(s->db, sql, st) : db_prepare(s->db, sql, st);
    if (rc != DB_OK) return store_rc(s, rc);
    return bind_list(s, *st, sql, binds, ap);
}

int store_prepare(store *s, db_stmt **st, const char *sql, const char *binds, ...) {
    va_list ap;
    va_start(ap, binds);
    int rc = prepare_list(s, st, false, sql, binds, ap);
    va_end(ap);
    return rc;
}

int store_run(store *s, store_end end, const char *sql, const char *binds, ...) {
    va_list ap;
    va_start(ap, binds);
    db_stmt *st;
    int rc = prepare_list(s, &st, end.lit, sql, binds, ap);
    va_end(ap);
    if (rc != STORE_OK) return rc;
    switch (end.kind) {
    case STORE_END_WRITE: return store_run_write(s, st, end.if_none);
    case STORE_END_COUNT: return store_run_count(s, st, end.n);
    case STORE_END_INT64: return store_query_int64(s, st, end.n);
    case STORE_END_ROW: break;
    }
    rc = db_step(st);
    if (rc == DB_ROW) end.read(st, end.row);
    db_reset(st);
    return rc == DB_DONE ? STORE_NOTFOUND : store_rc(s, rc);
}
