/* Fuzz POST /api/jobs bodies: job_spec_submit end to end on an in-memory SQLite store
 * (JSON parsing, field validation, docker image syntax, CID, signature recovery, the store),
 * and job_spec_image_valid on the raw bytes. Properties: no crash, no leak, a status in
 * 200..599 with a message on refusal. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/config.h"
#include "services/job_specs.h"
#include "store/store.h"

static store *g_store;
static lamda_config g_cfg; /* the defaults: no .env, whatever the environment sets */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g_store) {
        char err[256];
        if (store_open("sqlite::memory:", &g_store, err, sizeof err) != STORE_OK) abort();
        if (config_load(&g_cfg, "/nonexistent", err, sizeof err) != 0) abort();
    }
    (void)job_spec_image_valid((const char *)data, size);

    char err[256] = "";
    int status = 0;
    cJSON *out = NULL;
    int rc = job_spec_submit(&g_cfg, g_store, (const char *)data, size, err, sizeof err, &status, &out);
    if (status < 200 || status > 599) abort();
    if (rc != 0 && err[0] == 0) abort();
    cJSON_Delete(out);
    return 0;
}
