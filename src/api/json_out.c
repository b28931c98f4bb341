/* json_out — the API's JSON writer: text straight into one growing buffer, for the responses
 * that are lists of rows (a jobs page is ~2,000 values; building a cJSON tree for it cost more
 * than the query). The output is byte for byte what cJSON_PrintUnformatted printed for the same
 * objects: the same key order, strings escaped the same way (quote, backslash and control
 * characters; other bytes as they are), numbers as cJSON prints a double.
 *
 * This file holds the one serializer of a provider and of a job (api_provider_write,
 * api_job_write); callers that need a cJSON tree parse its text. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/internal.h"
#include "core/hex.h"
#include "core/utf8.h"
#include "evm/address.h"

void api_jw_init(api_jw *w, size_t hint) {
    w->len = 0;
    w->oom = false;
    w->cap = hint < 64 ? 64 : hint;
    w->p = malloc(w->cap);
    if (!w->p) {
        w->cap = 0;
        w->oom = true;
    }
}

void api_jw_free(api_jw *w) {
    free(w->p);
    w->p = NULL;
    w->len = w->cap = 0;
}

/* Make room for n more bytes; false (and oom set) when that fails. */
static bool reserve(api_jw *w, size_t n) {
    if (w->oom) return false;
    if (w->len + n <= w->cap) return true;
    size_t cap = w->cap ? w->cap : 64;
    while (cap < w->len + n) cap *= 2;
    char *p = realloc(w->p, cap);
    if (!p) {
        w->oom = true;
        return false;
    }
    w->p = p;
    w->cap = cap;
    return true;
}

void api_jw_raw(api_jw *w, const char *s, size_t n) {
    if (!reserve(w, n)) return;
    memcpy(w->p + w->len, s, n);
    w->len += n;
}

void api_jw_str(api_jw *w, const char *s) {
    static const char hexd[] = "0123456789abcdef";
    size_t n = strlen(s);
    if (!reserve(w, n * 6 + 2)) return; /* worst case: every byte as \u00XX */
    char *o = w->p + w->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x80) {
            /* Only valid UTF-8 goes out; a byte that starts none (a row stored before input
             * was checked) is written as U+FFFD. */
            size_t k = utf8_seq_len(s + i, n - i);
            if (k) {
                memcpy(o, s + i, k);
                o += k;
                i += k - 1;
            } else {
                memcpy(o, "\\ufffd", 6);
                o += 6;
            }
            continue;
        }
        if (ch >= 0x20 && ch != '"' && ch != '\\') {
            *o++ = (char)ch;
            continue;
        }
        *o++ = '\\';
        switch (ch) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hexd[ch >> 4];
            *o++ = hexd[ch & 15];
        }
    }
    *o++ = '"';
    w->len = (size_t)(o - w->p);
}

void api_jw_opt_str(api_jw *w, const char *s) {
    if (s && *s) api_jw_str(w, s);
    else api_jw_raw(w, "null", 4);
}

void api_jw_int(api_jw *w, int64_t v) {
    /* cJSON holds numbers as doubles: integers below 2^53 print as their digits; beyond
     * 1e15 it switches to %g forms, so let cJSON itself print those rare values. */
    if (v > -1000000000000000LL && v < 1000000000000000LL) {
        char buf[24], *e = buf + sizeof buf, *o = e;
        uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        do {
            *--o = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (v < 0) *--o = '-';
        api_jw_raw(w, o, (size_t)(e - o));
        return;
    }
    cJSON *n = cJSON_CreateNumber((double)v);
    char *t = n ? cJSON_PrintUnformatted(n) : NULL;
    if (t) api_jw_raw(w, t, strlen(t));
    else w->oom = true;
    cJSON_free(t);
    cJSON_Delete(n);
}

void api_jw_time(api_jw *w, int64_t t, bool null_when_zero) {
    char buf[32];
    api_fmt_time(t, buf);
    if (!*buf && null_when_zero) api_jw_raw(w, "null", 4);
    else api_jw_str(w, buf);
}

/* ---- RFC 3339 by hand ------------------------------------------------------------------------ */

static void put2(char *o, unsigned v) {
    o[0] = (char)('0' + v / 10);
    o[1] = (char)('0' + v % 10);
}

/* Gregorian date of a day count since 1970-01-01 (day >= 0). Counting from 0000-03-01 puts
 * the leap day at the end of each year; a 400-year era has 146097 days. */
static void civil_date(int64_t day, int64_t *y, unsigned *m, unsigned *d) {
    int64_t z = day + 719468; /* days from 0000-03-01 to 1970-01-01 */
    int64_t era = z / 146097;
    unsigned doe = (unsigned)(z - era * 146097);                           /* [0, 146096] */
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    unsigned mp = (5 * doy + 2) / 153;                                     /* March = 0 */
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

void api_fmt_time(int64_t t, char out[32]) {
    out[0] = '\0';
    if (t <= 0) return;
    if (t > 253402300799LL) { /* past 9999-12-31T23:59:59: the C library's long form */
        time_t tt = (time_t)t;
        struct tm tm;
        if (gmtime_r(&tt, &tm)) strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return;
    }
    int64_t y;
    unsigned mo, d, sec = (unsigned)(t % 86400);
    civil_date(t / 86400, &y, &mo, &d);
    unsigned yy = (unsigned)y;
    out[0] = (char)('0' + yy / 1000);
    out[1] = (char)('0' + yy / 100 % 10);
    put2(out + 2, yy % 100);
    out[4] = '-';
    put2(out + 5, mo);
    out[7] = '-';
    put2(out + 8, d);
    out[10] = 'T';
    put2(out + 11, sec / 3600);
    out[13] = ':';
    put2(out + 14, sec / 60 % 60);
    out[16] = ':';
    put2(out + 17, sec % 60);
    out[19] = 'Z';
    out[20] = '\0';
}

/* ---- the objects ------------------------------------------------------------------------------ */

#define LIT(w, s) api_jw_raw(w, s, sizeof s - 1)

void api_provider_write(api_jw *w, const store_provider *p) {
    char addr[ADDRESS_STR_LEN];
    LIT(w, "{\"wallet_address\":");
    api_jw_str(w, address_format(p->address, addr));
    LIT(w, ",\"gpu_model\":");
    api_jw_str(w, p->gpu_model);
    LIT(w, ",\"vram\":");
    api_jw_int(w, p->vram);
    LIT(w, ",\"last_seen\":");
    api_jw_time(w, p->last_seen, true);
    if (p->is_online) LIT(w, ",\"is_online\":true");
    else LIT(w, ",\"is_online\":false");
    if (p->is_registered) LIT(w, ",\"is_registered\":true");
    else LIT(w, ",\"is_registered\":false");
    LIT(w, ",\"total_jobs_completed\":");
    api_jw_int(w, p->total_jobs_completed);
    LIT(w, ",\"reputation_score\":");
    api_jw_int(w, p->reputation_score);
    LIT(w, ",\"created_at\":");
    api_jw_time(w, p->created_at, false);
    LIT(w, ",\"updated_at\":");
    api_jw_time(w, p->updated_at, false);
    LIT(w, "}");
}

void api_job_write(api_jw *w, const store_job *j) {
    char id[67], a[ADDRESS_STR_LEN];
    /* "id" is the original backend's name for the job id, kept beside ours for its clients. */
    hex_encode(j->job_id, 32, id);
    LIT(w, "{\"id\":");
    api_jw_str(w, id);
    LIT(w, ",\"job_id\":");
    api_jw_str(w, id);
    LIT(w, ",\"renter_address\":");
    api_jw_str(w, address_format(j->renter, a));
    LIT(w, ",\"provider_address\":");
    api_jw_str(w, address_format(j->provider, a));
    LIT(w, ",\"docker_image\":");
    api_jw_opt_str(w, j->docker_image);
    LIT(w, ",\"input_file_cid\":");
    api_jw_opt_str(w, j->input_cid);
    LIT(w, ",\"output_file_cid\":");
    api_jw_opt_str(w, j->output_cid);
    LIT(w, ",\"payment_amount\":");
    api_jw_str(w, j->payment[0] ? j->payment : "0");
    LIT(w, ",\"status\":");
    api_jw_str(w, store_job_status_name(j->status));
    LIT(w, ",\"created_at\":");
    api_jw_time(w, j->created_at, true);
    LIT(w, ",\"assigned_at\":");
    api_jw_time(w, j->assigned_at, true);
    LIT(w, ",\"running_at\":");
    api_jw_time(w, j->running_at, true);
    LIT(w, ",\"completed_at\":");
    api_jw_time(w, j->completed_at, true);
    LIT(w, ",\"failed_at\":");
    api_jw_time(w, j->failed_at, true);
    LIT(w, ",\"confirmed_at\":");
    api_jw_time(w, j->confirmed_at, true);
    LIT(w, ",\"paid_at\":");
    api_jw_time(w, j->paid_at, true);
    LIT(w, ",\"paid_amount\":");
    api_jw_opt_str(w, j->paid_amount);
    LIT(w, ",\"error_message\":");
    api_jw_opt_str(w, j->error_message);
    LIT(w, ",\"created_block\":");
    api_jw_int(w, j->created_block);
    LIT(w, ",\"updated_at\":");
    api_jw_time(w, j->updated_at, true);
    LIT(w, "}");
}

/* For a response that embeds a provider in a cJSON tree (GET /api/reputation/{address}). */
cJSON *api_provider_json(const store_provider *p) {
    api_jw w;
    api_jw_init(&w, 512);
    api_provider_write(&w, p);
    cJSON *o = w.oom ? NULL : cJSON_ParseWithLength(w.p, w.len);
    api_jw_free(&w);
    return o;
}

/* ---- the envelope ---------------------------------------------------------------------------- */

void api_ok_begin(api_jw *w, size_t hint) {
    api_jw_init(w, hint);
    LIT(w, "{\"success\":true,\"data\":");
}

/* The tail of every paginated list: `],"count":n,"total":…,"limit":…,"offset":…}`. */
void api_list_end(api_jw *w, int n, int64_t total, int64_t limit, int64_t offset) {
    LIT(w, "],\"count\":");
    api_jw_int(w, n);
    LIT(w, ",\"total\":");
    api_jw_int(w, total);
    LIT(w, ",\"limit\":");
    api_jw_int(w, limit);
    LIT(w, ",\"offset\":");
    api_jw_int(w, offset);
    LIT(w, "}");
}

void api_ok_send(api_ctx *c, int status, api_jw *w) {
    LIT(w, "}");
    if (w->oom) {
        static const char oom[] = "{\"success\":false,\"error\":\"out of memory\"}";
        api_send(c, 503, "application/json", oom, sizeof oom - 1);
    } else {
        api_send(c, status, "application/json", w->p, w->len);
    }
    api_jw_free(w);
}
