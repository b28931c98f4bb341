/* secp — the secp256k1 operations Ethereum needs: key → address, recoverable signing of a
 * 32-byte hash, and public key / address recovery.
 *
 * One process-wide libsecp256k1 context is created on first use (pthread_once) and
 * randomized against side channels; it is read-only afterwards, so every function here is
 * thread-safe. Signatures are 65 bytes r(32) || s(32) || v(1). Signing is deterministic
 * (RFC 6979) and always yields low-s. */
#ifndef LAMDA_SECP_H
#define LAMDA_SECP_H

#include <stdint.h>

/* 0 if priv is a valid secret key (non-zero, below the group order), else -1. */
int secp_seckey_valid(const uint8_t priv[32]);
/* Uncompressed public key without the 0x04 prefix: x(32) || y(32). 0 or -1. */
int secp_pubkey(const uint8_t priv[32], uint8_t pub[64]);
/* Address of a public key: the last 20 bytes of keccak256(x || y). */
void secp_pubkey_address(const uint8_t pub[64], uint8_t addr[20]);
/* Address of a private key. 0 or -1. */
int secp_priv_address(const uint8_t priv[32], uint8_t addr[20]);
/* Sign hash; sig = r || s || recid with recid 0 or 1. 0 or -1. */
int secp_sign(const uint8_t hash[32], const uint8_t priv[32], uint8_t sig[65]);
/* Recover the signer's public key. sig[64] may be 0/1 or 27/28; anything else, r or s zero
 * or not below the group order, or a point that does not recover is -1. High-s is accepted
 * (as ecrecover does); use secp_sig_low_s where the protocol forbids it. */
int secp_recover(const uint8_t hash[32], const uint8_t sig[65], uint8_t pub[64]);
int secp_recover_address(const uint8_t hash[32], const uint8_t sig[65], uint8_t addr[20]);
/* 1 if s (sig[32..64)) is at most half the group order, else 0. */
int secp_sig_low_s(const uint8_t sig[65]);

#endif
