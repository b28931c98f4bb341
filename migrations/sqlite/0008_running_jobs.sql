-- The job dispatcher looks for stalled jobs once a second (services/job_delivery.c,
-- store_jobs_stalled). Running jobs are few, but the planner cannot tell from the status
-- column's statistics: on a network where nearly every job has one status, SQLite's estimate
-- for status = 'running' is the whole table, and it read all 1,000,000 jobs each second (and
-- kept them in its page cache). This index holds only the running jobs.
CREATE INDEX jobs_running ON jobs (job_id) WHERE status = 'running';
