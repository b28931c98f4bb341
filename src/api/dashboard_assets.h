/* dashboard_assets — the operator dashboard's files (web/dashboard/), compiled into the
 * binary by scripts/embed_assets.sh (build/gen/dashboard_assets.c), so `lamda` serves them
 * with nothing installed beside it and nothing built at run time. */
#ifndef LAMDA_API_DASHBOARD_ASSETS_H
#define LAMDA_API_DASHBOARD_ASSETS_H

#include <stddef.h>

typedef struct {
    const char *name;  /* "index.html" */
    const char *media; /* content type */
    const char *body;
    size_t len;
} api_asset;

extern const api_asset api_dashboard_assets[]; /* terminated by {0} */

#endif
