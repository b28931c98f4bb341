/* service — the entry points of the four services and of the operator commands.
 *
 * A service runs until shutdown_requested() and returns 0 on a clean stop, non-zero on a
 * fatal error (after logging it). `lamda all` runs every service in its own thread of one
 * process; a fatal error in one stops all. */
#ifndef LAMDA_SERVICE_H
#define LAMDA_SERVICE_H

#include "core/config.h"

typedef int (*service_fn)(const lamda_config *cfg);

typedef struct {
    const char *name; /* subcommand and log service name */
    service_fn run;   /* NULL: not available in this build */
    const char *help;
} service_def;

int node_registry_run(const lamda_config *cfg);
int reputation_service_run(const lamda_config *cfg);
/* `lamda reputation audit [--fix]`: 0 no drift, 1 drift (fix queues the missing increments), 2 error. */
int reputation_audit_run(const lamda_config *cfg, int fix);
int job_dispatcher_run(const lamda_config *cfg);
/* `lamda rebuild [DATABASE_URL]`: a fresh database (the argument, else cfg->database_url) from
 * the chain alone: both followers from their start blocks to the confirmed head, then stop.
 * 0 done, 1 failed or interrupted, 2 usage (e.g. the database is not empty). */
int rebuild_run(const lamda_config *cfg, const char *database_url);

/* The table of services, terminated by {NULL}. Defined in services/wiring.c. */
extern const service_def lamda_services[];

#endif
