/* txmgr — see txmgr.h. The one invariant everything here keeps: a transaction is stored
 * (row SIGNED with nonce, raw bytes and hash; wallet next nonce advanced) in a committed
 * database transaction before it is ever broadcast, and a stored transaction is only ever
 * replaced by one with the SAME nonce. */
#include "chain/txmgr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/address.h"
#include "core/hex.h"
#include "core/log.h"
#include "evm/abi.h"
#include "evm/rpc_methods.h"
#include "evm/secp.h"
#include "evm/tx.h"

#define TXMGR_MAX_HASHES 8      /* hashes remembered per nonce (replacements) */
#define TXMGR_REPUSH_MS 1500    /* re-broadcast an unmined transaction this often */
#define TXMGR_PASSED_POLLS 5    /* nonce passed with no receipt of ours: polls before giving up */
#define TXMGR_PASSED_MS 3000    /* … and at least this long */
#define TXMGR_FILL_MAX 256      /* rows signed per step at most (one estimateGas and one send batch each) */
#define GWEI 1000000000ULL

typedef struct {
    store_rep row; /* the persisted state (latest raw tx and hash) */
    uint8_t hashes[TXMGR_MAX_HASHES][32]; /* every version we signed for this nonce, oldest first */
    int nhashes;
    int type;
    u256 max_fee, tip, gas_price;
    uint64_t gas;
    int64_t signed_ms; /* when the current version was signed: the replacement timeout runs from here */
    int64_t pushed_ms; /* last broadcast attempt */
    bool pushed_ok;
    int64_t passed_ms; /* first poll that saw the chain nonce past ours without a receipt */
    int passed_polls;
    bool cap_warned;
} inflight;

struct txmgr {
    txmgr_config c;
    store *s;
    rpc_client *rpc;
    uint64_t chain_id;
    uint8_t addr[20];
    uint64_t next_nonce;
    inflight *fl; /* SIGNED rows, in memory; guarded by nothing: one thread */
    size_t nfl, capfl;
    /* from the last poll */
    uint64_t head, latest_nonce;
    bool have_header;
    rpc_block_header hdr;
    /* timestamp of the last block a settled row was mined in */
    uint64_t bt_block;
    int64_t bt_time;
    int64_t last_warn_ms;
};

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- pure helpers -------------------------------------------------------------------------- */

void txmgr_fees_1559(const u256 *base, const u256 *tip, const u256 *cap, u256 *max_fee, u256 *max_tip) {
    u256 two_base;
    if (u256_mul_u64(&two_base, base, 2) || u256_add(max_fee, &two_base, tip)) {
        memset(max_fee, 0xff, sizeof *max_fee); /* saturate; the cap (if any) applies below */
    }
    if (!u256_is_zero(cap) && u256_cmp(max_fee, cap) > 0) *max_fee = *cap;
    *max_tip = u256_cmp(tip, max_fee) > 0 ? *max_fee : *tip;
}

int txmgr_bump(const u256 *old, const u256 *want, const u256 *cap, u256 *out) {
    /* old * 1.125, rounded up, and strictly above old */
    u256 eighth, min;
    uint64_t rem = 0;
    u256_div_u64(&eighth, old, 8, &rem);
    if (rem) {
        u256 one = u256_from_u64(1);
        u256_add(&eighth, &eighth, &one);
    }
    if (u256_is_zero(&eighth)) eighth = u256_from_u64(1);
    if (u256_add(&min, old, &eighth)) return -1;
    *out = u256_cmp(want, &min) > 0 ? *want : min;
    if (!u256_is_zero(cap) && u256_cmp(out, cap) > 0) {
        if (u256_cmp(cap, &min) < 0) return -1;
        *out = *cap;
    }
    return 0;
}

static const struct {
    const char *sig;
    char arg; /* 's' string, 'u' uint256, 'a' address, 0 none */
} known_errors[] = {
    {"Error(string)", 's'},
    {"Panic(uint256)", 'u'},
    {"OwnableUnauthorizedAccount(address)", 'a'},
    {"OwnableInvalidOwner(address)", 'a'},
};

void txmgr_revert_reason(const uint8_t *d, size_t n, char *out, size_t cap) {
    if (cap == 0) return;
    snprintf(out, cap, "execution reverted without a reason");
    if (!d || n < 4) return;
    for (size_t i = 0; i < sizeof known_errors / sizeof known_errors[0]; i++) {
        uint8_t sel[4];
        abi_selector(known_errors[i].sig, sel);
        if (memcmp(sel, d, 4) != 0) continue;
        const char *name = known_errors[i].sig;
        int namelen = (int)(strchr(name, '(') - name);
        abi_dec dec;
        abi_dec_init(&dec, d + 4, n - 4);
        if (known_errors[i].arg == 's') {
            char *s = NULL;
            size_t sl = 0;
            if (abi_dec_string(&dec, &s, &sl) != 0) break;
            /* untrusted text: keep printable ASCII only */
            size_t w = 0;
            for (size_t k = 0; k < sl && w + 1 < cap; k++)
                out[w++] = (s[k] >= 0x20 && s[k] < 0x7f) ? s[k] : '?';
            out[w] = 0;
            free(s);
        } else if (known_errors[i].arg == 'u') {
            u256 v;
            char dec_s[U256_DEC_LEN];
            if (abi_dec_u256(&dec, &v) != 0) break;
            snprintf(out, cap, "%.*s(%s)", namelen, name, u256_format_dec(&v, dec_s));
        } else {
            uint8_t a[20];
            char as[ADDRESS_STR_LEN];
            if (abi_dec_address(&dec, a) != 0) break;
            snprintf(out, cap, "%.*s(%s)", namelen, name, address_format(a, as));
        }
        return;
    }
    char h[11];
    snprintf(out, cap, "custom error %s", hex_encode(d, 4, h));
}

/* ---- signing and storing ------------------------------------------------------------------- */

static void set_err(char *err, size_t errlen, const char *fmt, const char *a) {
    if (err && errlen) snprintf(err, errlen, fmt, a);
}

/* Build and sign one transaction for fl's nonce/fees/gas into fl->row (raw, hash). */
static int sign_into(txmgr *m, inflight *f, const uint8_t *data, size_t len) {
    tx t;
    tx_init(&t, f->type, m->chain_id);
    t.nonce = f->row.nonce;
    if (f->type == TX_EIP1559) {
        t.max_fee = f->max_fee;
        t.max_priority_fee = f->tip;
    } else {
        t.gas_price = f->gas_price;
    }
    t.gas_limit = f->gas;
    t.has_to = 1;
    memcpy(t.to, m->c.to, 20);
    t.data = data;
    t.data_len = len;
    if (tx_sign(&t, m->c.key) != 0) return -1;
    rlp_buf b;
    rlp_buf_init(&b);
    int rc = -1;
    if (tx_encode(&t, &b) != 0 || b.failed || b.len > sizeof f->row.raw_tx) goto out;
    if (tx_hash(&t, f->row.tx_hash) != 0) goto out;
    memcpy(f->row.raw_tx, b.p, b.len);
    f->row.raw_tx_len = b.len;
    f->row.has_tx_hash = true;
    rc = 0;
out:
    rlp_buf_free(&b);
    return rc;
}

static void remember_hash(inflight *f) {
    for (int i = 0; i < f->nhashes; i++)
        if (!memcmp(f->hashes[i], f->row.tx_hash, 32)) return;
    if (f->nhashes == TXMGR_MAX_HASHES) {
        memmove(f->hashes[0], f->hashes[1], 32 * (TXMGR_MAX_HASHES - 1));
        f->nhashes--;
    }
    memcpy(f->hashes[f->nhashes++], f->row.tx_hash, 32);
}

/* Fees and gas of a stored raw transaction, so a restart can bump what was sent. */
static int load_stored(txmgr *m, inflight *f) {
    tx t;
    if (f->row.raw_tx_len == 0 || tx_decode(f->row.raw_tx, f->row.raw_tx_len, &t) != 0) return -1;
    if (!f->row.has_nonce || t.nonce != f->row.nonce || t.chain_id != m->chain_id) return -1;
    f->type = t.type;
    f->max_fee = t.max_fee;
    f->tip = t.max_priority_fee;
    f->gas_price = t.gas_price;
    f->gas = t.gas_limit;
    if (!f->row.has_tx_hash && tx_hash(&t, f->row.tx_hash) == 0) f->row.has_tx_hash = true;
    f->nhashes = 0;
    remember_hash(f);
    return 0;
}

static int fl_reserve(txmgr *m, size_t need) {
    if (need <= m->capfl) return 0;
    size_t cap = m->capfl ? m->capfl : 16;
    while (cap < need) cap *= 2;
    inflight *p = realloc(m->fl, cap * sizeof *p);
    if (!p) return -1;
    m->fl = p;
    m->capfl = cap;
    return 0;
}

static void fl_remove(txmgr *m, size_t i) {
    if (i + 1 < m->nfl) memmove(&m->fl[i], &m->fl[i + 1], (m->nfl - i - 1) * sizeof *m->fl);
    m->nfl--;
}

/* ---- open ---------------------------------------------------------------------------------- */

int txmgr_open(const txmgr_config *c, store *s, txmgr **out, bool *transient, char *err, size_t errlen) {
    *out = NULL;
    if (transient) *transient = false;
    txmgr *m = calloc(1, sizeof *m);
    store_rep *rows = NULL;
    rpc_error re;
    char msg[256];
    if (!m) {
        set_err(err, errlen, "%s", "out of memory");
        return -1;
    }
    m->c = *c;
    if (m->c.max_in_flight == 0) m->c.max_in_flight = 1;
    m->s = s;
    if (secp_priv_address(c->key, m->addr) != 0) {
        set_err(err, errlen, "%s", "the admin key is not a valid secp256k1 private key");
        goto fail;
    }
    m->rpc = rpc_client_new(c->rpc_urls, (long)c->rpc_timeout_ms);
    if (!m->rpc) {
        set_err(err, errlen, "%s", "cannot create the RPC client (no URL?)");
        goto fail;
    }
    if (rpc_chain_id(m->rpc, &m->chain_id, &re) != 0) {
        if (transient) *transient = true;
        set_err(err, errlen, "eth_chainId failed: %s", re.message);
        goto fail;
    }
    if (c->expected_chain_id && m->chain_id != c->expected_chain_id) {
        snprintf(msg, sizeof msg, "the RPC serves chain id %llu, configured %llu",
                 (unsigned long long)m->chain_id, (unsigned long long)c->expected_chain_id);
        set_err(err, errlen, "%s", msg);
        goto fail;
    }
    uint64_t pending = 0, persisted = 0;
    if (rpc_get_transaction_count(m->rpc, m->addr, true, &pending, &re) != 0) {
        if (transient) *transient = true;
        set_err(err, errlen, "eth_getTransactionCount failed: %s", re.message);
        goto fail;
    }
    int rc = store_nonce_get(s, m->chain_id, m->addr, &persisted);
    if (rc < 0) goto dbfail;
    if (rc == STORE_NOTFOUND) persisted = 0;

    int64_t counts[STORE_REP_STATE_COUNT];
    if (store_rep_counts(s, counts) != STORE_OK) goto dbfail;
    int nsigned = (int)counts[STORE_REP_SIGNED], n = 0;
    if (nsigned > 0) {
        rows = calloc((size_t)nsigned, sizeof *rows);
        if (!rows || fl_reserve(m, (size_t)nsigned) != 0) {
            set_err(err, errlen, "%s", "out of memory");
            goto fail;
        }
        if (store_rep_list_state(s, STORE_REP_SIGNED, nsigned, rows, &n) != STORE_OK) goto dbfail;
    }
    /* Every nonce we allocated and that is not settled is a SIGNED row (allocation and the
     * stored transaction commit together, and a row leaves SIGNED only once the chain's nonce
     * passed it). So the next free nonce is max(chain pending, highest SIGNED + 1); a persisted
     * value above that is a gap no stored transaction can fill, and is healed by lowering it. */
    uint64_t need = pending;
    int64_t t0 = now_ms();
    for (int i = 0; i < n; i++) {
        inflight *f = &m->fl[m->nfl];
        memset(f, 0, sizeof *f);
        f->row = rows[i];
        if (load_stored(m, f) != 0) {
            char jh[67];
            log_error("txmgr: stored transaction of job %s is unreadable; marking it failed",
                      hex_encode(f->row.job_id, 32, jh));
            f->row.state = STORE_REP_FAILED;
            snprintf(f->row.last_error, sizeof f->row.last_error, "stored transaction unreadable");
            if (store_rep_update(s, &f->row) != STORE_OK) goto dbfail;
            continue;
        }
        f->signed_ms = t0; /* a fresh timeout after a restart */
        f->pushed_ok = false;
        if (f->row.nonce + 1 > need) need = f->row.nonce + 1;
        m->nfl++;
    }
    if (persisted > need)
        log_warn("txmgr: persisted next nonce %llu is ahead of the chain (pending %llu) with no stored"
                 " transaction in between; continuing at %llu",
                 (unsigned long long)persisted, (unsigned long long)pending, (unsigned long long)need);
    m->next_nonce = need;
    if (need != persisted && store_nonce_set(s, m->chain_id, m->addr, need) != STORE_OK) goto dbfail;
    free(rows);
    char as[ADDRESS_STR_LEN];
    log_info("txmgr: wallet %s on chain %llu, next nonce %llu (chain pending %llu), %zu transaction(s)"
             " to re-broadcast",
             address_format(m->addr, as), (unsigned long long)m->chain_id, (unsigned long long)m->next_nonce,
             (unsigned long long)pending, m->nfl);
    *out = m;
    return 0;
dbfail:
    if (transient) *transient = true;
    set_err(err, errlen, "database: %s", store_errmsg(s));
fail:
    free(rows);
    txmgr_free(m);
    return -1;
}

void txmgr_free(txmgr *m) {
    if (!m) return;
    rpc_client_free(m->rpc);
    free(m->fl);
    free(m);
}

void txmgr_address(const txmgr *m, uint8_t addr[20]) { memcpy(addr, m->addr, 20); }
uint64_t txmgr_chain_id(const txmgr *m) { return m->chain_id; }
uint64_t txmgr_next_nonce(const txmgr *m) { return m->next_nonce; }
size_t txmgr_in_flight(const txmgr *m) { return m->nfl; }

/* ---- broadcast ----------------------------------------------------------------------------- */

/* Send the stored raw transaction of every entry in idx[0..n) in one batch. */
static void push_batch(txmgr *m, const size_t *idx, size_t n) {
    if (n == 0) return;
    rpc_batch_item *items = calloc(n, sizeof *items);
    char **params = calloc(n, sizeof *params);
    int64_t t = now_ms();
    if (!items || !params) goto out;
    for (size_t k = 0; k < n; k++) {
        inflight *f = &m->fl[idx[k]];
        params[k] = malloc(2 * f->row.raw_tx_len + 8);
        if (!params[k]) goto out;
        params[k][0] = '[';
        params[k][1] = '"';
        hex_encode(f->row.raw_tx, f->row.raw_tx_len, params[k] + 2);
        strcat(params[k], "\"]");
        items[k].method = "eth_sendRawTransaction";
        items[k].params_json = params[k];
    }
    rpc_error be;
    if (rpc_batch(m->rpc, items, n, &be) != 0) {
        log_warn("txmgr: broadcast of %zu transaction(s) failed: %s", n, be.message);
        for (size_t k = 0; k < n; k++) {
            m->fl[idx[k]].pushed_ok = false;
            m->fl[idx[k]].pushed_ms = t;
        }
        goto out;
    }
    for (size_t k = 0; k < n; k++) {
        inflight *f = &m->fl[idx[k]];
        f->pushed_ms = t;
        rpc_batch_item *it = &items[k];
        if (it->result) {
            uint8_t h[32];
            if (rpc_parse_fixed(it->result, h, 32) == 0 && memcmp(h, f->row.tx_hash, 32) != 0)
                log_warn("txmgr: the node answered another hash for nonce %llu", (unsigned long long)f->row.nonce);
            f->pushed_ok = true;
            continue;
        }
        switch (it->err.kind) {
        case RPC_ALREADY_KNOWN:
        case RPC_NONCE_TOO_LOW: /* used: the receipts will tell by whom */
        case RPC_UNDERPRICED:   /* an equal or better version of ours is in the pool */
            f->pushed_ok = true;
            break;
        default:
            f->pushed_ok = false;
            log_warn("txmgr: broadcast of nonce %llu: %s (%s)", (unsigned long long)f->row.nonce,
                     it->err.message, rpc_error_kind_name(it->err.kind));
        }
    }
out:
    if (items) rpc_batch_clear(items, n);
    if (params)
        for (size_t k = 0; k < n; k++) free(params[k]);
    free(params);
    free(items);
}

/* ---- fees ---------------------------------------------------------------------------------- */

static u256 cap_wei(const txmgr *m) {
    u256 cap = u256_from_u64(m->c.max_fee_gwei);
    if (u256_mul_u64(&cap, &cap, GWEI)) memset(&cap, 0, sizeof cap);
    return cap;
}

/* The fees a new transaction would get now. 0 or -1 (RPC). */
static int current_fees(txmgr *m, int *type, u256 *max_fee, u256 *tip, u256 *gas_price) {
    rpc_error re;
    u256 cap = cap_wei(m);
    if (m->have_header && m->hdr.has_base_fee) {
        uint8_t b[32];
        u256 base, t;
        u256_from_be32(&base, m->hdr.base_fee);
        if (rpc_max_priority_fee(m->rpc, b, &re) == 0) {
            u256_from_be32(&t, b);
        } else {
            t = u256_from_u64(m->c.priority_fee_gwei);
            u256_mul_u64(&t, &t, GWEI);
        }
        *type = TX_EIP1559;
        txmgr_fees_1559(&base, &t, &cap, max_fee, tip);
        return 0;
    }
    uint8_t b[32];
    if (rpc_gas_price(m->rpc, b, &re) != 0) return -1;
    u256_from_be32(gas_price, b);
    if (!u256_is_zero(&cap) && u256_cmp(gas_price, &cap) > 0) *gas_price = cap;
    *type = TX_LEGACY;
    return 0;
}

/* ---- settle, replace ----------------------------------------------------------------------- */

static int64_t block_time(txmgr *m, uint64_t block) {
    if (block == m->bt_block && m->bt_time) return m->bt_time;
    rpc_block_header h;
    bool found = false;
    rpc_error re;
    if (rpc_get_block_header(m->rpc, block, &h, &found, &re) != 0 || !found || h.number != block) return 0;
    m->bt_block = block;
    m->bt_time = (int64_t)h.timestamp;
    return m->bt_time;
}

/* Commit a final state; on success the entry leaves memory. 0 or -1 (database; retried). */
static int settle(txmgr *m, size_t i, const rpc_receipt *r, const uint8_t hash[32]) {
    inflight *f = &m->fl[i];
    store_rep row = f->row;
    char hh[67];
    if (r) {
        row.mined_block = (int64_t)r->block_number;
        memcpy(row.tx_hash, hash, 32);
        row.has_tx_hash = true;
        if (r->status == 1) {
            row.state = STORE_REP_MINED;
            row.last_error[0] = 0;
        } else {
            row.state = STORE_REP_FAILED;
            snprintf(row.last_error, sizeof row.last_error, "reverted on chain in block %llu (tx %s)",
                     (unsigned long long)r->block_number, hex_encode(hash, 32, hh));
        }
    } else {
        row.state = STORE_REP_FAILED;
        snprintf(row.last_error, sizeof row.last_error,
                 "nonce %llu was used by a transaction with none of our hashes; re-check with"
                 " `lamda reputation audit`",
                 (unsigned long long)row.nonce);
    }
    if (store_rep_update(m->s, &row) != STORE_OK) {
        log_warn("txmgr: cannot record nonce %llu as %s: %s", (unsigned long long)row.nonce,
                 store_rep_state_name(row.state), store_errmsg(m->s));
        return -1;
    }
    if (row.state == STORE_REP_MINED)
        log_debug("txmgr: nonce %llu mined in block %lld", (unsigned long long)row.nonce, (long long)row.mined_block);
    else
        log_warn("txmgr: nonce %llu failed: %s", (unsigned long long)row.nonce, row.last_error);
    int64_t bt = r ? block_time(m, r->block_number) : 0;
    fl_remove(m, i);
    if (m->c.settled) m->c.settled(m->c.ud, &row, bt);
    return 0;
}

/* Same nonce, fees bumped: sign, store, then (by the caller) broadcast. 0 = replaced, 1 = the
 * cap leaves no room (keep waiting), -1 = error (retried). */
static int replace(txmgr *m, inflight *f) {
    int type;
    u256 want_max, want_tip, want_gp;
    memset(&want_gp, 0, sizeof want_gp);
    if (current_fees(m, &type, &want_max, &want_tip, &want_gp) != 0) return -1;
    u256 cap = cap_wei(m);
    inflight nf = *f;
    if (f->type == TX_EIP1559) {
        if (type != TX_EIP1559) want_max = want_tip = want_gp; /* chain lost its base fee: unlikely */
        if (txmgr_bump(&f->max_fee, &want_max, &cap, &nf.max_fee) != 0 ||
            txmgr_bump(&f->tip, &want_tip, &cap, &nf.tip) != 0 || u256_cmp(&nf.tip, &nf.max_fee) > 0)
            return 1;
    } else {
        if (type == TX_EIP1559) want_gp = want_max;
        if (txmgr_bump(&f->gas_price, &want_gp, &cap, &nf.gas_price) != 0) return 1;
    }
    tx old;
    uint8_t raw[STORE_RAW_TX_MAX];
    memcpy(raw, f->row.raw_tx, f->row.raw_tx_len);
    if (tx_decode(raw, f->row.raw_tx_len, &old) != 0) return -1;
    if (sign_into(m, &nf, old.data, old.data_len) != 0) return -1;
    nf.row.attempts++;
    nf.row.last_error[0] = 0;
    if (store_rep_update(m->s, &nf.row) != STORE_OK) return -1;
    remember_hash(&nf);
    char a[U256_DEC_LEN], b[U256_DEC_LEN];
    log_info("txmgr: nonce %llu unmined for %llums: replaced (attempt %lld), fee per gas %s -> %s wei",
             (unsigned long long)nf.row.nonce, (unsigned long long)m->c.tx_timeout_ms, (long long)nf.row.attempts,
             u256_format_dec(f->type == TX_EIP1559 ? &f->max_fee : &f->gas_price, a),
             u256_format_dec(nf.type == TX_EIP1559 ? &nf.max_fee : &nf.gas_price, b));
    nf.signed_ms = now_ms();
    nf.pushed_ok = false;
    nf.pushed_ms = 0;
    *f = nf;
    return 0;
}

/* ---- poll ---------------------------------------------------------------------------------- */

/* One batch: head, latest nonce, latest header, and every receipt. Returns 0 and fills
 * rc_out[k] (receipt of hash k in order) or -1 (transient). */
static int poll(txmgr *m, rpc_receipt *rc_out, bool *rc_ok, size_t nh) {
    size_t n = 3 + nh, k = 0;
    rpc_batch_item *items = calloc(n, sizeof *items);
    char (*params)[80] = calloc(n, sizeof *params);
    int ret = -1;
    if (!items || !params) goto out;
    char ah[43], hh[67];
    items[0].method = "eth_blockNumber";
    items[1].method = "eth_getTransactionCount";
    snprintf(params[1], sizeof params[1], "[\"%s\",\"latest\"]", hex_encode(m->addr, 20, ah));
    items[1].params_json = params[1];
    items[2].method = "eth_getBlockByNumber";
    items[2].params_json = "[\"latest\",false]";
    k = 3;
    for (size_t i = 0; i < m->nfl; i++)
        for (int j = 0; j < m->fl[i].nhashes; j++, k++) {
            snprintf(params[k], sizeof params[k], "[\"%s\"]", hex_encode(m->fl[i].hashes[j], 32, hh));
            items[k].method = "eth_getTransactionReceipt";
            items[k].params_json = params[k];
        }
    rpc_error be;
    if (rpc_batch(m->rpc, items, n, &be) != 0) {
        int64_t t = now_ms();
        if (t - m->last_warn_ms > 5000) {
            log_warn("txmgr: poll failed: %s", be.message);
            m->last_warn_ms = t;
        }
        goto out;
    }
    if (!items[0].result || rpc_parse_u64(items[0].result, &m->head) != 0 || !items[1].result ||
        rpc_parse_u64(items[1].result, &m->latest_nonce) != 0)
        goto out;
    m->have_header = items[2].result && rpc_parse_block_header(items[2].result, &m->hdr) == 0;
    for (size_t j = 0; j < nh; j++) {
        rpc_batch_item *it = &items[3 + j];
        rc_ok[j] = it->result && rpc_parse_receipt(it->result, &rc_out[j]) == 0;
    }
    ret = 0;
out:
    if (items) rpc_batch_clear(items, n);
    free(items);
    free(params);
    return ret;
}

/* ---- fill: sign new PENDING rows ----------------------------------------------------------- */

static int fill(txmgr *m) {
    if (m->nfl >= m->c.max_in_flight) return 0;
    size_t room = m->c.max_in_flight - m->nfl;
    if (room > TXMGR_FILL_MAX) room = TXMGR_FILL_MAX;
    store_rep *rows = calloc(room, sizeof *rows);
    uint8_t **data = calloc(room, sizeof *data);
    size_t *dlen = calloc(room, sizeof *dlen);
    uint64_t *gas = calloc(room, sizeof *gas);
    bool *use = calloc(room, sizeof *use);
    rpc_batch_item *items = calloc(room, sizeof *items);
    char **params = calloc(room, sizeof *params);
    size_t *idx = calloc(room, sizeof *idx);
    int n = 0, ret = 0;
    bool began = false;
    if (!rows || !data || !dlen || !gas || !use || !items || !params || !idx) {
        ret = -1;
        goto out;
    }
    if (store_rep_list_state(m->s, STORE_REP_PENDING, (int)room, rows, &n) != STORE_OK || n == 0) goto out;
    if (m->c.vet && m->c.vet(m->c.ud, rows, n) != 0) goto out;
    int type = TX_EIP1559;
    u256 max_fee, tip, gp;
    memset(&gp, 0, sizeof gp);
    if (current_fees(m, &type, &max_fee, &tip, &gp) != 0) goto out;

    /* call data, then one batched eth_estimateGas for all rows */
    char from[43], to[43];
    hex_encode(m->addr, 20, from);
    hex_encode(m->c.to, 20, to);
    size_t nest = 0;
    for (int i = 0; i < n; i++) {
        char why[STORE_ERROR_MAX] = "";
        if (m->c.call_data(m->c.ud, &rows[i], &data[i], &dlen[i], why, sizeof why) != 0) {
            rows[i].state = STORE_REP_FAILED;
            snprintf(rows[i].last_error, sizeof rows[i].last_error, "call data: %s", why);
            if (store_rep_update(m->s, &rows[i]) == STORE_OK && m->c.settled) m->c.settled(m->c.ud, &rows[i], 0);
            continue;
        }
        size_t cap = 2 * dlen[i] + 160;
        params[i] = malloc(cap);
        if (!params[i]) continue;
        int w = snprintf(params[i], cap, "[{\"from\":\"%s\",\"to\":\"%s\",\"data\":\"0x", from, to);
        hex_encode_bare(data[i], dlen[i], params[i] + w);
        strcat(params[i], "\"}]");
        items[nest].method = "eth_estimateGas";
        items[nest].params_json = params[i];
        idx[nest++] = (size_t)i;
    }
    if (nest == 0) goto out;
    rpc_error be;
    if (rpc_batch(m->rpc, items, nest, &be) != 0) {
        log_warn("txmgr: eth_estimateGas batch failed: %s", be.message);
        goto out;
    }
    size_t nuse = 0;
    for (size_t k = 0; k < nest; k++) {
        store_rep *r = &rows[idx[k]];
        uint64_t g = 0;
        if (items[k].result && rpc_parse_u64(items[k].result, &g) == 0 && g > 0 && g <= 30000000) {
            uint64_t margin = g / 100 * m->c.gas_margin_pct + (g % 100) * m->c.gas_margin_pct / 100;
            gas[idx[k]] = g + margin;
            use[idx[k]] = true;
            nuse++;
        } else if (!items[k].result && items[k].err.kind == RPC_REVERT) {
            /* The call cannot succeed now; sending it would only burn a nonce. Recorded, not
             * retried blindly (the audit can re-queue it once the cause is fixed). */
            char why[200];
            txmgr_revert_reason(items[k].err.revert_data, items[k].err.revert_len, why, sizeof why);
            r->state = STORE_REP_FAILED;
            snprintf(r->last_error, sizeof r->last_error, "eth_estimateGas reverted: %s", why);
            if (store_rep_update(m->s, r) == STORE_OK) {
                log_warn("txmgr: update refused before sending: %s", r->last_error);
                if (m->c.settled) m->c.settled(m->c.ud, r, 0);
            }
        } else if (!items[k].result) {
            log_warn("txmgr: eth_estimateGas: %s (%s); will retry", items[k].err.message,
                     rpc_error_kind_name(items[k].err.kind));
        }
    }
    if (nuse == 0) goto out;
    if (m->latest_nonce > m->next_nonce) {
        /* Someone else used the wallet (an operator's transferOwnership, another tool): those
         * nonces are taken, so continue after them rather than collide. */
        log_warn("txmgr: the wallet's chain nonce %llu is past ours (%llu): it was used outside this"
                 " service; continuing at %llu",
                 (unsigned long long)m->latest_nonce, (unsigned long long)m->next_nonce,
                 (unsigned long long)m->latest_nonce);
        m->next_nonce = m->latest_nonce;
    }
    if (fl_reserve(m, m->nfl + nuse) != 0) {
        ret = -1;
        goto out;
    }

    /* Allocate nonces, sign, and store everything in ONE transaction before any broadcast. */
    if (store_begin(m->s) != STORE_OK) goto out;
    began = true;
    uint64_t next = m->next_nonce;
    size_t base = m->nfl, added = 0;
    int64_t t = now_ms();
    for (int i = 0; i < n; i++) {
        if (!use[i]) continue;
        inflight *f = &m->fl[base + added];
        memset(f, 0, sizeof *f);
        f->row = rows[i];
        f->type = type;
        f->max_fee = max_fee;
        f->tip = tip;
        f->gas_price = gp;
        f->gas = gas[i];
        f->row.nonce = next;
        f->row.has_nonce = true;
        if (sign_into(m, f, data[i], dlen[i]) != 0) goto rollback;
        f->row.state = STORE_REP_SIGNED;
        f->row.attempts = 1;
        f->row.last_error[0] = 0;
        f->row.sent_at = (int64_t)time(NULL);
        if (store_rep_update(m->s, &f->row) != STORE_OK) goto rollback;
        remember_hash(f);
        f->signed_ms = t;
        next++;
        added++;
    }
    if (store_nonce_set(m->s, m->chain_id, m->addr, next) != STORE_OK) goto rollback;
    if (store_commit(m->s) != STORE_OK) goto rollback;
    began = false;
    m->next_nonce = next;
    m->nfl += added;
    for (size_t k = 0; k < added; k++) idx[k] = base + k;
    push_batch(m, idx, added);
    goto out;
rollback:
    log_warn("txmgr: storing signed transactions failed: %s", store_errmsg(m->s));
    store_rollback(m->s);
    began = false;
out:
    if (began) store_rollback(m->s);
    if (items) rpc_batch_clear(items, room);
    for (size_t i = 0; data && params && i < room; i++) {
        free(data[i]);
        free(params[i]);
    }
    free(rows);
    free(data);
    free(dlen);
    free(gas);
    free(use);
    free(items);
    free(params);
    free(idx);
    return ret;
}

/* ---- step ---------------------------------------------------------------------------------- */

int txmgr_step(txmgr *m, bool *busy) {
    size_t nh = 0;
    for (size_t i = 0; i < m->nfl; i++) nh += (size_t)m->fl[i].nhashes;
    rpc_receipt *rcpt = calloc(nh ? nh : 1, sizeof *rcpt);
    bool *rok = calloc(nh ? nh : 1, sizeof *rok);
    size_t *push = calloc(m->nfl ? m->nfl : 1, sizeof *push);
    int ret = 0;
    if (!rcpt || !rok || !push) {
        ret = -1;
        goto out;
    }
    if (poll(m, rcpt, rok, nh) != 0) goto out;

    /* Walk entries against their receipts; settled entries leave the array, so map receipts by
     * a running offset computed before any removal. */
    size_t *off = calloc(m->nfl ? m->nfl : 1, sizeof *off);
    int *nhs = calloc(m->nfl ? m->nfl : 1, sizeof *nhs);
    if (!off || !nhs) {
        free(off);
        free(nhs);
        ret = -1;
        goto out;
    }
    size_t o = 0, orig = m->nfl;
    for (size_t i = 0; i < orig; i++) {
        off[i] = o;
        nhs[i] = m->fl[i].nhashes;
        o += (size_t)m->fl[i].nhashes;
    }
    int64_t t = now_ms();
    uint64_t depth = m->c.receipt_depth ? m->c.receipt_depth : 1;
    size_t i = 0, npush = 0;
    for (size_t e = 0; e < orig; e++) {
        inflight *f = &m->fl[i];
        const rpc_receipt *r = NULL;
        const uint8_t *rh = NULL;
        for (int j = 0; j < nhs[e]; j++) {
            size_t q = off[e] + (size_t)j;
            if (rok[q] && rcpt[q].found) {
                r = &rcpt[q];
                rh = f->hashes[j];
            }
        }
        if (r) {
            f->passed_ms = 0;
            f->passed_polls = 0;
            if (m->head + 1 >= r->block_number + depth && settle(m, i, r, rh) == 0) continue;
            i++;
            continue;
        }
        if (m->latest_nonce > f->row.nonce) {
            /* Our nonce is used but no receipt of ours exists (yet): the receipt may lag, or a
             * version we no longer remember was mined. Give it a few polls before giving up;
             * never re-sign the job under a new nonce. */
            if (!f->passed_ms) f->passed_ms = t;
            f->passed_polls++;
            if (f->passed_polls >= TXMGR_PASSED_POLLS && t - f->passed_ms >= TXMGR_PASSED_MS &&
                settle(m, i, NULL, NULL) == 0)
                continue;
            i++;
            continue;
        }
        f->passed_ms = 0;
        f->passed_polls = 0;
        if (m->c.tx_timeout_ms && t - f->signed_ms >= (int64_t)m->c.tx_timeout_ms) {
            int rr = replace(m, f);
            if (rr == 1) {
                if (!f->cap_warned)
                    log_warn("txmgr: nonce %llu is stuck and REPUTATION_MAX_FEE_GWEI leaves no room for a"
                             " replacement; re-broadcasting it as is",
                             (unsigned long long)f->row.nonce);
                f->cap_warned = true;
                f->signed_ms = t;
            }
        }
        /* Not yet mined: (re-)broadcast when the last attempt failed, and every so often, so a
         * transaction the node dropped (a nonce gap) is sent again from its stored bytes. */
        if (!f->pushed_ok || t - f->pushed_ms >= TXMGR_REPUSH_MS) push[npush++] = i;
        i++;
    }
    free(off);
    free(nhs);
    push_batch(m, push, npush);
    if (fill(m) != 0) ret = -1;
out:
    if (busy) {
        int64_t counts[STORE_REP_STATE_COUNT];
        *busy = m->nfl > 0 ||
                (store_rep_counts(m->s, counts) == STORE_OK && counts[STORE_REP_PENDING] > 0);
    }
    for (size_t k = 0; rcpt && k < nh; k++)
        if (rok[k]) rpc_receipt_free(&rcpt[k]);
    free(rcpt);
    free(rok);
    free(push);
    return ret;
}
