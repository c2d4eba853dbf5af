#!/bin/bash
# Read routing on a primary and two asynchronous standbys of the test's own
# (scripts/pg-cluster start-async): test_read_routing, one case at a time.
#   read_routing_test.sh TEST_READ_ROUTING
set -euo pipefail
test_read_routing=$1
scripts=${DAL_SCRIPTS_DIR:?DAL_SCRIPTS_DIR is not set: run through ctest}
cluster=$scripts/pg-cluster
"$cluster" start-async >/dev/null
trap '"$cluster" stop' EXIT
export DAL_TEST_CLUSTER_URL=$("$cluster" url) DAL_TEST_PRIMARY_URL=$("$cluster" primary-url)
export DAL_TEST_STANDBY_URL=$("$cluster" standby-url 1) DAL_TEST_STANDBY2_URL=$("$cluster" standby-url 2)
export DAL_TEST_CLUSTER_SCRIPT=$cluster
"$test_read_routing" -j1 --verbose=0
