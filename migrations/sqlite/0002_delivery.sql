-- lamda schema v2 (SQLite): acknowledged delivery of each job to its provider's agent.
-- Kept column-for-column identical to postgres/0002_delivery.sql.
-- One row per dispatched job, written in the same transaction as its outbox row. The outbox
-- row stores the job in JetStream; this row tracks the copies handed to the agent's core
-- subscription (jobs.dispatch.<addr>) until the agent reports on agent.status.
--   state: waiting   (due at next_at_ms: no live subscription seen yet, or re-probing)
--          sending   (a copy is being handed over; found after a crash = maybe delivered)
--          delivered (a live subscription took a copy; awaiting the agent's report)
--          acked     (the provider's agent reported: delivery done)
--          expired   (JOB_DELIVERY_TIMEOUT passed; the job is 'undelivered', reason says why)
CREATE TABLE deliveries (
    job_id      BLOB PRIMARY KEY,
    provider    BLOB NOT NULL,
    subject     TEXT NOT NULL,
    state       TEXT NOT NULL,
    probes      INTEGER NOT NULL DEFAULT 0, -- attempts answered "no responders"
    copies      INTEGER NOT NULL DEFAULT 0, -- copies a live subscription took
    next_at_ms  INTEGER NOT NULL DEFAULT 0,
    sent_at_ms  INTEGER,
    acked_at    INTEGER,
    created_at  INTEGER NOT NULL,
    reason      TEXT
);
CREATE INDEX deliveries_state_due ON deliveries (state, next_at_ms);
