#!/bin/bash
# Runs PROGRAM [ARGS...] URL with the URL of $DAL_BACKEND: a fresh SQLite file
# or the private PostgreSQL server ($DAL_TEST_PG_URL).
set -euo pipefail
case ${DAL_BACKEND:?} in
sqlite)
    dir=$(mktemp -d /tmp/dal-test-XXXXXX)
    trap 'rm -rf "$dir"' EXIT
    url="sqlite:///$dir/test.db"
    ;;
postgresql) url=${DAL_TEST_PG_URL:?DAL_TEST_PG_URL is not set: run through scripts/test} ;;
esac
"$@" "$url"
