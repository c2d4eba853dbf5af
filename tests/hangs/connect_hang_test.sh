#!/bin/bash
# A connect that hangs after authentication: the server accepts, logs in,
# then never answers the driver's own first queries (psqlODBC looks up the
# large-object type in pg_type, which another session holds locked). libpq's
# connect_timeout ends at authentication; dal's bounds the whole connect.
#   connect_hang_test.sh DAL_COMMAND
set -euo pipefail
dal=$1
scripts=${DAL_SCRIPTS_DIR:?DAL_SCRIPTS_DIR is not set: run through ctest}
export DAL_PG_INSTANCE=connect_hang
"$scripts/pg" start >/dev/null
locker=
trap '[ -n "$locker" ] && kill "$locker" 2>/dev/null; "$scripts/pg" stop' EXIT
url=$("$scripts/pg" url)
# The lock, held for 60 s by a session of its own.
"$scripts/pg" psql -c "BEGIN; LOCK TABLE pg_catalog.pg_type IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60);" >/dev/null 2>&1 &
locker=$!
sleep 1
start=$(date +%s.%N)
set +e
out=$("$dal" ping "$url?connect_timeout=2" 2>&1)
rc=$?
set -e
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "dal ping: exit $rc after ${took}s: $out"
[ "$rc" -ne 0 ] || { echo "FAILED: the connect succeeded while the server could not answer"; exit 1; }
echo "$out" | grep -q "connect_timeout" || { echo "FAILED: the message does not name connect_timeout"; exit 1; }
awk -v t="$took" 'BEGIN { exit !(t < 7) }' || { echo "FAILED: the connect took ${took}s (connect_timeout=2: 2 s a host, 2 s for the setup)"; exit 1; }
echo "ok: the hung connect gave up within connect_timeout"
