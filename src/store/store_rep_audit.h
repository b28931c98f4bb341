/* store_rep_audit — the queries of `lamda reputation audit`: per provider, the confirmed jobs
 * the database knows against the reputation updates it holds, and the two repairs the audit may
 * make (both keep "one reputation update per job, ever"). Same SQL on SQLite and PostgreSQL. */
#ifndef LAMDA_STORE_REP_AUDIT_H
#define LAMDA_STORE_REP_AUDIT_H

#include <stdint.h>

#include "store/store.h"

typedef struct {
    uint8_t provider[20];
    /* Confirmed jobs: jobs in state confirmed or paid, plus update rows whose job row is absent
     * (each job counted once). */
    int64_t confirmed;
    int64_t by_state[STORE_REP_STATE_COUNT]; /* update rows of this provider per state */
    int64_t without_row;                     /* confirmed/paid jobs with no update row */
} store_rep_tally;

/* Every provider with a confirmed job, an update row, or a non-zero job count in the providers
 * table, ascending by address. cb returning non-zero stops and is returned. */
int store_rep_tally_each(store *s, int (*cb)(const store_rep_tally *t, void *ud), void *ud);
/* A pending update row for every confirmed/paid job of provider that has none. */
int store_rep_add_missing(store *s, const uint8_t provider[20], int64_t now, int64_t *added);
/* Up to n FAILED rows of provider (oldest first) back to pending, nonce and transaction
 * cleared, so they are sent again. */
int store_rep_requeue_failed(store *s, const uint8_t provider[20], int64_t n, int64_t *done);

/* The n oldest PENDING rows of provider → MINED with note, no transaction: the chain already
 * counts them (the increments were sent before this database existed). Never sent. */
int store_rep_settle_covered(store *s, const uint8_t provider[20], int64_t n, const char *note, int64_t *done);

#endif
