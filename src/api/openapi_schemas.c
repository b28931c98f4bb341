/* openapi_schemas — the body schemas of the OpenAPI document (components/schemas), one entry
 * per request or response body, written as JSON Schema 2020-12 (OpenAPI 3.1). openapi.c
 * parses them into the document; the route tables name them (api_route.request/response).
 *
 * They describe what the writers emit, field for field: api_provider_write / api_job_write
 * (json_out.c), the envelopes (respond.c) and each handler's cJSON object. Every object lists
 * its required keys and forbids others, so a renamed, missing or extra field fails the
 * response validation test (tests/integration/test_openapi_contract.sh). Change a writer and
 * its schema together.
 *
 * S() turns the JSON, written as C tokens, into a string literal: no escaping by hand (a
 * backslash inside a JSON string is written as JSON writes it, "\\"). */
#include <stddef.h>
#include <string.h>

#include "api/internal.h"

#define S(...) #__VA_ARGS__

#define JSON "application/json"

const api_schema api_schemas[] = {
    /* ---- scalars ---- */
    {"Address", NULL, NULL,
     S({"type": "string", "pattern": "^0x[0-9a-fA-F]{40}$",
        "description": "20-byte address, EIP-55 checksummed in responses"})},
    {"Bytes32", NULL, NULL,
     S({"type": "string", "pattern": "^0x[0-9a-f]{64}$", "description": "32 bytes as 0x + 64 lowercase hex digits"})},
    /* Timestamps as api_fmt_time writes them (UTC, whole seconds; years past 9999 have more
     * digits). */
    {"TimestampOrNull", NULL, NULL,
     S({"type": ["string", "null"], "pattern": "^[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$", "description": "RFC 3339 UTC time; null when not (yet) set"})},
    {"TimestampOrEmpty", NULL, NULL,
     S({"type": "string", "pattern": "^([0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)?$",
        "description": "RFC 3339 UTC time; the empty string when unknown"})},
    {"JobStatus", NULL, NULL,
     S({"type": "string", "enum": ["created", "assigned", "running", "completed", "failed", "confirmed", "paid", "cancelled"]})},

    /* ---- objects ---- */
    {"Provider", NULL, NULL,
     S({"type": "object", "description": "A GPU provider (node) as the database knows it",
        "additionalProperties": false,
        "required": ["wallet_address", "gpu_model", "vram", "last_seen", "is_online", "is_registered",
                     "total_jobs_completed", "reputation_score", "created_at", "updated_at"],
        "properties": {
            "wallet_address": {"$ref": "#/components/schemas/Address"},
            "gpu_model": {"type": "string"},
            "vram": {"type": "integer", "description": "MiB"},
            "last_seen": {"$ref": "#/components/schemas/TimestampOrNull"},
            "is_online": {"type": "boolean"},
            "is_registered": {"type": "boolean"},
            "total_jobs_completed": {"type": "integer"},
            "reputation_score": {"type": "integer"},
            "created_at": {"$ref": "#/components/schemas/TimestampOrEmpty"},
            "updated_at": {"$ref": "#/components/schemas/TimestampOrEmpty"}}})},
    {"Job", NULL, NULL,
     S({"type": "object", "description": "A job of the JobManager contract with its off-chain progress",
        "additionalProperties": false,
        "required": ["id", "job_id", "renter_address", "provider_address", "docker_image", "input_file_cid",
                     "output_file_cid", "payment_amount", "status", "created_at", "assigned_at", "running_at",
                     "completed_at", "failed_at", "confirmed_at", "paid_at", "paid_amount", "error_message",
                     "created_block", "updated_at"],
        "properties": {
            "id": {"$ref": "#/components/schemas/Bytes32"},
            "job_id": {"$ref": "#/components/schemas/Bytes32"},
            "renter_address": {"$ref": "#/components/schemas/Address"},
            "provider_address": {"$ref": "#/components/schemas/Address"},
            "docker_image": {"type": ["string", "null"]},
            "input_file_cid": {"type": ["string", "null"]},
            "output_file_cid": {"type": ["string", "null"]},
            "payment_amount": {"type": "string", "pattern": "^[0-9]+$", "description": "wei, decimal"},
            "status": {"$ref": "#/components/schemas/JobStatus"},
            "created_at": {"$ref": "#/components/schemas/TimestampOrNull"},
            "assigned_at": {"$ref": "#/components/schemas/TimestampOrNull"},
            "running_at": {"$ref": "#/components/schemas/TimestampOrNull"},
            "completed_at": {"$ref": "#/components/schemas/TimestampOrNull"},
            "failed_at": {"$ref": "#/components/schemas/TimestampOrNull"},
            "confirmed_at": {"$ref": "#/components/schemas/TimestampOrNull"},
            "paid_at": {"$ref": "#/components/schemas/TimestampOrNull"},
            "paid_amount": {"type": ["string", "null"], "description": "wei, decimal"},
            "error_message": {"type": ["string", "null"]},
            "created_block": {"type": "integer"},
            "updated_at": {"$ref": "#/components/schemas/TimestampOrNull"}}})},
    {"NodeList", NULL, NULL,
     S({"type": "object", "additionalProperties": false,
        "required": ["nodes", "count", "total", "limit", "offset"],
        "properties": {
            "nodes": {"type": "array", "items": {"$ref": "#/components/schemas/Provider"}},
            "count": {"type": "integer", "minimum": 0, "description": "rows in this page"},
            "total": {"type": "integer", "minimum": 0, "description": "rows matching the filter"},
            "limit": {"type": "integer", "minimum": 1, "maximum": 1000},
            "offset": {"type": "integer", "minimum": 0}}})},
    {"JobList", NULL, NULL,
     S({"type": "object", "additionalProperties": false,
        "required": ["jobs", "count", "total", "limit", "offset"],
        "properties": {
            "jobs": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}},
            "count": {"type": "integer", "minimum": 0, "description": "rows in this page"},
            "total": {"type": "integer", "minimum": 0, "description": "rows matching the filter"},
            "limit": {"type": "integer", "minimum": 1, "maximum": 1000},
            "offset": {"type": "integer", "minimum": 0}}})},
    {"NodeStats", NULL, NULL,
     S({"type": "object", "description": "GET /api/v1/nodes/stats", "additionalProperties": false,
        "required": ["total_nodes", "online_nodes", "offline_nodes", "registered_nodes", "total_vram",
                     "total_jobs_completed", "avg_reputation", "total_jobs", "gpu_models", "gpu_model_counts"],
        "properties": {
            "total_nodes": {"type": "integer"},
            "online_nodes": {"type": "integer"},
            "offline_nodes": {"type": "integer"},
            "registered_nodes": {"type": "integer"},
            "total_vram": {"type": "integer", "description": "MiB"},
            "total_jobs_completed": {"type": "integer"},
            "avg_reputation": {"type": "number"},
            "total_jobs": {"type": "integer"},
            "gpu_models": {"type": "array", "items": {"type": "string"}},
            "gpu_model_counts": {"type": "object", "additionalProperties": {"type": "integer"}}}})},
    {"JobStatusCounts", NULL, NULL,
     S({"type": "object", "description": "jobs per status", "additionalProperties": false,
        "required": ["created", "assigned", "running", "completed", "failed", "confirmed", "paid", "cancelled"],
        "properties": {
            "created": {"type": "integer"}, "assigned": {"type": "integer"}, "running": {"type": "integer"},
            "completed": {"type": "integer"}, "failed": {"type": "integer"}, "confirmed": {"type": "integer"},
            "paid": {"type": "integer"}, "cancelled": {"type": "integer"}}})},
    {"JobStats", NULL, NULL,
     S({"type": "object", "description": "GET /api/v1/jobs/stats", "additionalProperties": false,
        "required": ["total_jobs", "by_status", "completed_jobs", "failed_jobs", "running_jobs", "pending_jobs",
                     "status_breakdown"],
        "properties": {
            "total_jobs": {"type": "integer"},
            "by_status": {"$ref": "#/components/schemas/JobStatusCounts"},
            "completed_jobs": {"type": "integer"},
            "failed_jobs": {"type": "integer"},
            "running_jobs": {"type": "integer"},
            "pending_jobs": {"type": "integer"},
            "status_breakdown": {"type": "object", "description": "status name to job count",
                                 "additionalProperties": {"type": "integer"}}}})},
    {"ChainProviderInfo", NULL, NULL,
     S({"type": "object", "description": "NodeReputation.getProviderInfo; uint256 values as decimal strings",
        "additionalProperties": false,
        "required": ["gpu_model", "vram", "last_seen", "is_registered", "job_count"],
        "properties": {
            "gpu_model": {"type": "string"},
            "vram": {"type": "string", "pattern": "^[0-9]+$"},
            "last_seen": {"type": "string", "pattern": "^[0-9]+$", "description": "unix seconds"},
            "is_registered": {"type": "boolean"},
            "job_count": {"type": "string", "pattern": "^[0-9]+$"}}})},
    {"Reputation", NULL, NULL,
     S({"type": "object", "additionalProperties": false,
        "description": "reputation_score is the on-chain job count when the chain answered, else the database's; absent when neither knows the provider's score",
        "required": ["wallet_address", "database", "chain", "stale"],
        "properties": {
            "wallet_address": {"$ref": "#/components/schemas/Address"},
            "reputation_score": {"type": "integer"},
            "total_jobs_completed": {"type": "integer"},
            "is_online": {"type": "boolean"},
            "database": {"oneOf": [{"$ref": "#/components/schemas/Provider"}, {"type": "null"}]},
            "chain": {"oneOf": [{"$ref": "#/components/schemas/ChainProviderInfo"}, {"type": "null"}]},
            "stale": {"type": "boolean", "description": "true when the chain could not be asked"},
            "stale_reason": {"type": "string"}}})},
    {"ReputationJobs", NULL, NULL,
     S({"type": "object", "additionalProperties": false,
        "required": ["wallet_address", "total_jobs_completed", "reputation_score"],
        "properties": {
            "wallet_address": {"$ref": "#/components/schemas/Address"},
            "total_jobs_completed": {"type": "integer"},
            "reputation_score": {"type": "integer"}}})},
    {"JobSpecAccepted", NULL, NULL,
     S({"type": "object", "additionalProperties": false, "required": ["jobId", "signer", "jobKnown", "dispatched"],
        "properties": {
            "jobId": {"$ref": "#/components/schemas/Bytes32"},
            "signer": {"$ref": "#/components/schemas/Address"},
            "jobKnown": {"type": "boolean", "description": "the job is already on chain (HTTP 200; 202 otherwise)"},
            "dispatched": {"type": "boolean"}}})},
    {"ReadyCheck", NULL, NULL,
     S({"type": "object", "additionalProperties": false, "required": ["ok"],
        "properties": {"ok": {"type": "boolean"}, "detail": {"type": "string"}}})},
    {"Readiness", NULL, NULL,
     S({"type": "object", "additionalProperties": false, "required": ["checks", "status"],
        "properties": {
            "checks": {"type": "object", "description": "check name (database, …) to result",
                       "additionalProperties": {"$ref": "#/components/schemas/ReadyCheck"}},
            "status": {"type": "string", "enum": ["ready", "not ready"]}}})},

    /* ---- request bodies ---- */
    {"NodeQuery", NULL, NULL,
     S({"type": "object", "additionalProperties": false,
        "description": "POST /api/nodes/query: the GET filters as a JSON object; null means absent",
        "properties": {
            "min_vram": {"type": ["integer", "null"], "minimum": 0},
            "gpu_model": {"type": ["string", "null"], "minLength": 1, "maxLength": 255},
            "min_reputation_score": {"type": ["integer", "null"], "minimum": 0},
            "online": {"type": ["boolean", "string", "null"], "enum": [true, false, "true", "false", "any", null]},
            "limit": {"type": ["integer", "null"], "minimum": 1, "maximum": 1000},
            "offset": {"type": ["integer", "null"], "minimum": 0}}})},
    {"JobQuery", NULL, NULL,
     S({"type": "object", "additionalProperties": false,
        "description": "POST /api/jobs/query: the GET filters as a JSON object; null means absent",
        "properties": {
            "renter_address": {"oneOf": [{"$ref": "#/components/schemas/Address"}, {"type": "null"}]},
            "provider_address": {"oneOf": [{"$ref": "#/components/schemas/Address"}, {"type": "null"}]},
            "status": {"oneOf": [{"$ref": "#/components/schemas/JobStatus"}, {"type": "null"}]},
            "limit": {"type": ["integer", "null"], "minimum": 1, "maximum": 1000},
            "offset": {"type": ["integer", "null"], "minimum": 0}}})},
    {"JobSpec", NULL, NULL,
     S({"type": "object", "additionalProperties": false,
        "description": "POST /api/jobs: a job's spec, EIP-191 signed by its renter (README, Job specs)",
        "required": ["jobId", "dockerImage", "inputFileCID", "signature"],
        "properties": {
            "jobId": {"type": "string", "pattern": "^0x[0-9a-fA-F]{64}$"},
            "dockerImage": {"type": "string", "minLength": 1},
            "inputFileCID": {"type": "string", "description": "IPFS CID (v0 or v1)"},
            "signature": {"type": "string", "pattern": "^(0x)?[0-9a-fA-F]{130}$"}}})},
    {"StatusUpdate", NULL, NULL,
     S({"type": "object", "additionalProperties": false,
        "description": "PUT /api/jobs/{id}/status. signature and timestamp may come as X-Signature / X-Timestamp headers instead (docs/api-auth.md)",
        "required": ["status"],
        "properties": {
            "status": {"type": "string", "enum": ["assigned", "running", "completed", "failed", "cancelled"]},
            "output_cid": {"type": ["string", "null"], "description": "IPFS CID of the output"},
            "output_file_cid": {"type": ["string", "null"], "description": "alias of output_cid"},
            "error_message": {"type": ["string", "null"]},
            "signature": {"type": "string", "pattern": "^(0x)?[0-9a-fA-F]{130}$"},
            "timestamp": {"type": ["integer", "string"], "description": "unix seconds"}}})},

    /* ---- whole response bodies ---- */
    {"Error", JSON, NULL,
     S({"type": "object", "additionalProperties": false, "required": ["success", "error"],
        "properties": {"success": {"const": false}, "error": {"type": "string"}}})},
    {"PlainError", "text/plain; charset=utf-8", NULL,
     S({"type": "string", "description": "a refusal by the HTTP server itself, before the API sees the request (a body over API_MAX_BODY)"})},
    {"NotReady", JSON, NULL,
     S({"type": "object", "additionalProperties": false, "required": ["success", "error", "data"],
        "properties": {"success": {"const": false}, "error": {"type": "string"},
                       "data": {"$ref": "#/components/schemas/Readiness"}}})},
    {"Health", JSON, NULL,
     S({"type": "object", "additionalProperties": false, "required": ["status", "service"],
        "properties": {"status": {"const": "healthy"}, "service": {"type": "string"}}})},
    {"Metrics", "text/plain; version=0.0.4; charset=utf-8", NULL,
     S({"type": "string", "description": "Prometheus text exposition format 0.0.4"})},
    {"OpenApiDocument", JSON, NULL,
     S({"type": "object", "description": "this document", "required": ["openapi", "info", "paths"],
        "properties": {"openapi": {"type": "string", "pattern": "^3\\.1\\."}, "info": {"type": "object"},
                       "paths": {"type": "object"}}})},
    /* Server-Sent Events (routes_events.c, sse_format.c) */
    {"EventStream", "text/event-stream", NULL,
     S({"type": "string", "description": "Server-Sent Events. Each event: `id: N` (resume with the Last-Event-ID header), `event: job|dispatch|node|reset`, `data: {json}`. job/dispatch data: {id, type, job_id, status, previous_status, provider_address, renter_address, at_ms}; node data: {id, type, provider_address, is_online, total_jobs_completed, at_ms}; reset: the given id is no longer kept, reload the state. Comment lines (`: keep-alive`) every SSE_HEARTBEAT."})},
    /* {"success":true,"data":<data>}: built by openapi.c around the named schema. */
    {"ReadyResponse", JSON, "Readiness", NULL},
    {"ProviderResponse", JSON, "Provider", NULL},
    {"NodeListResponse", JSON, "NodeList", NULL},
    {"NodeStatsResponse", JSON, "NodeStats", NULL},
    {"JobResponse", JSON, "Job", NULL},
    {"JobListResponse", JSON, "JobList", NULL},
    {"JobStatsResponse", JSON, "JobStats", NULL},
    {"JobSpecResponse", JSON, "JobSpecAccepted", NULL},
    {"ReputationResponse", JSON, "Reputation", NULL},
    {"ReputationJobsResponse", JSON, "ReputationJobs", NULL},
    {NULL, NULL, NULL, NULL},
};

const api_schema *api_schema_find(const char *name) {
    for (const api_schema *s = api_schemas; name && s->name; s++)
        if (!strcmp(s->name, name)) return s;
    return NULL;
}
