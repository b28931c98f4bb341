#!/usr/bin/env bash
# The failover drill of test_pg_failover.sh with synchronous replication: nothing the primary
# acknowledged is lost, so every job reaches its agent's subject exactly once.
PG_FAILOVER_MODE=sync exec bash "$(dirname "$0")/test_pg_failover.sh"
