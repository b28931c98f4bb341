/* domain_json — see domain_json.h. The writers emit what cJSON_PrintUnformatted printed for
 * these objects before them (same key order), so clients saw no change. */
#include "view/domain_json.h"

#include "core/address.h"
#include "core/hex.h"

void view_provider_write(view_jw *w, const store_provider *p) {
    char addr[ADDRESS_STR_LEN];
    VIEW_JW_LIT(w, "{\"wallet_address\":");
    view_jw_str(w, address_format(p->address, addr));
    VIEW_JW_LIT(w, ",\"gpu_model\":");
    view_jw_str(w, p->gpu_model);
    VIEW_JW_LIT(w, ",\"vram\":");
    view_jw_int(w, p->vram);
    VIEW_JW_LIT(w, ",\"last_seen\":");
    view_jw_time(w, p->last_seen, true);
    if (p->is_online) VIEW_JW_LIT(w, ",\"is_online\":true");
    else VIEW_JW_LIT(w, ",\"is_online\":false");
    if (p->is_registered) VIEW_JW_LIT(w, ",\"is_registered\":true");
    else VIEW_JW_LIT(w, ",\"is_registered\":false");
    VIEW_JW_LIT(w, ",\"total_jobs_completed\":");
    view_jw_int(w, p->total_jobs_completed);
    VIEW_JW_LIT(w, ",\"reputation_score\":");
    view_jw_int(w, p->reputation_score);
    VIEW_JW_LIT(w, ",\"created_at\":");
    view_jw_time(w, p->created_at, false);
    VIEW_JW_LIT(w, ",\"updated_at\":");
    view_jw_time(w, p->updated_at, false);
    VIEW_JW_LIT(w, "}");
}

void view_job_write(view_jw *w, const store_job *j) {
    char id[67], a[ADDRESS_STR_LEN];
    /* "id" is the original backend's name for the job id, kept beside ours for its clients. */
    hex_encode(j->job_id, 32, id);
    VIEW_JW_LIT(w, "{\"id\":");
    view_jw_str(w, id);
    VIEW_JW_LIT(w, ",\"job_id\":");
    view_jw_str(w, id);
    VIEW_JW_LIT(w, ",\"renter_address\":");
    view_jw_str(w, address_format(j->renter, a));
    VIEW_JW_LIT(w, ",\"provider_address\":");
    view_jw_str(w, address_format(j->provider, a));
    VIEW_JW_LIT(w, ",\"docker_image\":");
    view_jw_opt_str(w, j->docker_image);
    VIEW_JW_LIT(w, ",\"input_file_cid\":");
    view_jw_opt_str(w, j->input_cid);
    VIEW_JW_LIT(w, ",\"output_file_cid\":");
    view_jw_opt_str(w, j->output_cid);
    VIEW_JW_LIT(w, ",\"payment_amount\":");
    view_jw_str(w, j->payment[0] ? j->payment : "0");
    VIEW_JW_LIT(w, ",\"status\":");
    view_jw_str(w, store_job_status_name(j->status));
    VIEW_JW_LIT(w, ",\"created_at\":");
    view_jw_time(w, j->created_at, true);
    VIEW_JW_LIT(w, ",\"assigned_at\":");
    view_jw_time(w, j->assigned_at, true);
    VIEW_JW_LIT(w, ",\"running_at\":");
    view_jw_time(w, j->running_at, true);
    VIEW_JW_LIT(w, ",\"completed_at\":");
    view_jw_time(w, j->completed_at, true);
    VIEW_JW_LIT(w, ",\"failed_at\":");
    view_jw_time(w, j->failed_at, true);
    VIEW_JW_LIT(w, ",\"confirmed_at\":");
    view_jw_time(w, j->confirmed_at, true);
    VIEW_JW_LIT(w, ",\"paid_at\":");
    view_jw_time(w, j->paid_at, true);
    VIEW_JW_LIT(w, ",\"paid_amount\":");
    view_jw_opt_str(w, j->paid_amount);
    VIEW_JW_LIT(w, ",\"error_message\":");
    view_jw_opt_str(w, j->error_message);
    VIEW_JW_LIT(w, ",\"created_block\":");
    view_jw_int(w, j->created_block);
    VIEW_JW_LIT(w, ",\"updated_at\":");
    view_jw_time(w, j->updated_at, true);
    VIEW_JW_LIT(w, "}");
}

static int job_rows(store *s, const void *f, void *rows, int cap, int *n, int64_t *total) {
    return store_job_list(s, f, rows, cap, n, total);
}
static void job_item(view_jw *w, const void *j) { view_job_write(w, j); }
const view_page view_jobs_page = {"jobs", sizeof(store_job), 640, job_rows, job_item};

static int provider_rows(store *s, const void *f, void *rows, int cap, int *n, int64_t *total) {
    return store_provider_list(s, f, rows, cap, n, total);
}
static void provider_item(view_jw *w, const void *p) { view_provider_write(w, p); }
const view_page view_nodes_page = {"nodes", sizeof(store_provider), 320, provider_rows, provider_item};

/* For a response that embeds a provider in a cJSON tree (GET /api/reputation/{address}). */
cJSON *view_provider_json(const store_provider *p) {
    view_jw w;
    view_jw_init(&w, 512);
    view_provider_write(&w, p);
    cJSON *o = w.oom ? NULL : cJSON_ParseWithLength(w.p, w.len);
    view_jw_free(&w);
    return o;
}


cJSON *view_job_stats_json(const store_job_summary *sum) {
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "total_jobs", (double)sum->total);
    /* The original backend's names; pending is every job not yet picked up by its agent. */
    cJSON_AddNumberToObject(d, "completed_jobs", (double)sum->by_status[JOB_COMPLETED]);
    cJSON_AddNumberToObject(d, "failed_jobs", (double)sum->by_status[JOB_FAILED]);
    cJSON_AddNumberToObject(d, "running_jobs", (double)sum->by_status[JOB_RUNNING]);
    cJSON_AddNumberToObject(d, "pending_jobs", (double)(sum->by_status[JOB_CREATED] + sum->by_status[JOB_ASSIGNED]));
    cJSON *by = cJSON_AddObjectToObject(d, "by_status");
    for (int i = 0; i < JOB_STATUS_COUNT; i++)
        cJSON_AddNumberToObject(by, store_job_status_name((job_status)i), (double)sum->by_status[i]);
    cJSON_AddItemToObject(d, "status_breakdown", cJSON_Duplicate(by, 1));
    return d;
}

cJSON *view_provider_stats_json(const store_provider_summary *sum) {
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "total_nodes", (double)sum->total);
    cJSON_AddNumberToObject(d, "online_nodes", (double)sum->online);
    cJSON_AddNumberToObject(d, "offline_nodes", (double)(sum->total - sum->online));
    cJSON_AddNumberToObject(d, "registered_nodes", (double)sum->registered);
    cJSON_AddNumberToObject(d, "total_vram", (double)sum->total_vram);
    cJSON_AddNumberToObject(d, "total_jobs_completed", (double)sum->total_jobs_completed);
    /* The original backend's names for the same facts. */
    cJSON_AddNumberToObject(d, "total_jobs", (double)sum->total_jobs_completed);
    cJSON_AddNumberToObject(d, "avg_reputation", sum->total ? (double)sum->reputation_sum / (double)sum->total : 0.0);
    return d;
}
