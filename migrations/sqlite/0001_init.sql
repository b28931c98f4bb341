-- lamda schema v1 (SQLite). Kept column-for-column identical to postgres/0001_init.sql;
-- only the types differ (BLOB/INTEGER here, BYTEA/BIGINT there; the ledger is WITHOUT ROWID).
-- Hashes, ids and addresses are binary; times are unix seconds; amounts are decimal text.

CREATE TABLE providers (
    address              BLOB PRIMARY KEY,
    gpu_model            TEXT NOT NULL DEFAULT '',
    vram                 INTEGER NOT NULL DEFAULT 0,
    last_seen            INTEGER NOT NULL DEFAULT 0,
    is_online            INTEGER NOT NULL DEFAULT 0,
    is_registered        INTEGER NOT NULL DEFAULT 0,
    total_jobs_completed INTEGER NOT NULL DEFAULT 0,
    reputation_score     INTEGER NOT NULL DEFAULT 0,
    registered_block     INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX providers_online_rep ON providers (is_online, reputation_score DESC, address);
CREATE INDEX providers_rep ON providers (reputation_score DESC, address);
CREATE INDEX providers_gpu ON providers (lower(gpu_model));

CREATE TABLE jobs (
    job_id        BLOB PRIMARY KEY,
    renter        BLOB NOT NULL,
    provider      BLOB NOT NULL,
    payment       TEXT NOT NULL,
    status        TEXT NOT NULL,
    docker_image  TEXT,
    input_cid     TEXT,
    output_cid    TEXT,
    error_message TEXT,
    created_block INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    assigned_at   INTEGER,
    running_at    INTEGER,
    completed_at  INTEGER,
    failed_at     INTEGER,
    confirmed_at  INTEGER,
    paid_at       INTEGER,
    paid_amount   TEXT,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX jobs_provider_time ON jobs (provider, created_at DESC, job_id);
CREATE INDEX jobs_renter_time ON jobs (renter, created_at DESC, job_id);
-- provider/renter + status: without these a planner may walk the whole status index
CREATE INDEX jobs_provider_status_time ON jobs (provider, status, created_at DESC, job_id);
CREATE INDEX jobs_renter_status_time ON jobs (renter, status, created_at DESC, job_id);
CREATE INDEX jobs_status_time ON jobs (status, created_at DESC, job_id);
CREATE INDEX jobs_time ON jobs (created_at DESC, job_id);

CREATE TABLE job_specs (
    job_id       BLOB PRIMARY KEY,
    docker_image TEXT NOT NULL,
    input_cid    TEXT NOT NULL,
    signer       BLOB NOT NULL,
    signature    BLOB,
    received_at  INTEGER NOT NULL
);

CREATE TABLE ledger (
    chain_id     INTEGER NOT NULL,
    tx_hash      BLOB NOT NULL,
    log_index    INTEGER NOT NULL,
    block_number INTEGER NOT NULL,
    block_hash   BLOB NOT NULL,
    contract     BLOB NOT NULL,
    topic0       BLOB NOT NULL,
    entity_key   BLOB NOT NULL,
    topics       BLOB NOT NULL, -- ntopics × 32 bytes, topic0 first
    data         BLOB NOT NULL,
    block_time   INTEGER NOT NULL,
    PRIMARY KEY (chain_id, tx_hash, log_index)
) WITHOUT ROWID;
CREATE INDEX ledger_block ON ledger (chain_id, contract, block_number, log_index);
CREATE INDEX ledger_key ON ledger (chain_id, contract, entity_key);

CREATE TABLE cursors (
    chain_id     INTEGER NOT NULL,
    contract     BLOB NOT NULL,
    block_number INTEGER NOT NULL,
    block_hash   BLOB NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (chain_id, contract)
);

CREATE TABLE block_hashes (
    chain_id INTEGER NOT NULL,
    contract BLOB NOT NULL,
    number   INTEGER NOT NULL,
    hash     BLOB NOT NULL,
    PRIMARY KEY (chain_id, contract, number)
);

CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id     BLOB NOT NULL UNIQUE,
    subject    TEXT NOT NULL,
    payload    BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    sent_at    INTEGER,
    attempts   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;

CREATE TABLE reputation_updates (
    job_id       BLOB PRIMARY KEY,
    provider     BLOB NOT NULL,
    state        TEXT NOT NULL,
    nonce        INTEGER,
    raw_tx       BLOB,
    tx_hash      BLOB,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    confirmed_at INTEGER NOT NULL DEFAULT 0,
    sent_at      INTEGER,
    mined_block  INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX reputation_state ON reputation_updates (state);
CREATE INDEX reputation_nonce ON reputation_updates (nonce);

CREATE TABLE wallet_nonces (
    chain_id   INTEGER NOT NULL,
    address    BLOB NOT NULL,
    next_nonce INTEGER NOT NULL,
    PRIMARY KEY (chain_id, address)
);
