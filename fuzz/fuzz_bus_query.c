/* Fuzz NATS query bodies (nodes.query, jobs.query): bus_query_answer on an in-memory SQLite
 * store opened once (a few providers and jobs in it, so filters have rows to walk).
 * Properties: no crash, no leak; every answer is valid UTF-8 JSON text with "error" or a count,
 * also when a stored row holds invalid bytes (a row written before input was checked). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/utf8.h"
#include "services/bus_query.h"
#include "store/store.h"

static store *g_store;

static void seed(store *s) {
    for (int i = 0; i < 4; i++) {
        uint8_t addr[20] = {0};
        addr[19] = (uint8_t)(i + 1);
        store_provider_register(s, addr, i % 2 ? "RTX 4090" : "A100", 24576u * (i + 1), 1700000000 + i, 10 + i);
        store_job j;
        memset(&j, 0, sizeof j);
        j.job_id[31] = (uint8_t)(i + 1);
        memcpy(j.provider, addr, 20);
        j.renter[0] = 0xaa;
        strcpy(j.payment, "1000");
        j.status = JOB_CREATED;
        j.created_block = 20 + i;
        j.created_at = j.updated_at = 1700000100 + i;
        if (i == 3) strcpy(j.error_message, "bad \xff\xfe \xc3");
        store_job_insert(s, &j);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g_store) {
        char err[256];
        if (store_open("sqlite::memory:", &g_store, err, sizeof err) != STORE_OK) abort();
        seed(g_store);
    }
    for (int k = 0; k < 2; k++) {
        char *ans = bus_query_answer(g_store, k ? BUS_QUERY_JOBS : BUS_QUERY_NODES, data, size);
        if (!ans) continue; /* out of memory */
        if (!utf8_valid(ans, strlen(ans))) abort();
        cJSON *o = cJSON_Parse(ans);
        if (!o) abort();
        if (!cJSON_GetObjectItemCaseSensitive(o, "error") && !cJSON_GetObjectItemCaseSensitive(o, "count")) abort();
        cJSON_Delete(o);
        free(ans);
    }
    return 0;
}
