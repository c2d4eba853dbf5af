#!/bin/bash
# The hung server: a PostgreSQL of this test's own (freezing the shared one
# would freeze every other test) is stopped with SIGSTOP in the middle of a
# workload, then let run again.   hung_server_test.sh HANG_CHECK
set -euo pipefail
check=$1
scripts=${DAL_SCRIPTS_DIR:?DAL_SCRIPTS_DIR is not set: run through ctest}
export DAL_PG_INSTANCE=hang
"$scripts/pg" start >/dev/null
trap '"$scripts/pg" stop' EXIT
url="$("$scripts/pg" url)?query_timeout=2&connect_timeout=2&pool_timeout=3&pool_size=4&max_overflow=0"
"$check" "$url" "$scripts/pg freeze" "$scripts/pg thaw"
