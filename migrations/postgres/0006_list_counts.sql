-- lamda schema v6 (PostgreSQL): list totals kept with the data (issue 18). Every page of
-- GET /api/jobs and GET /api/nodes reports the total its filter matches; a count(*) per request
-- reads every matching index entry (a provider's jobs, a status, the whole table), so its cost
-- grows with the data. These counters are maintained by triggers in the same transaction as the
-- write, so every writer (the followers, a reorg's undo, `lamda rebuild`, the set-based ingest,
-- agent reports through the API, the dispatcher's deadlines, a person with psql) keeps them
-- right without knowing about them, and a rolled-back write leaves them untouched. Kept
-- column-for-column identical to sqlite/0006_list_counts.sql; store_query.c maps a list
-- filter to its row and column.
--
-- One row per list and owner, a column per job status beside the total:
--   'jobs'          owner ''::bytea  all jobs
--   'jobs_provider' owner <address>  a provider's jobs
--   'jobs_renter'   owner <address>  a renter's jobs
--   'providers'     owner ''::bytea  providers: total, online (is_online = 1), offline (= 0)
-- so a new job costs one counter row per list (3), not one per list and status, and a status
-- change moves counts between two columns of the same rows. (Measured on a 100,000-JobCreated
-- backfill on PostgreSQL, a row per (list, owner, status) took 2.8 counter updates per job and
-- doubled the time.) A new job status needs a column here.
--
-- Contention: the 'jobs' row is hot, every job insert or status change of any writer updates
-- it, so concurrent writers serialize on its row lock until they commit. That is acceptable
-- here: the JobManager follower, one per contract under its lease, writes the inserts in
-- batches, and the other writers (agent reports, deadlines) are single-row status changes in
-- short transactions. Statement-level triggers with transition tables keep it to one update per
-- row per statement: a batch of 1,000 jobs touches the 'jobs' row once, not 1,000 times.
-- fillfactor leaves room on each page, so a counter's new version usually stays on its page
-- (a HOT update, no new index entry): on the backfill above, it took about a third off the
-- time the counters cost.
CREATE TABLE list_counts (
    list        TEXT NOT NULL,
    owner       BYTEA NOT NULL,
    total       BIGINT NOT NULL DEFAULT 0,
    created     BIGINT NOT NULL DEFAULT 0,
    assigned    BIGINT NOT NULL DEFAULT 0,
    running     BIGINT NOT NULL DEFAULT 0,
    completed   BIGINT NOT NULL DEFAULT 0,
    failed      BIGINT NOT NULL DEFAULT 0,
    confirmed   BIGINT NOT NULL DEFAULT 0,
    paid        BIGINT NOT NULL DEFAULT 0,
    cancelled   BIGINT NOT NULL DEFAULT 0,
    undelivered BIGINT NOT NULL DEFAULT 0,
    stalled     BIGINT NOT NULL DEFAULT 0,
    online      BIGINT NOT NULL DEFAULT 0,
    offline     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (list, owner)
) WITH (fillfactor = 30);

INSERT INTO list_counts (list, owner, total, created, assigned, running, completed, failed, confirmed, paid, cancelled, undelivered, stalled)
    SELECT 'jobs', ''::bytea, count(*), count(*) FILTER (WHERE status = 'created'),
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
    SELECT 'providers', ''::bytea, count(*), count(*) FILTER (WHERE is_online = 1),
           count(*) FILTER (WHERE is_online = 0) FROM providers;

-- Adds d[i] for the job (renter[i], provider[i], status[i]) to its three rows, summed per row
-- first: ON CONFLICT DO UPDATE may touch a row once per statement. A row whose deltas all
-- cancel (an UPDATE that changed no counted column) is not written. d is int so that sum()
-- gives bigint.
CREATE FUNCTION lamda_list_counts_jobs_add(bytea[], bytea[], text[], int[]) RETURNS void LANGUAGE sql AS $$
    WITH d AS (
        SELECT k.list, k.owner, sum(u.d) AS total,
               sum(u.d * (u.status = 'created')::int) AS created,
               sum(u.d * (u.status = 'assigned')::int) AS assigned,
               sum(u.d * (u.status = 'running')::int) AS running,
               sum(u.d * (u.status = 'completed')::int) AS completed,
               sum(u.d * (u.status = 'failed')::int) AS failed,
               sum(u.d * (u.status = 'confirmed')::int) AS confirmed,
               sum(u.d * (u.status = 'paid')::int) AS paid,
               sum(u.d * (u.status = 'cancelled')::int) AS cancelled,
               sum(u.d * (u.status = 'undelivered')::int) AS undelivered,
               sum(u.d * (u.status = 'stalled')::int) AS stalled
        FROM unnest($1, $2, $3, $4) AS u(renter, provider, status, d)
        CROSS JOIN LATERAL (VALUES ('jobs', ''::bytea), ('jobs_provider', u.provider), ('jobs_renter', u.renter))
            AS k(list, owner)
        GROUP BY k.list, k.owner)
    INSERT INTO list_counts AS c (list, owner, total, created, assigned, running, completed, failed, confirmed, paid, cancelled, undelivered, stalled)
    SELECT list, owner, total, created, assigned, running, completed, failed, confirmed, paid, cancelled, undelivered, stalled FROM d
    WHERE (total, created, assigned, running, completed, failed, confirmed, paid, cancelled, undelivered, stalled) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    ON CONFLICT (list, owner) DO UPDATE SET
        total = c.total + excluded.total, created = c.created + excluded.created,
        assigned = c.assigned + excluded.assigned, running = c.running + excluded.running,
        completed = c.completed + excluded.completed, failed = c.failed + excluded.failed,
        confirmed = c.confirmed + excluded.confirmed, paid = c.paid + excluded.paid,
        cancelled = c.cancelled + excluded.cancelled,
        undelivered = c.undelivered + excluded.undelivered,
        stalled = c.stalled + excluded.stalled
$$;

-- An UPDATE counts its rows out with their old values and in with their new ones; what did not
-- change cancels. A statement that changed no row passes NULL arrays: unnest gives no rows.
CREATE FUNCTION lamda_list_counts_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM lamda_list_counts_jobs_add(array_agg(renter), array_agg(provider), array_agg(status), array_agg(1))
        FROM lc_new;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM lamda_list_counts_jobs_add(array_agg(renter), array_agg(provider), array_agg(status), array_agg(-1))
        FROM lc_old;
    ELSE
        PERFORM lamda_list_counts_jobs_add(array_agg(renter), array_agg(provider), array_agg(status), array_agg(d))
        FROM (SELECT renter, provider, status, 1 AS d FROM lc_new
              UNION ALL SELECT renter, provider, status, -1 FROM lc_old) AS moved;
    END IF;
    RETURN NULL;
END $$;

-- One trigger per event: a trigger with transition tables may have only one.
CREATE TRIGGER list_counts_jobs_insert AFTER INSERT ON jobs REFERENCING NEW TABLE AS lc_new
    FOR EACH STATEMENT EXECUTE FUNCTION lamda_list_counts_jobs();
CREATE TRIGGER list_counts_jobs_update AFTER UPDATE ON jobs REFERENCING OLD TABLE AS lc_old NEW TABLE AS lc_new
    FOR EACH STATEMENT EXECUTE FUNCTION lamda_list_counts_jobs();
CREATE TRIGGER list_counts_jobs_delete AFTER DELETE ON jobs REFERENCING OLD TABLE AS lc_old
    FOR EACH STATEMENT EXECUTE FUNCTION lamda_list_counts_jobs();

-- Adds d[i] for a provider with is_online[i] to the 'providers' row.
CREATE FUNCTION lamda_list_counts_providers_add(bigint[], int[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO list_counts AS c (list, owner, total, online, offline)
    SELECT 'providers', ''::bytea, sum(u.d), sum(u.d * (u.is_online = 1)::int), sum(u.d * (u.is_online = 0)::int)
    FROM unnest($1, $2) AS u(is_online, d)
    HAVING count(*) > 0
    ON CONFLICT (list, owner) DO UPDATE SET
        total = c.total + excluded.total, online = c.online + excluded.online, offline = c.offline + excluded.offline
$$;

CREATE FUNCTION lamda_list_counts_providers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM lamda_list_counts_providers_add(array_agg(is_online), array_agg(1)) FROM lc_new;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM lamda_list_counts_providers_add(array_agg(is_online), array_agg(-1)) FROM lc_old;
    ELSE
        PERFORM lamda_list_counts_providers_add(ARRAY[OLD.is_online, NEW.is_online], ARRAY[-1, 1]);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER list_counts_providers_insert AFTER INSERT ON providers REFERENCING NEW TABLE AS lc_new
    FOR EACH STATEMENT EXECUTE FUNCTION lamda_list_counts_providers();
CREATE TRIGGER list_counts_providers_delete AFTER DELETE ON providers REFERENCING OLD TABLE AS lc_old
    FOR EACH STATEMENT EXECUTE FUNCTION lamda_list_counts_providers();
-- Row-level, unlike the others: a heartbeat batch upserts thousands of providers and changes
-- none of their is_online, and the WHEN (evaluated without calling the function) keeps those
-- rows off the counters, where a statement-level trigger would collect every row first.
CREATE TRIGGER list_counts_providers_online AFTER UPDATE OF is_online ON providers
    FOR EACH ROW WHEN (OLD.is_online IS DISTINCT FROM NEW.is_online) EXECUTE FUNCTION lamda_list_counts_providers();
