/* store_cursor — follower cursors (last applied block per chain and contract) and the recent
 * canonical block hashes used to detect reorgs. A cursor advance belongs in the same
 * transaction as the effects and ledger rows of the blocks it covers. */
#include <time.h>

#include "store/store_internal.h"

typedef struct {
    uint64_t *block;
    uint8_t *hash;
} cursor_out;

static void read_cursor(db_stmt *st, void *row) {
    cursor_out *o = row;
    *o->block = (uint64_t)db_col_int64(st, 0);
    db_col_blob_fixed(st, 1, o->hash, 32);
}

int store_cursor_get(store *s, uint64_t chain_id, const uint8_t contract[20], uint64_t *block,
                     uint8_t hash[32]) {
    cursor_out o = {block, hash};
    return store_row(s, read_cursor, &o,
                     "SELECT block_number, block_hash FROM cursors WHERE chain_id = ? AND contract = ?", "ia",
                     (int64_t)chain_id, contract);
}

int store_cursor_set(store *s, uint64_t chain_id, const uint8_t contract[20], uint64_t block,
                     const uint8_t hash[32]) {
    return store_count_lit(s, NULL,
                           "INSERT INTO cursors (chain_id, contract, block_number, block_hash, updated_at)"
                           " VALUES (?, ?, ?, ?, ?) ON CONFLICT (chain_id, contract) DO UPDATE SET"
                           " block_number = excluded.block_number, block_hash = excluded.block_hash,"
                           " updated_at = excluded.updated_at",
                           "iaihi", (int64_t)chain_id, contract, (int64_t)block, hash, (int64_t)time(NULL));
}

int store_block_hash_put(store *s, uint64_t chain_id, const uint8_t contract[20], uint64_t number,
                         const uint8_t hash[32]) {
    return store_count_lit(s, NULL,
                           "INSERT INTO block_hashes (chain_id, contract, number, hash) VALUES (?, ?, ?, ?)"
                           " ON CONFLICT (chain_id, contract, number) DO UPDATE SET hash = excluded.hash",
                           "iaih", (int64_t)chain_id, contract, (int64_t)number, hash);
}

static void read_hash(db_stmt *st, void *hash) { db_col_blob_fixed(st, 0, hash, 32); }

int store_block_hash_get(store *s, uint64_t chain_id, const uint8_t contract[20], uint64_t number,
                         uint8_t hash[32]) {
    return store_row(s, read_hash, hash,
                     "SELECT hash FROM block_hashes WHERE chain_id = ? AND contract = ? AND number = ?",
                     "iai", (int64_t)chain_id, contract, (int64_t)number);
}

static int delete_where(store *s, const char *sql, uint64_t chain_id, const uint8_t contract[20],
                        uint64_t n) {
    return store_count(s, NULL, sql, "iai", (int64_t)chain_id, contract, (int64_t)n);
}

int store_block_hash_delete_from(store *s, uint64_t chain_id, const uint8_t contract[20],
                                 uint64_t from_block) {
    return delete_where(s, "DELETE FROM block_hashes WHERE chain_id = ? AND contract = ? AND number >= ?",
                        chain_id, contract, from_block);
}

int store_block_hash_prune_below(store *s, uint64_t chain_id, const uint8_t contract[20],
                                 uint64_t below) {
    return delete_where(s, "DELETE FROM block_hashes WHERE chain_id = ? AND contract = ? AND number < ?",
                        chain_id, contract, below);
}

int store_ledger_delete_from(store *s, uint64_t chain_id, const uint8_t contract[20],
                             uint64_t from_block) {
    return delete_where(s, "DELETE FROM ledger WHERE chain_id = ? AND contract = ? AND block_number >= ?",
                        chain_id, contract, from_block);
}
