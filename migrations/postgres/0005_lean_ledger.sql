-- A lean ledger (issue 17). Measured on a 100,000-log backfill (docs/design.md §7): each of the
-- ledger's three b-trees costs a sizeable share of a batch, the random ones most.
-- * The key becomes the log's position, (chain, contract, block, log index), in place of
--   (chain, tx hash, log index): both name one log of the canonical chain — the follower
--   deletes a reorg's orphaned rows before it applies the new branch, so a position is never
--   held by two logs — but this one grows at the right edge instead of at random, and it is
--   the order the reorg undo reads and deletes in, so ledger_block goes: one index fewer.
-- * ledger_key stays: the undo re-derives each touched entity from its rows.
-- * topic0 goes: no query reads it, and it is the first 32 bytes of topics.
ALTER TABLE ledger DROP CONSTRAINT ledger_pkey;
DROP INDEX ledger_block;
ALTER TABLE ledger DROP COLUMN topic0;
ALTER TABLE ledger ADD PRIMARY KEY (chain_id, contract, block_number, log_index);
