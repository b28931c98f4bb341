#!/usr/bin/env bash
# The short chaos run (issue 11) in CI: scripts/chaos.sh with 20 jobs and about 60 s of faults
# (SIGKILLed services, nats-server and PostgreSQL restarts, 1–2 block reorgs on both chains).
# Asserts exactly-once dispatch, exactly-once reputation increments, and that the
# chain-derived tables equal a `lamda rebuild` of a fresh database. `make chaos` is the long run.
export CHAOS_JOBS=${CHAOS_JOBS:-20} CHAOS_SECONDS=${CHAOS_SECONDS:-60} CHAOS_EXTRAS=0
exec bash "$(dirname "$0")/../../scripts/chaos.sh"
