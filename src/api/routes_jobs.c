#include "api/internal.h"
api_spec_fn api_job_spec_handler;
const api_route api_routes_jobs[] = {{NULL, NULL, NULL, NULL, NULL, 0, {{0}}}};
