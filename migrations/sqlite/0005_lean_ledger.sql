-- A lean ledger (issue 17); the reasons are in postgres/0005_lean_ledger.sql. SQLite cannot
-- change a WITHOUT ROWID table's key in place: the table is copied.
CREATE TABLE ledger_lean (
    chain_id     INTEGER NOT NULL,
    tx_hash      BLOB NOT NULL,
    log_index    INTEGER NOT NULL,
    block_number INTEGER NOT NULL,
    block_hash   BLOB NOT NULL,
    contract     BLOB NOT NULL,
    entity_key   BLOB NOT NULL,
    topics       BLOB NOT NULL, -- ntopics × 32 bytes, topic0 first
    data         BLOB NOT NULL,
    block_time   INTEGER NOT NULL,
    PRIMARY KEY (chain_id, contract, block_number, log_index)
) WITHOUT ROWID;
INSERT INTO ledger_lean (chain_id, tx_hash, log_index, block_number, block_hash, contract, entity_key, topics, data,
                         block_time)
    SELECT chain_id, tx_hash, log_index, block_number, block_hash, contract, entity_key, topics, data, block_time
    FROM ledger;
DROP TABLE ledger;
ALTER TABLE ledger_lean RENAME TO ledger;
CREATE INDEX ledger_key ON ledger (chain_id, contract, entity_key);
