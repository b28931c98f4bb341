/* store_query — the query shapes several tables share, each table giving its columns and row
 * reader: one row by its key (jobs, providers, reputation updates), and a filtered page of rows
 * with the total the filter matches (the job and provider lists), read from the list's counter
 * when one covers the filter (migration 0006). */
#include "store/store_internal.h"

int store_get_by_key(store *s, const char *sql, const uint8_t *key, size_t keylen, store_read_fn read, void *out) {
    return store_row(s, read, out, sql, "b", key, keylen);
}

void store_where(const char *const *terms, int n, char *w, size_t cap) {
    size_t o = 0;
    int used = 0;
    w[0] = '\0';
    for (int i = 0; i < n && o < cap; i++) {
        if (!terms[i]) continue;
        o += (size_t)snprintf(w + o, cap - o, "%s%s", used++ ? " AND " : " WHERE ", terms[i]);
    }
}

/* The columns of list_counts a count may read: the name goes into the SQL text, so it is
 * checked against the schema's, never taken as given. */
static bool count_column(const char *c) {
    static const char *const cols[] = {"total", "online", "offline"};
    for (size_t i = 0; i < sizeof cols / sizeof *cols; i++)
        if (!strcmp(c, cols[i])) return true;
    job_status js;
    return store_job_status_parse(c, &js) == 0;
}

/* A counter's value: one primary-key read however many rows the filter matches. No row yet is
 * 0 (nothing was ever counted for that owner). */
static int counted_total(store *s, const store_count_key *k, int64_t *total) {
    static const uint8_t none[1];
    char sql[128];
    if (!count_column(k->column)) {
        snprintf(s->errmsg, sizeof s->errmsg, "list count: no column %s", k->column);
        return STORE_INVALID;
    }
    snprintf(sql, sizeof sql, "SELECT %s FROM list_counts WHERE list = ? AND owner = ?", k->column);
    *total = 0;
    int rc = store_int64(s, total, sql, "tb", k->list, k->owner ? k->owner : none, (size_t)(k->owner ? 20 : 0));
    return rc == STORE_NOTFOUND ? STORE_OK : rc; /* all owners: x'' */
}

static int scanned_total(store *s, const store_page_query *q, const void *f, int64_t *total) {
    char sql[1024];
    db_stmt *st;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s%s", q->table, q->where);
    int rc = db_prepare(s->db, sql, &st);
    if (rc != DB_OK) return store_rc(s, rc);
    q->bind(st, f);
    rc = db_step(st);
    if (rc == DB_ROW) *total = db_col_int64(st, 0);
    db_reset(st);
    return rc == DB_ROW ? STORE_OK : store_rc(s, rc);
}

int store_page(store *s, const store_page_query *q, const void *f, int64_t limit, int64_t offset, void *rows,
               int cap, int *n, int64_t *total) {
    char sql[1024];
    *n = 0;
    db_stmt *st;
    int rc;
    if (total) {
        rc = q->count.list ? counted_total(s, &q->count, total) : scanned_total(s, q, f, total);
        if (rc != STORE_OK) return rc;
    }
    limit = limit > 0 && limit < cap ? limit : cap;
    snprintf(sql, sizeof sql, "%s%s ORDER BY %s LIMIT ? OFFSET ?", q->cols, q->where, q->order);
    if ((rc = db_prepare(s->db, sql, &st)) != DB_OK) return store_rc(s, rc);
    int i = q->bind(st, f);
    db_bind_int64(st, i++, limit);
    db_bind_int64(st, i, offset > 0 ? offset : 0);
    while (*n < limit && (rc = db_step(st)) == DB_ROW) q->read(st, (char *)rows + (size_t)(*n)++ * q->row_size);
    db_reset(st);
    return rc == DB_ROW ? STORE_OK : store_rc(s, rc);
}
