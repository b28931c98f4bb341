/* store_migrate — versioned schema migrations, applied in ONE transaction.
 *
 * Several processes may start at once: they serialize on a lock taken inside the migration
 * transaction (PostgreSQL: pg_advisory_xact_lock; SQLite: BEGIN IMMEDIATE, the write lock),
 * so the second one finds the work done. A database at a version this binary does not know
 * (a newer lamda migrated it) is refused: running old code on a newer schema could corrupt it. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/migrations.h"
#include "store/store_internal.h"

/* Arbitrary constant shared by every lamda process: "lamdamig". */
#define MIGRATION_LOCK_KEY "7809643702546565479"

static const char *backend_dir(db *d) { return db_backend(d) == DB_SQLITE ? "sqlite" : "postgres"; }

int store_schema_version_known(void) {
    int v = 0;
    for (const store_migration *m = store_migrations; m->backend; m++)
        if (m->version > v) v = m->version;
    return v;
}

static int current_version(db *d, int64_t *v) {
    db_stmt *st;
    int rc = db_prepare(d, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &st);
    if (rc != DB_OK) return rc;
    rc = db_step(st);
    if (rc == DB_ROW) {
        *v = db_col_int64(st, 0);
        rc = DB_OK;
    }
    db_reset(st);
    return rc;
}

int store_schema_check_db(db *d, char *err, size_t errlen) {
    int64_t have = 0;
    int rc = current_version(d, &have);
    if (rc != DB_OK) {
        snprintf(err, errlen, "cannot read the schema version: %s", db_errmsg(d));
        return rc == DB_CONN ? STORE_CONN : STORE_ERR;
    }
    int known = store_schema_version_known();
    if (have != known) {
        snprintf(err, errlen, "the replica's schema is version %lld, this binary's is %d: migrate the primary first",
                 (long long)have, known);
        return STORE_ERR;
    }
    return STORE_OK;
}

int store_migrate_db(db *d, char *err, size_t errlen) {
    int rc = db_begin(d);
    if (rc != DB_OK) goto fail;
    if (db_backend(d) == DB_POSTGRES) {
        rc = db_exec(d, "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK_KEY ")");
        if (rc != DB_OK) goto fail;
    }
    rc = db_exec(d, "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY,"
                    " name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
    if (rc != DB_OK) goto fail;
    int64_t have = 0;
    if ((rc = current_version(d, &have)) != DB_OK) goto fail;
    int known = store_schema_version_known();
    if (have > known) {
        db_rollback(d);
        snprintf(err, errlen,
                 "database schema version %lld is newer than this binary knows (%d): "
                 "upgrade lamda before running it against this database",
                 (long long)have, known);
        return STORE_ERR;
    }
    for (const store_migration *m = store_migrations; m->backend; m++) {
        if (strcmp(m->backend, backend_dir(d)) != 0 || m->version <= have) continue;
        if ((rc = db_exec(d, m->sql)) != DB_OK) {
            char msg[400];
            snprintf(msg, sizeof msg, "%s", db_errmsg(d));
            db_rollback(d);
            snprintf(err, errlen, "migration %s/%s failed: %s", m->backend, m->name, msg);
            return rc == DB_CONN ? STORE_CONN : STORE_ERR;
        }
        db_stmt *st;
        if ((rc = db_prepare(d, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                             &st)) != DB_OK)
            goto fail;
        db_bind_int64(st, 1, m->version);
        db_bind_text(st, 2, m->name);
        db_bind_int64(st, 3, (int64_t)time(NULL));
        rc = db_run(st);
        db_reset(st);
        if (rc != DB_OK) goto fail;
    }
    if ((rc = db_commit(d)) != DB_OK) goto fail;
    return STORE_OK;
fail:
    snprintf(err, errlen, "migrate: %s", db_errmsg(d));
    db_rollback(d);
    return rc == DB_CONN ? STORE_CONN : STORE_ERR;
}

int store_schema_version(store *s, int64_t *version) {
    return store_rc(s, current_version(s->db, version));
}

int store_migrate_only(const char *url, char *err, size_t errlen) {
    store *s;
    int rc = store_open(url, &s, err, errlen);
    if (rc != STORE_OK) return rc;
    store_close(s);
    return STORE_OK;
}
