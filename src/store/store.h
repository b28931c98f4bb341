/* store — every piece of persistent state of lamda, behind one interface that behaves the
 * same on SQLite (embedded default) and PostgreSQL (production).
 *
 * A `store` is one database connection (db.h) plus what the data-access functions need; use one
 * store per thread. Each function runs one statement (one round trip on PostgreSQL); grouping
 * several calls into one atomic unit of work is the caller's job, with store_begin/commit:
 * a follower applies a batch's effects, its ledger rows and its cursor advance in ONE
 * transaction, so they commit or roll back together (docs/design.md §3).
 *
 * Return codes: STORE_OK, STORE_NOTFOUND, STORE_DUP (the row already exists; nothing changed),
 * or a negative error. STORE_CONN means the connection was lost: the open transaction is gone,
 * roll back, wait a little and retry the whole unit of work (the store reconnects by itself).
 *
 * Binary columns: hashes, ids, addresses are fixed-size bytes. Times are int64 unix seconds.
 * Amounts are exact decimal strings (digits only, at most 78). Adding functions: one file
 * store_<concern>.c using store_internal.h, every public name prefixed store_. */
#ifndef LAMDA_STORE_H
#define LAMDA_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evm/rpc_logs.h"
#include "store/job_status.h"

#define STORE_OK 0
#define STORE_NOTFOUND 1
#define STORE_DUP 2
#define STORE_ERR (-1)
#define STORE_CONN (-2)    /* retryable: connection lost */
#define STORE_INVALID (-3) /* refused: invalid value or job transition */

typedef struct store store;

/* ---- open / close / transactions ---------------------------------------------------------- */

/* Connect (url as in db_open: "sqlite:PATH", "postgres://…", "postgresql://…") and apply
 * pending migrations. A database newer than this binary fails with a message saying so. */
int store_open(const char *url, store **out, char *err, size_t errlen);
/* Open a read-only replica (a PostgreSQL hot standby): no migration, and its schema version
 * must be this binary's. */
int store_open_replica(const char *url, store **out, char *err, size_t errlen);
/* Close the connection; releases every lease held through it. NULL is fine. */
void store_close(store *s);
/* Give back the memory an idle connection caches (see db_release_memory). NULL is fine. */
void store_release_memory(store *s);
/* Where the owner waits: gives the caches back if the process asked (db_idle). */
void store_idle(store *s);
/* "sqlite" or "postgres". */
const char *store_backend_name(const store *s);
/* Last error message on this store. */
const char *store_errmsg(const store *s);
int store_ping(store *s);
int store_begin(store *s);
/* A transaction for a batch of writes whose individual outcomes are not needed (a follower's
 * batch): on PostgreSQL they are pipelined (see db_begin_bulk), so an insert reports STORE_OK
 * where it could not yet know STORE_DUP, and a failed write surfaces at the next read or at
 * store_commit. Reads inside it still see every earlier write. */
int store_begin_bulk(store *s);
int store_commit(store *s);
int store_rollback(store *s);
/* `lamda migrate`: connect, apply pending migrations, disconnect. */
int store_migrate_only(const char *url, char *err, size_t errlen);
/* The newest schema version this binary knows, and the one the database is at. */
int store_schema_version_known(void);
int store_schema_version(store *s, int64_t *version);

/* ---- read replicas (store_replica.c) -------------------------------------------------------- */

/* PostgreSQL's pg_lsn text form ("16/B374D848"). */
bool store_lsn_valid(const char *lsn);
/* The server's current WAL position (after a commit: a position that includes it); STORE_NOTFOUND
 * on SQLite. */
int store_wal_position(store *s, char *out, size_t cap);
/* *yes when this server has replayed up to lsn (always on a primary and on SQLite);
 * STORE_INVALID for a malformed lsn. */
int store_replayed_to(store *s, const char *lsn, bool *yes);

/* ---- leases: one active instance per name --------------------------------------------------- */

/* Try (never wait) to become the holder of lease `name` (e.g. "job-dispatcher").
 * PostgreSQL: a session advisory lock on this connection (lost if the connection dies);
 * SQLite: an exclusive flock on "<dbpath>.<name>.lease". */
int store_lease_acquire(store *s, const char *name, bool *got);
/* Whether the lease is still ours. Check it once per batch: on PostgreSQL a reconnect loses it. */
bool store_lease_held(store *s, const char *name);
int store_lease_release(store *s, const char *name);

/* ---- follower cursors and recent block hashes ----------------------------------------------- */

int store_cursor_get(store *s, uint64_t chain_id, const uint8_t contract[20], uint64_t *block,
                     uint8_t hash[32]); /* STORE_NOTFOUND when none */
int store_cursor_set(store *s, uint64_t chain_id, const uint8_t contract[20], uint64_t block,
                     const uint8_t hash[32]);

int store_block_hash_put(store *s, uint64_t chain_id, const uint8_t contract[20], uint64_t number,
                         const uint8_t hash[32]); /* replaces */
int store_block_hash_get(store *s, uint64_t chain_id, const uint8_t contract[20], uint64_t number,
                         uint8_t hash[32]); /* STORE_NOTFOUND */
/* Delete every hash with number >= from_block (reorg undo). */
int store_block_hash_delete_from(store *s, uint64_t chain_id, const uint8_t contract[20],
                                 uint64_t from_block);
/* Delete every hash with number < below (keep the table small). */
int store_block_hash_prune_below(store *s, uint64_t chain_id, const uint8_t contract[20],
                                 uint64_t below);

/* ---- the applied-events ledger --------------------------------------------------------------- */

/* A ledger row is the chain log itself (rpc_log, the one log struct from eth_getLogs to the
 * handlers to here): the row's contract is log->address, its topic0 and entity key (topic1, or
 * zero bytes) are derived from log->topics, and block_time is the block's time. */

/* Insert a log; STORE_DUP (nothing changed) when (chain, contract, block, log index) is
 * present: the same log of the canonical chain (the reorg undo removes orphaned rows first). */
int store_ledger_insert(store *s, uint64_t chain_id, const rpc_log *log);
/* A batch's logs in one go: dup[i] = 1 where logs[i] was present already (or earlier in the
 * batch) and nothing changed, 0 where it was inserted. PostgreSQL: one set-based statement
 * (arrays, unnest); SQLite: store_ledger_insert per log on the one prepared statement. */
int store_ledger_insert_many(store *s, uint64_t chain_id, const rpc_log *logs, size_t n, uint8_t *dup);
int store_ledger_count(store *s, uint64_t chain_id, const uint8_t contract[20], int64_t *count);
/* Called once per row; the log and its data are valid only during the call (data is borrowed
 * from the row: the store frees it, never the callback). tx_index is not kept (0) and
 * has_block_time is true. Returning non-zero stops the iteration and becomes the return value.
 * The callback may call other store functions, but not start another iteration of the same
 * kind. */
typedef int (*store_log_cb)(const rpc_log *log, void *ud);
/* Rows with block_number >= from_block, ascending (block_number, log_index). */
int store_ledger_each_from(store *s, uint64_t chain_id, const uint8_t contract[20],
                           uint64_t from_block, store_log_cb cb, void *ud);
/* Rows with entity_key = key, ascending (block_number, log_index). */
int store_ledger_each_for_key(store *s, uint64_t chain_id, const uint8_t contract[20],
                              const uint8_t key[32], store_log_cb cb, void *ud);
int store_ledger_delete_from(store *s, uint64_t chain_id, const uint8_t contract[20],
                             uint64_t from_block);

/* ---- providers --------------------------------------------------------------------------------- */

#define STORE_GPU_MODEL_MAX 256

typedef struct {
    uint8_t address[20];
    char gpu_model[STORE_GPU_MODEL_MAX];
    int64_t vram;
    int64_t last_seen; /* chain time */
    bool is_online;
    bool is_registered;
    int64_t total_jobs_completed;
    int64_t reputation_score;
    int64_t registered_block; /* 0 when not registered */
    int64_t created_at, updated_at;
} store_provider;

typedef struct {
    int64_t min_vram;       /* 0 = any */
    const char *gpu_model;  /* NULL = any; exact match, ASCII case-insensitive */
    int64_t min_reputation; /* 0 = any */
    int online;             /* -1 any, 0 offline, 1 online */
    int64_t limit, offset;
} store_provider_filter;

typedef struct {
    int64_t total, online, registered, total_vram, total_jobs_completed, reputation_sum;
} store_provider_summary;

/* NodeRegistered: upsert specs, registered = online = 1, last_seen = max(last_seen, block_time).
 * vram saturates at INT64_MAX; gpu_model is cut to fit STORE_GPU_MODEL_MAX-1 bytes. */
int store_provider_register(store *s, const uint8_t addr[20], const char *gpu_model, uint64_t vram,
                            int64_t block_time, uint64_t block_number);
/* NodeHeartbeat: last_seen = max(last_seen, ts), online = 1; creates an unregistered row. */
int store_provider_heartbeat(store *s, const uint8_t addr[20], int64_t ts);
/* JobCountIncremented: total_jobs_completed = reputation_score = count; creates the row. */
int store_provider_set_job_count(store *s, const uint8_t addr[20], int64_t count);

/* What a run of the three events above does to one provider, merged in log order
 * (store_provider_changes.c): the functions above are a change of one event each. Every rule
 * merges exactly: registration and job count are last-writer-wins, last_seen is a maximum and
 * online/registered only ever turn on within a batch (the offline sweep runs after commits). */
typedef struct {
    uint8_t address[20];
    bool registered;                     /* a NodeRegistered: the last one's fields below */
    char gpu_model[STORE_GPU_MODEL_MAX]; /* already cut to fit (valid UTF-8) */
    int64_t vram, registered_block;
    int64_t last_seen; /* the newest heartbeat or registration time; 0 = none */
    bool online;       /* a registration or a heartbeat */
    bool has_count;    /* a JobCountIncremented: the last count */
    int64_t count;
} store_provider_change;

/* Upsert n changes, each address at most once: PostgreSQL in set-based statements (arrays,
 * unnest), SQLite one prepared upsert per change. */
int store_provider_apply_changes(store *s, const store_provider_change *c, size_t n);

/* Merge one event into a change (c->address set by the caller or by store_provider_changes_at). */
void store_provider_change_register(store_provider_change *c, const char *gpu_model, uint64_t vram, int64_t block_time,
                                    uint64_t block_number);
void store_provider_change_heartbeat(store_provider_change *c, int64_t ts);
void store_provider_change_job_count(store_provider_change *c, int64_t count);

/* A batch's changes keyed by address, for a handler that writes them once at its flush. */
typedef struct store_provider_changes store_provider_changes;
store_provider_changes *store_provider_changes_new(void);
void store_provider_changes_free(store_provider_changes *ch);
/* The address's change (created empty on first sight); NULL when out of memory. Valid until
 * the next call. */
store_provider_change *store_provider_changes_at(store_provider_changes *ch, const uint8_t addr[20]);
/* Apply the merged changes (store_provider_apply_changes) and empty the set. */
int store_provider_changes_write(store *s, store_provider_changes *ch);
void store_provider_changes_clear(store_provider_changes *ch);
int store_provider_delete(store *s, const uint8_t addr[20]); /* STORE_NOTFOUND */
/* online = 0 where last_seen < cutoff_ts; *changed = rows switched off (may be NULL). */
int store_provider_sweep_offline(store *s, int64_t cutoff_ts, int *changed);
int store_provider_get(store *s, const uint8_t addr[20], store_provider *out);
/* Sorted by reputation_score DESC, then address. Fills up to cap rows (and at most
 * filter->limit); *n = rows filled, *total = rows matching the filter ignoring limit/offset. */
int store_provider_list(store *s, const store_provider_filter *f, store_provider *out, int cap,
                        int *n, int64_t *total);
int store_provider_stats(store *s, store_provider_summary *out);
/* Each GPU model that some provider declared (empty models left out) with its provider count,
 * in no particular order; cb returning non-zero stops the walk and is returned. */
int store_provider_gpu_counts(store *s, int (*cb)(void *ud, const char *model, int64_t n), void *ud);

/* ---- jobs ---------------------------------------------------------------------------------------- */

#define STORE_AMOUNT_MAX 80 /* 78 digits + NUL, rounded */
#define STORE_IMAGE_MAX 256
#define STORE_CID_MAX 128
#define STORE_ERROR_MAX 256

typedef struct {
    uint8_t job_id[32];
    uint8_t renter[20];
    uint8_t provider[20];
    char payment[STORE_AMOUNT_MAX]; /* wei, decimal digits */
    job_status status;
    char docker_image[STORE_IMAGE_MAX];
    char input_cid[STORE_CID_MAX];
    char output_cid[STORE_CID_MAX];
    char error_message[STORE_ERROR_MAX];
    int64_t created_block;
    /* 0 when the job never was in that state */
    int64_t created_at, assigned_at, running_at, completed_at, failed_at, confirmed_at, paid_at;
    char paid_amount[STORE_AMOUNT_MAX]; /* "" until paid */
    int64_t updated_at;
} store_job;

typedef struct {
    const uint8_t *renter;   /* 20 bytes or NULL = any */
    const uint8_t *provider; /* 20 bytes or NULL = any */
    int status;              /* -1 any, else a job_status */
    int64_t limit, offset;
} store_job_filter;

typedef struct {
    int64_t total;
    int64_t by_status[JOB_STATUS_COUNT];
} store_job_summary;

/* Valid amount: 1..78 decimal digits. */
bool store_amount_valid(const char *s);

/* Insert; STORE_DUP when the job exists (nothing changed), STORE_INVALID on a bad payment.
 * Uses every field of j (empty strings and zero times are stored as NULL). */
int store_job_insert(store *s, const store_job *j);
/* Insert n jobs as store_job_insert would one by one: inserted[i] = 1 where jobs[i] went in, 0
 * where the job existed already (or came earlier in the array). STORE_INVALID (nothing written)
 * when any job is invalid. PostgreSQL: one set-based statement (arrays, unnest); SQLite:
 * store_job_insert per job on the one prepared statement. */
int store_job_insert_many(store *s, const store_job *jobs, size_t n, uint8_t *inserted);
int store_job_get(store *s, const uint8_t job_id[32], store_job *out);
/* Move to `to` if store_job_transition_allowed(current, to): sets status, the state's own
 * timestamp = ts, updated_at = ts, and output_cid / error_message when non-NULL.
 * STORE_NOTFOUND when no such job, STORE_INVALID when the move is not allowed. */
int store_job_transition(store *s, const uint8_t job_id[32], job_status to, int64_t ts,
                         const char *output_cid, const char *error_message);
/* Bind a spec: created → assigned with the docker image and input CID, assigned_at = ts.
 * STORE_INVALID when the job is no longer in state created (bound before), STORE_NOTFOUND when
 * there is no such job. (store_dispatch.c) */
int store_job_assign(store *s, const uint8_t job_id[32], const char *image, const char *cid, int64_t ts);
/* PaymentClaimed: status = paid (as a transition), paid_amount, paid_at = ts. */
int store_job_set_paid(store *s, const uint8_t job_id[32], const char *amount, int64_t ts);
int store_job_delete(store *s, const uint8_t job_id[32]); /* STORE_NOTFOUND */
/* Sorted by created_at DESC, then job_id. *n, *total as in store_provider_list. */
int store_job_list(store *s, const store_job_filter *f, store_job *out, int cap, int *n,
                   int64_t *total);
int store_job_stats(store *s, store_job_summary *out);

/* ---- job specs (from the API, signed by the renter) --------------------------------------------- */

typedef struct {
    uint8_t job_id[32];
    char docker_image[STORE_IMAGE_MAX];
    char input_cid[STORE_CID_MAX];
    uint8_t signer[20];
    uint8_t signature[65];
    size_t signature_len;
    int64_t received_at;
} store_spec;

/* STORE_OK when stored or an identical spec (image, cid, signer) exists; STORE_DUP when a
 * different spec exists for the job (the stored one is kept). */
int store_spec_put(store *s, const uint8_t job_id[32], const char *image, const char *cid,
                   const uint8_t signer[20], const uint8_t *sig, size_t sig_len, int64_t now);
int store_spec_get(store *s, const uint8_t job_id[32], store_spec *out); /* STORE_NOTFOUND */
/* The specs of many jobs in one query per STORE_SPEC_BATCH ids (a round trip each, instead of
 * one per job): cb(ud, spec) for every job that has one, in no particular order. A non-zero
 * return from cb stops and is returned. */
#define STORE_SPEC_BATCH 64
int store_spec_get_many(store *s, const uint8_t (*job_ids)[32], size_t n,
                        int (*cb)(void *ud, const store_spec *spec), void *ud);
/* Remove a job's spec (to let its renter replace one signed by someone else). (store_dispatch.c) */
int store_spec_delete(store *s, const uint8_t job_id[32]); /* STORE_NOTFOUND */

/* ---- candidate specs: for job ids the chain does not know yet (store_spec_candidates.c) ---------- */

typedef struct {
    int64_t per_signer; /* candidates one signer may hold */
    int64_t total;      /* candidates everyone together may hold */
    int64_t ttl_s;      /* a candidate older than this is dropped */
} store_spec_caps;

#define STORE_SPEC_CAP_SIGNER 3 /* refused: the signer holds caps->per_signer candidates */
#define STORE_SPEC_CAP_TOTAL 4  /* refused: caps->total candidates are held */

/* Keep a signer's candidate spec for a job id (expired ones are dropped first). STORE_OK when
 * stored or the same (image, cid) is already this signer's candidate; STORE_DUP when the signer
 * has a different one; STORE_SPEC_CAP_SIGNER / STORE_SPEC_CAP_TOTAL when a cap is reached. */
int store_spec_candidate_put(store *s, const uint8_t job_id[32], const char *image, const char *cid,
                             const uint8_t signer[20], const uint8_t *sig, size_t sig_len, int64_t now,
                             const store_spec_caps *caps);
/* JobCreated: move the renter's candidate (if any) into job_specs, unless the job has a spec
 * already, and drop every candidate for the job. STORE_OK when one was bound, STORE_NOTFOUND
 * when none. */
int store_spec_candidates_bind(store *s, const uint8_t job_id[32], const uint8_t renter[20]);
/* The same for n new jobs (job ids and renters of store_job rows): set-based on PostgreSQL. */
int store_spec_candidates_bind_jobs(store *s, const store_job *jobs, size_t n);
int store_spec_candidate_count(store *s, int64_t *n);

/* ---- NATS outbox ----------------------------------------------------------------------------------- */

typedef struct {
    int64_t id;
    uint8_t job_id[32];
    char subject[256];
    uint8_t *payload; /* malloc'd; freed by store_outbox_rows_free */
    size_t payload_len;
    int64_t created_at;
    int64_t attempts;
} store_outbox_row;

/* STORE_DUP when the job already has a message (one dispatch per job, ever). */
int store_outbox_add(store *s, const uint8_t job_id[32], const char *subject, const uint8_t *payload,
                     size_t len, int64_t now);
/* Unsent rows, oldest first, at most limit (≤ the rows array's size). */
int store_outbox_pending(store *s, int limit, store_outbox_row *rows, int *n);
void store_outbox_rows_free(store_outbox_row *rows, int n);
int store_outbox_mark_sent(store *s, int64_t id, int64_t now); /* STORE_NOTFOUND */
int store_outbox_bump_attempts(store *s, int64_t id);          /* STORE_NOTFOUND */
int store_outbox_depth(store *s, int64_t *unsent);

/* ---- agent deliveries: copies of a job handed to its agent until it reports (store_delivery.c) ---- */

typedef enum {
    STORE_DELIVERY_WAITING = 0, /* due at next_at_ms */
    STORE_DELIVERY_SENDING,     /* a copy is being handed over (after a crash: maybe delivered) */
    STORE_DELIVERY_DELIVERED,   /* a live subscription took a copy; no report yet */
    STORE_DELIVERY_ACKED,       /* the provider's agent reported on agent.status */
    STORE_DELIVERY_EXPIRED,     /* JOB_DELIVERY_TIMEOUT passed: the job is undelivered */
} store_delivery_state;

typedef struct {
    uint8_t job_id[32];
    uint8_t provider[20];
    char subject[256]; /* jobs.dispatch.<EIP-55 address> */
    store_delivery_state state;
    int64_t probes, copies, next_at_ms, sent_at_ms, created_at;
    uint8_t *payload; /* the outbox message; malloc'd, freed by store_delivery_rows_free */
    size_t payload_len;
} store_delivery;

const char *store_delivery_state_name(store_delivery_state st);
/* In the transaction that adds the job's outbox row. STORE_DUP when it has one already. */
int store_delivery_add(store *s, const uint8_t job_id[32], const uint8_t provider[20], const char *subject,
                       int64_t now);
/* At start-up: rows a crash left in 'sending' become 'delivered' (*n of them): the copy may
 * have reached the agent, so it is not sent again before the ack wait. */
int store_delivery_recover(store *s, int64_t *n);
/* Rows to send now: waiting and due, or delivered longer than ack_wait_ms ago without a report. */
int store_delivery_due(store *s, int64_t now_ms, int64_t ack_wait_ms, int limit, store_delivery *rows, int *n);
/* Rows not acknowledged and created at or before created_before (the delivery deadline). */
int store_delivery_overdue(store *s, int64_t created_before, int limit, store_delivery *rows, int *n);
void store_delivery_rows_free(store_delivery *rows, int n);
/* Move from → to: SENDING (sent_at_ms = now_ms), DELIVERED (copies + 1, sent_at_ms = now_ms) or
 * WAITING (probes + 1, next_at_ms). STORE_NOTFOUND when the row was not in `from` (for
 * DELIVERED and WAITING, from is SENDING). */
int store_delivery_mark(store *s, const uint8_t job_id[32], store_delivery_state from, store_delivery_state to,
                        int64_t now_ms, int64_t next_at_ms);
/* The job's provider reported: delivery done. STORE_NOTFOUND when already acked, or not its provider. */
int store_delivery_ack(store *s, const uint8_t job_id[32], const uint8_t provider[20], int64_t now);
/* Deliveries of jobs in a state only their agent's work leads to (running, completed, failed,
 * stalled, paid), by whatever path, end as acked. *settled = rows ended. */
int store_delivery_settle_moved(store *s, int64_t now, int64_t *settled);
int store_delivery_expire(store *s, const uint8_t job_id[32], const char *reason); /* STORE_NOTFOUND */
/* Jobs dispatched and not yet acknowledged (nor expired), and the oldest one's created_at (0: none). */
int store_delivery_stats(store *s, int64_t *awaiting, int64_t *oldest_created_at);
/* Operator's redispatch, in the caller's transaction: an assigned, undelivered or stalled job
 * goes back to assigned and its delivery starts afresh (deadline from now). subject is used
 * only for a job dispatched before deliveries existed. STORE_INVALID (errmsg) for other states. */
int store_delivery_redispatch(store *s, const uint8_t job_id[32], const char *subject, int64_t now);
/* Running jobs whose agent first reported (deliveries.acked_at, lamda's clock; running_at when
 * the job has no delivery row) at or before running_before (JOB_RUN_TIMEOUT), oldest first. */
int store_jobs_stalled(store *s, int64_t running_before, int limit, uint8_t (*ids)[32], int64_t *running_at, int *n);

/* ---- commit notifications (store_notify.c) ------------------------------------------------------ */

/* A counter raised, and waiters woken, whenever a transaction of this process commits a new
 * outbox or delivery row: the publisher sleeps on it instead of polling. Rows written by other
 * processes are not seen here; the publisher's slow fallback poll finds those. */
uint64_t store_notify_seq(void);
/* Wait until the counter differs from seen, or timeout_ms passed. Returns the counter. */
uint64_t store_notify_wait(uint64_t seen, long timeout_ms);
/* Raise the counter now (tests, and writers outside a transaction). */
void store_notify_raise(void);

/* ---- reputation updates (one incrementJobs per confirmed job) and wallet nonces --------------- */

typedef enum {
    STORE_REP_PENDING = 0, /* to sign */
    STORE_REP_SIGNED,      /* nonce + raw tx persisted, broadcast (maybe) */
    STORE_REP_MINED,
    STORE_REP_FAILED, /* reverted or given up; recorded, not retried */
    STORE_REP_STATE_COUNT
} store_rep_state;

#define STORE_RAW_TX_MAX 1024

typedef struct {
    uint8_t job_id[32];
    uint8_t provider[20];
    store_rep_state state;
    bool has_nonce;
    uint64_t nonce;
    uint8_t raw_tx[STORE_RAW_TX_MAX];
    size_t raw_tx_len; /* 0 = none */
    bool has_tx_hash;
    uint8_t tx_hash[32];
    int64_t attempts;
    char last_error[STORE_ERROR_MAX];
    int64_t confirmed_at; /* JobConfirmed chain time */
    int64_t sent_at;      /* 0 = never */
    int64_t mined_block;  /* 0 = not mined */
    int64_t created_at, updated_at;
} store_rep;

const char *store_rep_state_name(store_rep_state st);
int store_rep_state_parse(const char *name, store_rep_state *out);

/* New pending update; STORE_DUP when the job already has one. */
int store_rep_add(store *s, const uint8_t job_id[32], const uint8_t provider[20], int64_t confirmed_at,
                  int64_t now);
int store_rep_get(store *s, const uint8_t job_id[32], store_rep *out);
/* Rows in `state`, ordered by nonce (NULLs last), then created_at, job_id. */
int store_rep_list_state(store *s, store_rep_state state, int limit, store_rep *rows, int *n);
/* Write state, nonce, raw tx, tx hash, attempts, last_error, sent_at, mined_block of r
 * (updated_at = now). STORE_NOTFOUND when no such job. */
int store_rep_update(store *s, const store_rep *r);
int store_rep_counts(store *s, int64_t counts[STORE_REP_STATE_COUNT]);
/* The same, for one provider's rows (index reputation_provider). */
int store_rep_counts_of(store *s, const uint8_t provider[20], int64_t counts[STORE_REP_STATE_COUNT]);

int store_nonce_get(store *s, uint64_t chain_id, const uint8_t addr[20], uint64_t *next); /* NOTFOUND */
int store_nonce_set(store *s, uint64_t chain_id, const uint8_t addr[20], uint64_t next);

#endif
