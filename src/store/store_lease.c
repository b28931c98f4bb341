/* store_lease — "only one instance of this service is active", per name.
 *
 * PostgreSQL: a session-level advisory lock, keyed by a 64-bit hash of the name, on this
 * store's connection. It dies with the connection, which is the point (a crashed holder frees
 * it), but also means a reconnect silently loses it: store_lease_held notices.
 * SQLite: an exclusive flock on "<dbpath>.<name>.lease"; the kernel drops it when the process
 * dies. flock locks belong to the open file, so two stores in one process also exclude each
 * other. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "store/store_internal.h"

static int64_t lease_key(const char *name) {
    uint64_t h = 1469598103934665603ull;
    for (const char *p = name; *p; p++) h = (h ^ (uint8_t)*p) * 1099511628211ull;
    return (int64_t)h;
}

static int find_lease(store *s, const char *name) {
    for (int i = 0; i < STORE_MAX_LEASES; i++)
        if (s->leases[i].used && !strcmp(s->leases[i].name, name)) return i;
    return -1;
}

int store_lease_acquire(store *s, const char *name, bool *got) {
    *got = false;
    if (strlen(name) >= sizeof s->leases[0].name) return STORE_INVALID;
    int i = find_lease(s, name);
    if (i >= 0 && store_lease_held(s, name)) {
        *got = true;
        return STORE_OK;
    }
    if (i >= 0) store_lease_release(s, name);
    for (i = 0; i < STORE_MAX_LEASES && s->leases[i].used; i++) {
    }
    if (i == STORE_MAX_LEASES) return STORE_INVALID;

    if (db_backend(s->db) == DB_SQLITE) {
        char path[4200];
        snprintf(path, sizeof path, "%s.%s.lease", db_path(s->db), name);
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            snprintf(s->errmsg, sizeof s->errmsg, "lease %s: %s", name, strerror(errno));
            return STORE_ERR;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            close(fd);
            if (e == EWOULDBLOCK) return STORE_OK;
            snprintf(s->errmsg, sizeof s->errmsg, "lease %s: %s", name, strerror(e));
            return STORE_ERR;
        }
        s->leases[i].fd = fd;
        s->leases[i].pgpid = 0;
    } else {
        db_stmt *st;
        int64_t key = lease_key(name);
        int rc = store_prepare(s, &st, "SELECT pg_try_advisory_lock(?)", "i", key);
        if (rc != STORE_OK) return rc;
        rc = db_step(st);
        bool ok = rc == DB_ROW && !strcmp(db_col_text(st, 0), "t");
        db_reset(st);
        if (rc != DB_ROW) return store_rc(s, rc);
        if (!ok) return STORE_OK;
        s->leases[i].fd = -1;
        s->leases[i].pgpid = db_pg_backend_pid(s->db);
        s->leases[i].key = key;
    }
    snprintf(s->leases[i].name, sizeof s->leases[i].name, "%s", name);
    s->leases[i].used = true;
    *got = true;
    return STORE_OK;
}

bool store_lease_held(store *s, const char *name) {
    int i = find_lease(s, name);
    if (i < 0) return false;
    if (db_backend(s->db) == DB_SQLITE) return s->leases[i].fd >= 0;
    /* A reconnect gives a new backend pid and no lock; otherwise ask the server, which also
     * proves the connection is alive. */
    if (db_pg_backend_pid(s->db) != s->leases[i].pgpid) return false;
    uint64_t k = (uint64_t)s->leases[i].key;
    int64_t n = 0;
    bool held = store_int64(s, &n,
                            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                            " AND pid = pg_backend_pid() AND classid = ? AND objid = ? AND objsubid = 1",
                            "ii", (int64_t)(k >> 32), (int64_t)(k & 0xffffffffu)) == STORE_OK &&
                n == 1;
    return held && db_pg_backend_pid(s->db) == s->leases[i].pgpid;
}

int store_lease_release(store *s, const char *name) {
    int i = find_lease(s, name);
    if (i < 0) return STORE_NOTFOUND;
    int rc = STORE_OK;
    if (db_backend(s->db) == DB_SQLITE) {
        if (s->leases[i].fd >= 0) close(s->leases[i].fd); /* drops the flock */
    } else if (db_pg_backend_pid(s->db) == s->leases[i].pgpid) {
        rc = store_count(s, NULL, "SELECT pg_advisory_unlock(?)", "i", s->leases[i].key);
    }
    s->leases[i].used = false;
    s->leases[i].fd = -1;
    return rc;
}
