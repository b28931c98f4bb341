#include "services/job_specs.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/address.h"
#include "core/hex.h"
#include "core/json_strict.h"
#include "core/log.h"
#include "evm/eip191.h"
#include "ipfs/cid.h"
#include "services/job_dispatch.h"

int job_spec_message(const uint8_t job_id[32], const char *image, const char *cid, char *out, size_t cap) {
    char id[67];
    int n = snprintf(out, cap, "lamda:job-spec\njob:%s\nimage:%s\ninput:%s", hex_encode(job_id, 32, id), image, cid);
    return (n < 0 || (size_t)n >= cap) ? -1 : n;
}

static bool is_lower_alnum(int c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

/* One path component: lowercase alphanumerics joined by single '.', '_', '__' or runs of '-'. */
static bool path_component_valid(const char *p, size_t n) {
    if (n == 0 || !is_lower_alnum((unsigned char)p[0]) || !is_lower_alnum((unsigned char)p[n - 1])) return false;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)p[i];
        if (is_lower_alnum(c)) continue;
        if (c == '.' || c == '_') {
            size_t run = 1;
            while (i + run < n && p[i + run] == '_' && c == '_') run++;
            if (run > 2 || (c == '.' && i + 1 < n && !is_lower_alnum((unsigned char)p[i + 1]))) return false;
            i += run - 1;
            continue;
        }
        if (c == '-') continue;
        return false;
    }
    return true;
}

/* A registry host: DNS labels (letters, digits, '-', '.'), optional :port. */
static bool host_valid(const char *p, size_t n) {
    if (n == 0 || n > 255) return false;
    const char *colon = memchr(p, ':', n);
    size_t hn = colon ? (size_t)(colon - p) : n;
    if (hn == 0) return false;
    for (size_t i = 0; i < hn; i++)
        if (!isalnum((unsigned char)p[i]) && p[i] != '-' && p[i] != '.') return false;
    if (colon) {
        size_t pn = n - hn - 1;
        if (pn == 0 || pn > 5) return false;
        for (size_t i = 0; i < pn; i++)
            if (!isdigit((unsigned char)colon[1 + i])) return false;
    }
    return true;
}

bool job_spec_image_valid(const char *s, size_t len) {
    if (!s || len == 0 || len > 255) return false;
    const char *end = s + len;
    const char *at = memchr(s, '@', len);
    if (at) {
        if (end - at != 1 + 7 + 64 || memcmp(at + 1, "sha256:", 7) != 0) return false;
        for (const char *p = at + 8; p < end; p++)
            if (hex_digit((unsigned char)*p) < 0 || isupper((unsigned char)*p)) return false;
        end = at;
    }
    /* The tag is after the last ':' that follows the last '/'. */
    const char *slash = NULL;
    for (const char *p = s; p < end; p++)
        if (*p == '/') slash = p;
    const char *colon = NULL;
    for (const char *p = slash ? slash : s; p < end; p++)
        if (*p == ':') colon = p;
    if (colon) {
        size_t tn = (size_t)(end - colon - 1);
        if (tn == 0 || tn > 128) return false;
        const char *t = colon + 1;
        if (!isalnum((unsigned char)t[0]) && t[0] != '_') return false;
        for (size_t i = 0; i < tn; i++)
            if (!isalnum((unsigned char)t[i]) && t[i] != '_' && t[i] != '.' && t[i] != '-') return false;
        end = colon;
    }
    /* Components; the first may be a registry host when it has '.', ':' or is localhost. */
    const char *p = s;
    bool first = true;
    while (p < end) {
        const char *q = memchr(p, '/', (size_t)(end - p));
        size_t n = q ? (size_t)(q - p) : (size_t)(end - p);
        bool host = first && q && (memchr(p, '.', n) || memchr(p, ':', n) || (n == 9 && !memcmp(p, "localhost", 9)));
        if (host ? !host_valid(p, n) : !path_component_valid(p, n)) return false;
        first = false;
        if (!q) break;
        p = q + 1;
        if (p == end) return false; /* trailing slash */
    }
    return true;
}

static int fail(int status, int *http_status, char *err, size_t errlen, const char *msg) {
    *http_status = status;
    snprintf(err, errlen, "%s", msg);
    return -1;
}

static const char *get_string(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int job_spec_submit(const lamda_config *cfg, store *s, const char *body, size_t len, char *err, size_t errlen,
                    int *http_status, cJSON **data) {
    *data = NULL;
    if (!s) return fail(503, http_status, err, errlen, "database unavailable");
    static const char *const known[] = {"jobId", "dockerImage", "inputFileCID", "signature", NULL};
    char why[128];
    cJSON *o = json_strict_object(body, len, known, why, sizeof why);
    if (!o) return fail(400, http_status, err, errlen, why);
    const char *id_s = get_string(o, "jobId"), *image = get_string(o, "dockerImage"),
               *cid_s = get_string(o, "inputFileCID"), *sig_s = get_string(o, "signature");
    uint8_t job_id[32], sig[65], signer[20];
    cid c;
    char cerr[160], msg[700];
    int rc = -1;
    if (!id_s || hex_decode_exact(id_s, strlen(id_s), job_id, 32) != 0 || strncmp(id_s, "0x", 2) != 0) {
        fail(400, http_status, err, errlen, "jobId must be 0x followed by 64 hex digits");
    } else if (!image || !job_spec_image_valid(image, strlen(image))) {
        fail(400, http_status, err, errlen, "dockerImage is not a valid image reference");
    } else if (!cid_s || cid_parse(cid_s, strlen(cid_s), &c, cerr, sizeof cerr) != 0) {
        *http_status = 400;
        snprintf(err, errlen, "inputFileCID: %s", cid_s ? cerr : "missing");
    } else if (!sig_s || hex_decode_exact(sig_s, strlen(sig_s), sig, 65) != 0) {
        fail(400, http_status, err, errlen, "signature must be 0x followed by 130 hex digits (65 bytes)");
    } else if (job_spec_message(job_id, image, cid_s, msg, sizeof msg) < 0 ||
               eip191_recover((const uint8_t *)msg, strlen(msg), sig, signer) != 0) {
        fail(401, http_status, err, errlen, "signature does not recover to an address");
    } else {
        rc = 0;
    }
    if (rc != 0) {
        cJSON_Delete(o);
        return -1;
    }

    int64_t now = (int64_t)time(NULL);
    bool dispatched = false;
    store_job job;
    int src = store_begin(s);
    int jrc = src == STORE_OK ? store_job_get(s, job_id, &job) : src;
    if (jrc == STORE_OK && memcmp(job.renter, signer, 20) != 0) {
        store_rollback(s);
        cJSON_Delete(o);
        return fail(403, http_status, err, errlen, "the signer is not the job's renter");
    }
    if (jrc == STORE_NOTFOUND) {
        /* Not on chain yet, so the renter is unknown: keep it as this signer's candidate, bound
         * at JobCreated only if the signer turns out to be the renter (issue 21: a squatter's
         * spec once took the id first and the renter's got 409). */
        store_spec_caps caps = {(int64_t)cfg->spec_pending_max_per_signer, (int64_t)cfg->spec_pending_max_total,
                                (int64_t)(cfg->spec_pending_ttl_ms / 1000)};
        src = store_spec_candidate_put(s, job_id, image, cid_s, signer, sig, 65, now, &caps);
        if (src == STORE_SPEC_CAP_SIGNER || src == STORE_SPEC_CAP_TOTAL) {
            store_rollback(s);
            cJSON_Delete(o);
            return fail(429, http_status, err, errlen,
                        src == STORE_SPEC_CAP_SIGNER ? "too many specs from this signer wait for their job to appear on chain"
                                                     : "too many specs wait for their job to appear on chain; retry later");
        }
    } else if (jrc == STORE_OK) {
        src = store_spec_put(s, job_id, image, cid_s, signer, sig, 65, now);
    } else {
        src = jrc;
    }
    if (src == STORE_DUP && jrc == STORE_OK) {
        /* The job is known, the signer is its renter, and a different spec is stored: if that
         * one is not the renter's (someone squatting the id before the job existed), the
         * renter's replaces it. */
        store_spec old;
        if (store_spec_get(s, job_id, &old) == STORE_OK && memcmp(old.signer, job.renter, 20) != 0) {
            src = store_spec_delete(s, job_id);
            if (src == STORE_OK) src = store_spec_put(s, job_id, image, cid_s, signer, sig, 65, now);
        }
    }
    if (src == STORE_DUP) {
        store_rollback(s);
        cJSON_Delete(o);
        return fail(409, http_status, err, errlen, "a different spec for this job exists");
    }
    if (src == STORE_OK) src = job_dispatch_try(s, cfg, job_id, now, &dispatched);
    if (src == STORE_OK) src = store_commit(s);
    if (src != STORE_OK) {
        store_rollback(s);
        cJSON_Delete(o);
        log_warn("api: storing a job spec failed: %s", store_errmsg(s));
        return fail(src == STORE_CONN ? 503 : 500, http_status, err, errlen, "could not store the spec");
    }
    char signer_s[ADDRESS_STR_LEN], id[67];
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "jobId", hex_encode(job_id, 32, id));
    cJSON_AddStringToObject(d, "signer", address_format(signer, signer_s));
    cJSON_AddBoolToObject(d, "jobKnown", jrc == STORE_OK);
    cJSON_AddBoolToObject(d, "dispatched", dispatched);
    *data = d;
    *http_status = jrc == STORE_OK ? 200 : 202;
    cJSON_Delete(o);
    return 0;
}
