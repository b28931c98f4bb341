/* lamda — the one binary: every service, `all`, migrations and operator tools. */
#include <pthread.h>
#include <stdbool.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "core/shutdown.h"
#include "services/idle_trim.h"
#include "services/service.h"
#include "store/store.h"
#include "version.h"

static void usage(FILE *f) {
    fprintf(f, "usage: lamda <command> [args]\n\nservices:\n");
    for (const service_def *s = lamda_services; s->name; s++)
        fprintf(f, "  %-20s %s%s\n", s->name, s->help, s->run ? "" : " (not available yet)");
    fprintf(f, "  %-20s %s\n", "all", "every service in one process");
    fprintf(f, "\ncommands:\n"
               "  migrate              apply database migrations and exit\n"
               "  reputation audit [--fix]\n"
               "                       confirmed jobs in the database vs on-chain job counts per\n"
               "                       provider; --fix queues the missing increments\n"
               "  rebuild [DATABASE_URL]\n"
               "                       build a fresh database from the chain alone (both followers\n"
               "                       from their start blocks to the confirmed head), then exit\n"
               "  config [--example]   print the effective configuration (secrets redacted),\n"
               "                       or an env.example with every setting and its default\n"
               "  version              print the version\n"
               "  help                 this text\n"
               "\nConfiguration comes from the environment and ./.env (see env.example).\n");
}

/* `lamda <command> --help`: the usage of that command alone, on stdout. */
static int command_help(const char *cmd, const service_def *svc) {
    if (svc) {
        printf("usage: lamda %s\n\n  %s.\n  Runs until SIGTERM or SIGINT.\n", svc->name, svc->help);
    } else if (!strcmp(cmd, "all")) {
        printf("usage: lamda all\n\n  every service in one process, until SIGTERM or SIGINT.\n");
    } else if (!strcmp(cmd, "config")) {
        printf("usage: lamda config [--example]\n\n"
               "  Validate the configuration (environment, then ./.env or $LAMDA_DOTENV) and print\n"
               "  the effective value of every setting, secrets redacted; exit 2 with the first\n"
               "  invalid setting otherwise.\n"
               "  --example  print an env.example with every setting, its default and help.\n");
    } else if (!strcmp(cmd, "migrate")) {
        printf("usage: lamda migrate\n\n  apply the database migrations to DATABASE_URL and exit.\n");
    } else if (!strcmp(cmd, "reputation")) {
        printf("usage: lamda reputation audit [--fix]\n\n"
               "  compare confirmed jobs in the database with on-chain job counts per provider;\n"
               "  --fix queues the missing increments.\n");
    } else if (!strcmp(cmd, "rebuild")) {
        printf("usage: lamda rebuild [DATABASE_URL]\n\n"
               "  build a fresh database from the chain alone, then exit.\n");
    } else {
        return -1;
    }
    return 0;
}

static bool is_help(const char *a) { return !strcmp(a, "--help") || !strcmp(a, "-h") || !strcmp(a, "help"); }

static const service_def *find_service(const char *name) {
    for (const service_def *s = lamda_services; s->name; s++)
        if (!strcmp(s->name, name)) return s;
    return NULL;
}

typedef struct {
    const service_def *svc;
    const lamda_config *cfg;
    int rc;
} service_thread;

static void *service_thread_main(void *arg) {
    service_thread *t = arg;
    t->rc = t->svc->run(t->cfg);
    /* One service failing stops the whole process, so a supervisor restarts it cleanly. */
    if (t->rc != 0) shutdown_request();
    return NULL;
}

static int run_all(const lamda_config *cfg) {
    service_thread threads[8];
    pthread_t tids[8];
    int n = 0, rc = 0;
    for (const service_def *s = lamda_services; s->name; s++) {
        if (!s->run) {
            log_warn("service %s is not available yet; not started", s->name);
            continue;
        }
        threads[n] = (service_thread){s, cfg, 0};
        if (pthread_create(&tids[n], NULL, service_thread_main, &threads[n]) != 0) {
            log_error("cannot start thread for %s", s->name);
            shutdown_request();
            break;
        }
        n++;
    }
    if (n == 0) {
        log_error("no service is available in this build");
        return 2;
    }
    for (int i = 0; i < n; i++) {
        pthread_join(tids[i], NULL);
        if (threads[i].rc != 0) rc = threads[i].rc;
    }
    return rc;
}

int main(int argc, char **argv) {
    /* glibc gives each thread that allocates its own arena (up to 8 per core); lamda all runs
     * some 25 threads, and every arena keeps its freed memory. Four arenas keep allocation
     * contention low and the idle footprint small (MALLOC_ARENA_MAX still overrides). */
    if (!getenv("MALLOC_ARENA_MAX")) mallopt(M_ARENA_MAX, 4);
    if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("lamda %s\n", LAMDA_VERSION);
        return 0;
    }
    const service_def *svc = find_service(cmd);
    if (argc > 2 && is_help(argv[2])) {
        if (command_help(cmd, svc) == 0) return 0;
        fprintf(stderr, "lamda: unknown command \"%s\" (try lamda help)\n", cmd);
        return 2;
    }
    if (!strcmp(cmd, "config") && argc > 2) {
        if (argc == 3 && !strcmp(argv[2], "--example")) {
            config_print_example(1);
            return 0;
        }
        fprintf(stderr, "usage: lamda config [--example]\n");
        return 2;
    }
    int audit = !strcmp(cmd, "reputation") && argc > 2 && !strcmp(argv[2], "audit");
    if (!strcmp(cmd, "reputation") && (!audit || (argc > 3 && strcmp(argv[3], "--fix")) || argc > 4)) {
        fprintf(stderr, "usage: lamda reputation audit [--fix]\n");
        return 2;
    }
    int rebuild = !strcmp(cmd, "rebuild");
    if (rebuild && argc > 3) {
        fprintf(stderr, "usage: lamda rebuild [DATABASE_URL]\n");
        return 2;
    }
    int known = svc || audit || rebuild || !strcmp(cmd, "all") || !strcmp(cmd, "config") || !strcmp(cmd, "migrate");
    if (!known) {
        fprintf(stderr, "lamda: unknown command \"%s\" (try lamda help)\n", cmd);
        return 2;
    }
    if (svc && !svc->run) {
        fprintf(stderr, "lamda: %s is not available yet in this build\n", cmd);
        return 2;
    }

    lamda_config cfg;
    char err[512];
    if (config_load(&cfg, getenv("LAMDA_DOTENV"), err, sizeof err) != 0) {
        fprintf(stderr, "lamda: configuration error: %s\n", err);
        return 2;
    }
    int rc = 0;
    if (!strcmp(cmd, "config")) {
        config_print(&cfg, 1);
    } else if (audit) {
        rc = reputation_audit_run(&cfg, argc > 3);
    } else if (rebuild) {
        if (shutdown_install() != 0) {
            fprintf(stderr, "lamda: cannot install signal handlers\n");
            rc = 1;
        } else {
            log_set_service("rebuild");
            rc = rebuild_run(&cfg, argc > 2 ? argv[2] : NULL);
        }
    } else if (!strcmp(cmd, "migrate")) {
        char merr[768];
        if (store_migrate_only(cfg.database_url, merr, sizeof merr) != STORE_OK) {
            fprintf(stderr, "lamda: migrate: %s\n", merr);
            rc = 1;
        } else {
            printf("database is at schema version %d\n", store_schema_version_known());
        }
    } else {
        if (shutdown_install() != 0) {
            fprintf(stderr, "lamda: cannot install signal handlers\n");
            config_free(&cfg);
            return 1;
        }
        log_set_service(svc ? svc->name : "all");
        log_info("lamda %s starting %s", LAMDA_VERSION, cmd);
        if (idle_trim_start() != 0) log_warn("idle memory trim not started: memory freed after a burst stays mapped");
        rc = svc ? svc->run(&cfg) : run_all(&cfg);
        shutdown_request(); /* a service that returned on its own stops the watcher too */
        idle_trim_stop();
        log_info("stopped (rc=%d)", rc);
    }
    config_free(&cfg);
    return rc;
}
