/* store_nonces — the next nonce of a signing wallet per chain. The transaction manager advances
 * it in the same transaction that stores a signed transaction, so after a restart no nonce
 * that a stored transaction holds is handed out again. */
#include "store/store_internal.h"

int store_nonce_get(store *s, uint64_t chain_id, const uint8_t addr[20], uint64_t *next) {
    db_stmt *st;
    int rc = db_prepare(s->db, "SELECT next_nonce FROM wallet_nonces WHERE chain_id = ? AND address = ?", &st);
    if (rc != DB_OK) return store_rc(s, rc);
    db_bind_int64(st, 1, (int64_t)chain_id);
    db_bind_blob(st, 2, addr, 20);
    int64_t v = 0;
    rc = store_query_int64(s, st, &v);
    if (rc == STORE_OK) *next = (uint64_t)v;
    return rc;
}

int store_nonce_set(store *s, uint64_t chain_id, const uint8_t addr[20], uint64_t next) {
    db_stmt *st;
    int rc = db_prepare(s->db,
                        "INSERT INTO wallet_nonces (chain_id, address, next_nonce) VALUES (?, ?, ?)"
                        " ON CONFLICT (chain_id, address) DO UPDATE SET next_nonce = excluded.next_nonce",
                        &st);
    if (rc != DB_OK) return store_rc(s, rc);
    db_bind_int64(st, 1, (int64_t)chain_id);
    db_bind_blob(st, 2, addr, 20);
    db_bind_int64(st, 3, (int64_t)next);
    return store_run_count(s, st, NULL);
}
