/* routes_admin — operator actions, admin bearer token only (never a provider signature).
 *
 * POST /api/admin/jobs/{id}/redispatch: a job that ended undelivered or stalled (or is still
 * assigned and waiting) goes back to assigned and its delivery starts afresh, with a new
 * JOB_DELIVERY_TIMEOUT. The dispatcher (any process on the same database) picks it up on its
 * next pass. It may give an agent that silently kept the job a second copy: that is the
 * operator's call, which is why only the admin may make it. */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/internal.h"
#include "view/domain_json.h"
#include "bus/bus.h"
#include "core/address.h"

/* 401 without credentials, 403 with a wrong token; -1 after answering. */
static int admin_only(api_ctx *c) {
    const lamda_config *cfg = api_cfg(c);
    size_t alen;
    const char *auth = api_req_header(c, "authorization", &alen);
    if (!auth || alen < 7 || strncasecmp(auth, "Bearer ", 7) != 0) {
        api_header(c, "www-authenticate", "Bearer");
        api_error(c, 401, "admin bearer token required");
        return -1;
    }
    if (!cfg->api_admin_token ||
        !api_ct_equal(auth + 7, alen - 7, cfg->api_admin_token, strlen(cfg->api_admin_token))) {
        api_error(c, 403, "invalid admin token");
        return -1;
    }
    return 0;
}

static void job_redispatch(api_ctx *c) {
    uint8_t id[32];
    if (api_param_job_id(c, 0, id) != 0) return;
    if (admin_only(c) != 0) return;
    store *s = api_write_store(c, true);
    if (!s) return;
    store_job job;
    int rc = store_job_get(s, id, &job);
    if (rc != STORE_OK) {
        if (rc == STORE_NOTFOUND) api_error(c, 404, "job not found");
        else api_store_error(c, rc);
        return;
    }
    /* the agents' subject, as services/job_delivery.c names it (api may not include services) */
    char subject[64], addr[ADDRESS_STR_LEN];
    snprintf(subject, sizeof subject, "%s%s", BUS_AGENT_PREFIX, address_format(job.provider, addr));
    rc = store_begin(s);
    if (rc == STORE_OK) rc = store_delivery_redispatch(s, id, subject, (int64_t)time(NULL));
    if (rc == STORE_OK) rc = store_commit(s);
    if (rc != STORE_OK) {
        char why[200];
        snprintf(why, sizeof why, "%s", store_errmsg(s));
        store_rollback(s);
        if (rc == STORE_INVALID) api_error(c, 409, "%s", why);
        else if (rc == STORE_NOTFOUND) api_error(c, 409, "job has no dispatched message to send again");
        else api_store_error(c, rc);
        return;
    }
    if ((rc = store_job_get(s, id, &job)) != STORE_OK) {
        api_store_error(c, rc);
        return;
    }
    api_ok_object(c, 1024, view_jobs_page.write, &job);
}

#define P_ID {"id", "path", "string", "job id: 0x + 64 hex digits (bytes32)"}

const api_route api_routes_admin[] = {
    {"POST", "/api/admin/jobs/{id}/redispatch", job_redispatch,
     "Operator: send an undelivered, stalled or still assigned job to its provider's agent again (admin bearer token)",
     "admin", API_F_AUTH | API_F_ADMIN_ONLY, {P_ID}, NULL, "JobResponse", "401 403 409"},
    {NULL, NULL, NULL, NULL, NULL, 0, {{0}}, NULL, NULL, NULL},
};
