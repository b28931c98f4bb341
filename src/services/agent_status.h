/* agent_status — progress reports from node agents on NATS subject `agent.status`.
 *
 * Message (the published agent's format): {"agent_address","job_id","status":
 * "processing"|"completed"|"failed","output_cid","timestamp" (RFC 3339)}; "error" optional.
 * processing → running, completed (with a valid output CID) → completed, failed → failed.
 * A report is accepted only from the job's provider and only along a valid transition;
 * anything else is logged and dropped. The subject is unauthenticated in the published
 * protocol, so the database never lets a report move a job backwards or past confirmation.
 *
 * Provenance (issue 21, docs/reliability.md "Security"): with the NATS accounts of
 * tools/natsauth.c, a provider's plain publish to `agent.status` reaches lamda as
 * `agent.status.<its EIP-55 address>` (a subject mapping in the provider's own account, which
 * the provider cannot change), so the sender is known: agent_status_check_subject refuses a
 * report whose agent_address is not the subject's. Optionally a report carries "signature",
 * an EIP-191 personal_sign by agent_address over agent_status_message(); it is verified when
 * present and required when AGENT_STATUS_REQUIRE_SIGNATURE=true. */
#ifndef LAMDA_AGENT_STATUS_H
#define LAMDA_AGENT_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus/bus.h"
#include "core/config.h"
#include "store/store.h"

#define AGENT_STATUS_MAX_BYTES 65536

typedef struct {
    uint8_t agent[20];
    uint8_t job_id[32];
    job_status to;
    char output_cid[STORE_CID_MAX];
    char error[STORE_ERROR_MAX];
    int64_t ts; /* from "timestamp", or 0 when absent */
    bool signed_by_agent; /* "signature" was present and recovers to agent */
} agent_report;

#define AGENT_STATUS_SUBJECT "agent.status"
#define AGENT_STATUS_SUBJECT_PREFIX "agent.status." /* + EIP-55 address: the server-mapped form */
#define AGENT_STATUS_STREAM "LAMDA_STATUS" /* keeps the reports until each deployment took them */

/* The text a report's "signature" signs (LF line breaks, no trailing LF; the job id in
 * lowercase hex; output and timestamp exactly as sent, empty when absent):
 *   lamda:agent-status
 *   job:0x<64 hex>
 *   status:<status>
 *   output:<output_cid>
 *   timestamp:<timestamp>
 * Returns its length, or -1 if it does not fit in cap. */
int agent_status_message(const uint8_t job_id[32], const char *status, const char *output_cid,
                         const char *timestamp, char *out, size_t cap);

/* The identity the subject carries: 0 for plain "agent.status" (no identity: only lamda's own
 * users can publish there when the server has accounts) or for "agent.status.<address>" naming
 * r->agent; -1 with err for any other address or subject. */
int agent_status_check_subject(const char *subject, const agent_report *r, char *err, size_t errlen);

/* Parse and validate one message (untrusted bytes). 0, or -1 with a reason in err. */
int agent_status_parse(const uint8_t *p, size_t len, agent_report *out, char *err, size_t errlen);

/* Apply a parsed report. 0 when applied; AGENT_STATUS_REPEAT when the job already shows what
 * it says or has gone past it (the same report seen twice, or a processing report after the
 * job completed); -1 with a reason when refused (unknown job, wrong agent, a transition the
 * job cannot make, such as failed after completed); a negative store code on a database
 * failure. */
#define AGENT_STATUS_REPEAT 1
int agent_status_apply(store *s, const agent_report *r, int64_t now, char *err, size_t errlen);

/* RFC 3339 date-time → unix seconds (fractions dropped): "2026-11-29T22:30:47Z", and Go's
 * time.RFC3339Nano as the published agent writes it ("…T13:37:32.215190849+05:30", up to nine
 * fraction digits, trailing zeros trimmed). The date must exist; second 60 is refused. */
int agent_status_parse_time(const char *s, int64_t *out);

/* The job dispatcher's agent.status subscriber. Each report comes twice: live (core
 * subscriptions to agent.status and agent.status.*) and from this deployment's consumer of
 * the capture (agent_status_ensure_capture), which keeps every report until a dispatcher of
 * the deployment has applied it. The live copy is applied at once and keeps reports flowing
 * while a clustered stream elects a leader; the captured copy covers a dispatcher that was
 * down or died holding the report, and is the one counted and logged (the other is then a
 * repeat). A failed subscription is logged and the dispatcher runs on with the other. NULL
 * only when out of memory. */
typedef struct agent_status_sub agent_status_sub;
agent_status_sub *agent_status_subscribe(bus *b, const lamda_config *cfg);
/* Create or check the stream AGENT_STATUS_STREAM on agent.status and agent.status.* and this
 * deployment's consumer of it (named after NATS_STREAM). Needs NATS up; 0, or -1 with err. */
int agent_status_ensure_capture(bus *b, const lamda_config *cfg, char *err, size_t errlen);
/* Unsubscribe, wait for a report being applied, close the store. NULL is a no-op. */
void agent_status_unsubscribe(agent_status_sub *c);

#endif
