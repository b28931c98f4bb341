/* store_dashboard — the few aggregate reads behind the operator dashboard (GET
 * /api/dashboard/summary) that no other store function answers. */
#ifndef LAMDA_STORE_DASHBOARD_H
#define LAMDA_STORE_DASHBOARD_H

#include <stdint.h>

#include "store/store.h"

typedef struct {
    uint64_t chain_id;
    uint8_t contract[20];
    int64_t block;
    int64_t updated_at;
} store_dash_cursor;

typedef struct {
    uint8_t job_id[32];
    uint8_t provider[20];
    char status[16];
    int64_t queued_at, sent_at;
} store_dash_dispatch;

/* The minute buckets of one series: counts[i] is minute (first_minute + i), i < n. */
#define STORE_DASH_MINUTES 30

int store_dash_cursors(store *s, store_dash_cursor *out, int cap, int *n);
/* Sent outbox rows, newest first. */
int store_dash_recent_dispatches(store *s, store_dash_dispatch *out, int cap, int *n);
/* Per minute (unix seconds / 60) from first_minute: jobs created (chain time), dispatched
 * (outbox sent_at) and completed (completed_at). */
int store_dash_per_minute(store *s, int64_t first_minute, int64_t created[STORE_DASH_MINUTES],
                          int64_t dispatched[STORE_DASH_MINUTES], int64_t completed[STORE_DASH_MINUTES]);

#endif
