/* store_ledger — the applied-events ledger: one row per chain log the followers applied, keyed
 * by the log's position (chain, contract, block, log index; migration 0005 says why). It keeps
 * the raw log so a reorg can re-derive an entity and an audit can replay. Inserting uses ON CONFLICT DO NOTHING rather than catching a unique
 * violation: on PostgreSQL an error would abort the caller's whole batch transaction.
 * (store_ledger_delete_from lives in store_cursor.c with the other range deletes.) */
#include <stdlib.h>

#include "store/db_array.h"
#include "store/store_internal.h"

/* The ledger's entity key: topic1, or zero bytes when the log has none. */
static void entity_key(const rpc_log *l, uint8_t key[32]) {
    if (l->ntopics > 1) memcpy(key, l->topics[1], 32);
    else memset(key, 0, 32);
}

int store_ledger_insert(store *s, uint64_t chain_id, const rpc_log *l) {
    if (l->ntopics > 4) return STORE_INVALID;
    uint8_t key[32];
    entity_key(l, key);
    return store_write_lit(s, STORE_DUP,
                           "INSERT INTO ledger (chain_id, tx_hash, log_index, block_number, block_hash,"
                           " contract, entity_key, topics, data, block_time)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                           "ihiihahbbi", (int64_t)chain_id, l->tx_hash, (int64_t)l->log_index,
                           (int64_t)l->block_number, l->block_hash, l->address, key,
                           (const uint8_t *)l->topics, (size_t)l->ntopics * 32,
                           l->data ? l->data : (const uint8_t *)"", l->data_len, (int64_t)l->block_time);
}

/* Logs by their key (contract, block, log index; migration 0005), then position: a later copy
 * of a key in one batch is a dup. */
typedef struct {
    const rpc_log *l;
    size_t pos;
} log_ref;

static int cmp_ref(const void *a, const void *b) {
    const log_ref *x = a, *y = b;
    int c = memcmp(x->l->address, y->l->address, 20);
    if (!c) c = (x->l->block_number > y->l->block_number) - (x->l->block_number < y->l->block_number);
    if (!c) c = (x->l->log_index > y->l->log_index) - (x->l->log_index < y->l->log_index);
    return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

static int mark_batch_dups(const rpc_log *logs, size_t n, uint8_t *dup) {
    log_ref *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return STORE_ERR;
    for (size_t i = 0; i < n; i++) v[i] = (log_ref){&logs[i], i};
    qsort(v, n, sizeof *v, cmp_ref);
    for (size_t i = 1; i < n; i++)
        if (!memcmp(v[i].l->address, v[i - 1].l->address, 20) && v[i].l->block_number == v[i - 1].l->block_number &&
            v[i].l->log_index == v[i - 1].l->log_index)
            dup[v[i].pos] = 1;
    free(v);
    return STORE_OK;
}

#define LEDGER_ARRAYS 9
/* Rows per statement: bounds the parameter memory (a few MB, copied once more by libpq) while
 * keeping statements per batch in the single digits. */
#define LEDGER_CHUNK 4096

static const char LEDGER_INSERT_MANY[] =
    "WITH u AS (SELECT * FROM unnest(?::bytea[], ?::bigint[], ?::bigint[], ?::bytea[], ?::bytea[], ?::bytea[],"
    " ?::bytea[], ?::bytea[], ?::bigint[]) WITH ORDINALITY AS u(tx_hash, log_index, block_number,"
    " block_hash, contract, entity_key, topics, data, block_time, ord)),"
    " ins AS (INSERT INTO ledger (chain_id, tx_hash, log_index, block_number, block_hash, contract,"
    " entity_key, topics, data, block_time) SELECT ?::bigint, tx_hash, log_index, block_number, block_hash,"
    " contract, entity_key, topics, data, block_time FROM u ON CONFLICT DO NOTHING"
    " RETURNING contract, block_number, log_index)"
    " SELECT u.ord FROM u WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.contract = u.contract"
    " AND ins.block_number = u.block_number AND ins.log_index = u.log_index)";

/* One statement per chunk: the rows as arrays, inserted with ON CONFLICT DO NOTHING, and back
 * come the ordinals of the rows that were not inserted (none, normally: the cursor keeps
 * batches apart), so the caller skips exactly what the per-row path would have skipped. */
static int insert_chunk_pg(store *s, uint64_t chain_id, const rpc_log *logs, size_t n, uint8_t *dup, db_array *a,
                           size_t *pos) {
    size_t m = 0;
    for (int k = 0; k < LEDGER_ARRAYS; k++) db_array_clear(&a[k]);
    for (size_t i = 0; i < n; i++) {
        const rpc_log *l = &logs[i];
        if (dup[i]) continue;
        if (l->ntopics > 4) return STORE_INVALID;
        uint8_t key[32];
        entity_key(l, key);
        db_array_blob(&a[0], l->tx_hash, 32);
        db_array_int64(&a[1], (int64_t)l->log_index);
        db_array_int64(&a[2], (int64_t)l->block_number);
        db_array_blob(&a[3], l->block_hash, 32);
        db_array_blob(&a[4], l->address, 20);
        db_array_blob(&a[5], key, 32);
        db_array_blob(&a[6], l->topics, (size_t)l->ntopics * 32);
        db_array_blob(&a[7], l->data ? l->data : (const uint8_t *)"", l->data_len);
        db_array_int64(&a[8], (int64_t)l->block_time);
        pos[m++] = i;
    }
    if (m == 0) return STORE_OK;
    db_stmt *st;
    int rc = db_prepare_lit(s->db, LEDGER_INSERT_MANY, &st);
    if (rc != DB_OK) return store_rc(s, rc);
    for (int k = 0; k < LEDGER_ARRAYS; k++) db_bind_array(st, 1 + k, &a[k]);
    db_bind_int64(st, 1 + LEDGER_ARRAYS, (int64_t)chain_id);
    while ((rc = db_step(st)) == DB_ROW) {
        int64_t ord = db_col_int64(st, 0);
        if (ord >= 1 && (size_t)ord <= m) dup[pos[ord - 1]] = 1;
    }
    db_reset(st);
    return store_rc(s, rc);
}

static int insert_many_pg(store *s, uint64_t chain_id, const rpc_log *logs, size_t n, uint8_t *dup) {
    static const db_array_type types[LEDGER_ARRAYS] = {DB_ARRAY_BYTEA, DB_ARRAY_INT8,  DB_ARRAY_INT8,
                                                       DB_ARRAY_BYTEA, DB_ARRAY_BYTEA, DB_ARRAY_BYTEA,
                                                       DB_ARRAY_BYTEA, DB_ARRAY_BYTEA, DB_ARRAY_INT8};
    int rc = mark_batch_dups(logs, n, dup);
    if (rc != STORE_OK) return rc;
    db_array a[LEDGER_ARRAYS];
    for (int k = 0; k < LEDGER_ARRAYS; k++) db_array_init(&a[k], types[k]);
    size_t *pos = malloc(LEDGER_CHUNK * sizeof *pos); /* array ordinal - 1 -> position in the chunk */
    if (!pos) rc = STORE_ERR;
    for (size_t c = 0; rc == STORE_OK && c < n; c += LEDGER_CHUNK)
        rc = insert_chunk_pg(s, chain_id, logs + c, n - c < LEDGER_CHUNK ? n - c : LEDGER_CHUNK, dup + c, a, pos);
    for (int k = 0; k < LEDGER_ARRAYS; k++) db_array_free(&a[k]);
    free(pos);
    return rc;
}

int store_ledger_insert_many(store *s, uint64_t chain_id, const rpc_log *logs, size_t n, uint8_t *dup) {
    memset(dup, 0, n);
    if (db_backend(s->db) == DB_POSTGRES) return insert_many_pg(s, chain_id, logs, n, dup);
    for (size_t i = 0; i < n; i++) {
        int rc = store_ledger_insert(s, chain_id, &logs[i]);
        if (rc < 0) return rc;
        dup[i] = rc == STORE_DUP;
    }
    return STORE_OK;
}

int store_ledger_count(store *s, uint64_t chain_id, const uint8_t contract[20], int64_t *count) {
    return store_int64(s, count, "SELECT count(*) FROM ledger WHERE chain_id = ? AND contract = ?", "ia",
                       (int64_t)chain_id, contract); /* count(*): always a row */
}

#define LEDGER_COLS                                                                          \
    "SELECT tx_hash, log_index, block_number, block_hash, data, block_time, topics" \
    " FROM ledger "

static int each(store *s, db_stmt *st, const uint8_t contract[20], store_log_cb cb, void *ud) {
    rpc_log l;
    memset(&l, 0, sizeof l);
    memcpy(l.address, contract, 20);
    l.has_block_time = true;
    int rc, stop = 0;
    while ((rc = db_step(st)) == DB_ROW) {
        db_col_blob_fixed(st, 0, l.tx_hash, 32);
        l.log_index = (uint64_t)db_col_int64(st, 1);
        l.block_number = (uint64_t)db_col_int64(st, 2);
        db_col_blob_fixed(st, 3, l.block_hash, 32);
        /* Borrowed from the row for the call; the callback sees a const log and frees nothing. */
        l.data = (uint8_t *)db_col_blob(st, 4, &l.data_len);
        l.block_time = (uint64_t)db_col_int64(st, 5);
        size_t tn;
        const uint8_t *t = db_col_blob(st, 6, &tn);
        l.ntopics = (uint8_t)(tn / 32 <= 4 ? tn / 32 : 4);
        memset(l.topics, 0, sizeof l.topics);
        if (t) memcpy(l.topics, t, (size_t)l.ntopics * 32);
        if ((stop = cb(&l, ud)) != 0) break;
    }
    db_reset(st);
    if (stop) return stop;
    return store_rc(s, rc);
}

/* The contract's rows from a block on (key NULL) or of one entity key, in chain order. */
static int each_where(store *s, uint64_t chain_id, const uint8_t contract[20], uint64_t from_block,
                      const uint8_t key[32], store_log_cb cb, void *ud) {
    db_stmt *st;
    int rc = key ? store_prepare(s, &st,
                                 LEDGER_COLS "WHERE chain_id = ? AND contract = ? AND entity_key = ?"
                                             " ORDER BY block_number, log_index",
                                 "iah", (int64_t)chain_id, contract, key)
                 : store_prepare(s, &st,
                                 LEDGER_COLS "WHERE chain_id = ? AND contract = ? AND block_number >= ?"
                                             " ORDER BY block_number, log_index",
                                 "iai", (int64_t)chain_id, contract, (int64_t)from_block);
    if (rc != STORE_OK) return rc;
    return each(s, st, contract, cb, ud);
}

int store_ledger_each_from(store *s, uint64_t chain_id, const uint8_t contract[20],
                           uint64_t from_block, store_log_cb cb, void *ud) {
    return each_where(s, chain_id, contract, from_block, NULL, cb, ud);
}

int store_ledger_each_for_key(store *s, uint64_t chain_id, const uint8_t contract[20],
                              const uint8_t key[32], store_log_cb cb, void *ud) {
    return each_where(s, chain_id, contract, 0, key, cb, ud);
}
