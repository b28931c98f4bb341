/* state_names — the text form of the states the store keeps as names. Its own header, below
 * store.h, because job_status.c (which store.h includes) needs it too. */
#ifndef LAMDA_STATE_NAMES_H
#define LAMDA_STATE_NAMES_H

#include <string.h>

/* States stored as text (job status, delivery, reputation update) are a table of names indexed
 * by the enum; these are the two directions. names[i], or "unknown" out of range: */
static inline const char *store_name_of(const char *const *names, int n, int i) {
    return (unsigned)i < (unsigned)n ? names[i] : "unknown";
}

/* The index of name in the table, or -1 (also for NULL). */
static inline int store_name_index(const char *const *names, int n, const char *name) {
    for (int i = 0; name && i < n; i++)
        if (!strcmp(name, names[i])) return i;
    return -1;
}

#endif
