/* eip191 — Ethereum signed messages (EIP-191 version 0x45, "personal_sign"): the hash is
 * keccak256("\x19Ethereum Signed Message:\n" || decimal(len) || message). Signatures are
 * 65 bytes r || s || v with v = 27/28 (0/1 also accepted on input). */
#ifndef LAMDA_EIP191_H
#define LAMDA_EIP191_H

#include <stddef.h>
#include <stdint.h>

void eip191_hash(const uint8_t *msg, size_t len, uint8_t hash[32]);
/* 0 or -1 (invalid key). */
int eip191_sign(const uint8_t *msg, size_t len, const uint8_t priv[32], uint8_t sig[65]);
/* Signer of (msg, sig). 0 or -1 (malformed or unrecoverable signature, or s above n/2 —
 * EIP-2's rule, so that a signature has one encoding only). */
int eip191_recover(const uint8_t *msg, size_t len, const uint8_t sig[65], uint8_t addr[20]);
/* 0 if sig is expected's signature of msg, -1 otherwise. */
int eip191_verify(const uint8_t *msg, size_t len, const uint8_t sig[65], const uint8_t expected[20]);

#endif
