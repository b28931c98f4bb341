/* config — every setting of lamda, read once at start-up from the environment and from a
 * `.env` file (the environment wins), validated, and then read-only for the process's life.
 *
 * Every setting is declared once, in the table in config.c, with its name, kind, default and
 * help text; `lamda config` and env.example are both generated from that table, so the three
 * never disagree. */
#ifndef LAMDA_CONFIG_H
#define LAMDA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_URLS 8

typedef struct {
    char *urls[CONFIG_MAX_URLS]; /* failover order */
    int n;
} config_url_list;

typedef struct {
    /* storage and bus */
    char *database_url;      /* "postgres://…", "postgresql://…" or "sqlite:PATH" */
    char *database_read_url; /* a hot standby for API reads; NULL: reads go to database_url */
    char *data_dir;
    char *nats_url;
    char *nats_stream;
    uint64_t nats_stream_replicas;
    uint64_t nats_duplicate_window_ms;
    uint64_t nats_reconnect_grace_ms;
    /* acknowledged delivery (services/job_delivery.c) */
    uint64_t job_ack_wait_ms, job_redelivery_max_backoff_ms, job_delivery_timeout_ms, job_run_timeout_ms;

    /* chains */
    config_url_list bsc_rpc, opbnb_rpc;
    char *bsc_ws_url, *opbnb_ws_url; /* optional, NULL when unset */
    uint64_t bsc_chain_id, opbnb_chain_id; /* 0 = accept what the RPC reports */
    uint8_t job_manager[20], node_reputation[20];
    bool have_job_manager, have_node_reputation;
    uint64_t job_manager_start_block, node_reputation_start_block;
    uint64_t bsc_confirmations, opbnb_confirmations;
    uint64_t poll_interval_ms;
    uint64_t getlogs_max_range;
    uint64_t follower_prefetch_max_mb; /* 0 = no prefetch */
    uint64_t rpc_timeout_ms;

    /* reputation service; the key is kept only as bytes, never as text */
    uint8_t admin_key[32];
    bool have_admin_key;
    uint64_t reputation_max_in_flight;
    uint64_t reputation_tx_timeout_ms;
    uint64_t reputation_receipt_depth;
    uint64_t reputation_gas_margin_pct;
    uint64_t reputation_max_fee_gwei;
    uint64_t reputation_priority_fee_gwei;

    /* node registry */
    uint64_t provider_offline_after_ms;

    /* job dispatcher */
    bool job_id_from_cid;
    char *default_docker_image;
    bool agent_status_require_signature;
    /* specs for job ids not yet on chain (candidates): caps and expiry */
    uint64_t spec_pending_max_per_signer;
    uint64_t spec_pending_max_total;
    uint64_t spec_pending_ttl_ms;

    /* API */
    char *api_host;
    uint64_t api_port;
    uint64_t api_threads;
    char *api_admin_token; /* secret; NULL when unset */
    char *api_cors_origins;
    uint64_t api_rate_limit; /* requests per second per client, 0 = off */
    uint64_t api_max_body;
    uint64_t api_cache_ttl_ms, api_cache_max_mb;
    uint64_t api_request_timeout_ms;
    uint64_t api_auth_window_ms;
    /* Server-Sent Events (src/api/sse_*.c) */
    uint64_t sse_heartbeat_ms;
    uint64_t sse_max_connections;
    uint64_t sse_max_per_ip;
    uint64_t events_retention_ms;
    char *api_tls_cert, *api_tls_key;

    char *environment;
    char *log_level;
    uint64_t log_max_per_second; /* flood control, 0 = off */
} lamda_config;

/* Load the configuration: `.env` from dotenv_path (NULL = "./.env"; a missing file is not an
 * error), then the environment on top. On the first invalid value returns -1 and writes
 * "VARIABLE: what is wrong" to err. */
int config_load(lamda_config *cfg, const char *dotenv_path, char *err, size_t errlen);
void config_free(lamda_config *cfg);

/* Print every setting as NAME=value, secrets redacted, to fd. */
void config_print(const lamda_config *cfg, int fd);
/* Print an env.example documenting every setting with its default. */
void config_print_example(int fd);

/* Parsers shared with other modules; each returns 0 on success, -1 on malformed input. */
int config_parse_duration_ms(const char *s, uint64_t *out); /* "250ms", "5s", "15m", "6h", "0" */
int config_parse_u64(const char *s, uint64_t *out);
int config_parse_bool(const char *s, bool *out);

#endif
