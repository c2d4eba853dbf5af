#!/bin/bash
# High availability on a primary + hot standby of the test's own
# (scripts/pg-cluster, synchronous replication, remote_apply):
#   1. test_ha: routing, reads falling back, read-your-writes, host lists;
#   2. a failover under load: hang_check with "kill the primary, promote the
#      standby" as the fault: writers resume on the new primary by themselves
#      and every commit that returned DAL_OK is there.
#   ha_test.sh TEST_HA HANG_CHECK
set -euo pipefail
test_ha=$1
check=$2
scripts=${DAL_SCRIPTS_DIR:?DAL_SCRIPTS_DIR is not set: run through ctest}
cluster=$scripts/pg-cluster
"$cluster" start >/dev/null
trap '"$cluster" stop' EXIT
export DAL_TEST_CLUSTER_URL=$("$cluster" url) DAL_TEST_PRIMARY_URL=$("$cluster" primary-url)
export DAL_TEST_STANDBY_URL=$("$cluster" standby-url) DAL_TEST_CLUSTER_SCRIPT=$cluster
"$test_ha" -j1
"$check" "$DAL_TEST_CLUSTER_URL?query_timeout=3&connect_timeout=2&pool_timeout=3&pool_size=4&max_overflow=0" \
    "$cluster kill-primary && $cluster promote" true
