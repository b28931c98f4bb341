/* routes_jobs — jobs: the seed's /api/jobs… (with the authenticated status update and the
 * job-spec hook) and the original's /api/v1/jobs…. Lists are sorted by created_at
 * descending, then job_id (store_job_list). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/internal.h"
#include "core/address.h"
#include "core/hex.h"
#include "core/json_strict.h"
#include "core/keccak.h"
#include "evm/eip191.h"
#include "ipfs/cid.h"

/* Filters from the query (or a POST body turned into one). fixed_renter/fixed_provider come
 * from the path of /api/v1/jobs/renter|provider/{address}. */
static int read_filter(api_ctx *c, store_job_filter *f, uint8_t renter[20], uint8_t provider[20]) {
    bool has_r = f->renter != NULL, has_p = f->provider != NULL, present;
    if (!has_r) {
        if (api_query_address(c, "renter_address", renter, &present)) return -1;
        if (present) f->renter = renter;
    }
    if (!has_p) {
        if (api_query_address(c, "provider_address", provider, &present)) return -1;
        if (present) f->provider = provider;
    }
    f->status = -1;
    const char *st = api_query(c, "status");
    if (st) {
        job_status js;
        if (store_job_status_parse(st, &js) != 0) {
            api_error(c, 400, "invalid status: expected created, assigned, running, completed, failed, confirmed, paid, cancelled, undelivered or stalled");
            return -1;
        }
        f->status = (int)js;
    }
    if (api_query_int(c, "limit", VIEW_LIMIT_DEFAULT, 1, VIEW_LIMIT_MAX, &f->limit) ||
        api_query_int(c, "offset", 0, 0, 1000000000, &f->offset))
        return -1;
    return 0;
}

static void list(api_ctx *c, const store_job_filter *f) {
    api_list(c, &view_jobs_page, f, f->limit, f->offset);
}

static void jobs_list(api_ctx *c) {
    store_job_filter f = {0};
    uint8_t r[20], p[20];
    if (read_filter(c, &f, r, p) == 0) list(c, &f);
}

/* /api/v1/jobs/renter|provider/{address}: the path fixes one of the two addresses. */
static void jobs_by_party(api_ctx *c, bool renter) {
    uint8_t r[20], p[20];
    if (api_param_address(c, 0, renter ? r : p) != 0) return;
    store_job_filter f = {0};
    if (renter) f.renter = r;
    else f.provider = p;
    if (read_filter(c, &f, r, p) == 0) list(c, &f);
}

static void jobs_by_renter(api_ctx *c) { jobs_by_party(c, true); }
static void jobs_by_provider(api_ctx *c) { jobs_by_party(c, false); }

static void jobs_query(api_ctx *c) {
    static const api_body_field allowed[] = {{"renter_address", API_FIELD_STRING}, {"provider_address", API_FIELD_STRING},
                                             {"status", API_FIELD_STRING}, {"limit", API_FIELD_INT},
                                             {"offset", API_FIELD_INT}, {NULL, 0}};
    cJSON *body = api_body_json(c);
    if (!body) return;
    store_job_filter f = {0};
    uint8_t r[20], p[20];
    if (api_body_as_query(c, body, allowed) == 0 && read_filter(c, &f, r, p) == 0) list(c, &f);
    cJSON_Delete(body);
}

static void send_job(api_ctx *c, const store_job *j) { api_ok_object(c, 1024, view_jobs_page.write, j); }

static void job_get(api_ctx *c) {
    uint8_t id[32];
    if (api_param_job_id(c, 0, id) != 0) return;
    store *s = api_store(c, true);
    if (!s) return;
    store_job j;
    int rc = store_job_get(s, id, &j);
    if (rc == STORE_NOTFOUND) api_error(c, 404, "job not found");
    else if (rc != STORE_OK) api_store_error(c, rc);
    else send_job(c, &j);
}

static void job_stats(api_ctx *c) {
    store *s = api_store(c, true);
    if (!s) return;
    store_job_summary sum;
    int rc = store_job_stats(s, &sum);
    if (rc != STORE_OK) {
        api_store_error(c, rc);
        return;
    }
    api_ok(c, 200, view_job_stats_json(&sum));
}

/* ---- PUT /api/jobs/{id}/status ------------------------------------------------------------ */

/* A body string field or a header; NULL when neither. Body wins. */
static const char *field_or_header(api_ctx *c, const cJSON *body, const char *field, const char *header) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, field);
    if (cJSON_IsString(v)) return v->valuestring;
    size_t len;
    const char *h = api_req_header(c, header, &len);
    return h ? h2o_strdup(&c->req->pool, h, len).base : NULL;
}

typedef enum { AUTH_ADMIN, AUTH_PROVIDER } auth_kind;

/* Authenticate; answers 400/401/403 itself and returns -1 on failure. On provider auth the
 * signature is remembered against replays only after it verified. */
static int authenticate(api_ctx *c, const cJSON *body, const uint8_t id[32], const char *status,
                        const store_job *job, auth_kind *kind) {
    const lamda_config *cfg = api_cfg(c);
    size_t alen;
    const char *auth = api_req_header(c, "authorization", &alen);
    if (auth) {
        if (alen < 7 || strncasecmp(auth, "Bearer ", 7) != 0) {
            api_header(c, "www-authenticate", "Bearer");
            api_error(c, 401, "Authorization must be \"Bearer <token>\"");
            return -1;
        }
        const char *tok = auth + 7;
        size_t tlen = alen - 7;
        if (!cfg->api_admin_token || !api_ct_equal(tok, tlen, cfg->api_admin_token, strlen(cfg->api_admin_token))) {
            api_error(c, 403, "invalid admin token");
            return -1;
        }
        *kind = AUTH_ADMIN;
        return 0;
    }
    const char *sig_hex = field_or_header(c, body, "signature", "x-signature");
    const cJSON *tsj = cJSON_GetObjectItemCaseSensitive(body, "timestamp");
    char tsbuf[24];
    const char *ts_s = NULL;
    if (tsj && !cJSON_IsNumber(tsj)) {
        /* The one strictness rule (core/json_strict.h): a number in a body is a JSON number;
         * the X-Timestamp header is where a textual one goes. */
        api_error(c, 400, "timestamp must be a JSON number (unix seconds)");
        return -1;
    }
    if (tsj) {
        snprintf(tsbuf, sizeof tsbuf, "%.0f", tsj->valuedouble);
        ts_s = tsbuf;
    } else {
        ts_s = field_or_header(c, body, "timestamp", "x-timestamp");
    }
    if (!sig_hex || !ts_s) {
        api_header(c, "www-authenticate", "Bearer");
        api_error(c, 401, "authentication required: admin bearer token, or provider signature and timestamp");
        return -1;
    }
    uint8_t sig[65];
    if (hex_decode_exact(sig_hex, strlen(sig_hex), sig, 65) != 0) {
        api_error(c, 400, "invalid signature: expected 65 bytes of hex");
        return -1;
    }
    char *end = NULL;
    long long ts = strtoll(ts_s, &end, 10);
    if (!*ts_s || !end || *end || ts <= 0 || strlen(ts_s) > 12) {
        api_error(c, 400, "invalid timestamp: expected unix seconds");
        return -1;
    }
    int64_t now = (int64_t)time(NULL);
    int64_t window = (int64_t)(cfg->api_auth_window_ms / 1000);
    if (window < 1) window = 1;
    if (ts < now - window || ts > now + window) {
        api_error(c, 403, "timestamp outside the accepted window of %" PRId64 " s", window);
        return -1;
    }
    char msg[200];
    int mlen = api_status_message(id, status, ts, msg, sizeof msg);
    uint8_t signer[20];
    if (mlen < 0 || eip191_recover((const uint8_t *)msg, (size_t)mlen, sig, signer) != 0) {
        api_error(c, 403, "signature does not verify");
        return -1;
    }
    if (memcmp(signer, job->provider, 20) != 0) {
        api_error(c, 403, "signature is not by the job's provider");
        return -1;
    }
    /* Key the replay cache on what was authorised — (signer, message) — not on the signature
     * bytes, which have more than one encoding (v as 0/1 or 27/28; high s is refused above,
     * but the key must not depend on such rules). */
    uint8_t h[32];
    keccak_ctx kc;
    keccak256_init(&kc);
    keccak256_update(&kc, signer, 20);
    keccak256_update(&kc, msg, (size_t)mlen);
    keccak256_final(&kc, h);
    if (!api_replay_check_and_add(api_server_replay(c), h, now, ts + window)) {
        api_error(c, 403, "signature already used");
        return -1;
    }
    *kind = AUTH_PROVIDER;
    return 0;
}

static void job_status_put(api_ctx *c) {
    uint8_t id[32];
    if (api_param_job_id(c, 0, id) != 0) return;
    cJSON *body = api_body_json(c);
    if (!body) return;
    static const char *const known[] = {"status", "output_cid", "output_file_cid", "error_message", "signature", "timestamp", NULL};
    const cJSON *unknown = json_strict_unknown(body, known);
    if (unknown) {
        api_error(c, 400, "unknown field \"%.64s\"", unknown->string ? unknown->string : "");
        goto out;
    }
    const cJSON *stj = cJSON_GetObjectItemCaseSensitive(body, "status");
    job_status to;
    if (!cJSON_IsString(stj) || store_job_status_parse(stj->valuestring, &to) != 0) {
        api_error(c, 400, "invalid status: expected assigned, running, completed, failed or cancelled");
        goto out;
    }
    if (to == JOB_CREATED || to == JOB_CONFIRMED || to == JOB_PAID) {
        api_error(c, 400, "status %s is set from chain events only", store_job_status_name(to));
        goto out;
    }
    if (to == JOB_UNDELIVERED || to == JOB_STALLED) {
        api_error(c, 400, "status %s is set by the dispatcher's deadlines only", store_job_status_name(to));
        goto out;
    }
    const cJSON *oc = cJSON_GetObjectItemCaseSensitive(body, "output_cid");
    if (!oc) oc = cJSON_GetObjectItemCaseSensitive(body, "output_file_cid");
    const char *output_cid = NULL, *errmsg = NULL;
    if (oc && !cJSON_IsNull(oc)) {
        cid parsed;
        char why[128];
        if (!cJSON_IsString(oc) || strlen(oc->valuestring) >= STORE_CID_MAX ||
            cid_parse(oc->valuestring, strlen(oc->valuestring), &parsed, why, sizeof why) != 0) {
            api_error(c, 400, "invalid output_cid: not a valid IPFS CID");
            goto out;
        }
        output_cid = oc->valuestring;
    }
    const cJSON *em = cJSON_GetObjectItemCaseSensitive(body, "error_message");
    if (em && !cJSON_IsNull(em)) {
        if (!cJSON_IsString(em) || strlen(em->valuestring) >= STORE_ERROR_MAX) {
            api_error(c, 400, "invalid error_message: a string of at most %d bytes", STORE_ERROR_MAX - 1);
            goto out;
        }
        errmsg = em->valuestring;
    }
    if (to == JOB_COMPLETED && !output_cid) {
        /* As on NATS (agent_status.c): a completed job without its result is no result. */
        api_error(c, 400, "status completed needs an output_cid");
        goto out;
    }
    store *s = api_write_store(c, true);
    if (!s) goto out;
    store_job job;
    memset(&job, 0, sizeof job);
    int rc = store_job_get(s, id, &job);
    /* Credentials are checked before revealing whether the job exists, except that a
     * provider signature can only be checked against an existing job. */
    size_t alen;
    if (rc == STORE_NOTFOUND && !api_req_header(c, "authorization", &alen)) {
        api_error(c, 404, "job not found");
        goto out;
    }
    if (rc != STORE_OK && rc != STORE_NOTFOUND) {
        api_store_error(c, rc);
        goto out;
    }
    auth_kind kind;
    if (authenticate(c, body, id, stj->valuestring, &job, &kind) != 0) goto out;
    if (rc == STORE_NOTFOUND) {
        api_error(c, 404, "job not found");
        goto out;
    }
    if (kind == AUTH_PROVIDER && to == JOB_CANCELLED) {
        api_error(c, 403, "only the admin can cancel a job");
        goto out;
    }
    rc = store_job_transition(s, id, to, (int64_t)time(NULL), output_cid, errmsg);
    if (rc == STORE_NOTFOUND) api_error(c, 404, "job not found");
    else if (rc == STORE_INVALID)
        api_error(c, 409, "transition from %s to %s is not allowed", store_job_status_name(job.status), store_job_status_name(to));
    else if (rc != STORE_OK) api_store_error(c, rc);
    else if ((rc = store_job_get(s, id, &job)) != STORE_OK) api_store_error(c, rc);
    else send_job(c, &job);
out:
    cJSON_Delete(body);
}

/* ---- POST /api/jobs (job specs; the logic is the services' hook, api_hooks) ----------------- */

static void job_spec_post(api_ctx *c) {
    const api_hooks *h = api_server_hooks(c);
    if (!h->submit_job_spec) {
        api_error(c, 503, "job specs not available");
        return;
    }
    h2o_iovec_t e = c->req->entity;
    if (!e.base || e.len == 0) {
        api_error(c, 400, "a JSON object body is required");
        return;
    }
    char err[256] = "";
    int status = 0;
    cJSON *data = NULL;
    int rc = h->submit_job_spec(h->ud, api_write_store(c, false), e.base, e.len, err, sizeof err, &status, &data);
    if (rc == 0) {
        api_ok(c, status >= 200 && status < 300 ? status : 200, data);
    } else {
        cJSON_Delete(data);
        api_error(c, status >= 400 && status < 600 ? status : 400, "%s", *err ? err : "job spec refused");
    }
}

#define P_ID {"id", "path", "string", "job id: 0x + 64 hex digits (bytes32)"}
#define P_ADDR(n, d) {n, "path", "string", d}
#define Q_PAGE {"limit", "query", "integer", "page size, 1..1000, default 100"}, {"offset", "query", "integer", "rows to skip"}
#define Q_JOB_FILTERS                                                                                     \
    {"renter_address", "query", "string", "renter address"},                                              \
    {"provider_address", "query", "string", "provider address"},                                          \
    {"status", "query", "string", "created, assigned, running, completed, failed, confirmed, paid, cancelled, undelivered, stalled"}, \
    Q_PAGE

const api_route api_routes_jobs[] = {
    {"GET", "/api/jobs", jobs_list, "List jobs (sorted by created_at desc)", "jobs", 0, {Q_JOB_FILTERS}, NULL, "JobListResponse", NULL},
    {"POST", "/api/jobs", job_spec_post, "Submit a job spec {jobId, dockerImage, inputFileCID, signature} signed by the renter", "jobs", API_F_JSON_BODY, {{0}}, "JobSpec", "JobSpecResponse", "202 401 403 409"},
    {"GET", "/api/jobs/{id}", job_get, "One job", "jobs", 0, {P_ID}, NULL, "JobResponse", NULL},
    {"POST", "/api/jobs/query", jobs_query, "Query jobs with a JSON filter {renter_address, provider_address, status, limit, offset}", "jobs", API_F_JSON_BODY, {{0}}, "JobQuery", "JobListResponse", NULL},
    {"PUT", "/api/jobs/{id}/status", job_status_put, "Update a job's status (admin bearer token or provider EIP-191 signature, see docs/api-auth.md)", "jobs", API_F_AUTH | API_F_JSON_BODY, {P_ID}, "StatusUpdate", "JobResponse", "401 403 409"},
    {"GET", "/api/v1/jobs", jobs_list, "List jobs (sorted by created_at desc)", "jobs", 0, {Q_JOB_FILTERS}, NULL, "JobListResponse", NULL},
    {"GET", "/api/v1/jobs/stats", job_stats, "Job statistics by status", "jobs", 0, {{0}}, NULL, "JobStatsResponse", NULL},
    {"GET", "/api/v1/jobs/{id}", job_get, "One job", "jobs", 0, {P_ID}, NULL, "JobResponse", NULL},
    {"GET", "/api/v1/jobs/renter/{address}", jobs_by_renter, "Jobs of a renter", "jobs", 0,
     {P_ADDR("address", "renter address"), {"status", "query", "string", "status filter"}, Q_PAGE}, NULL, "JobListResponse", NULL},
    {"GET", "/api/v1/jobs/provider/{address}", jobs_by_provider, "Jobs of a provider", "jobs", 0,
     {P_ADDR("address", "provider address"), {"status", "query", "string", "status filter"}, Q_PAGE}, NULL, "JobListResponse", NULL},
    {NULL, NULL, NULL, NULL, NULL, 0, {{0}}, NULL, NULL, NULL},
};
