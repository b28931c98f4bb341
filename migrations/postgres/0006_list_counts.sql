-- lamda schema v6 (PostgreSQL): list totals kept with the data (issue 18). Every page of
-- GET /api/jobs and GET /api/nodes reports the total its filter matches; a count(*) per request
-- reads every matching index entry (a provider's jobs, a status, the whole table), so its cost
-- grows with the data. These counters are maintained by triggers in the same transaction as the
-- write, so every writer (the followers, a reorg's undo, `lamda rebuild`, the set-based ingest
-- of store/db_array.c, agent reports through the API, the dispatcher's deadlines) keeps them
-- right without knowing about them, and a rolled-back write leaves them untouched. Kept
-- column-for-column identical to sqlite/0006_list_counts.sql (which lists the rows);
-- store_query.c maps a list filter to its row.
--
-- Contention: the total and per-status rows are hot, every job insert or status change of any
-- writer updates them, so concurrent writers serialize on their row locks until commit. That is
-- acceptable here: the JobManager follower, one per contract under its lease, writes the
-- inserts in batches, and the other writers (agent reports, deadlines) are single-row status
-- changes whose transactions are short. Statement-level triggers with transition tables keep it
-- to one upsert per key per statement: a batch of 1,000 jobs touches the total row once, not
-- 1,000 times (1,000 row versions of one row in one transaction).

CREATE TABLE list_counts (
    list  TEXT NOT NULL,
    owner BYTEA NOT NULL,
    state TEXT NOT NULL,
    n     BIGINT NOT NULL,
    PRIMARY KEY (list, owner, state)
);

INSERT INTO list_counts (list, owner, state, n) SELECT 'jobs', ''::bytea, '', count(*) FROM jobs;
INSERT INTO list_counts (list, owner, state, n) SELECT 'jobs', ''::bytea, status, count(*) FROM jobs GROUP BY status;
INSERT INTO list_counts (list, owner, state, n) SELECT 'jobs_provider', provider, '', count(*) FROM jobs GROUP BY provider;
INSERT INTO list_counts (list, owner, state, n)
    SELECT 'jobs_provider', provider, status, count(*) FROM jobs GROUP BY provider, status;
INSERT INTO list_counts (list, owner, state, n) SELECT 'jobs_renter', renter, '', count(*) FROM jobs GROUP BY renter;
INSERT INTO list_counts (list, owner, state, n)
    SELECT 'jobs_renter', renter, status, count(*) FROM jobs GROUP BY renter, status;
INSERT INTO list_counts (list, owner, state, n) SELECT 'providers', ''::bytea, '', count(*) FROM providers;
INSERT INTO list_counts (list, owner, state, n)
    SELECT 'providers', ''::bytea, is_online::text, count(*) FROM providers GROUP BY is_online;

-- Adds d[i] for the job (renter[i], provider[i], status[i]) to each of its six rows, summed per
-- row first: ON CONFLICT DO UPDATE may touch a row once per statement, and a key whose deltas
-- cancel (an UPDATE that changed nothing counted) is not written at all.
CREATE FUNCTION lamda_list_counts_jobs_add(bytea[], bytea[], text[], bigint[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO list_counts AS c (list, owner, state, n)
    SELECT k.list, k.owner, k.state, sum(u.d)::bigint
    FROM unnest($1, $2, $3, $4) AS u(renter, provider, status, d)
    CROSS JOIN LATERAL (VALUES ('jobs', ''::bytea, ''), ('jobs', ''::bytea, u.status),
                               ('jobs_provider', u.provider, ''), ('jobs_provider', u.provider, u.status),
                               ('jobs_renter', u.renter, ''), ('jobs_renter', u.renter, u.status))
        AS k(list, owner, state)
    GROUP BY k.list, k.owner, k.state
    HAVING sum(u.d) <> 0
    ON CONFLICT (list, owner, state) DO UPDATE SET n = c.n + excluded.n
$$;

-- An UPDATE counts its rows out at their old keys and in at their new ones; unchanged keys
-- cancel. A statement that changed no row passes NULL arrays: unnest gives no rows.
CREATE FUNCTION lamda_list_counts_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM lamda_list_counts_jobs_add(array_agg(renter), array_agg(provider), array_agg(status),
                                           array_agg(1::bigint)) FROM lc_new;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM lamda_list_counts_jobs_add(array_agg(renter), array_agg(provider), array_agg(status),
                                           array_agg(-1::bigint)) FROM lc_old;
    ELSE
        PERFORM lamda_list_counts_jobs_add(array_agg(renter), array_agg(provider), array_agg(status), array_agg(d))
        FROM (SELECT renter, provider, status, 1::bigint AS d FROM lc_new
              UNION ALL SELECT renter, provider, status, -1::bigint FROM lc_old) AS moved;
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

-- Adds d[i] for a provider with is_online[i] to the total and its online row.
CREATE FUNCTION lamda_list_counts_providers_add(bigint[], bigint[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO list_counts AS c (list, owner, state, n)
    SELECT 'providers', ''::bytea, k.state, sum(u.d)::bigint
    FROM unnest($1, $2) AS u(is_online, d) CROSS JOIN LATERAL (VALUES (''), (u.is_online::text)) AS k(state)
    GROUP BY k.state
    HAVING sum(u.d) <> 0
    ON CONFLICT (list, owner, state) DO UPDATE SET n = c.n + excluded.n
$$;

CREATE FUNCTION lamda_list_counts_providers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM lamda_list_counts_providers_add(array_agg(is_online), array_agg(1::bigint)) FROM lc_new;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM lamda_list_counts_providers_add(array_agg(is_online), array_agg(-1::bigint)) FROM lc_old;
    ELSE
        PERFORM lamda_list_counts_providers_add(ARRAY[OLD.is_online, NEW.is_online], ARRAY[-1, 1]::bigint[]);
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
