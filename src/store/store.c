/* store — opening, closing and transactions; the data-access functions live in store_*.c. */
#include <stdlib.h>
#include <unistd.h>

#include "store/store_internal.h"

/* replica: a read-only standby, which cannot migrate: its schema must already be this
 * binary's (it follows the primary's). */
static int open_store(const char *url, bool replica, store **out, char *err, size_t errlen) {
    *out = NULL;
    store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return STORE_ERR;
    }
    for (int i = 0; i < STORE_MAX_LEASES; i++) s->leases[i].fd = -1;
    int rc = db_open(url, &s->db, err, errlen);
    if (rc != DB_OK) {
        free(s);
        return rc == DB_CONN ? STORE_CONN : STORE_ERR;
    }
    rc = replica ? store_schema_check_db(s->db, err, errlen) : store_migrate_db(s->db, err, errlen);
    if (rc != STORE_OK) {
        store_close(s);
        return rc;
    }
    *out = s;
    return STORE_OK;
}

int store_open(const char *url, store **out, char *err, size_t errlen) { return open_store(url, false, out, err, errlen); }

int store_open_replica(const char *url, store **out, char *err, size_t errlen) {
    return open_store(url, true, out, err, errlen);
}

void store_close(store *s) {
    if (!s) return;
    for (int i = 0; i < STORE_MAX_LEASES; i++)
        if (s->leases[i].used) store_lease_release(s, s->leases[i].name);
    db_close(s->db);
    free(s);
}

void store_release_memory(store *s) {
    if (s) db_release_memory(s->db);
}

void store_idle(store *s) {
    if (s) db_idle(s->db);
}

const char *store_backend_name(const store *s) {
    return db_backend(s->db) == DB_SQLITE ? "sqlite" : "postgres";
}

const char *store_errmsg(const store *s) { return s->errmsg; }

int store_ping(store *s) { return store_rc(s, db_ping(s->db)); }
int store_begin(store *s) { return store_rc(s, db_begin(s->db)); }
int store_begin_bulk(store *s) { return store_rc(s, db_begin_bulk(s->db)); }
int store_commit(store *s) {
    int rc = store_rc(s, db_commit(s->db));
    if (rc == STORE_OK && s->notify_on_commit) store_notify_raise();
    s->notify_on_commit = false;
    return rc;
}
int store_rollback(store *s) {
    s->notify_on_commit = false;
    return store_rc(s, db_rollback(s->db));
}
