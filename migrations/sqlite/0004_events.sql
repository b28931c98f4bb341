-- lamda schema v4 (SQLite): the events table behind the Server-Sent Events streams.
-- Triggers write one row per state change in the same transaction as the change itself, so
-- every writer (followers, agent reports, the API, the outbox publisher) emits without knowing
-- about it, and a rolled-back change leaves no event. AUTOINCREMENT: ids never go back, even
-- after the retention prune emptied the table, so a client's Last-Event-ID stays meaningful.
-- Kept column-for-column identical to postgres/0004_events.sql.

CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,    -- 'job', 'node' or 'dispatch'
    job_id      BLOB,
    provider    BLOB,
    renter      BLOB,
    status      TEXT,             -- job: new status ('removed' when deleted by a reorg)
    prev_status TEXT,
    is_online   INTEGER,
    job_count   INTEGER,
    created_ms  INTEGER NOT NULL  -- wall clock of the write, ms (retention; latency metric)
);
CREATE INDEX events_time ON events (created_ms);

CREATE TRIGGER events_job_insert AFTER INSERT ON jobs BEGIN
    INSERT INTO events (kind, job_id, provider, renter, status, created_ms)
    VALUES ('job', NEW.job_id, NEW.provider, NEW.renter, NEW.status,
            CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER events_job_status AFTER UPDATE OF status ON jobs WHEN NEW.status IS NOT OLD.status BEGIN
    INSERT INTO events (kind, job_id, provider, renter, status, prev_status, created_ms)
    VALUES ('job', NEW.job_id, NEW.provider, NEW.renter, NEW.status, OLD.status,
            CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER events_job_delete AFTER DELETE ON jobs BEGIN
    INSERT INTO events (kind, job_id, provider, renter, status, prev_status, created_ms)
    VALUES ('job', OLD.job_id, OLD.provider, OLD.renter, 'removed', OLD.status,
            CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER events_node_insert AFTER INSERT ON providers BEGIN
    INSERT INTO events (kind, provider, is_online, job_count, created_ms)
    VALUES ('node', NEW.address, NEW.is_online, NEW.total_jobs_completed,
            CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

-- Heartbeats only move last_seen: not an event (they would flood the streams).
CREATE TRIGGER events_node_update AFTER UPDATE ON providers
WHEN NEW.is_online IS NOT OLD.is_online OR NEW.total_jobs_completed IS NOT OLD.total_jobs_completed
  OR NEW.is_registered IS NOT OLD.is_registered BEGIN
    INSERT INTO events (kind, provider, is_online, job_count, created_ms)
    VALUES ('node', NEW.address, NEW.is_online, NEW.total_jobs_completed,
            CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER events_dispatch AFTER UPDATE OF sent_at ON outbox
WHEN OLD.sent_at IS NULL AND NEW.sent_at IS NOT NULL BEGIN
    INSERT INTO events (kind, job_id, provider, renter, status, created_ms)
    SELECT 'dispatch', NEW.job_id, j.provider, j.renter, 'dispatched',
           CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    FROM (SELECT 1) LEFT JOIN jobs j ON j.job_id = NEW.job_id;
END;
