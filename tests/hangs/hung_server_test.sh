#!/bin/bash
# The hung server: a server of this test's own (freezing the shared one
# would freeze every other test) is stopped with SIGSTOP in the middle of a
# workload, then let run again.   hung_server_test.sh HANG_CHECK [postgresql|mariadb]
set -euo pipefail
check=$1
backend=${2:-postgresql}
scripts=${DAL_SCRIPTS_DIR:?DAL_SCRIPTS_DIR is not set: run through ctest}
case $backend in
postgresql) server="$scripts/pg"; export DAL_PG_INSTANCE=hang ;;
mariadb) server="$scripts/mariadb"; export DAL_MARIADB_INSTANCE=hang ;;
*) echo "unknown backend $backend" >&2; exit 2 ;;
esac
"$server" start >/dev/null
trap '"$server" stop' EXIT
url="$("$server" url)?query_timeout=2&connect_timeout=2&pool_timeout=3&pool_size=4&max_overflow=0"
"$check" "$url" "$server freeze" "$server thaw"
