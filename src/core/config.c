#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <secp256k1.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/address.h"
#include "core/hex.h"
#include "core/log.h"

typedef enum {
    K_STRING,   /* any non-empty text */
    K_NATS_URL, /* comma-separated nats:// or tls:// seed URLs (the schemes libnats speaks) */
    K_WS_URL,   /* ws:// or wss:// */
    K_RPC_URLS, /* comma-separated http(s):// URLs, failover order */
    K_DBURL,    /* postgres://, postgresql:// or sqlite:PATH */
    K_ADDRESS,  /* 0x + 40 hex, EIP-55 checked when mixed-case */
    K_U64,
    K_DURATION,
    K_BOOL,
    K_PRIVKEY,  /* 32-byte secp256k1 secret, hex */
    K_KEYFILE,  /* path to a file holding a private key; must not be group/other readable */
    K_LEVEL,    /* log level */
} setting_kind;

typedef struct {
    const char *name;
    setting_kind kind;
    const char *def; /* NULL = unset by default */
    size_t off;      /* offset of the field in lamda_config */
    size_t flag_off; /* for address/key: offset of the have_ flag; 0 = none */
    int secret;
    const char *help;
} setting;

#define F(field) offsetof(lamda_config, field)

/* The one list of settings. Order is the order of `lamda config` and env.example. */
static const setting settings[] = {
    {"ENVIRONMENT", K_STRING, "development", F(environment), 0, 0, "development, staging or production (informational)"},
    {"LOG_LEVEL", K_LEVEL, "info", F(log_level), 0, 0, "debug, info, warn or error"},
    {"LOG_MAX_PER_SECOND", K_U64, "50", F(log_max_per_second), 0, 0, "log lines per second from one call site; the rest are counted and summed up in one line (0 = no limit)"},
    {"DATA_DIR", K_STRING, "./data", F(data_dir), 0, 0, "where the embedded SQLite database lives by default"},
    {"DATABASE_URL", K_DBURL, NULL, F(database_url), 0, 0, "postgres://user:pass@host/db, or sqlite:PATH; unset = sqlite:$DATA_DIR/lamda.db"},
    {"DATABASE_READ_URL", K_DBURL, NULL, F(database_read_url), 0, 0, "optional: a PostgreSQL hot standby the API reads from (writes and readiness stay on DATABASE_URL)"},
    {"NATS_URL", K_NATS_URL, "nats://127.0.0.1:4222", F(nats_url), 0, 0, "NATS server (JetStream enabled); several comma-separated seed URLs for a cluster"},
    {"NATS_STREAM_REPLICAS", K_U64, "1", F(nats_stream_replicas), 0, 0, "replicas of the dispatch stream (3 on a 3-node cluster); an existing stream with another count is refused"},
    {"NATS_STREAM", K_STRING, "LAMDA_DISPATCH", F(nats_stream), 0, 0, "JetStream stream holding dispatched jobs"},
    {"NATS_DUPLICATE_WINDOW", K_DURATION, "6h", F(nats_duplicate_window_ms), 0, 0, "JetStream de-duplication window (must outlast any outage)"},
    {"NATS_RECONNECT_GRACE", K_DURATION, "3s", F(nats_reconnect_grace_ms), 0, 0, "after a NATS reconnect, wait this long before storing jobs in the stream (delivery to agents does not wait)"},
    {"JOB_ACK_WAIT", K_DURATION, "5m", F(job_ack_wait_ms), 0, 0, "a copy taken by a live subscription with no agent.status report for this long is sent again"},
    {"JOB_REDELIVERY_MAX_BACKOFF", K_DURATION, "500ms", F(job_redelivery_max_backoff_ms), 0, 0, "longest pause between delivery attempts to an agent that is not subscribed (bounds the latency after it resubscribes)"},
    {"JOB_DELIVERY_TIMEOUT", K_DURATION, "1h", F(job_delivery_timeout_ms), 0, 0, "a job no agent acknowledged this long after dispatch becomes undelivered"},
    {"JOB_RUN_TIMEOUT", K_DURATION, "6h", F(job_run_timeout_ms), 0, 0, "a running job without a further report for this long becomes stalled"},
    {"BSC_RPC_URL", K_RPC_URLS, "http://127.0.0.1:8545", F(bsc_rpc), 0, 0, "BSC JSON-RPC URLs, comma-separated, tried in order"},
    {"BSC_WS_URL", K_WS_URL, NULL, F(bsc_ws_url), 0, 0, "optional BSC WebSocket URL for newHeads"},
    {"BSC_CHAIN_ID", K_U64, "0", F(bsc_chain_id), 0, 0, "expected BSC chain id; 0 accepts what the RPC reports"},
    {"OPBNB_RPC_URL", K_RPC_URLS, "http://127.0.0.1:8546", F(opbnb_rpc), 0, 0, "opBNB JSON-RPC URLs, comma-separated, tried in order"},
    {"OPBNB_WS_URL", K_WS_URL, NULL, F(opbnb_ws_url), 0, 0, "optional opBNB WebSocket URL for newHeads"},
    {"OPBNB_CHAIN_ID", K_U64, "0", F(opbnb_chain_id), 0, 0, "expected opBNB chain id; 0 accepts what the RPC reports"},
    {"JOB_MANAGER_CONTRACT_ADDRESS", K_ADDRESS, NULL, F(job_manager), F(have_job_manager), 0, "JobManager on BSC"},
    {"JOB_MANAGER_START_BLOCK", K_U64, "0", F(job_manager_start_block), 0, 0, "first block to scan when no cursor exists (the deployment block)"},
    {"NODE_REPUTATION_CONTRACT_ADDRESS", K_ADDRESS, NULL, F(node_reputation), F(have_node_reputation), 0, "NodeReputation on opBNB"},
    {"NODE_REPUTATION_START_BLOCK", K_U64, "0", F(node_reputation_start_block), 0, 0, "first block to scan when no cursor exists"},
    {"BSC_CONFIRMATIONS", K_U64, "3", F(bsc_confirmations), 0, 0, "blocks behind the BSC head before a log is applied (0 allowed)"},
    {"OPBNB_CONFIRMATIONS", K_U64, "3", F(opbnb_confirmations), 0, 0, "blocks behind the opBNB head before a log is applied (0 allowed)"},
    {"POLL_INTERVAL", K_DURATION, "250ms", F(poll_interval_ms), 0, 0, "head polling interval when no WebSocket is up"},
    {"GETLOGS_MAX_RANGE", K_U64, "5000", F(getlogs_max_range), 0, 0, "largest eth_getLogs block range (shrinks on provider errors)"},
    {"FOLLOWER_PREFETCH_MAX_MB", K_U64, "64", F(follower_prefetch_max_mb), 0, 0, "memory (MiB) for the batch a follower fetches ahead while it writes the previous one; 0 = no prefetch"},
    {"RPC_TIMEOUT", K_DURATION, "10s", F(rpc_timeout_ms), 0, 0, "timeout of one JSON-RPC request"},
    {"ADMIN_WALLET_PRIVATE_KEY", K_PRIVKEY, NULL, F(admin_key), F(have_admin_key), 1, "admin wallet (NodeReputation owner) key, hex"},
    {"ADMIN_WALLET_PRIVATE_KEY_FILE", K_KEYFILE, NULL, F(admin_key), F(have_admin_key), 1, "file holding the admin key (mode 0600 or stricter)"},
    {"REPUTATION_MAX_IN_FLIGHT", K_U64, "512", F(reputation_max_in_flight), 0, 0, "incrementJobs transactions in flight at once"},
    {"REPUTATION_TX_TIMEOUT", K_DURATION, "30s", F(reputation_tx_timeout_ms), 0, 0, "a transaction unmined this long is replaced with higher fees"},
    {"REPUTATION_RECEIPT_DEPTH", K_U64, "1", F(reputation_receipt_depth), 0, 0, "confirmations before a reputation transaction counts as final"},
    {"REPUTATION_GAS_MARGIN_PCT", K_U64, "25", F(reputation_gas_margin_pct), 0, 0, "percent added to eth_estimateGas"},
    {"REPUTATION_MAX_FEE_GWEI", K_U64, "200", F(reputation_max_fee_gwei), 0, 0, "cap on the fee per gas (gwei)"},
    {"REPUTATION_PRIORITY_FEE_GWEI", K_U64, "1", F(reputation_priority_fee_gwei), 0, 0, "EIP-1559 priority fee (gwei) when the RPC suggests none"},
    {"PROVIDER_OFFLINE_AFTER", K_DURATION, "15m", F(provider_offline_after_ms), 0, 0, "a provider without heartbeat for this long (chain time) is offline"},
    {"JOB_ID_FROM_CID", K_BOOL, "false", F(job_id_from_cid), 0, 0, "jobId is the sha2-256 digest of a CIDv0 input (no spec needed)"},
    {"DEFAULT_DOCKER_IMAGE", K_STRING, NULL, F(default_docker_image), 0, 0, "image used when JOB_ID_FROM_CID is on"},
    {"AGENT_STATUS_REQUIRE_SIGNATURE", K_BOOL, "false", F(agent_status_require_signature), 0, 0, "refuse agent.status reports without an EIP-191 signature by agent_address"},
    {"SPEC_PENDING_MAX_PER_SIGNER", K_U64, "256", F(spec_pending_max_per_signer), 0, 0, "specs one signer may hold for job ids not yet on chain"},
    {"SPEC_PENDING_MAX_TOTAL", K_U64, "100000", F(spec_pending_max_total), 0, 0, "specs all signers together may hold for job ids not yet on chain"},
    {"SPEC_PENDING_TTL", K_DURATION, "1h", F(spec_pending_ttl_ms), 0, 0, "a spec whose job has not appeared on chain after this long is dropped"},
    {"API_HOST", K_STRING, "127.0.0.1", F(api_host), 0, 0, "API listen address (0.0.0.0 for all interfaces)"},
    {"API_PORT", K_U64, "8080", F(api_port), 0, 0, "API listen port"},
    {"API_THREADS", K_U64, "2", F(api_threads), 0, 0, "API event-loop threads"},
    {"API_ADMIN_TOKEN", K_STRING, NULL, F(api_admin_token), 0, 1, "bearer token for admin mutations"},
    {"API_CORS_ORIGINS", K_STRING, "*", F(api_cors_origins), 0, 0, "allowed CORS origins, comma-separated, or *"},
    {"API_RATE_LIMIT", K_U64, "200", F(api_rate_limit), 0, 0, "requests per second per client IP (0 = unlimited)"},
    {"API_MAX_BODY", K_U64, "65536", F(api_max_body), 0, 0, "largest request body in bytes"},
    {"API_CACHE_TTL", K_DURATION, "100ms", F(api_cache_ttl_ms), 0, 0, "GET responses are served from memory for at most this long, and only until the data changes (0 = no cache)"},
    {"API_CACHE_MAX_MB", K_U64, "4", F(api_cache_max_mb), 0, 0, "memory the API response cache may hold"},
    {"API_REQUEST_TIMEOUT", K_DURATION, "10s", F(api_request_timeout_ms), 0, 0, "per-request timeout"},
    {"SSE_HEARTBEAT", K_DURATION, "15s", F(sse_heartbeat_ms), 0, 0, "comment line sent on an idle event stream this often (keeps proxies from closing it)"},
    {"SSE_MAX_CONNECTIONS", K_U64, "1024", F(sse_max_connections), 0, 0, "open event streams per API process; more are refused with 503"},
    {"SSE_MAX_PER_IP", K_U64, "16", F(sse_max_per_ip), 0, 0, "open event streams per client IP (IPv6: per /64); more are refused with 429"},
    {"EVENTS_RETENTION", K_DURATION, "24h", F(events_retention_ms), 0, 0, "how long change events are kept for Last-Event-ID resumes"},
    {"API_AUTH_WINDOW", K_DURATION, "5m", F(api_auth_window_ms), 0, 0, "signed requests older or newer than this are refused"},
    {"API_TLS_CERT", K_STRING, NULL, F(api_tls_cert), 0, 0, "PEM certificate; with API_TLS_KEY enables HTTPS"},
    {"API_TLS_KEY", K_STRING, NULL, F(api_tls_key), 0, 1, "PEM private key for API_TLS_CERT"},
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

/* The password of scheme://user:PASSWORD@host (the first URL of a list), never to be logged. */
static void add_url_password_secret(const char *url) {
    const char *sep = url ? strstr(url, "://") : NULL;
    if (!sep) return;
    size_t hostpart = strcspn(sep + 3, ",/");
    const char *at = memchr(sep + 3, '@', hostpart);
    const char *colon = at ? memchr(sep + 3, ':', (size_t)(at - sep - 3)) : NULL;
    if (!colon || at - colon - 1 <= 0 || at - colon - 1 >= 256) return;
    char pw[256];
    snprintf(pw, sizeof pw, "%.*s", (int)(at - colon - 1), colon + 1);
    log_add_secret(pw);
    memset(pw, 0, sizeof pw);
}

int config_parse_u64(const char *s, uint64_t *out) {
    if (!s || !*s) return -1;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p)) return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

int config_parse_duration_ms(const char *s, uint64_t *out) {
    if (!s || !*s) return -1;
    if (strcmp(s, "0") == 0) {
        *out = 0;
        return 0;
    }
    const char *p = s;
    while (isdigit((unsigned char)*p)) p++;
    if (p == s || p - s > 12) return -1;
    char num[16];
    memcpy(num, s, (size_t)(p - s));
    num[p - s] = '\0';
    uint64_t v;
    if (config_parse_u64(num, &v) != 0) return -1;
    uint64_t mult;
    if (strcmp(p, "ms") == 0) mult = 1;
    else if (strcmp(p, "s") == 0) mult = 1000;
    else if (strcmp(p, "m") == 0) mult = 60000;
    else if (strcmp(p, "h") == 0) mult = 3600000;
    else return -1;
    *out = v * mult;
    return 0;
}

int config_parse_bool(const char *s, bool *out) {
    if (!s) return -1;
    if (!strcasecmp(s, "1") || !strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on")) *out = true;
    else if (!strcasecmp(s, "0") || !strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off")) *out = false;
    else return -1;
    return 0;
}

static int valid_url(const char *s) {
    const char *sep = strstr(s, "://");
    if (!sep || sep == s || sep[3] == '\0') return 0;
    for (const char *p = s; p < sep; p++)
        if (!isalnum((unsigned char)*p) && *p != '+' && *p != '-' && *p != '.') return 0;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f) return 0;
    return 1;
}

/* The schemes each URL kind's consumer speaks. A URL with another scheme would only fail at
 * run time, where it is retried forever, so it is refused at start. */
static const char *const *url_schemes(setting_kind k) {
    static const char *const nats[] = {"nats", "tls", NULL};
    static const char *const ws[] = {"ws", "wss", NULL};
    static const char *const rpc[] = {"http", "https", NULL};
    static const char *const none[] = {NULL};
    switch (k) {
    case K_NATS_URL: return nats;
    case K_WS_URL: return ws;
    case K_RPC_URLS: return rpc;
    default: return none;
    }
}

/* 1 if url's scheme (before "://") is one its kind accepts; url is already known to be
 * valid_url. Otherwise err names the setting, the scheme given and those expected — never the
 * rest of the URL, which may carry credentials. Exact case: heads_ws compares so. */
static int scheme_ok(const setting *s, const char *url, char *err, size_t errlen) {
    const char *const *schemes = url_schemes(s->kind);
    size_t n = (size_t)(strstr(url, "://") - url);
    for (const char *const *p = schemes; *p; p++)
        if (strlen(*p) == n && strncmp(*p, url, n) == 0) return 1;
    char want[64] = "";
    size_t w = 0;
    for (const char *const *p = schemes; *p && w < sizeof want - 16; p++)
        w += (size_t)snprintf(want + w, sizeof want - w, "%s%s://", w ? " or " : "", *p);
    snprintf(err, errlen, "%s: unsupported scheme \"%.*s://\" (expected %s)", s->name, (int)(n > 16 ? 16 : n), url, want);
    return 0;
}

static int parse_privkey(const char *text, uint8_t out[32]) {
    char buf[80];
    size_t n = strlen(text);
    while (n > 0 && isspace((unsigned char)text[n - 1])) n--; /* key files end in a newline */
    if (n >= sizeof buf) return -1;
    memcpy(buf, text, n);
    buf[n] = '\0';
    if (hex_decode_exact(buf, n, out, 32) != 0) return -1;
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    int ok = ctx && secp256k1_ec_seckey_verify(ctx, out);
    if (ctx) secp256k1_context_destroy(ctx);
    return ok ? 0 : -1;
}

static int read_keyfile(const char *path, uint8_t out[32], char *err, size_t errlen, const char *name) {
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: cannot read %s: %s", name, path, strerror(errno));
        return -1;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(err, errlen, "%s: %s is accessible by group or others (mode %03o); chmod 600 it",
                 name, path, (unsigned)(st.st_mode & 0777));
        return -1;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open %s: %s", name, path, strerror(errno));
        return -1;
    }
    char buf[128];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    int rc = parse_privkey(buf, out);
    memset(buf, 0, sizeof buf);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s does not hold a valid 32-byte hex secp256k1 key", name, path);
        return -1;
    }
    return 0;
}

static void free_url_list(config_url_list *l) {
    for (int i = 0; i < l->n; i++) free(l->urls[i]);
    l->n = 0;
}

/* Parses a comma-separated URL list (spaces around commas allowed), each URL checked for its
 * setting's schemes. l is replaced only when every URL is valid. */
static int parse_url_list(const setting *s, const char *v, config_url_list *l, char *err, size_t errlen) {
    config_url_list got = {0};
    char *copy = strdup(v), *save = NULL;
    if (!copy) return -1;
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
        while (isspace((unsigned char)*tok)) tok++;
        char *end = tok + strlen(tok);
        while (end > tok && isspace((unsigned char)end[-1])) *--end = '\0';
        if (!valid_url(tok)) {
            snprintf(err, errlen, "%s: not a URL (expected scheme://host[:port])", s->name);
            rc = -1;
        } else if (!scheme_ok(s, tok, err, errlen)) {
            rc = -1;
        } else if (got.n == CONFIG_MAX_URLS) {
            snprintf(err, errlen, "%s: at most %d URLs", s->name, CONFIG_MAX_URLS);
            rc = -1;
        } else if (!(got.urls[got.n++] = strdup(tok))) {
            rc = -1;
        }
    }
    free(copy);
    if (rc == 0 && got.n == 0) {
        snprintf(err, errlen, "%s: needs at least one URL", s->name);
        rc = -1;
    }
    if (rc != 0) {
        free_url_list(&got);
        return -1;
    }
    free_url_list(l);
    *l = got;
    return 0;
}

/* NATS_URL stays one string, since libnats takes the seed list as "url,url,…"; it is stored
 * normalised (no spaces) after each seed passed the URL checks. */
static int parse_nats_urls(const setting *s, const char *v, char **dst, char *err, size_t errlen) {
    config_url_list l = {0};
    if (parse_url_list(s, v, &l, err, errlen) != 0) return -1;
    size_t n = 0;
    for (int i = 0; i < l.n; i++) n += strlen(l.urls[i]) + 1;
    char *joined = malloc(n);
    if (joined) {
        size_t w = 0;
        for (int i = 0; i < l.n; i++) w += (size_t)snprintf(joined + w, n - w, "%s%s", i ? "," : "", l.urls[i]);
    }
    free_url_list(&l);
    if (!joined) return -1;
    free(*dst);
    *dst = joined;
    return 0;
}

/* 0 when ok; otherwise -1 with "NAME: <what> "VALUE"" in err. Only for settings that are not
 * secrets: the value is echoed so the operator sees what was read. */
static int check_value(bool ok, const setting *s, const char *what, const char *v, char *err, size_t errlen) {
    if (ok) return 0;
    snprintf(err, errlen, "%s: %s\"%s\"", s->name, what, v);
    return -1;
}

static int set_value(lamda_config *cfg, const setting *s, const char *v, char *err, size_t errlen) {
    char *base = (char *)cfg;
    void *field = base + s->off;
    switch (s->kind) {
    case K_STRING:
    case K_LEVEL:
    case K_WS_URL:
    case K_DBURL: {
        bool url = s->kind == K_WS_URL;
        if (!*v) {
            snprintf(err, errlen, "%s: must not be empty", s->name);
            return -1;
        }
        if (url && !valid_url(v)) {
            /* not echoed: a URL may carry a password */
            snprintf(err, errlen, "%s: not a URL (expected scheme://host[:port])", s->name);
            return -1;
        }
        if (url && !scheme_ok(s, v, err, errlen)) return -1;
        if (s->kind == K_DBURL && strncmp(v, "postgres://", 11) && strncmp(v, "postgresql://", 13) &&
            strncmp(v, "sqlite:", 7)) {
            snprintf(err, errlen, "%s: expected postgres://…, postgresql://… or sqlite:PATH", s->name);
            return -1;
        }
        if (s->kind == K_DBURL && !strncmp(v, "sqlite:", 7) && v[7] == '\0') {
            snprintf(err, errlen, "%s: sqlite: needs a path", s->name);
            return -1;
        }
        log_level lvl;
        if (check_value(s->kind != K_LEVEL || log_level_parse(v, &lvl) == 0, s, "expected debug, info, warn or error, got ",
                        v, err, errlen) != 0)
            return -1;
        char **dst = field;
        free(*dst);
        *dst = strdup(v);
        return *dst ? 0 : -1;
    }
    case K_NATS_URL: return parse_nats_urls(s, v, field, err, errlen);
    case K_RPC_URLS: return parse_url_list(s, v, field, err, errlen);
    case K_ADDRESS: {
        int rc = address_parse(v, strlen(v), field);
        if (check_value(rc != ADDRESS_BAD_CHECKSUM, s, "EIP-55 checksum mismatch in ", v, err, errlen) != 0 ||
            check_value(rc == ADDRESS_OK, s, "not an address (expected 0x and 40 hex digits): ", v, err, errlen) != 0)
            return -1;
        *(bool *)(base + s->flag_off) = true;
        return 0;
    }
    case K_U64:
        return check_value(config_parse_u64(v, field) == 0, s, "not a non-negative integer: ", v, err, errlen);
    case K_DURATION:
        return check_value(config_parse_duration_ms(v, field) == 0, s, "not a duration (e.g. 250ms, 5s, 15m, 6h): ", v,
                           err, errlen);
    case K_BOOL:
        return check_value(config_parse_bool(v, field) == 0, s, "expected true or false, got ", v, err, errlen);
    case K_PRIVKEY:
        /* Never echo the value: it is a secret even when malformed. */
        if (parse_privkey(v, field) != 0) {
            snprintf(err, errlen, "%s: not a valid private key (expected 64 hex digits, optional 0x, "
                                  "a valid secp256k1 scalar)", s->name);
            return -1;
        }
        *(bool *)(base + s->flag_off) = true;
        return 0;
    case K_KEYFILE:
        if (read_keyfile(v, field, err, errlen, s->name) != 0) return -1;
        *(bool *)(base + s->flag_off) = true;
        return 0;
    }
    return -1;
}

/* A small .env reader: KEY=VALUE lines, '#' comments, optional "export ", values optionally
 * in single or double quotes. It only fills a lookup table; the environment wins. */
typedef struct {
    char *key[128];
    char *val[128];
    int n;
} dotenv;

static void dotenv_free(dotenv *d) {
    for (int i = 0; i < d->n; i++) {
        free(d->key[i]);
        if (d->val[i]) memset(d->val[i], 0, strlen(d->val[i])); /* may hold the admin key */
        free(d->val[i]);
    }
    d->n = 0;
}

static int dotenv_read(dotenv *d, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) return 0; /* no .env is fine */
    char line[4096];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *p = line;
        while (isspace((unsigned char)*p)) p++;
        if (*p == '#' || *p == '\0') continue;
        if (!strncmp(p, "export ", 7)) p += 7;
        char *eq = strchr(p, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected KEY=VALUE", path, lineno);
            fclose(f);
            dotenv_free(d); /* the lines read before this one (found by fuzz/fuzz_config.c) */
            return -1;
        }
        *eq = '\0';
        char *k = p, *v = eq + 1;
        char *kend = k + strlen(k);
        while (kend > k && isspace((unsigned char)kend[-1])) *--kend = '\0';
        char *vend = v + strlen(v);
        while (vend > v && isspace((unsigned char)vend[-1])) *--vend = '\0';
        while (isspace((unsigned char)*v)) v++;
        size_t vl = strlen(v);
        if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
            v[vl - 1] = '\0';
            v++;
        }
        if (d->n == 128) break;
        d->key[d->n] = strdup(k);
        d->val[d->n] = strdup(v);
        d->n++;
    }
    fclose(f);
    return 0;
}

static const char *dotenv_get(const dotenv *d, const char *key) {
    for (int i = d->n - 1; i >= 0; i--)
        if (!strcmp(d->key[i], key)) return d->val[i];
    return NULL;
}

int config_load(lamda_config *cfg, const char *dotenv_path, char *err, size_t errlen) {
    memset(cfg, 0, sizeof *cfg);
    dotenv d = {0};
    if (dotenv_read(&d, dotenv_path ? dotenv_path : ".env", err, errlen) != 0) return -1;
    int rc = 0;
    for (size_t i = 0; i < NSETTINGS && rc == 0; i++) {
        const setting *s = &settings[i];
        const char *v = getenv(s->name);
        if (!v) v = dotenv_get(&d, s->name);
        if (v && *v == '\0' && s->def == NULL) v = NULL; /* KEY= means unset */
        if (!v) v = s->def;
        if (!v) continue;
        if (s->kind == K_KEYFILE && cfg->have_admin_key) {
            snprintf(err, errlen, "%s: set either ADMIN_WALLET_PRIVATE_KEY or %s, not both", s->name, s->name);
            rc = -1;
            break;
        }
        rc = set_value(cfg, s, v, err, errlen);
    }
    dotenv_free(&d);
    if (rc == 0 && !cfg->database_url) {
        size_t n = strlen(cfg->data_dir) + 32;
        cfg->database_url = malloc(n);
        if (!cfg->database_url) rc = -1;
        else snprintf(cfg->database_url, n, "sqlite:%s/lamda.db", cfg->data_dir);
    }
    if (rc == 0 && cfg->api_port > 65535) {
        snprintf(err, errlen, "API_PORT: %llu is not a TCP port", (unsigned long long)cfg->api_port);
        rc = -1;
    }
    if (rc == 0 && (cfg->api_threads == 0 || cfg->api_threads > 64)) {
        snprintf(err, errlen, "API_THREADS: must be between 1 and 64");
        rc = -1;
    }
    /* JetStream's limit: a stream has 1 to 5 replicas. */
    if (rc == 0 && (cfg->nats_stream_replicas == 0 || cfg->nats_stream_replicas > 5)) {
        snprintf(err, errlen, "NATS_STREAM_REPLICAS: must be between 1 and 5");
        rc = -1;
    }
    if (rc == 0 && cfg->poll_interval_ms == 0) {
        snprintf(err, errlen, "POLL_INTERVAL: must be greater than 0");
        rc = -1;
    }
    if (rc == 0 && (cfg->getlogs_max_range == 0 || cfg->reputation_max_in_flight == 0)) {
        snprintf(err, errlen, "%s: must be greater than 0",
                 cfg->getlogs_max_range == 0 ? "GETLOGS_MAX_RANGE" : "REPUTATION_MAX_IN_FLIGHT");
        rc = -1;
    }
    if (rc == 0 && cfg->follower_prefetch_max_mb > 1048576) { /* bytes must fit 64 bits */
        snprintf(err, errlen, "FOLLOWER_PREFETCH_MAX_MB: at most 1048576 (1 TiB)");
        rc = -1;
    }
    if (rc == 0 && cfg->job_id_from_cid && !cfg->default_docker_image) {
        snprintf(err, errlen, "DEFAULT_DOCKER_IMAGE: required when JOB_ID_FROM_CID is true");
        rc = -1;
    }
    if (rc == 0 && (!cfg->api_tls_cert) != (!cfg->api_tls_key)) {
        snprintf(err, errlen, "%s: API_TLS_CERT and API_TLS_KEY go together", cfg->api_tls_cert ? "API_TLS_KEY" : "API_TLS_CERT");
        rc = -1;
    }
    if (rc == 0) {
        log_level lvl;
        log_level_parse(cfg->log_level, &lvl);
        log_set_level(lvl);
        log_set_max_per_second(cfg->log_max_per_second > UINT32_MAX ? UINT32_MAX : (uint32_t)cfg->log_max_per_second);
        if (cfg->api_admin_token) log_add_secret(cfg->api_admin_token);
        add_url_password_secret(cfg->nats_url);
        if (cfg->have_admin_key) {
            char hex[65];
            hex_encode_bare(cfg->admin_key, 32, hex);
            log_add_secret(hex);
            memset(hex, 0, sizeof hex);
        }
    }
    if (rc != 0) config_free(cfg);
    return rc;
}

void config_free(lamda_config *cfg) {
    for (size_t i = 0; i < NSETTINGS; i++) {
        const setting *s = &settings[i];
        void *field = (char *)cfg + s->off;
        if (s->kind == K_RPC_URLS) free_url_list(field);
        else if (s->kind == K_STRING || s->kind == K_NATS_URL || s->kind == K_WS_URL || s->kind == K_DBURL ||
                 s->kind == K_LEVEL) {
            free(*(char **)field);
            *(char **)field = NULL;
        }
    }
    memset(cfg->admin_key, 0, sizeof cfg->admin_key);
    cfg->have_admin_key = false;
}

/* Hide the password of a URL (scheme://user:PASSWORD@host) for display. */
static void display_url(const char *url, char *out, size_t cap) {
    const char *sep = strstr(url, "://");
    const char *at = sep ? strchr(sep + 3, '@') : NULL;
    const char *colon = (sep && at) ? memchr(sep + 3, ':', (size_t)(at - sep - 3)) : NULL;
    if (colon) snprintf(out, cap, "%.*s:[REDACTED]%s", (int)(colon - url), url, at);
    else snprintf(out, cap, "%s", url);
}

void config_print(const lamda_config *cfg, int fd) {
    FILE *f = fdopen(dup(fd), "w");
    if (!f) return;
    for (size_t i = 0; i < NSETTINGS; i++) {
        const setting *s = &settings[i];
        const void *field = (const char *)cfg + s->off;
        char buf[1024] = "";
        switch (s->kind) {
        case K_STRING: case K_NATS_URL: case K_WS_URL: case K_DBURL: case K_LEVEL: {
            const char *v = *(char *const *)field;
            if (!v) strcpy(buf, "(unset)");
            else if (s->secret) strcpy(buf, "[REDACTED]");
            else display_url(v, buf, sizeof buf);
            break;
        }
        case K_RPC_URLS: {
            const config_url_list *l = field;
            size_t pos = 0;
            for (int j = 0; j < l->n && pos < sizeof buf; j++) {
                char u[512];
                display_url(l->urls[j], u, sizeof u);
                pos += (size_t)snprintf(buf + pos, sizeof buf - pos, "%s%s", j ? "," : "", u);
            }
            break;
        }
        case K_ADDRESS:
            if (*(const bool *)((const char *)cfg + s->flag_off)) address_format(field, buf);
            else strcpy(buf, "(unset)");
            break;
        case K_U64: snprintf(buf, sizeof buf, "%llu", (unsigned long long)*(const uint64_t *)field); break;
        case K_DURATION: snprintf(buf, sizeof buf, "%llums", (unsigned long long)*(const uint64_t *)field); break;
        case K_BOOL: strcpy(buf, *(const bool *)field ? "true" : "false"); break;
        case K_PRIVKEY: case K_KEYFILE:
            strcpy(buf, *(const bool *)((const char *)cfg + s->flag_off) ? "[REDACTED]" : "(unset)");
            break;
        }
        fprintf(f, "%s=%s\n", s->name, buf);
    }
    fclose(f);
}

void config_print_example(int fd) {
    FILE *f = fdopen(dup(fd), "w");
    if (!f) return;
    fprintf(f, "# lamda configuration. Every setting, with its default; the environment overrides\n"
               "# this file. Generated by `lamda config --example`.\n");
    for (size_t i = 0; i < NSETTINGS; i++) {
        const setting *s = &settings[i];
        fprintf(f, "\n# %s\n", s->help);
        if (s->def) fprintf(f, "%s=%s\n", s->name, s->def);
        else fprintf(f, "# %s=\n", s->name);
    }
    fclose(f);
}
