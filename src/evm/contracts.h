/* contracts — selectors and event topics of the two deployed contracts (NodeReputation and
 * JobManager, reference ABIs in contracts/abi/). Each constant is keccak256 of the matching
 * CONTRACT_SIG_* string; tests/unit/test_abi.c rebuilds every signature from the ABI JSON and
 * checks both, so a changed ABI fails the build's tests rather than the chain calls.
 *
 * Argument and return layouts (for abi_enc_* / abi_dec_*):
 *   registerNode(string gpuModel, uint256 vram)   -> ()
 *   sendHeartbeat()                               -> ()
 *   incrementJobs(address provider)               -> ()
 *   getProviderInfo(address) -> ((string gpuModel, uint256 vram, uint256 lastSeen, bool isRegistered),
 *       uint256 jobCount): the first result is a dynamic tuple (abi_dec_tuple), then a uint256
 *   owner() -> (address)
 *   createJob(bytes32 jobId, address provider)    -> () (payable)
 *   confirmResult(bytes32), claimReward(bytes32)  -> ()
 *   getJobInfo(bytes32) -> ((bytes32 jobId, address renter, address provider, uint256 payment,
 *       uint8 status, uint256 createdAt, uint256 confirmedAt)): a static tuple, i.e. seven
 *       consecutive head slots
 * Events (indexed parameters are topics 1..n, the rest is ABI-encoded data):
 *   NodeRegistered(address indexed, string, uint256)
 *   NodeHeartbeat(address indexed, uint256), JobCountIncremented(address indexed, uint256)
 *   OwnershipTransferred(address indexed, address indexed)
 *   JobCreated(bytes32 indexed, address indexed, address indexed, uint256)
 *   JobConfirmed(bytes32 indexed, uint256)
 *   PaymentClaimed(bytes32 indexed, address indexed, uint256) */
#ifndef LAMDA_CONTRACTS_H
#define LAMDA_CONTRACTS_H

#include <stdint.h>

#define CONTRACT_SIG_REGISTER_NODE "registerNode(string,uint256)"
#define CONTRACT_SIG_SEND_HEARTBEAT "sendHeartbeat()"
#define CONTRACT_SIG_INCREMENT_JOBS "incrementJobs(address)"
#define CONTRACT_SIG_GET_PROVIDER_INFO "getProviderInfo(address)"
#define CONTRACT_SIG_OWNER "owner()"
#define CONTRACT_SIG_CREATE_JOB "createJob(bytes32,address)"
#define CONTRACT_SIG_CONFIRM_RESULT "confirmResult(bytes32)"
#define CONTRACT_SIG_CLAIM_REWARD "claimReward(bytes32)"
#define CONTRACT_SIG_GET_JOB_INFO "getJobInfo(bytes32)"
#define CONTRACT_SIG_NODE_REGISTERED "NodeRegistered(address,string,uint256)"
#define CONTRACT_SIG_NODE_HEARTBEAT "NodeHeartbeat(address,uint256)"
#define CONTRACT_SIG_JOB_COUNT_INCREMENTED "JobCountIncremented(address,uint256)"
#define CONTRACT_SIG_OWNERSHIP_TRANSFERRED "OwnershipTransferred(address,address)"
#define CONTRACT_SIG_JOB_CREATED "JobCreated(bytes32,address,address,uint256)"
#define CONTRACT_SIG_JOB_CONFIRMED "JobConfirmed(bytes32,uint256)"
#define CONTRACT_SIG_PAYMENT_CLAIMED "PaymentClaimed(bytes32,address,uint256)"

extern const uint8_t CONTRACT_SEL_REGISTER_NODE[4];
extern const uint8_t CONTRACT_SEL_SEND_HEARTBEAT[4];
extern const uint8_t CONTRACT_SEL_INCREMENT_JOBS[4];
extern const uint8_t CONTRACT_SEL_GET_PROVIDER_INFO[4];
extern const uint8_t CONTRACT_SEL_OWNER[4];
extern const uint8_t CONTRACT_SEL_CREATE_JOB[4];
extern const uint8_t CONTRACT_SEL_CONFIRM_RESULT[4];
extern const uint8_t CONTRACT_SEL_CLAIM_REWARD[4];
extern const uint8_t CONTRACT_SEL_GET_JOB_INFO[4];
extern const uint8_t CONTRACT_TOPIC_NODE_REGISTERED[32];
extern const uint8_t CONTRACT_TOPIC_NODE_HEARTBEAT[32];
extern const uint8_t CONTRACT_TOPIC_JOB_COUNT_INCREMENTED[32];
extern const uint8_t CONTRACT_TOPIC_OWNERSHIP_TRANSFERRED[32];
extern const uint8_t CONTRACT_TOPIC_JOB_CREATED[32];
extern const uint8_t CONTRACT_TOPIC_JOB_CONFIRMED[32];
extern const uint8_t CONTRACT_TOPIC_PAYMENT_CLAIMED[32];

#endif
