#!/bin/bash
# The hung server: a server of this test's own (freezing the shared one
# would freeze every other test) is stopped with SIGSTOP in the middle of a
# workload, then let run again.   hung_server_test.sh HANG_CHECK [postgresql|postgresql-unix|mariadb]
# postgresql-unix talks to the server over its Unix-domain socket.
set -euo pipefail
check=$1
backend=${2:-postgresql}
scripts=${DAL_SCRIPTS_DIR:?DAL_SCRIPTS_DIR is not set: run through ctest}
case $backend in
postgresql) server="$scripts/pg"; export DAL_PG_INSTANCE=hang ;;
postgresql-unix) server="$scripts/pg"; export DAL_PG_INSTANCE=hang_unix ;;
mariadb) server="$scripts/mariadb"; export DAL_MARIADB_INSTANCE=hang ;;
*) echo "unknown backend $backend" >&2; exit 2 ;;
esac
"$server" start >/dev/null
trap '"$server" stop' EXIT
url=$("$server" url)
if [ "$backend" = postgresql-unix ]; then # host: the socket's directory, percent-encoded
    dir=$("$server" dir)/data
    url=$(printf '%s' "$url" | sed "s|@127\.0\.0\.1:|@$(printf '%s' "$dir" | sed 's|/|%2F|g'):|")
fi
url="$url?query_timeout=2&connect_timeout=2&pool_timeout=3&pool_size=4&max_overflow=0"
"$check" "$url" "$server freeze" "$server thaw"
