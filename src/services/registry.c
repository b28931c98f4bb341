#include <stddef.h>

#include "api/api.h"
#include "services/service.h"

/* Each service's issue replaces its NULL with its entry point. */
const service_def lamda_services[] = {
    {"node-registry", node_registry_run, "follow NodeReputation on opBNB and keep the provider table"},
    {"job-dispatcher", job_dispatcher_run, "follow JobManager on BSC and dispatch jobs over NATS"},
    {"reputation-service", reputation_service_run, "send incrementJobs on opBNB for every confirmed job"},
    {"api-gateway", api_gateway_run, "serve the REST API"},
    {NULL, NULL, NULL},
};
