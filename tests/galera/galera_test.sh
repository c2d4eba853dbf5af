#!/bin/bash
# A three-node MariaDB Galera cluster of the test's own (scripts/galera):
# test_galera, one test at a time (they change the cluster).
#   galera_test.sh TEST_GALERA
set -euo pipefail
test_galera=$1
scripts=${DAL_SCRIPTS_DIR:?DAL_SCRIPTS_DIR is not set: run through ctest}
galera=$scripts/galera
"$galera" start
trap '"$galera" stop' EXIT
export DAL_TEST_GALERA_URL=$("$galera" url) DAL_TEST_GALERA_SCRIPT=$galera
export DAL_TEST_GALERA_ROOT_URL=$("$galera" root-url 1)
"$test_galera" -j1 --verbose=0
