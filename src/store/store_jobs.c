/* store_jobs — jobs derived from JobManager events and agent reports.
 *
 * A transition is one conditional UPDATE ("… WHERE job_id = ? AND status IN (allowed sources)"),
 * so the check and the write are atomic without a read first; only when nothing changed does a
 * second query tell "no such job" from "not allowed". Inserts use ON CONFLICT DO NOTHING so a
 * replayed JobCreated never aborts the caller's transaction. */
#include <ctype.h>

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

static void bind_text_or_null(db_stmt *st, int i, const char *v) { db_bind_text(st, i, v && *v ? v : NULL); }
static void bind_time_or_null(db_stmt *st, int i, int64_t v) {
    if (v) db_bind_int64(st, i, v);
    else db_bind_null(st, i);
}

int store_job_insert(store *s, const store_job *j) {
    if (!store_amount_valid(j->payment) || (j->paid_amount[0] && !store_amount_valid(j->paid_amount)) ||
        (unsigned)j->status >= JOB_STATUS_COUNT) {
        snprintf(s->errmsg, sizeof s->errmsg, "job insert: invalid payment, paid amount or status");
        return STORE_INVALID;
    }
    db_stmt *st;
    int rc = db_prepare_lit(s->db,
                        "INSERT INTO jobs (job_id, renter, provider, payment, status, docker_image,"
                        " input_cid, output_cid, error_message, created_block, created_at, assigned_at,"
                        " running_at, completed_at, failed_at, confirmed_at, paid_at, paid_amount,"
                        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                        " ON CONFLICT (job_id) DO NOTHING",
                        &st);
    if (rc != DB_OK) return store_rc(s, rc);
    db_bind_blob(st, 1, j->job_id, 32);
    db_bind_blob(st, 2, j->renter, 20);
    db_bind_blob(st, 3, j->provider, 20);
    db_bind_text(st, 4, j->payment);
    db_bind_text(st, 5, store_job_status_name(j->status));
    bind_text_or_null(st, 6, j->docker_image);
    bind_text_or_null(st, 7, j->input_cid);
    bind_text_or_null(st, 8, j->output_cid);
    bind_text_or_null(st, 9, j->error_message);
    db_bind_int64(st, 10, j->created_block);
    db_bind_int64(st, 11, j->created_at);
    bind_time_or_null(st, 12, j->assigned_at);
    bind_time_or_null(st, 13, j->running_at);
    bind_time_or_null(st, 14, j->completed_at);
    bind_time_or_null(st, 15, j->failed_at);
    bind_time_or_null(st, 16, j->confirmed_at);
    bind_time_or_null(st, 17, j->paid_at);
    bind_text_or_null(st, 18, j->paid_amount);
    db_bind_int64(st, 19, j->updated_at ? j->updated_at : j->created_at);
    return store_run_write(s, st, STORE_DUP);
}

int store_job_get(store *s, const uint8_t job_id[32], store_job *out) {
    return store_get_by_key(s, JOB_COLS " WHERE job_id = ?", job_id, 32, read_job, out);
}

static const char *const ts_column[JOB_STATUS_COUNT] = {
    [JOB_ASSIGNED] = "assigned_at", [JOB_RUNNING] = "running_at",     [JOB_COMPLETED] = "completed_at",
    [JOB_FAILED] = "failed_at",     [JOB_CONFIRMED] = "confirmed_at", [JOB_PAID] = "paid_at",
};

static int job_exists(store *s, const uint8_t job_id[32]) {
    db_stmt *st;
    int rc = db_prepare(s->db, "SELECT 1 FROM jobs WHERE job_id = ?", &st);
    if (rc != DB_OK) return store_rc(s, rc);
    db_bind_blob(st, 1, job_id, 32);
    rc = db_step(st);
    db_reset(st);
    if (rc == DB_ROW) return STORE_OK;
    return rc == DB_DONE ? STORE_NOTFOUND : store_rc(s, rc);
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
    const store_page_query q = {"jobs", JOB_COLS, "created_at DESC, job_id", where,
                                job_bind, read_job, sizeof *out};
    return store_page(s, &q, f, f->limit, f->offset, out, cap, n, total);
}

int store_job_stats(store *s, store_job_summary *out) {
    memset(out, 0, sizeof *out);
    db_stmt *st;
    int rc = db_prepare(s->db, "SELECT status, count(*) FROM jobs GROUP BY status", &st);
    if (rc != DB_OK) return store_rc(s, rc);
    while ((rc = db_step(st)) == DB_ROW) {
        job_status js;
        int64_t c = db_col_int64(st, 1);
        if (store_job_status_parse(db_col_text(st, 0), &js) == 0) out->by_status[js] += c;
        out->total += c;
    }
    db_reset(st);
    return store_rc(s, rc);
}
