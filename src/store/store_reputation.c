/* store_reputation — one incrementJobs per confirmed job, ever. The row is created with the
 * job's confirmation (job_id is the primary key, so a replayed JobConfirmed cannot make a
 * second one); the signer persists nonce and raw tx (state signed) BEFORE broadcasting, so a
 * restart re-broadcasts the same transaction instead of signing a new one. */
#include <time.h>

#include "store/store_internal.h"

static const char *const rep_names[STORE_REP_STATE_COUNT] = {"pending", "signed", "mined", "failed"};

const char *store_rep_state_name(store_rep_state st) {
    return store_name_of(rep_names, STORE_REP_STATE_COUNT, (int)st);
}

int store_rep_state_parse(const char *name, store_rep_state *out) {
    int i = store_name_index(rep_names, STORE_REP_STATE_COUNT, name);
    if (i < 0) return -1;
    *out = (store_rep_state)i;
    return 0;
}

#define REP_COLS                                                                               \
    "SELECT job_id, provider, state, nonce, raw_tx, tx_hash, attempts, last_error,"            \
    " confirmed_at, sent_at, mined_block, created_at, updated_at FROM reputation_updates"

static void read_rep(db_stmt *st, void *row) {
    store_rep *r = row;
    memset(r, 0, sizeof *r);
    db_col_blob_fixed(st, 0, r->job_id, 32);
    db_col_blob_fixed(st, 1, r->provider, 20);
    store_rep_state state = STORE_REP_PENDING;
    store_rep_state_parse(db_col_text(st, 2), &state);
    r->state = state;
    r->has_nonce = !db_col_is_null(st, 3);
    r->nonce = (uint64_t)db_col_int64(st, 3);
    size_t n;
    const uint8_t *raw = db_col_blob(st, 4, &n);
    if (raw && n <= sizeof r->raw_tx) {
        memcpy(r->raw_tx, raw, n);
        r->raw_tx_len = n;
    }
    r->has_tx_hash = db_col_blob_fixed(st, 5, r->tx_hash, 32) == 0;
    r->attempts = db_col_int64(st, 6);
    db_col_text_copy(st, 7, r->last_error, sizeof r->last_error);
    r->confirmed_at = db_col_int64(st, 8);
    r->sent_at = db_col_int64(st, 9);
    r->mined_block = db_col_int64(st, 10);
    r->created_at = db_col_int64(st, 11);
    r->updated_at = db_col_int64(st, 12);
}

int store_rep_add(store *s, const uint8_t job_id[32], const uint8_t provider[20], int64_t confirmed_at,
                  int64_t now) {
    return store_write(s, STORE_DUP,
                       "INSERT INTO reputation_updates (job_id, provider, state, attempts, confirmed_at,"
                       " created_at, updated_at) VALUES (?, ?, 'pending', 0, ?, ?, ?)"
                       " ON CONFLICT (job_id) DO NOTHING",
                       "haiii", job_id, provider, confirmed_at, now, now);
}

int store_rep_get(store *s, const uint8_t job_id[32], store_rep *out) {
    return store_get_by_key(s, REP_COLS " WHERE job_id = ?", job_id, 32, read_rep, out);
}

int store_rep_list_state(store *s, store_rep_state state, int limit, store_rep *rows, int *n) {
    *n = 0;
    db_stmt *st;
    int rc = store_prepare(s, &st,
                           REP_COLS " WHERE state = ? ORDER BY nonce NULLS LAST, created_at, job_id LIMIT ?",
                           "ti", store_rep_state_name(state), (int64_t)limit);
    if (rc != STORE_OK) return rc;
    while (*n < limit && (rc = db_step(st)) == DB_ROW) read_rep(st, &rows[(*n)++]);
    db_reset(st);
    return rc == DB_ROW ? STORE_OK : store_rc(s, rc);
}

int store_rep_update(store *s, const store_rep *r) {
    if ((unsigned)r->state >= STORE_REP_STATE_COUNT || r->raw_tx_len > sizeof r->raw_tx) return STORE_INVALID;
    int64_t nonce = (int64_t)r->nonce;
    return store_write(s, STORE_NOTFOUND,
                       "UPDATE reputation_updates SET state = ?, nonce = ?, raw_tx = ?, tx_hash = ?,"
                       " attempts = ?, last_error = ?, sent_at = ?, mined_block = ?, updated_at = ?"
                       " WHERE job_id = ?",
                       "tpbhitppih", store_rep_state_name(r->state), r->has_nonce ? &nonce : NULL,
                       r->raw_tx_len ? r->raw_tx : NULL, r->raw_tx_len, r->has_tx_hash ? r->tx_hash : NULL,
                       r->attempts, r->last_error[0] ? r->last_error : NULL, r->sent_at ? &r->sent_at : NULL,
                       r->mined_block ? &r->mined_block : NULL, (int64_t)time(NULL), r->job_id);
}

/* Rows per state, of every provider (provider NULL) or of one. */
static int rep_counts(store *s, const uint8_t *provider, int64_t counts[STORE_REP_STATE_COUNT]) {
    memset(counts, 0, sizeof(int64_t) * STORE_REP_STATE_COUNT);
    db_stmt *st;
    int rc;
    if (provider)
        rc = store_prepare(s, &st, "SELECT state, count(*) FROM reputation_updates WHERE provider = ? GROUP BY state",
                           "a", provider);
    else
        rc = store_prepare(s, &st, "SELECT state, count(*) FROM reputation_updates GROUP BY state", "");
    if (rc != STORE_OK) return rc;
    while ((rc = db_step(st)) == DB_ROW) {
        store_rep_state k;
        if (store_rep_state_parse(db_col_text(st, 0), &k) == 0) counts[k] = db_col_int64(st, 1);
    }
    db_reset(st);
    return store_rc(s, rc);
}

int store_rep_counts(store *s, int64_t counts[STORE_REP_STATE_COUNT]) { return rep_counts(s, NULL, counts); }

int store_rep_counts_of(store *s, const uint8_t provider[20], int64_t counts[STORE_REP_STATE_COUNT]) {
    return rep_counts(s, provider, counts);
}
