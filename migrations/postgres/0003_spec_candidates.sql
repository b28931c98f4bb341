-- Candidate job specs: a spec for a job id the chain does not know yet, one per (job, signer).
-- The renter is known only once JobCreated is seen, so nobody's spec can be refused or
-- preferred before then; the on-chain renter's candidate is moved to job_specs at JobCreated and
-- the others are dropped (issue 21: a squatter's spec once took the job id first).
CREATE TABLE job_spec_candidates (
    job_id       BYTEA NOT NULL,
    signer       BYTEA NOT NULL,
    docker_image TEXT NOT NULL,
    input_cid    TEXT NOT NULL,
    signature    BYTEA,
    received_at  BIGINT NOT NULL,
    PRIMARY KEY (job_id, signer)
);
CREATE INDEX job_spec_candidates_signer ON job_spec_candidates (signer);
CREATE INDEX job_spec_candidates_received ON job_spec_candidates (received_at);
