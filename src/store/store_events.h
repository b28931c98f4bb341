/* store_events — the change feed behind the API's Server-Sent Events. Rows are written by
 * database triggers (migrations/<backend>/0004_events.sql) in the transaction of the change
 * itself, so this module only reads and prunes them. */
#ifndef LAMDA_STORE_EVENTS_H
#define LAMDA_STORE_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

typedef enum { STORE_EV_JOB = 0, STORE_EV_NODE, STORE_EV_DISPATCH } store_event_kind;

typedef struct {
    int64_t id;
    store_event_kind kind;
    bool has_job, has_provider, has_renter;
    uint8_t job_id[32];
    uint8_t provider[20];
    uint8_t renter[20];
    char status[16];      /* job: new status, "removed"; dispatch: "dispatched"; node: "" */
    char prev_status[16]; /* "" when none */
    int is_online;        /* node events; -1 otherwise */
    int64_t job_count;    /* node events */
    int64_t created_ms;
} store_event;

/* Rows with after < id <= upto (upto < 0: no upper bound), ascending, at most limit.
 * cb returning non-zero stops the walk and is returned. */
int store_events_after(store *s, int64_t after, int64_t upto, int limit,
                       int (*cb)(void *ud, const store_event *e), void *ud);
/* The highest and lowest id present (0 when the table is empty). */
int store_events_bounds(store *s, int64_t *min_id, int64_t *max_id);
/* Delete rows written before cutoff_ms; *deleted may be NULL. */
int store_events_prune(store *s, int64_t cutoff_ms, int64_t *deleted);

/* ---- settling holes in the id sequence (PostgreSQL) ----------------------------------------
 * On PostgreSQL an id is taken when its row is written, not when it commits, so a reader can
 * see id N+1 while N is still uncommitted (or rolled back, leaving a hole forever). The reader
 * notes the database clock when it first sees a hole; once no transaction that began before
 * that instant is still open, the hole's writer has finished and the hole is final. */

/* The database server's clock, ms (SQLite: this machine's). */
int store_events_clock_ms(store *s, int64_t *ms);
/* Other connections' transactions open since before since_ms (always 0 on SQLite, whose
 * writers are serialized and whose ids are therefore never left behind). */
int store_events_open_tx_before(store *s, int64_t since_ms, int64_t *n);

#endif
