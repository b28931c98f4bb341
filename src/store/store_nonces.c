/* store_nonces — the next nonce of a signing wallet per chain. The transaction manager advances
 * it in the same transaction that stores a signed transaction, so after a restart no nonce
 * that a stored transaction holds is handed out again. */
#include "store/store_internal.h"

int store_nonce_get(store *s, uint64_t chain_id, const uint8_t addr[20], uint64_t *next) {
    int64_t v = 0;
    int rc = store_int64(s, &v, "SELECT next_nonce FROM wallet_nonces WHERE chain_id = ? AND address = ?",
                         "ia", (int64_t)chain_id, addr);
    if (rc == STORE_OK) *next = (uint64_t)v;
    return rc;
}

int store_nonce_set(store *s, uint64_t chain_id, const uint8_t addr[20], uint64_t next) {
    return store_count(s, NULL,
                       "INSERT INTO wallet_nonces (chain_id, address, next_nonce) VALUES (?, ?, ?)"
                       " ON CONFLICT (chain_id, address) DO UPDATE SET next_nonce = excluded.next_nonce",
                       "iai", (int64_t)chain_id, addr, (int64_t)next);
}
