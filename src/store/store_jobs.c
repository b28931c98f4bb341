/* store_jobs — jobs derived from JobManager events and agent reports.
 *
 * A transition is one conditional UPDATE ("… WHERE job_id = ? AND status IN (allowed sources)"),
 * so the check and the write are atomic without a read first; only when nothing changed does a
 * second query tell "no such job" from "not allowed". Inserts use ON CONFLICT DO NOTHING so a
 * replayed JobCreated never aborts the caller's transaction. */
#include <ctype.h>

#include <stdlib.h>

#include "store/db_array.h"
#include "store/store_internal.h"

#define JOB_COLS                                                                               \
    "SELECT job_id, renter, provider, payment, status, docker_image, input_cid, output_cid,"   \
    " error_message, created_block, created_at, assigned_at, running_at, completed_at,"        \
    " failed_at, confirmed_at, paid_at, paid_amount, updated_at FROM jobs"

bool store_amount_valid(const char *s) {
    size_t n = 0;
    if (!s) return false;
    for (; s[n]; n++)
        if (!isdigit((unsigned char)s[n]) || n >= 78) return false;
    return n > 0;
}

static void read_job(db_stmt *st, void *row) {
    store_job *j = row;
    memset(j, 0, sizeof *j);
    db_col_blob_fixed(st, 0, j->job_id, 32);
    db_col_blob_fixed(st, 1, j->renter, 20);
    db_col_blob_fixed(st, 2, j->provider, 20);
    db_col_text_copy(st, 3, j->payment, sizeof j->payment);
    job_status status = JOB_CREATED;
    store_job_status_parse(db_col_text(st, 4), &status);
    j->status = status;
    db_col_text_copy(st, 5, j->docker_image, sizeof j->docker_image);
    db_col_text_copy(st, 6, j->input_cid, sizeof j->input_cid);
    db_col_text_copy(st, 7, j->output_cid, sizeof j->output_cid);
    db_col_text_copy(st, 8, j->error_message, sizeof j->error_message);
    j->created_block = db_col_int64(st, 9);
    j->created_at = db_col_int64(st, 10);
    j->assigned_at = db_col_int64(st, 11);
    j->running_at = db_col_int64(st, 12);
    j->completed_at = db_col_int64(st, 13);
    j->failed_at = db_col_int64(st, 14);
    j->confirmed_at = db_col_int64(st, 15);
    j->paid_at = db_col_int64(st, 16);
    db_col_text_copy(st, 17, j->paid_amount, sizeof j->paid_amount);
    j->updated_at = db_col_int64(st, 18);
}

/* An empty text or a zero time is stored as NULL ("never"). */
static const char *text_or_null(const char *v) { return v && *v ? v : NULL; }
static const int64_t *time_or_null(const int64_t *v) { return *v ? v : NULL; }

int store_job_insert(store *s, const store_job *j) {
    if (!store_amount_valid(j->payment) || (j->paid_amount[0] && !store_amount_valid(j->paid_amount)) ||
        (unsigned)j->status >= JOB_STATUS_COUNT) {
        snprintf(s->errmsg, sizeof s->errmsg, "job insert: invalid payment, paid amount or status");
        return STORE_INVALID;
    }
    return store_write_lit(
        s, STORE_DUP,
        "INSERT INTO jobs (job_id, renter, provider, payment, status, docker_image,"
        " input_cid, output_cid, error_message, created_block, created_at, assigned_at,"
        " running_at, completed_at, failed_at, confirmed_at, paid_at, paid_amount,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (job_id) DO NOTHING",
        "haattttttiippppppti", j->job_id, j->renter, j->provider, j->payment,
        store_job_status_name(j->status), text_or_null(j->docker_image), text_or_null(j->input_cid),
        text_or_null(j->output_cid), text_or_null(j->error_message), j->created_block, j->created_at,
        time_or_null(&j->assigned_at), time_or_null(&j->running_at), time_or_null(&j->completed_at),
        time_or_null(&j->failed_at), time_or_null(&j->confirmed_at), time_or_null(&j->paid_at),
        text_or_null(j->paid_amount), j->updated_at ? j->updated_at : j->created_at);
}

#define JOB_ARRAYS 19

static const char JOB_INSERT_MANY[] =
    "WITH u AS (SELECT * FROM unnest(?::bytea[], ?::bytea[], ?::bytea[], ?::text[], ?::text[], ?::text[], ?::text[],"
    " ?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[],"
    " ?::bigint[], ?::text[], ?::bigint[]) WITH ORDINALITY AS u(job_id, renter, provider, payment, status,"
    " docker_image, input_cid, output_cid, error_message, created_block, created_at, assigned_at, running_at,"
    " completed_at, failed_at, confirmed_at, paid_at, paid_amount, updated_at, ord)),"
    " ins AS (INSERT INTO jobs (job_id, renter, provider, payment, status, docker_image, input_cid, output_cid,"
    " error_message, created_block, created_at, assigned_at, running_at, completed_at, failed_at, confirmed_at,"
    " paid_at, paid_amount, updated_at) SELECT job_id, renter, provider, payment, status, docker_image, input_cid,"
    " output_cid, error_message, created_block, created_at, assigned_at, running_at, completed_at, failed_at,"
    " confirmed_at, paid_at, paid_amount, updated_at FROM u ON CONFLICT (job_id) DO NOTHING RETURNING job_id)"
    " SELECT u.ord FROM u WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.job_id = u.job_id)";

static void array_text_or_null(db_array *a, const char *v) { db_array_text(a, text_or_null(v)); }
static void array_time_or_null(db_array *a, int64_t v) {
    if (v) db_array_int64(a, v);
    else db_array_null(a);
}

static int cmp_job_pos(const void *a, const void *b, void *jobs) {
    const store_job *j = jobs;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = memcmp(j[x].job_id, j[y].job_id, 32);
    return c ? c : (x > y) - (x < y);
}

/* A job id's second copy in one call is a duplicate, as it would be one insert later. */
static int first_copies(const store_job *jobs, size_t n, uint8_t *inserted) {
    size_t *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return STORE_ERR;
    for (size_t i = 0; i < n; i++) v[i] = i;
    qsort_r(v, n, sizeof *v, cmp_job_pos, (void *)jobs);
    for (size_t i = 0; i < n; i++)
        inserted[v[i]] = !(i > 0 && !memcmp(jobs[v[i]].job_id, jobs[v[i - 1]].job_id, 32));
    free(v);
    return STORE_OK;
}

static int insert_many_pg(store *s, const store_job *jobs, size_t n, uint8_t *inserted) {
    static const db_array_type types[JOB_ARRAYS] = {
        DB_ARRAY_BYTEA, DB_ARRAY_BYTEA, DB_ARRAY_BYTEA, DB_ARRAY_TEXT, DB_ARRAY_TEXT, DB_ARRAY_TEXT, DB_ARRAY_TEXT,
        DB_ARRAY_TEXT,  DB_ARRAY_TEXT,  DB_ARRAY_INT8,  DB_ARRAY_INT8, DB_ARRAY_INT8, DB_ARRAY_INT8, DB_ARRAY_INT8,
        DB_ARRAY_INT8,  DB_ARRAY_INT8,  DB_ARRAY_INT8,  DB_ARRAY_TEXT, DB_ARRAY_INT8};
    int rc = first_copies(jobs, n, inserted);
    if (rc != STORE_OK) return rc;
    db_array a[JOB_ARRAYS];
    for (int k = 0; k < JOB_ARRAYS; k++) db_array_init(&a[k], types[k]);
    size_t *pos = malloc((n ? n : 1) * sizeof *pos), m = 0; /* array ordinal - 1 -> index in jobs */
    for (size_t i = 0; pos && i < n; i++) {
        const store_job *j = &jobs[i];
        if (!inserted[i]) continue;
        db_array_blob(&a[0], j->job_id, 32);
        db_array_blob(&a[1], j->renter, 20);
        db_array_blob(&a[2], j->provider, 20);
        db_array_text(&a[3], j->payment);
        db_array_text(&a[4], store_job_status_name(j->status));
        array_text_or_null(&a[5], j->docker_image);
        array_text_or_null(&a[6], j->input_cid);
        array_text_or_null(&a[7], j->output_cid);
        array_text_or_null(&a[8], j->error_message);
        db_array_int64(&a[9], j->created_block);
        db_array_int64(&a[10], j->created_at);
        array_time_or_null(&a[11], j->assigned_at);
        array_time_or_null(&a[12], j->running_at);
        array_time_or_null(&a[13], j->completed_at);
        array_time_or_null(&a[14], j->failed_at);
        array_time_or_null(&a[15], j->confirmed_at);
        array_time_or_null(&a[16], j->paid_at);
        array_text_or_null(&a[17], j->paid_amount);
        db_array_int64(&a[18], j->updated_at ? j->updated_at : j->created_at);
        pos[m++] = i;
    }
    db_stmt *st = NULL;
    rc = !pos ? STORE_ERR : m == 0 ? STORE_OK : store_rc(s, db_prepare_lit(s->db, JOB_INSERT_MANY, &st));
    if (rc == STORE_OK && st) {
        for (int k = 0; k < JOB_ARRAYS; k++) db_bind_array(st, 1 + k, &a[k]);
        int r;
        while ((r = db_step(st)) == DB_ROW) {
            int64_t ord = db_col_int64(st, 0);
            if (ord >= 1 && (size_t)ord <= m) inserted[pos[ord - 1]] = 0;
        }
        db_reset(st);
        rc = store_rc(s, r);
    }
    for (int k = 0; k < JOB_ARRAYS; k++) db_array_free(&a[k]);
    free(pos);
    return rc;
}

int store_job_insert_many(store *s, const store_job *jobs, size_t n, uint8_t *inserted) {
    for (size_t i = 0; i < n; i++) {
        const store_job *j = &jobs[i];
        if (!store_amount_valid(j->payment) || (j->paid_amount[0] && !store_amount_valid(j->paid_amount)) ||
            (unsigned)j->status >= JOB_STATUS_COUNT) {
            snprintf(s->errmsg, sizeof s->errmsg, "job insert: invalid payment, paid amount or status");
            return STORE_INVALID;
        }
    }
    if (db_backend(s->db) == DB_POSTGRES) return insert_many_pg(s, jobs, n, inserted);
    for (size_t i = 0; i < n; i++) {
        int rc = store_job_insert(s, &jobs[i]);
        if (rc < 0) return rc;
        inserted[i] = rc == STORE_OK;
    }
    return STORE_OK;
}

int store_job_get(store *s, const uint8_t job_id[32], store_job *out) {
    return store_get_by_key(s, JOB_COLS " WHERE job_id = ?", job_id, 32, read_job, out);
}

static const char *const ts_column[JOB_STATUS_COUNT] = {
    [JOB_ASSIGNED] = "assigned_at", [JOB_RUNNING] = "running_at",     [JOB_COMPLETED] = "completed_at",
    [JOB_FAILED] = "failed_at",     [JOB_CONFIRMED] = "confirmed_at", [JOB_PAID] = "paid_at",
};

static int job_exists(store *s, const uint8_t job_id[32]) {
    int64_t one;
    return store_int64(s, &one, "SELECT 1 FROM jobs WHERE job_id = ?", "h", job_id);
}

static int transition(store *s, const uint8_t job_id[32], job_status to, int64_t ts,
                      const char *output_cid, const char *error_message, const char *amount) {
    if ((unsigned)to >= JOB_STATUS_COUNT || to == JOB_CREATED) return STORE_INVALID;
    /* "status IN ('created', …)" from the constant state names the rule allows */
    char from[200] = "", sql[600];
    size_t len = 0;
    for (int f = 0; f < JOB_STATUS_COUNT; f++) {
        if (!store_job_transition_allowed((job_status)f, to)) continue;
        len += (size_t)snprintf(from + len, sizeof from - len, "%s'%s'", len ? ", " : "",
                                store_job_status_name((job_status)f));
    }
    char tsset[40] = "";
    if (ts_column[to]) snprintf(tsset, sizeof tsset, ", %s = ?", ts_column[to]);
    snprintf(sql, sizeof sql,
             "UPDATE jobs SET status = ?%s, output_cid = COALESCE(?, output_cid),"
             " error_message = COALESCE(?, error_message)%s, updated_at = ?"
             " WHERE job_id = ? AND status IN (%s)",
             tsset, amount ? ", paid_amount = ?" : "", from);
    db_stmt *st;
    int rc = db_prepare(s->db, sql, &st);
    if (rc != DB_OK) return store_rc(s, rc);
    int i = 1;
    db_bind_text(st, i++, store_job_status_name(to));
    if (ts_column[to]) db_bind_int64(st, i++, ts);
    db_bind_text(st, i++, output_cid);
    db_bind_text(st, i++, error_message);
    if (amount) db_bind_text(st, i++, amount);
    db_bind_int64(st, i++, ts);
    db_bind_blob(st, i, job_id, 32);
    if ((rc = store_run_write(s, st, STORE_NOTFOUND)) != STORE_NOTFOUND) return rc;
    rc = job_exists(s, job_id);
    if (rc == STORE_OK) {
        snprintf(s->errmsg, sizeof s->errmsg, "job transition to %s not allowed from its state",
                 store_job_status_name(to));
        return STORE_INVALID;
    }
    return rc;
}

int store_job_transition(store *s, const uint8_t job_id[32], job_status to, int64_t ts,
                         const char *output_cid, const char *error_message) {
    return transition(s, job_id, to, ts, output_cid, error_message, NULL);
}

int store_job_set_paid(store *s, const uint8_t job_id[32], const char *amount, int64_t ts) {
    if (!store_amount_valid(amount)) return STORE_INVALID;
    return transition(s, job_id, JOB_PAID, ts, NULL, NULL, amount);
}

int store_job_delete(store *s, const uint8_t job_id[32]) {
    return store_delete_job_keyed(s, "DELETE FROM jobs WHERE job_id = ?", job_id);
}

static int job_bind(db_stmt *st, const void *filter) {
    const store_job_filter *f = filter;
    int i = 1;
    if (f->renter) db_bind_blob(st, i++, f->renter, 20);
    if (f->provider) db_bind_blob(st, i++, f->provider, 20);
    if (f->status >= 0) db_bind_text(st, i++, store_job_status_name((job_status)f->status));
    return i;
}

int store_job_list(store *s, const store_job_filter *f, store_job *out, int cap, int *n,
                   int64_t *total) {
    char where[160];
    *n = 0;
    if (f->status >= JOB_STATUS_COUNT) return STORE_INVALID;
    const char *terms[] = {f->renter ? "renter = ?" : NULL, f->provider ? "provider = ?" : NULL,
                           f->status >= 0 ? "status = ?" : NULL};
    store_where(terms, 3, where, sizeof where);
    /* The counters (migration 0006) cover what the routes ask: all jobs, a provider's or a
     * renter's, each optionally in one status. Renter and provider together is left to
     * count(*): a row per (renter, provider) pair would add a counter write per job for a rare
     * query, and the jobs_provider_time index bounds that count by the provider's jobs. */
    const char *col = f->status >= 0 ? store_job_status_name((job_status)f->status) : "total";
    store_count_key k = {"jobs", NULL, col};
    if (f->renter && f->provider) k.list = NULL;
    else if (f->provider) k = (store_count_key){"jobs_provider", f->provider, col};
    else if (f->renter) k = (store_count_key){"jobs_renter", f->renter, col};
    const store_page_query q = {"jobs", JOB_COLS, "created_at DESC, job_id", where,
                                job_bind, read_job, sizeof *out, k};
    return store_page(s, &q, f, f->limit, f->offset, out, cap, n, total);
}

/* From the list counters (migration 0006): the 'jobs' row of all owners has the total and a
 * column per status (in job_status order), one row read where GROUP BY status read every job. */
int store_job_stats(store *s, store_job_summary *out) {
    /* A new status needs its column in list_counts (a migration) and in this SELECT. */
    _Static_assert(JOB_STATUS_COUNT == 10, "list_counts has a column per job status");
    static const uint8_t none[1];
    memset(out, 0, sizeof *out);
    db_stmt *st;
    int rc = store_prepare(s, &st,
                           "SELECT total, created, assigned, running, completed, failed, confirmed, paid, cancelled,"
                           " undelivered, stalled FROM list_counts WHERE list = 'jobs' AND owner = ?",
                           "b", none, (size_t)0); /* x'': all owners */
    if (rc != STORE_OK) return rc;
    rc = db_step(st);
    if (rc == DB_ROW) {
        out->total = db_col_int64(st, 0);
        for (int i = 0; i < JOB_STATUS_COUNT; i++) out->by_status[i] = db_col_int64(st, 1 + i);
    }
    db_reset(st);
    return rc == DB_ROW || rc == DB_DONE ? STORE_OK : store_rc(s, rc);
}
