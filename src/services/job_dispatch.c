#include "services/job_dispatch.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/address.h"
#include "core/hex.h"
#include "core/log.h"
#include "ipfs/cid.h"
#include "services/job_delivery.h"

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

/* The job j (state created) with its spec (spec_rc = STORE_OK) or without one (STORE_NOTFOUND):
 * assign it and queue its message when there is something to run. */
static int dispatch_with_spec(store *s, const lamda_config *cfg, store_job *j, const store_spec *spec_in,
                              int spec_rc, int64_t now, bool *dispatched) {
    const uint8_t *job_id = j->job_id;
    char image[STORE_IMAGE_MAX], cidtext[STORE_CID_MAX];
    int rc = spec_rc;
    if (rc == STORE_OK) {
        const store_spec *spec = spec_in;
        /* Only the renter who paid may say what runs: a spec signed by anyone else is kept
         * (the renter may never send one) but never dispatched. */
        if (memcmp(spec->signer, j->renter, 20) != 0) {
            char id[67], signer[ADDRESS_STR_LEN], renter[ADDRESS_STR_LEN];
            log_warn("job-dispatcher: spec for job %s signed by %s, not by its renter %s; not dispatched",
                     hex_encode(job_id, 32, id), address_format(spec->signer, signer), address_format(j->renter, renter));
            return STORE_OK;
        }
        snprintf(image, sizeof image, "%s", spec->docker_image);
        snprintf(cidtext, sizeof cidtext, "%s", spec->input_cid);
    } else if (rc == STORE_NOTFOUND && cfg->job_id_from_cid && cfg->default_docker_image) {
        snprintf(image, sizeof image, "%s", cfg->default_docker_image);
        cid_from_job_id(job_id, cidtext);
    } else {
        return rc == STORE_NOTFOUND ? STORE_OK : rc;
    }

    rc = store_job_assign(s, job_id, image, cidtext, now);
    if (rc == STORE_INVALID) return STORE_OK; /* raced with another binder in this txn's view */
    if (rc != STORE_OK) return rc;
    snprintf(j->docker_image, sizeof j->docker_image, "%s", image);
    snprintf(j->input_cid, sizeof j->input_cid, "%s", cidtext);
    char *msg = job_dispatch_message(j);
    if (!msg) return STORE_ERR;
    char subject[64];
    job_dispatch_subject(j->provider, subject);
    rc = store_outbox_add(s, job_id, subject, (const uint8_t *)msg, strlen(msg), now);
    free(msg);
    if (rc == STORE_DUP) rc = STORE_OK; /* queued before (a replay after a reorg) */
    if (rc == STORE_OK) {
        /* ... and its delivery to the agent, acknowledged by the agent's report (job_delivery).
         * Its deadline runs from now on lamda's clock, not from `now` (the block time on the
         * JobCreated path): a backlog caught up hours late must still get its hour. */
        char agent_subject[64];
        job_delivery_subject(j->provider, agent_subject);
        rc = store_delivery_add(s, job_id, j->provider, agent_subject, (int64_t)time(NULL));
        if (rc == STORE_DUP) rc = STORE_OK;
    }
    if (rc == STORE_OK) *dispatched = true;
    return rc;
}

int job_dispatch_try(store *s, const lamda_config *cfg, const uint8_t job_id[32], int64_t now, bool *dispatched) {
    *dispatched = false;
    store_job j;
    int rc = store_job_get(s, job_id, &j);
    if (rc == STORE_NOTFOUND) return STORE_OK; /* the event has not arrived yet */
    if (rc != STORE_OK) return rc;
    if (j.status != JOB_CREATED) return STORE_OK; /* bound before */
    store_spec spec;
    rc = store_spec_get(s, job_id, &spec);
    if (rc != STORE_OK && rc != STORE_NOTFOUND) return rc;
    return dispatch_with_spec(s, cfg, &j, &spec, rc, now, dispatched);
}

typedef struct {
    store_job *jobs;
    size_t n;
    const store_spec **specs; /* per job, NULL = none */
    store_spec *found;
    size_t nfound;
} spec_match;

static int on_spec(void *ud, const store_spec *sp) {
    spec_match *m = ud;
    if (m->nfound == m->n) return 0; /* a spec per job at most (job_id is its key) */
    m->found[m->nfound] = *sp;
    for (size_t i = 0; i < m->n; i++)
        if (!memcmp(m->jobs[i].job_id, sp->job_id, 32)) m->specs[i] = &m->found[m->nfound];
    m->nfound++;
    return 0;
}

int job_dispatch_created(store *s, const lamda_config *cfg, store_job *jobs, size_t n, size_t *dispatched) {
    *dispatched = 0;
    if (n == 0) return STORE_OK;
    uint8_t(*ids)[32] = malloc(n * sizeof *ids);
    spec_match m = {jobs, n, calloc(n, sizeof *m.specs), malloc(n * sizeof *m.found), 0};
    int rc = STORE_ERR;
    if (!ids || !m.specs || !m.found) goto out;
    for (size_t i = 0; i < n; i++) memcpy(ids[i], jobs[i].job_id, 32);
    rc = store_spec_get_many(s, (const uint8_t(*)[32])ids, n, on_spec, &m);
    for (size_t i = 0; rc == STORE_OK && i < n; i++) {
        bool d = false;
        rc = dispatch_with_spec(s, cfg, &jobs[i], m.specs[i], m.specs[i] ? STORE_OK : STORE_NOTFOUND,
                                jobs[i].created_at, &d);
        if (d) (*dispatched)++;
    }
out:
    free(ids);
    free(m.specs);
    free(m.found);
    return rc;
}
