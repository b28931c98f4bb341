/* sse_format — one events row as Server-Sent Events text, and the stream filters. The JSON is
 * written by hand from fixed-format fields only (hex, digits, and status names the store's
 * constants produce, checked again here), so no client text ever reaches a stream. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api/sse.h"
#include "core/hex.h"
#include "core/address.h"

bool api_sse_match(const api_sse_filter *f, const store_event *e) {
    if (!(f->kinds & (1u << e->kind))) return false;
    if (f->by_job && !(e->has_job && memcmp(f->job_id, e->job_id, 32) == 0)) return false;
    if (f->by_provider && !(e->has_provider && memcmp(f->provider, e->provider, 20) == 0)) return false;
    if (f->by_renter && !(e->has_renter && memcmp(f->renter, e->renter, 20) == 0)) return false;
    return true;
}

/* A status as a JSON value: a lowercase name, or null (empty, or anything unexpected). */
static const char *status_json(const char *s, char *buf, size_t cap) {
    size_t n = strlen(s);
    if (n == 0 || n + 3 > cap) return "null";
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_')) return "null";
    snprintf(buf, cap, "\"%s\"", s);
    return buf;
}

size_t api_sse_format(const store_event *e, char *out, size_t cap) {
    static const char *kind[] = {"job", "node", "dispatch"};
    char job[67] = "", prov[ADDRESS_STR_LEN] = "", rent[ADDRESS_STR_LEN] = "", st[24], pst[24];
    if (e->has_job) hex_encode(e->job_id, 32, job);
    if (e->has_provider) address_format(e->provider, prov);
    if (e->has_renter) address_format(e->renter, rent);
    int n;
    if (e->kind == STORE_EV_NODE) {
        n = snprintf(out, cap,
                     "id: %" PRId64 "\nevent: node\ndata: {\"id\":%" PRId64 ",\"type\":\"node\","
                     "\"provider_address\":\"%s\",\"is_online\":%s,\"total_jobs_completed\":%" PRId64
                     ",\"at_ms\":%" PRId64 "}\n\n",
                     e->id, e->id, prov, e->is_online == 1 ? "true" : "false", e->job_count, e->created_ms);
    } else {
        char jq[72] = "null", pq[48] = "null", rq[48] = "null";
        if (*job) snprintf(jq, sizeof jq, "\"%s\"", job);
        if (*prov) snprintf(pq, sizeof pq, "\"%s\"", prov);
        if (*rent) snprintf(rq, sizeof rq, "\"%s\"", rent);
        n = snprintf(out, cap,
                     "id: %" PRId64 "\nevent: %s\ndata: {\"id\":%" PRId64 ",\"type\":\"%s\",\"job_id\":%s,"
                     "\"status\":%s,\"previous_status\":%s,\"provider_address\":%s,\"renter_address\":%s,"
                     "\"at_ms\":%" PRId64 "}\n\n",
                     e->id, kind[e->kind], e->id, kind[e->kind], jq, status_json(e->status, st, sizeof st),
                     status_json(e->prev_status, pst, sizeof pst), pq, rq, e->created_ms);
    }
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}
