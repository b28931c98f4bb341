/* txmgr — a crash-safe transaction manager for one wallet on one chain: nonce allocation,
 * fees, signing, broadcast, receipt tracking, replacement of stuck transactions.
 *
 * Units of work are rows of the reputation_updates table (store.h): a PENDING row becomes a
 * transaction to `to` whose call data comes from the caller's call_data callback, so the
 * manager sends whatever the caller encodes; the reputation service is its user.
 *
 * The invariant that makes it exactly-once: a nonce is allocated, and the signed raw
 * transaction, its nonce and its hash are stored (row state SIGNED, wallet next-nonce advanced)
 * in ONE committed database transaction BEFORE the first broadcast. So after any crash a
 * SIGNED row is re-broadcast byte for byte (ALREADY_KNOWN / NONCE_TOO_LOW with our receipt are
 * fine) and never re-signed under a new nonce; only a same-nonce replacement (fees bumped at
 * least 12.5 %) ever replaces the stored raw transaction, and at most one transaction with a
 * given nonce can be mined.
 *
 * Each txmgr_step: one batched poll (head, latest nonce, latest header, receipts of every hash
 * of every in-flight transaction); settle rows whose receipt is deep enough (status 1 → MINED,
 * 0 → FAILED with the reason); replace transactions unmined past the timeout; re-broadcast
 * ones the node lost (nonce gaps heal by re-sending the stored raw transaction); then sign new
 * PENDING rows up to max_in_flight. An eth_estimateGas that reverts marks the row FAILED with
 * the decoded reason and consumes no nonce.
 *
 * Every RPC answer is untrusted; the key is borrowed and never logged. Not thread-safe: one
 * txmgr per thread, with its own store. Only one process may run a txmgr for a wallet: the
 * caller holds a lease. */
#ifndef LAMDA_TXMGR_H
#define LAMDA_TXMGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/u256.h"
#include "store/store.h"

typedef struct {
    const config_url_list *rpc_urls;
    uint64_t rpc_timeout_ms;
    uint64_t expected_chain_id; /* 0: accept what the RPC reports */
    const uint8_t *key;         /* 32-byte private key, borrowed for the txmgr's life */
    uint8_t to[20];             /* every transaction goes to this contract */
    uint64_t max_in_flight;     /* SIGNED rows outstanding at once (>= 1) */
    uint64_t tx_timeout_ms;     /* unmined this long since signing → replacement */
    uint64_t receipt_depth;     /* confirmations (the mined block counts as 1) before final */
    uint64_t gas_margin_pct;    /* added to eth_estimateGas */
    uint64_t max_fee_gwei;      /* cap on maxFeePerGas / gasPrice; 0 = no cap */
    uint64_t priority_fee_gwei; /* default tip when eth_maxPriorityFeePerGas fails */
    /* Call data for a row: a malloc'd buffer in *data (the txmgr frees it). 0, or -1 to mark
     * the row FAILED with the message in err. */
    int (*call_data)(void *ud, const store_rep *row, uint8_t **data, size_t *len, char *err, size_t errlen);
    /* After a row was committed as MINED or FAILED; block_time is the mined block's timestamp
     * (0 when unknown or not mined). May be NULL. */
    void (*settled)(void *ud, const store_rep *row, int64_t block_time);
    /* Called with the PENDING rows about to be signed, after they were read, so a check made
     * here sees at least them: rows committed by another thread between an earlier check and
     * this send cannot slip through unchecked. 0 sends them; non-zero sends nothing this round
     * (the callback may have changed rows; they are read again next step). May be NULL. */
    int (*vet)(void *ud, const store_rep *rows, int n);
    void *ud;
} txmgr_config;

typedef struct txmgr txmgr;

/* Connect, check the chain id, sync the next nonce to max(persisted, chain pending) and load
 * the SIGNED rows to re-broadcast. s is borrowed (the caller's connection, lease held). Returns
 * 0, or -1 with err (a wrong chain id, an unusable key; a transient RPC failure says so in
 * *transient when non-NULL). */
int txmgr_open(const txmgr_config *c, store *s, txmgr **out, bool *transient, char *err, size_t errlen);
void txmgr_free(txmgr *m);

/* One round of work (see above). Returns 0 (also when the RPC or database had a transient
 * problem: it is retried next step), -1 only on a fatal error. *busy (may be NULL) is true when
 * rows are pending or in flight, so the caller polls fast. */
int txmgr_step(txmgr *m, bool *busy);

/* The wallet's address; the chain id the RPC reported; the next nonce to allocate. */
void txmgr_address(const txmgr *m, uint8_t addr[20]);
uint64_t txmgr_chain_id(const txmgr *m);
uint64_t txmgr_next_nonce(const txmgr *m);
size_t txmgr_in_flight(const txmgr *m);

/* ---- pure helpers (unit-tested) ------------------------------------------------------------ */

/* EIP-1559 fees from a base fee and a tip: max = 2*base + tip, capped at cap (cap zero = no
 * cap); the tip is lowered to max when above it. */
void txmgr_fees_1559(const u256 *base, const u256 *tip, const u256 *cap, u256 *max_fee, u256 *max_tip);
/* A replacement fee: at least old + 12.5 % (rounded up, and at least old + 1), at least want,
 * at most cap (cap zero = no cap). Returns 0, or -1 when the cap leaves no room for a valid bump. */
int txmgr_bump(const u256 *old, const u256 *want, const u256 *cap, u256 *out);
/* Revert data → a readable reason: Error(string), Panic(uint256), the Ownable errors, or the
 * selector of an unknown custom error. Always NUL-terminates out. */
void txmgr_revert_reason(const uint8_t *d, size_t n, char *out, size_t cap);

#endif
