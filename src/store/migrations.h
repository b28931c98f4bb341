/* migrations — the schema files of migrations/<backend>/NNNN_name.sql, embedded into the
 * binary at build time (build/gen/migrations.c, made by scripts/embed.sh). */
#ifndef LAMDA_MIGRATIONS_H
#define LAMDA_MIGRATIONS_H

typedef struct {
    const char *backend; /* "sqlite" or "postgres" */
    int version;
    const char *name;
    const char *sql;
} store_migration;

/* In version order per backend; ends with an all-zero entry. */
extern const store_migration store_migrations[];

#endif
