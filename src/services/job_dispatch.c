#include "services/job_dispatch.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "core/log.h"
#include "evm/address.h"
#include "ipfs/cid.h"

void job_dispatch_subject(const uint8_t provider[20], char out[64]) {
    char a[ADDRESS_STR_LEN];
    snprintf(out, 64, "lamda.dispatch.%s", address_format(provider, a));
}

char *job_dispatch_message(const store_job *j) {
    char id[67], renter[ADDRESS_STR_LEN], provider[ADDRESS_STR_LEN];
    hex_encode(j->job_id, 32, id);
    address_format(j->renter, renter);
    address_format(j->provider, provider);
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    /* The seed's keys, then the keys the published node agent reads. */
    cJSON_AddStringToObject(o, "jobId", id);
    cJSON_AddStringToObject(o, "dockerImage", j->docker_image);
    cJSON_AddStringToObject(o, "inputFileCID", j->input_cid);
    cJSON_AddStringToObject(o, "job_id", id);
    cJSON_AddStringToObject(o, "image_name", j->docker_image);
    cJSON_AddStringToObject(o, "input_file_cid", j->input_cid);
    cJSON_AddStringToObject(o, "renter", renter);
    cJSON_AddStringToObject(o, "provider", provider);
    cJSON_AddStringToObject(o, "payment", j->payment);
    cJSON_AddNumberToObject(o, "block", (double)j->created_block);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

/* jobId-from-CID mode: the jobId is the sha2-256 digest inside a CIDv0 of the input. */
static void cid_from_job_id(const uint8_t job_id[32], char out[CID_V0_LEN + 1]) { cid_v0_from_sha256(job_id, out); }

int job_dispatch_try(store *s, const lamda_config *cfg, const uint8_t job_id[32], int64_t now, bool *dispatched) {
    *dispatched = false;
    store_job j;
    int rc = store_job_get(s, job_id, &j);
    if (rc == STORE_NOTFOUND) return STORE_OK; /* the event has not arrived yet */
    if (rc != STORE_OK) return rc;
    if (j.status != JOB_CREATED) return STORE_OK; /* bound before */

    char image[STORE_IMAGE_MAX], cidtext[STORE_CID_MAX];
    store_spec spec;
    rc = store_spec_get(s, job_id, &spec);
    if (rc == STORE_OK) {
        /* Only the renter who paid may say what runs: a spec signed by anyone else is kept
         * (the renter may never send one) but never dispatched. */
        if (memcmp(spec.signer, j.renter, 20) != 0) {
            char id[67], signer[ADDRESS_STR_LEN], renter[ADDRESS_STR_LEN];
            log_warn("job-dispatcher: spec for job %s signed by %s, not by its renter %s; not dispatched",
                     hex_encode(job_id, 32, id), address_format(spec.signer, signer), address_format(j.renter, renter));
            return STORE_OK;
        }
        snprintf(image, sizeof image, "%s", spec.docker_image);
        snprintf(cidtext, sizeof cidtext, "%s", spec.input_cid);
    } else if (rc == STORE_NOTFOUND && cfg->job_id_from_cid && cfg->default_docker_image) {
        snprintf(image, sizeof image, "%s", cfg->default_docker_image);
        cid_from_job_id(job_id, cidtext);
    } else {
        return rc == STORE_NOTFOUND ? STORE_OK : rc;
    }

    rc = store_job_assign(s, job_id, image, cidtext, now);
    if (rc == STORE_INVALID) return STORE_OK; /* raced with another binder in this txn's view */
    if (rc != STORE_OK) return rc;
    snprintf(j.docker_image, sizeof j.docker_image, "%s", image);
    snprintf(j.input_cid, sizeof j.input_cid, "%s", cidtext);
    char *msg = job_dispatch_message(&j);
    if (!msg) return STORE_ERR;
    char subject[64];
    job_dispatch_subject(j.provider, subject);
    rc = store_outbox_add(s, job_id, subject, (const uint8_t *)msg, strlen(msg), now);
    free(msg);
    if (rc == STORE_DUP) rc = STORE_OK; /* queued before (a replay after a reorg) */
    if (rc == STORE_OK) *dispatched = true;
    return rc;
}
