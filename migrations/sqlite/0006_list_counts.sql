-- lamda schema v6 (SQLite): list totals kept with the data (issue 18). Every page of
-- GET /api/jobs and GET /api/nodes reports the total its filter matches; a count(*) per request
-- reads every matching index entry (a provider's jobs, a status, the whole table), so its cost
-- grows with the data. These counters are maintained by triggers in the same transaction as the
-- write, so every writer (the followers, a reorg's undo, `lamda rebuild`, the set-based ingest,
-- agent reports through the API, the dispatcher's deadlines, a person with psql) keeps them
-- right without knowing about them, and a rolled-back write leaves them untouched. Kept
-- column-for-column identical to postgres/0006_list_counts.sql; store_query.c maps a list
-- filter to its row and column.
--
-- One row per list and owner, a column per job status beside the total:
--   'jobs'          owner x''        all jobs
--   'jobs_provider' owner <address>  a provider's jobs
--   'jobs_renter'   owner <address>  a renter's jobs
--   'providers'     owner x''        providers: total, online (is_online = 1), offline (= 0)
-- so a new job costs one counter row per list (3), not one per list and status, and a status
-- change moves counts between two columns of the same rows. (Measured on a 100,000-JobCreated
-- backfill on PostgreSQL, a row per (list, owner, status) took 2.8 counter updates per job and
-- doubled the time.) A new job status needs a column here.
CREATE TABLE list_counts (
    list        TEXT NOT NULL,
    owner       BLOB NOT NULL,
    total       INTEGER NOT NULL DEFAULT 0,
    created     INTEGER NOT NULL DEFAULT 0,
    assigned    INTEGER NOT NULL DEFAULT 0,
    running     INTEGER NOT NULL DEFAULT 0,
    completed   INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    confirmed   INTEGER NOT NULL DEFAULT 0,
    paid        INTEGER NOT NULL DEFAULT 0,
    cancelled   INTEGER NOT NULL DEFAULT 0,
    undelivered INTEGER NOT NULL DEFAULT 0,
    stalled     INTEGER NOT NULL DEFAULT 0,
    online      INTEGER NOT NULL DEFAULT 0,
    offline     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (list, owner)
) WITHOUT ROWID;

INSERT INTO list_counts (list, owner, total, created, assigned, running, completed, failed, confirmed, paid, cancelled, undelivered, stalled)
    SELECT 'jobs', x'', count(*), count(*) FILTER (WHERE status = 'created'),
    count(*) FILTER (WHERE status = 'assigned'), count(*) FILTER (WHERE status = 'running'),
    count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'failed'),
    count(*) FILTER (WHERE status = 'confirmed'), count(*) FILTER (WHERE status = 'paid'),
    count(*) FILTER (WHERE status = 'cancelled'),
    count(*) FILTER (WHERE status = 'undelivered'), count(*) FILTER (WHERE status = 'stalled')
    FROM jobs;
INSERT INTO list_counts (list, owner, total, created, assigned, running, completed, failed, confirmed, paid, cancelled, undelivered, stalled)
    SELECT 'jobs_provider', provider, count(*), count(*) FILTER (WHERE status = 'created'),
    count(*) FILTER (WHERE status = 'assigned'), count(*) FILTER (WHERE status = 'running'),
    count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'failed'),
    count(*) FILTER (WHERE status = 'confirmed'), count(*) FILTER (WHERE status = 'paid'),
    count(*) FILTER (WHERE status = 'cancelled'),
    count(*) FILTER (WHERE status = 'undelivered'), count(*) FILTER (WHERE status = 'stalled')
    FROM jobs GROUP BY provider;
INSERT INTO list_counts (list, owner, total, created, assigned, running, completed, failed, confirmed, paid, cancelled, undelivered, stalled)
    SELECT 'jobs_renter', renter, count(*), count(*) FILTER (WHERE status = 'created'),
    count(*) FILTER (WHERE status = 'assigned'), count(*) FILTER (WHERE status = 'running'),
    count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'failed'),
    count(*) FILTER (WHERE status = 'confirmed'), count(*) FILTER (WHERE status = 'paid'),
    count(*) FILTER (WHERE status = 'cancelled'),
    count(*) FILTER (WHERE status = 'undelivered'), count(*) FILTER (WHERE status = 'stalled')
    FROM jobs GROUP BY renter;
INSERT INTO list_counts (list, owner, total, online, offline)
    SELECT 'providers', x'', count(*), count(*) FILTER (WHERE is_online = 1),
           count(*) FILTER (WHERE is_online = 0) FROM providers;

-- A new job: +1 on its three rows, in the total and its status's column.
CREATE TRIGGER list_counts_job_insert AFTER INSERT ON jobs BEGIN
    INSERT INTO list_counts (list, owner, total, created, assigned, running, completed, failed, confirmed, paid, cancelled, undelivered, stalled)
        SELECT k.column1, k.column2, 1, NEW.status = 'created', NEW.status = 'assigned',
        NEW.status = 'running', NEW.status = 'completed', NEW.status = 'failed',
        NEW.status = 'confirmed', NEW.status = 'paid', NEW.status = 'cancelled',
        NEW.status = 'undelivered', NEW.status = 'stalled'
        FROM (VALUES ('jobs', x''), ('jobs_provider', NEW.provider), ('jobs_renter', NEW.renter)) AS k
        WHERE true -- (SQLite: an upsert after a SELECT needs a WHERE to parse)
    ON CONFLICT (list, owner) DO UPDATE SET
        total = total + excluded.total, created = created + excluded.created,
        assigned = assigned + excluded.assigned, running = running + excluded.running,
        completed = completed + excluded.completed, failed = failed + excluded.failed,
        confirmed = confirmed + excluded.confirmed, paid = paid + excluded.paid,
        cancelled = cancelled + excluded.cancelled,
        undelivered = undelivered + excluded.undelivered, stalled = stalled + excluded.stalled;
END;

-- A reorg's undo deletes the orphaned block's jobs.
CREATE TRIGGER list_counts_job_delete AFTER DELETE ON jobs BEGIN
    UPDATE list_counts SET
        total = total - 1, created = created - (OLD.status = 'created'),
        assigned = assigned - (OLD.status = 'assigned'),
        running = running - (OLD.status = 'running'),
        completed = completed - (OLD.status = 'completed'),
        failed = failed - (OLD.status = 'failed'),
        confirmed = confirmed - (OLD.status = 'confirmed'),
        paid = paid - (OLD.status = 'paid'),
        cancelled = cancelled - (OLD.status = 'cancelled'),
        undelivered = undelivered - (OLD.status = 'undelivered'),
        stalled = stalled - (OLD.status = 'stalled')
    WHERE (list, owner) IN (VALUES ('jobs', x''), ('jobs_provider', OLD.provider), ('jobs_renter', OLD.renter));
END;

-- A status change moves one count between two columns of the job's three rows.
CREATE TRIGGER list_counts_job_status AFTER UPDATE OF status ON jobs
WHEN NEW.status IS NOT OLD.status AND NEW.provider IS OLD.provider AND NEW.renter IS OLD.renter BEGIN
    UPDATE list_counts SET
        created = created - (OLD.status = 'created') + (NEW.status = 'created'),
        assigned = assigned - (OLD.status = 'assigned') + (NEW.status = 'assigned'),
        running = running - (OLD.status = 'running') + (NEW.status = 'running'),
        completed = completed - (OLD.status = 'completed') + (NEW.status = 'completed'),
        failed = failed - (OLD.status = 'failed') + (NEW.status = 'failed'),
        confirmed = confirmed - (OLD.status = 'confirmed') + (NEW.status = 'confirmed'),
        paid = paid - (OLD.status = 'paid') + (NEW.status = 'paid'),
        cancelled = cancelled - (OLD.status = 'cancelled') + (NEW.status = 'cancelled'),
        undelivered = undelivered - (OLD.status = 'undelivered') + (NEW.status = 'undelivered'),
        stalled = stalled - (OLD.status = 'stalled') + (NEW.status = 'stalled')
    WHERE (list, owner) IN (VALUES ('jobs', x''), ('jobs_provider', NEW.provider), ('jobs_renter', NEW.renter));
END;

-- A job's provider and renter are set at creation; should either change anyway, the job is
-- counted out of its old rows and into its new ones, so the counters never depend on that.
CREATE TRIGGER list_counts_job_owner AFTER UPDATE OF provider, renter ON jobs
WHEN NEW.provider IS NOT OLD.provider OR NEW.renter IS NOT OLD.renter BEGIN
    UPDATE list_counts SET
        total = total - 1, created = created - (OLD.status = 'created'),
        assigned = assigned - (OLD.status = 'assigned'),
        running = running - (OLD.status = 'running'),
        completed = completed - (OLD.status = 'completed'),
        failed = failed - (OLD.status = 'failed'),
        confirmed = confirmed - (OLD.status = 'confirmed'),
        paid = paid - (OLD.status = 'paid'),
        cancelled = cancelled - (OLD.status = 'cancelled'),
        undelivered = undelivered - (OLD.status = 'undelivered'),
        stalled = stalled - (OLD.status = 'stalled')
    WHERE (list, owner) IN (VALUES ('jobs', x''), ('jobs_provider', OLD.provider), ('jobs_renter', OLD.renter));
    INSERT INTO list_counts (list, owner, total, created, assigned, running, completed, failed, confirmed, paid, cancelled, undelivered, stalled)
        SELECT k.column1, k.column2, 1, NEW.status = 'created', NEW.status = 'assigned',
        NEW.status = 'running', NEW.status = 'completed', NEW.status = 'failed',
        NEW.status = 'confirmed', NEW.status = 'paid', NEW.status = 'cancelled',
        NEW.status = 'undelivered', NEW.status = 'stalled'
        FROM (VALUES ('jobs', x''), ('jobs_provider', NEW.provider), ('jobs_renter', NEW.renter)) AS k
        WHERE true
    ON CONFLICT (list, owner) DO UPDATE SET
        total = total + excluded.total, created = created + excluded.created,
        assigned = assigned + excluded.assigned, running = running + excluded.running,
        completed = completed + excluded.completed, failed = failed + excluded.failed,
        confirmed = confirmed + excluded.confirmed, paid = paid + excluded.paid,
        cancelled = cancelled + excluded.cancelled,
        undelivered = undelivered + excluded.undelivered, stalled = stalled + excluded.stalled;
END;

CREATE TRIGGER list_counts_provider_insert AFTER INSERT ON providers BEGIN
    INSERT INTO list_counts (list, owner, total, online, offline)
    VALUES ('providers', x'', 1, NEW.is_online = 1, NEW.is_online = 0)
    ON CONFLICT (list, owner) DO UPDATE SET
        total = total + 1, online = online + excluded.online, offline = offline + excluded.offline;
END;

CREATE TRIGGER list_counts_provider_delete AFTER DELETE ON providers BEGIN
    UPDATE list_counts SET total = total - 1, online = online - (OLD.is_online = 1), offline = offline - (OLD.is_online = 0)
    WHERE list = 'providers' AND owner = x'';
END;

-- Heartbeats move last_seen only: the WHEN keeps them off the counters.
CREATE TRIGGER list_counts_provider_online AFTER UPDATE OF is_online ON providers
WHEN NEW.is_online IS NOT OLD.is_online BEGIN
    UPDATE list_counts SET online = online - (OLD.is_online = 1) + (NEW.is_online = 1),
                           offline = offline - (OLD.is_online = 0) + (NEW.is_online = 0)
    WHERE list = 'providers' AND owner = x'';
END;
