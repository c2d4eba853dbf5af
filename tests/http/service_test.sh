#!/bin/bash
# End to end: starts examples/items_service on a free 127.0.0.1 port against
# the given backend and drives it with real HTTP requests (curl).
#   service_test.sh SERVICE_BINARY sqlite|postgresql
set -euo pipefail
service=$1
backend=$2
work=$(mktemp -d /tmp/dal-http-XXXXXX)
case $backend in
sqlite) url="sqlite:///$work/items.db" ;;
postgresql) url=${DAL_TEST_PG_URL:?DAL_TEST_PG_URL is not set: run through scripts/test} ;;
mariadb) url=${DAL_TEST_MARIADB_URL:?DAL_TEST_MARIADB_URL is not set: run through scripts/test} ;;
esac

"$service" --db "$url" --port 0 --reset --threads 8 >"$work/out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q listening "$work/out" && break; sleep 0.05; done
port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/out")
[ -n "$port" ] || { cat "$work/out"; echo "service did not start"; exit 1; }
base="http://127.0.0.1:$port"

fails=0
expect() { # expect WHAT WANT GOT
    if [ "$2" != "$3" ]; then echo "FAIL $1: want '$2', got '$3'"; fails=$((fails + 1)); else echo "ok   $1"; fi
}
req() { curl -s -o "$work/body" -w '%{http_code}' "$@"; }

# CRUD cycle
expect "POST /items" 201 "$(req -X POST -d '{"n":12345678901,"name":"lamp","tags":["a","ü"]}' "$base/items")"
id=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$work/body")
expect "new id" 1 "$id"
expect "GET /items/$id" 200 "$(req "$base/items/$id")"
expect "document back" '{"id":1,"doc":{"n":12345678901,"name":"lamp","tags":["a","ü"]}}' \
    "$(sed 's/, /,/g; s/: /:/g' "$work/body" | tr -d '\n')"
expect "POST second" 201 "$(req -X POST -d '[1,2,3]' "$base/items")"
expect "GET /items" 200 "$(req "$base/items")"
expect "list has two" 2 "$(grep -o '"id":' "$work/body" | wc -l)"
expect "DELETE /items/$id" 204 "$(req -X DELETE "$base/items/$id")"
expect "GET deleted" 404 "$(req "$base/items/$id")"
expect "DELETE again" 404 "$(req -X DELETE "$base/items/$id")"

# A malformed body gets 400 with a JSON error and writes nothing.
expect "POST malformed" 400 "$(req -X POST -d '{"name": ' "$base/items")"
expect "error is JSON" 1 "$(grep -c '"error":"EJSON"' "$work/body")"
req "$base/items" >/dev/null
expect "nothing written" 1 "$(grep -o '"id":' "$work/body" | wc -l)"
expect "missing id" 404 "$(req "$base/items/999999")"
expect "bad path" 404 "$(req "$base/nothing")"

# 500 requests from 8 concurrent clients all succeed.
seq 500 | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' -X POST -d '{"k":{}}' "$base/items" >"$work/codes"
expect "500 concurrent POSTs" 500 "$(grep -c '^201$' "$work/codes")"
req "$base/items?limit=1000" >/dev/null
expect "all stored" 501 "$(grep -o '"id":' "$work/body" | wc -l)"

# GET /items returns a page, never the whole table.
req "$base/items" >/dev/null
expect "a page of 100 by default" 100 "$(grep -o '"id":' "$work/body" | wc -l)"
expect "limit" 200 "$(req "$base/items?limit=3")"
expect "three" 3 "$(grep -o '"id":' "$work/body" | wc -l)"
last=$(grep -o '"id":[0-9]*' "$work/body" | tail -1 | cut -d: -f2)
expect "after" 200 "$(req "$base/items?limit=2&after=$last")"
expect "the next page starts after the last id" "$((last + 1))" \
    "$(grep -o '"id":[0-9]*' "$work/body" | head -1 | cut -d: -f2)"
for bad in limit=0 limit=1001 limit=abc limit=-5 "limit=" after=-1 after=x after=1e3; do
    expect "bad $bad" 400 "$(req "$base/items?$bad")"
done
expect "bad values are named" 1 "$(grep -c '"error":"EBADREQUEST"' "$work/body")"
req "$base/stats" >/dev/null
expect "no session left out" 1 "$(grep -c '"checked_out":0' "$work/body")"

# Prometheus metrics, named after OpenTelemetry's database-client conventions.
expect "GET /metrics" 200 "$(req "$base/metrics")"
expect "used connections" 1 "$(grep -c '^db_client_connection_count{pool="normal",state="used"} 0$' "$work/body")"
expect "idle connections" 1 "$(grep -c '^db_client_connection_count{pool="normal",state="idle"} [1-9]' "$work/body")"
expect "pending requests" 1 "$(grep -c '^db_client_connection_pending_requests{pool="normal"} 0$' "$work/body")"
expect "timeouts" 1 "$(grep -c '^db_client_connection_timeouts_total{pool="normal"} 0$' "$work/body")"
ops=$(sed -n 's/^db_client_operation_duration_seconds_count{pool="normal"} //p' "$work/body")
inf=$(sed -n 's/^db_client_operation_duration_seconds_bucket{pool="normal",le="+Inf"} //p' "$work/body")
expect "every statement counted (500 inserts and more)" 1 "$([ "${ops:-0}" -ge 500 ] && echo 1 || echo 0)"
expect "histogram +Inf bucket is the count" "$ops" "$inf"
expect "wait time" 1 "$(grep -c '^db_client_connection_wait_time_seconds_sum{pool="normal"} [0-9.]*$' "$work/body")"

[ "$fails" -eq 0 ] || { echo "$fails failures"; exit 1; }
echo "all passed ($backend)"
