-- lamda schema v6 (SQLite): list totals kept with the data (issue 18). Every page of
-- GET /api/jobs and GET /api/nodes reports the total its filter matches; a count(*) per request
-- reads every matching index entry (a provider's jobs, a status, the whole table), so its cost
-- grows with the data. These counters are maintained by triggers in the same transaction as the
-- write, so every writer (the followers, a reorg's undo, `lamda rebuild`, agent reports through
-- the API, the dispatcher's deadlines) keeps them right without knowing about them, and a
-- rolled-back write leaves them untouched. Kept column-for-column identical to
-- postgres/0006_list_counts.sql; store_query.c maps a list filter to its row.
--
-- Rows, by list:
--   'jobs'          owner x''        state ''        all jobs
--   'jobs'          owner x''        state <status>  jobs in a status
--   'jobs_provider' owner <address>  state '' / <status>  a provider's jobs (in a status)
--   'jobs_renter'   owner <address>  state '' / <status>  a renter's jobs (in a status)
--   'providers'     owner x''        state '' / '0' / '1'  providers (by is_online)
-- A row whose count fell to 0 stays: a later insert finds it, and a lookup reads 0 either way.

CREATE TABLE list_counts (
    list  TEXT NOT NULL,
    owner BLOB NOT NULL,
    state TEXT NOT NULL,
    n     INTEGER NOT NULL,
    PRIMARY KEY (list, owner, state)
) WITHOUT ROWID;

INSERT INTO list_counts (list, owner, state, n) SELECT 'jobs', x'', '', count(*) FROM jobs;
INSERT INTO list_counts (list, owner, state, n) SELECT 'jobs', x'', status, count(*) FROM jobs GROUP BY status;
INSERT INTO list_counts (list, owner, state, n) SELECT 'jobs_provider', provider, '', count(*) FROM jobs GROUP BY provider;
INSERT INTO list_counts (list, owner, state, n)
    SELECT 'jobs_provider', provider, status, count(*) FROM jobs GROUP BY provider, status;
INSERT INTO list_counts (list, owner, state, n) SELECT 'jobs_renter', renter, '', count(*) FROM jobs GROUP BY renter;
INSERT INTO list_counts (list, owner, state, n)
    SELECT 'jobs_renter', renter, status, count(*) FROM jobs GROUP BY renter, status;
INSERT INTO list_counts (list, owner, state, n) SELECT 'providers', x'', '', count(*) FROM providers;
INSERT INTO list_counts (list, owner, state, n)
    SELECT 'providers', x'', CAST(is_online AS TEXT), count(*) FROM providers GROUP BY is_online;

-- One multi-row upsert per job: SQLite applies the rows in order, so no key repeats within one
-- (the six keys of a job are distinct).
CREATE TRIGGER list_counts_job_insert AFTER INSERT ON jobs BEGIN
    INSERT INTO list_counts (list, owner, state, n) VALUES
        ('jobs', x'', '', 1), ('jobs', x'', NEW.status, 1),
        ('jobs_provider', NEW.provider, '', 1), ('jobs_provider', NEW.provider, NEW.status, 1),
        ('jobs_renter', NEW.renter, '', 1), ('jobs_renter', NEW.renter, NEW.status, 1)
    ON CONFLICT (list, owner, state) DO UPDATE SET n = n + excluded.n;
END;

-- A reorg's undo deletes the orphaned block's jobs. One UPDATE per list, each a primary-key
-- range (list, owner, state IN …).
CREATE TRIGGER list_counts_job_delete AFTER DELETE ON jobs BEGIN
    UPDATE list_counts SET n = n - 1 WHERE list = 'jobs' AND owner = x'' AND state IN ('', OLD.status);
    UPDATE list_counts SET n = n - 1 WHERE list = 'jobs_provider' AND owner = OLD.provider AND state IN ('', OLD.status);
    UPDATE list_counts SET n = n - 1 WHERE list = 'jobs_renter' AND owner = OLD.renter AND state IN ('', OLD.status);
END;

-- A status change moves a job between its state rows; the '' rows (and the total) stay. The
-- provider and renter of a job are set at creation, but a change of either is counted too, so
-- the counters never depend on that.
CREATE TRIGGER list_counts_job_update AFTER UPDATE OF status, provider, renter ON jobs
WHEN NEW.status IS NOT OLD.status OR NEW.provider IS NOT OLD.provider OR NEW.renter IS NOT OLD.renter BEGIN
    UPDATE list_counts SET n = n - 1 WHERE list = 'jobs' AND owner = x'' AND state IN ('', OLD.status);
    UPDATE list_counts SET n = n - 1 WHERE list = 'jobs_provider' AND owner = OLD.provider AND state IN ('', OLD.status);
    UPDATE list_counts SET n = n - 1 WHERE list = 'jobs_renter' AND owner = OLD.renter AND state IN ('', OLD.status);
    INSERT INTO list_counts (list, owner, state, n) VALUES
        ('jobs', x'', '', 1), ('jobs', x'', NEW.status, 1),
        ('jobs_provider', NEW.provider, '', 1), ('jobs_provider', NEW.provider, NEW.status, 1),
        ('jobs_renter', NEW.renter, '', 1), ('jobs_renter', NEW.renter, NEW.status, 1)
    ON CONFLICT (list, owner, state) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER list_counts_provider_insert AFTER INSERT ON providers BEGIN
    INSERT INTO list_counts (list, owner, state, n) VALUES
        ('providers', x'', '', 1), ('providers', x'', CAST(NEW.is_online AS TEXT), 1)
    ON CONFLICT (list, owner, state) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER list_counts_provider_delete AFTER DELETE ON providers BEGIN
    UPDATE list_counts SET n = n - 1
    WHERE list = 'providers' AND owner = x'' AND state IN ('', CAST(OLD.is_online AS TEXT));
END;

-- Heartbeats move last_seen only: the WHEN keeps them off the counters.
CREATE TRIGGER list_counts_provider_online AFTER UPDATE OF is_online ON providers
WHEN NEW.is_online IS NOT OLD.is_online BEGIN
    UPDATE list_counts SET n = n - 1
    WHERE list = 'providers' AND owner = x'' AND state = CAST(OLD.is_online AS TEXT);
    INSERT INTO list_counts (list, owner, state, n) VALUES ('providers', x'', CAST(NEW.is_online AS TEXT), 1)
    ON CONFLICT (list, owner, state) DO UPDATE SET n = n + excluded.n;
END;
