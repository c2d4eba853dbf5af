#!/bin/bash
# Runs PROGRAM [ARGS...] URL with the URL of $DAL_BACKEND: a fresh SQLite file
# or the private PostgreSQL ($DAL_TEST_PG_URL) or MariaDB ($DAL_TEST_MARIADB_URL) server.
set -euo pipefail
case ${DAL_BACKEND:?} in
sqlite)
    dir=$(mktemp -d /tmp/dal-test-XXXXXX)
    trap 'rm -rf "$dir"' EXIT
    url="sqlite:///$dir/test.db"
    ;;
postgresql) url=${DAL_TEST_PG_URL:?DAL_TEST_PG_URL is not set: run through scripts/test} ;;
mariadb) url=${DAL_TEST_MARIADB_URL:?DAL_TEST_MARIADB_URL is not set: run through scripts/test} ;;
esac
"$@" "$url"
