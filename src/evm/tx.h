/* tx — Ethereum transactions: legacy with EIP-155 replay protection, and EIP-1559 (type 2)
 * with an empty access list. Signing hash, signing, raw encoding, transaction hash, and
 * decoding of raw transactions (for tests, tools and the fuzzer).
 *
 * A tx borrows its data bytes: the caller keeps them alive while the tx is used (after
 * tx_decode they point into the decoded input). */
#ifndef LAMDA_TX_H
#define LAMDA_TX_H

#include <stddef.h>
#include <stdint.h>

#include "core/u256.h"
#include "evm/rlp.h"

enum { TX_LEGACY = 0, TX_EIP1559 = 2 };

typedef struct {
    int type;          /* TX_LEGACY or TX_EIP1559 */
    uint64_t chain_id; /* legacy: 0 means pre-EIP-155 (v = 27/28) */
    uint64_t nonce;
    u256 gas_price;                 /* TX_LEGACY */
    u256 max_priority_fee, max_fee; /* TX_EIP1559 */
    uint64_t gas_limit;
    int has_to;        /* 0: contract creation */
    uint8_t to[20];
    u256 value;
    const uint8_t *data; /* borrowed; may be NULL when data_len is 0 */
    size_t data_len;
    /* Signature, set by tx_sign or tx_decode. */
    int is_signed;
    uint8_t r[32], s[32];
    uint8_t y_parity; /* recovery id 0/1 */
} tx;

/* Zeroed tx of the given type and chain. */
void tx_init(tx *t, int type, uint64_t chain_id);
/* The hash the sender signs. 0 or -1 (unknown type, allocation failure). */
int tx_signing_hash(const tx *t, uint8_t hash[32]);
/* Sign with priv: fills r, s, y_parity and sets is_signed. 0 or -1. */
int tx_sign(tx *t, const uint8_t priv[32]);
/* Raw signed transaction (what eth_sendRawTransaction takes), appended to out. 0 or -1. */
int tx_encode(const tx *t, rlp_buf *out);
/* The same as "0x…" hex; *hex is malloc'd, caller frees. 0 or -1. */
int tx_encode_hex(const tx *t, char **hex);
/* keccak256 of the raw encoding: the transaction hash. 0 or -1. */
int tx_hash(const tx *t, uint8_t hash[32]);
/* Decode a raw signed transaction of either type, exactly spanning p[0..len). Non-empty
 * access lists and other types are rejected. data points into p. 0 or -1. */
int tx_decode(const uint8_t *p, size_t len, tx *t);
/* Recover the sender of a signed tx; high-s signatures are rejected (EIP-2). 0 or -1. */
int tx_sender(const tx *t, uint8_t addr[20]);

#endif
