/* job_status — names of job states and the transition rule (see job_status.h). */
#include "store/job_status.h"
#include "store/state_names.h"

static const char *const names[JOB_STATUS_COUNT] = {
    "created", "assigned", "running", "completed", "failed", "confirmed", "paid", "cancelled", "undelivered",
    "stalled",
};

const char *store_job_status_name(job_status s) { return store_name_of(names, JOB_STATUS_COUNT, (int)s); }

int store_job_status_parse(const char *name, job_status *out) {
    int i = store_name_index(names, JOB_STATUS_COUNT, name);
    if (i < 0) return -1;
    *out = (job_status)i;
    return 0;
}

bool store_job_transition_allowed(job_status from, job_status to) {
    if ((unsigned)from >= JOB_STATUS_COUNT || (unsigned)to >= JOB_STATUS_COUNT || from == to)
        return false;
    switch (to) {
    case JOB_CREATED: return false;
    case JOB_ASSIGNED: return from == JOB_CREATED;
    /* agent reports: forward only, failed is final for them */
    /* undelivered and stalled are lamda's deadline verdicts, not the agent's: a late report
     * from the job's provider still proves it ran, so it wins over them */
    case JOB_RUNNING: return from == JOB_CREATED || from == JOB_ASSIGNED || from == JOB_UNDELIVERED;
    case JOB_COMPLETED:
    case JOB_FAILED:
        return from == JOB_CREATED || from == JOB_ASSIGNED || from == JOB_RUNNING || from == JOB_UNDELIVERED ||
               from == JOB_STALLED;
    /* chain events are authoritative: they win over whatever the agent said */
    case JOB_CONFIRMED: return from <= JOB_FAILED || from == JOB_UNDELIVERED || from == JOB_STALLED;
    case JOB_PAID: return from != JOB_CANCELLED;
    case JOB_CANCELLED: return from == JOB_CREATED || from == JOB_ASSIGNED || from == JOB_UNDELIVERED;
    /* set by the delivery deadlines (services/job_delivery.c) */
    case JOB_UNDELIVERED: return from == JOB_ASSIGNED;
    case JOB_STALLED: return from == JOB_RUNNING;
    default: return false;
    }
}
