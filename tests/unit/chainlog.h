/* chainlog.h — crafted chain logs for the domain tests (test_job_events, test_node_events,
 * test_follower_replay): rpc_log values as eth_getLogs would decode them, with their ABI data
 * words in a small pool, and a fresh SQLite store per test. No server is involved. */
#ifndef LAMDA_TEST_CHAINLOG_H
#define LAMDA_TEST_CHAINLOG_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/follower.h"
#include "core/config.h"
#include "evm/contracts.h"
#include "evm/rpc_logs.h"
#include "store/store.h"

#define CL_CHAIN 97
static const uint8_t CL_CONTRACT[20] = {0xc0, 0x01};

/* ABI data of the crafted logs: a few words each, valid until the test program ends. */
static uint8_t cl_pool[1 << 16];
static size_t cl_used;

static inline uint8_t *cl_alloc(size_t n) {
    if (cl_used + n > sizeof cl_pool) {
        fprintf(stderr, "chainlog: data pool exhausted\n");
        exit(1);
    }
    uint8_t *p = cl_pool + cl_used;
    memset(p, 0, n);
    cl_used += n;
    return p;
}

static inline void cl_word(uint8_t w[32], uint64_t v) {
    memset(w, 0, 32);
    for (int i = 0; i < 8; i++) w[31 - i] = (uint8_t)(v >> (8 * i));
}

static inline void cl_addr_topic(uint8_t t[32], const uint8_t addr[20]) {
    memset(t, 0, 12);
    memcpy(t + 12, addr, 20);
}

/* A log at (block, index): topic0, then up to three more topics, block time = 1000 + block. */
static inline rpc_log cl_log(uint64_t block, uint64_t index, const uint8_t topic0[32]) {
    rpc_log l;
    memset(&l, 0, sizeof l);
    memcpy(l.address, CL_CONTRACT, 20);
    memcpy(l.topics[0], topic0, 32);
    l.ntopics = 1;
    l.block_number = block;
    memset(l.block_hash, 0xb0, 32);
    cl_word(l.block_hash, block);
    l.block_hash[0] = 0xb0;
    cl_word(l.tx_hash, block * 1000 + index);
    l.tx_hash[0] = 0x7e;
    l.log_index = index;
    l.has_block_time = true;
    l.block_time = 1000 + block;
    return l;
}

static inline void cl_data_u64(rpc_log *l, uint64_t v) {
    l->data = cl_alloc(32);
    l->data_len = 32;
    cl_word(l->data, v);
}

/* JobCreated(bytes32 indexed jobId, address indexed renter, address indexed provider, uint256 payment) */
static inline rpc_log cl_job_created(uint64_t block, uint64_t index, const uint8_t id[32], const uint8_t renter[20],
                              const uint8_t provider[20], uint64_t payment) {
    rpc_log l = cl_log(block, index, CONTRACT_TOPIC_JOB_CREATED);
    memcpy(l.topics[1], id, 32);
    cl_addr_topic(l.topics[2], renter);
    cl_addr_topic(l.topics[3], provider);
    l.ntopics = 4;
    cl_data_u64(&l, payment);
    return l;
}

/* JobConfirmed(bytes32 indexed jobId, uint256 confirmedAt) */
static inline rpc_log cl_job_confirmed(uint64_t block, uint64_t index, const uint8_t id[32], uint64_t at) {
    rpc_log l = cl_log(block, index, CONTRACT_TOPIC_JOB_CONFIRMED);
    memcpy(l.topics[1], id, 32);
    l.ntopics = 2;
    cl_data_u64(&l, at);
    return l;
}

/* PaymentClaimed(bytes32 indexed jobId, address indexed provider, uint256 amount) */
static inline rpc_log cl_payment_claimed(uint64_t block, uint64_t index, const uint8_t id[32], const uint8_t provider[20],
                                  uint64_t amount) {
    rpc_log l = cl_log(block, index, CONTRACT_TOPIC_PAYMENT_CLAIMED);
    memcpy(l.topics[1], id, 32);
    cl_addr_topic(l.topics[2], provider);
    l.ntopics = 3;
    cl_data_u64(&l, amount);
    return l;
}

/* NodeRegistered(address indexed provider, string gpuModel, uint256 vram) */
static inline rpc_log cl_node_registered(uint64_t block, uint64_t index, const uint8_t provider[20], const char *gpu,
                                  uint64_t vram) {
    rpc_log l = cl_log(block, index, CONTRACT_TOPIC_NODE_REGISTERED);
    cl_addr_topic(l.topics[1], provider);
    l.ntopics = 2;
    size_t len = strlen(gpu), padded = (len + 31) / 32 * 32;
    l.data_len = 96 + padded;
    l.data = cl_alloc(l.data_len);
    cl_word(l.data, 64); /* offset of the string */
    cl_word(l.data + 32, vram);
    cl_word(l.data + 64, len);
    memcpy(l.data + 96, gpu, len);
    return l;
}

/* An event of the shape (address indexed provider, uint256 value). */
static inline rpc_log cl_provider_u256(uint64_t block, uint64_t index, const uint8_t topic0[32],
                                       const uint8_t provider[20], uint64_t value) {
    rpc_log l = cl_log(block, index, topic0);
    cl_addr_topic(l.topics[1], provider);
    l.ntopics = 2;
    cl_data_u64(&l, value);
    return l;
}

/* NodeHeartbeat(address indexed provider, uint256 timestamp) */
static inline rpc_log cl_node_heartbeat(uint64_t block, uint64_t index, const uint8_t provider[20], uint64_t ts) {
    return cl_provider_u256(block, index, CONTRACT_TOPIC_NODE_HEARTBEAT, provider, ts);
}

/* JobCountIncremented(address indexed provider, uint256 newCount) */
static inline rpc_log cl_job_count(uint64_t block, uint64_t index, const uint8_t provider[20], uint64_t count) {
    return cl_provider_u256(block, index, CONTRACT_TOPIC_JOB_COUNT_INCREMENTED, provider, count);
}

/* The configuration from defaults and the environment only (no .env), for job_events_ctx_new. */
static inline void cl_load_config(lamda_config *cfg) {
    char err[256];
    setenv("LAMDA_DOTENV", "/nonexistent", 1);
    if (config_load(cfg, "/nonexistent", err, sizeof err) != 0) {
        fprintf(stderr, "config: %s\n", err);
        exit(1);
    }
}

/* A fresh SQLite database in a directory of its own, removed at exit by the caller's cleanup. */
static char cl_dir[64];
static int cl_seq;

static inline store *cl_fresh_store(void) {
    if (!cl_dir[0]) {
        snprintf(cl_dir, sizeof cl_dir, "/tmp/lamda-unit-XXXXXX");
        if (!mkdtemp(cl_dir)) {
            perror("mkdtemp");
            exit(1);
        }
    }
    char url[128], err[256];
    snprintf(url, sizeof url, "sqlite:%s/t%d.db", cl_dir, ++cl_seq);
    store *s = NULL;
    if (store_open(url, &s, err, sizeof err) != STORE_OK) {
        fprintf(stderr, "store_open %s: %s\n", url, err);
        exit(1);
    }
    return s;
}

static inline void cl_cleanup(void) {
    char cmd[128];
    if (!cl_dir[0]) return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", cl_dir);
    if (system(cmd) != 0) fprintf(stderr, "chainlog: could not remove %s\n", cl_dir);
}

/* One batch as the follower applies it: the handler's prepare outside, then one transaction. */
static inline int cl_apply_batch(store *s, const follower_handler *h, const rpc_log *logs, size_t n) {
    size_t applied;
    if (h->prepare && h->prepare(h->ud, s, logs, n) < 0) return STORE_ERR;
    int rc = store_begin(s);
    if (rc != STORE_OK) return rc;
    rc = follower_apply_logs(s, h, CL_CHAIN, CL_CONTRACT, logs, n, 0, &applied);
    if (rc >= 0) rc = store_commit(s);
    if (rc < 0) store_rollback(s);
    return rc;
}

#endif
