#!/bin/sh
# Behind PgBouncer in transaction mode: starts scripts/pgbouncer in front of
# scripts/pg's server (2 server connections), runs test_pooler, then checks
# that the server logged no prepared-statement error during the
# pooler=transaction stress, and stops PgBouncer.
#   tests/pooler/pooler_test.sh TEST_POOLER
set -eu
test_pooler=$1
scripts=${DAL_SCRIPTS_DIR:?}
"$scripts/pgbouncer" stop
"$scripts/pgbouncer" start
trap '"$scripts/pgbouncer" stop' EXIT
DAL_TEST_PGBOUNCER_URL=$("$scripts/pgbouncer" url)
export DAL_TEST_PGBOUNCER_URL
log=$("$scripts/pg" dir)/server.log
lines=$(wc -l <"$log")
"$test_pooler" --verbose -j1 --filter 'pooler/transaction_pooling*'
# Not one prepared-statement error on the server while dal ran behind the pooler.
if tail -n +"$((lines + 1))" "$log" | grep -i "prepared statement"; then
    echo "pooler_test: the server logged prepared-statement errors under pooler=transaction" >&2
    exit 1
fi
"$test_pooler" --verbose -j1 --filter 'pooler/!(transaction_pooling*)'
echo "pooler_test: passed"
