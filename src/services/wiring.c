/* wiring — where the layers are put together: the table of services the `lamda` command starts,
 * and what each service is built from (its follower, handlers, bus subscriptions and the API's
 * hooks). scripts/check-layers.sh lets this file (and main.c) include every folder, so that no
 * other file needs an include upward: the API receives the services' logic here as api_hooks. */
#include <stddef.h>

#include "api/api.h"
#include "services/job_specs.h"
#include "services/service.h"

/* api_hooks.submit_job_spec: ud is the configuration the job's dispatch reads. */
static int submit_job_spec(const void *ud, store *s, const char *body, size_t len, char *err, size_t errlen,
                           int *http_status, cJSON **data) {
    return job_spec_submit(ud, s, body, len, err, errlen, http_status, data);
}

static int api_gateway_service_run(const lamda_config *cfg) {
    api_hooks hooks = {.submit_job_spec = submit_job_spec, .ud = cfg};
    return api_gateway_run(cfg, &hooks);
}

const service_def lamda_services[] = {
    {"node-registry", node_registry_run, "follow NodeReputation on opBNB and keep the provider table"},
    {"job-dispatcher", job_dispatcher_run, "follow JobManager on BSC and dispatch jobs over NATS"},
    {"reputation-service", reputation_service_run, "send incrementJobs on opBNB for every confirmed job"},
    {"api-gateway", api_gateway_service_run, "serve the REST API"},
    {NULL, NULL, NULL},
};
