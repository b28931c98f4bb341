/* store_ledger — the applied-events ledger: one row per chain log the followers applied, keyed
 * by (chain, tx hash, log index). It keeps the raw log so a reorg can re-derive an entity and an
 * audit can replay. Inserting uses ON CONFLICT DO NOTHING rather than catching a unique
 * violation: on PostgreSQL an error would abort the caller's whole batch transaction.
 * (store_ledger_delete_from lives in store_cursor.c with the other range deletes.) */
#include "store/store_internal.h"

/* The ledger's entity key: topic1, or zero bytes when the log has none. */
static void entity_key(const rpc_log *l, uint8_t key[32]) {
    if (l->ntopics > 1) memcpy(key, l->topics[1], 32);
    else memset(key, 0, 32);
}

int store_ledger_insert(store *s, uint64_t chain_id, const rpc_log *l) {
    if (l->ntopics > 4) return STORE_INVALID;
    uint8_t topic0[32] = {0}, key[32];
    if (l->ntopics > 0) memcpy(topic0, l->topics[0], 32);
    entity_key(l, key);
    db_stmt *st;
    int rc = db_prepare_lit(s->db,
                        "INSERT INTO ledger (chain_id, tx_hash, log_index, block_number, block_hash,"
                        " contract, topic0, entity_key, topics, data, block_time)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        &st);
    if (rc != DB_OK) return store_rc(s, rc);
    db_bind_int64(st, 1, (int64_t)chain_id);
    db_bind_blob(st, 2, l->tx_hash, 32);
    db_bind_int64(st, 3, (int64_t)l->log_index);
    db_bind_int64(st, 4, (int64_t)l->block_number);
    db_bind_blob(st, 5, l->block_hash, 32);
    db_bind_blob(st, 6, l->address, 20);
    db_bind_blob(st, 7, topic0, 32);
    db_bind_blob(st, 8, key, 32);
    db_bind_blob(st, 9, l->topics, (size_t)l->ntopics * 32);
    db_bind_blob(st, 10, l->data ? l->data : (const uint8_t *)"", l->data_len);
    db_bind_int64(st, 11, (int64_t)l->block_time);
    return store_run_write(s, st, STORE_DUP);
}

int store_ledger_count(store *s, uint64_t chain_id, const uint8_t contract[20], int64_t *count) {
    db_stmt *st;
    int rc = db_prepare(s->db, "SELECT count(*) FROM ledger WHERE chain_id = ? AND contract = ?", &st);
    if (rc != DB_OK) return store_rc(s, rc);
    db_bind_int64(st, 1, (int64_t)chain_id);
    db_bind_blob(st, 2, contract, 20);
    return store_query_int64(s, st, count); /* count(*): always a row */
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
    int rc = db_prepare(s->db,
                        key ? LEDGER_COLS "WHERE chain_id = ? AND contract = ? AND entity_key = ?"
                                          " ORDER BY block_number, log_index"
                            : LEDGER_COLS "WHERE chain_id = ? AND contract = ? AND block_number >= ?"
                                          " ORDER BY block_number, log_index",
                        &st);
    if (rc != DB_OK) return store_rc(s, rc);
    db_bind_int64(st, 1, (int64_t)chain_id);
    db_bind_blob(st, 2, contract, 20);
    if (key) db_bind_blob(st, 3, key, 32);
    else db_bind_int64(st, 3, (int64_t)from_block);
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
