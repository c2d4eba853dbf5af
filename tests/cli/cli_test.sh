#!/bin/bash
# The `dal` command against a real backend: output and exit codes.
#   cli_test.sh DAL_BINARY sqlite|postgresql|mariadb
set -uo pipefail
dal=$1
backend=$2
work=$(mktemp -d /tmp/dal-cli-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
case $backend in
sqlite) url="sqlite:///$work/cli.db" ;;
postgresql) url=${DAL_TEST_PG_URL:?DAL_TEST_PG_URL is not set: run through scripts/test} ;;
mariadb) url=${DAL_TEST_MARIADB_URL:?DAL_TEST_MARIADB_URL is not set: run through scripts/test} ;;
esac

fails=0
expect() { # expect WHAT WANT GOT
    if [ "$2" != "$3" ]; then echo "FAIL $1: want '$2', got '$3'"; fails=$((fails + 1)); else echo "ok   $1"; fi
}
run() { "$dal" "$@" >"$work/out" 2>"$work/err"; echo $?; }

expect "--help" 0 "$(run --help)"
expect "--version" 0 "$(run --version)"
grep -q '^dal [0-9]' "$work/out" || { echo "FAIL version text"; fails=$((fails + 1)); }
expect "no command" 2 "$(run)"
expect "unknown command" 2 "$(run frobnicate)"
expect "bad format" 2 "$(run query "$url" 'select 1' --format xml)"

expect "bad URL" 1 "$(run explain 'postgresql://u:Sekr1tPw@h:99999/db')"
expect "bad URL message" 1 "$(grep -c '^dal: EURL: ' "$work/err")"
expect "no password in message" 0 "$(grep -c Sekr1tPw "$work/err")"
expect "missing driver" 1 "$(run ping 'mssql://u:Sekr1tPw@127.0.0.1/db')"
expect "missing driver message" 1 "$(grep -c '^dal: EDRIVER: .*tdsodbc' "$work/err")"
expect "explain" 0 "$(run explain 'postgresql://u:Sekr1tPw@h/db')"
expect "explain masks" 0 "$(grep -c Sekr1tPw "$work/out")"
expect "explain shows ***" 1 "$(grep -c 'PWD=\*\*\*' "$work/out")"
expect "drivers" 0 "$(run drivers)"
expect "drivers lists SQLite3" 1 "$(grep -c '^SQLite3 .*sqlite .*tested$' "$work/out")"
expect "drivers lists MariaDB for mysql" 1 "$(grep -c '^MariaDB Unicode .*mysql .*tested$' "$work/out")"
expect "ping" 0 "$(run ping "$url")"
expect "ping output" 1 "$(grep -c 'round trip' "$work/out")"
if [ "$backend" = postgresql ]; then
    expect "ping names the server and its role" 1 "$(grep -c ' on 127.0.0.1:[0-9]* (primary)' "$work/out")"
fi

run query "$url" "DROP TABLE IF EXISTS cli_t" >/dev/null
expect "create" 0 "$(run query "$url" "CREATE TABLE cli_t (id INTEGER PRIMARY KEY, name VARCHAR(40))")"
expect "insert with parameters" 0 "$(run query "$url" "INSERT INTO cli_t VALUES (?, ?)" 1 "O'Brien; DROP TABLE cli_t")"
expect "rows affected" '{"rows_affected": 1}' "$(cat "$work/out")"
run query "$url" "INSERT INTO cli_t VALUES (?, ?)" 2 'two, "quoted"' >/dev/null
expect "jsonl" 0 "$(run query "$url" "SELECT id, name FROM cli_t ORDER BY id")"
expect "jsonl rows" "{\"id\":1,\"name\":\"O'Brien; DROP TABLE cli_t\"}|{\"id\":2,\"name\":\"two, \\\"quoted\\\"\"}" \
    "$(paste -sd'|' "$work/out")"
expect "json" 0 "$(run query "$url" "SELECT id FROM cli_t ORDER BY id" --format json)"
expect "json array" '[{"id":1},{"id":2}]' "$(cat "$work/out")"
expect "csv" 0 "$(run query "$url" "SELECT id, name FROM cli_t WHERE id = ?" 2 --format csv)"
expect "csv text" 'id,name|2,"two, ""quoted"""' "$(tr -d '\r' <"$work/out" | paste -sd'|')"
expect "table" 0 "$(run query "$url" "SELECT id FROM cli_t ORDER BY id" --format table)"
expect "table footer" "(2 rows)" "$(tail -n 1 "$work/out")"
expect "stdin" 0 "$(echo "SELECT COUNT(*) AS n FROM cli_t" | "$dal" query "$url" - >"$work/out" 2>"$work/err"; echo $?)"
expect "stdin result" '{"n":2}' "$(cat "$work/out")"

expect "syntax error" 1 "$(run query "$url" "SELEC 1")"
expect "syntax error message" 1 "$(grep -c '^dal: ESYNTAX: .*\[[0-9A-Z]\{5\}\]$' "$work/err")"
expect "constraint violation" 1 "$(run query "$url" "INSERT INTO cli_t VALUES (?, ?)" 1 dup)"
expect "constraint message" 1 "$(grep -c '^dal: ECONSTRAINT: ' "$work/err")"

if [ "$backend" = mariadb ]; then # MariaDB writes the WITH after INSERT INTO
    with_insert="INSERT INTO cli_t WITH c(x) AS (SELECT 10 UNION ALL SELECT 11) SELECT x, 'w' FROM c"
else
    with_insert="WITH c(x) AS (SELECT 10 UNION ALL SELECT 11) INSERT INTO cli_t SELECT x, 'w' FROM c"
fi
expect "WITH ... INSERT" 0 "$(run query "$url" "$with_insert")"
expect "WITH ... INSERT counts its rows" '{"rows_affected": 2}' "$(cat "$work/out")"
expect "comment holding a semicolon" 0 "$(run query "$url" "SELECT 1 /* ; */ AS one")"
expect "comment result" '{"one":1}' "$(cat "$work/out")"

# A commit that fails (a deferred foreign key) prints nothing that looks like success.
run query "$url" "DROP TABLE IF EXISTS cli_child" >/dev/null
run query "$url" "DROP TABLE IF EXISTS cli_parent" >/dev/null
run query "$url" "CREATE TABLE cli_parent (id INTEGER PRIMARY KEY)" >/dev/null
# (MariaDB has no deferred constraints: there the INSERT itself fails.)
deferrable=$([ "$backend" = mariadb ] || echo "DEFERRABLE INITIALLY DEFERRED")
run query "$url" "CREATE TABLE cli_child (p INTEGER REFERENCES cli_parent (id) $deferrable)" >/dev/null
expect "failed commit" 1 "$(run query "$url" "INSERT INTO cli_child VALUES (99)")"
expect "failed commit prints nothing" "" "$(cat "$work/out")"
expect "failed commit message" 1 "$(grep -c '^dal: ECONSTRAINT: ' "$work/err")"
expect "failed commit kept nothing" 0 "$(run query "$url" "SELECT COUNT(*) AS n FROM cli_child")"
expect "failed commit count" '{"n":0}' "$(cat "$work/out")"

# --echo: every statement on stderr, no parameter value unless asked.
expect "--echo" 0 "$(run query "$url" "SELECT ? AS v" 'Secr3tValue' --echo)"
expect "echo line" 1 "$(grep -c '^dal: [0-9.]* ms OK: SELECT ? AS v$' "$work/err")"
expect "echo hides values" 0 "$(grep -c Secr3tValue "$work/err")"
expect "echo hides the password" 0 "$(grep -c dal_test_pw "$work/err")"
sep='?'; case $url in *\?*) sep='&' ;; esac
expect "echo=parameters" 0 "$(run query "$url${sep}echo=parameters" "SELECT ? AS v" 'ShowMe')"
expect "echo shows values when asked" 1 "$(grep -c "params: 'ShowMe'" "$work/err")"

# Migrations: status, up, down, and the exit codes.
mig=$work/migrations
mkdir -p "$mig"
# a database of their own (other tests migrate the shared one)
if [ "$backend" = postgresql ]; then
    run query "$url" "DROP SCHEMA IF EXISTS cli_mig CASCADE" >/dev/null
    run query "$url" "CREATE SCHEMA cli_mig" >/dev/null
    mig_url="$url?options=-c%20search_path%3Dcli_mig"
elif [ "$backend" = mariadb ]; then
    run query "$url" "DROP DATABASE IF EXISTS dal_test_cli_mig" >/dev/null
    run query "$url" "CREATE DATABASE dal_test_cli_mig" >/dev/null
    mig_url="${url%/*}/dal_test_cli_mig"
else
    mig_url="sqlite:///$work/cli_mig.db"
fi
printf 'CREATE TABLE cli_mig (k INTEGER);\nINSERT INTO cli_mig VALUES (1);\n' >"$mig/1_first.sql"
printf 'DROP TABLE cli_mig;\n' >"$mig/1_first.down.sql"
expect "migrate --status" 0 "$(run migrate --status "$mig_url" "$mig")"
expect "status pending" '{"version":1,"name":"first","state":"pending"}' "$(cat "$work/out")"
expect "migrate" 0 "$(run migrate "$mig_url" "$mig")"
expect "migrate ran" '{"ran": 1}' "$(cat "$work/out")"
expect "status applied" '{"version":1,"name":"first","state":"applied"}' "$(run migrate --status "$mig_url" "$mig" >/dev/null; cat "$work/out")"
printf 'SELEC broken;\n' >"$mig/2_broken.sql"
expect "a failing migration" 1 "$(run migrate "$mig_url" "$mig")"
expect "names file and line" 1 "$(grep -c '^dal: ESYNTAX: .*2_broken.sql:1:' "$work/err")"
rm "$mig/2_broken.sql"
if [ "$backend" = mariadb ]; then
    # DDL commits at once on MariaDB: the failed migration stays recorded as
    # failed, and nothing moves until a person resolves it (README).
    expect "a failed migration stays failed" 1 "$(run migrate --to 0 "$mig_url" "$mig")"
    expect "and says what to do" 1 "$(grep -c '^dal: EMIGRATE: migration 2 .*is claimed but not done.*DELETE FROM dal_schema_migrations WHERE version = 2' "$work/err")"
    expect "a person resolves it" 0 "$(run query "$mig_url" "DELETE FROM dal_schema_migrations WHERE version = 2")"
fi
expect "migrate --to 0" 0 "$(run migrate --to 0 "$mig_url" "$mig")"
expect "down ran" '{"ran": 1}' "$(cat "$work/out")"
printf 'x' >"$mig/bad name.sql"
expect "bad file name" 1 "$(run migrate "$mig_url" "$mig")"
expect "bad name message" 1 "$(grep -c '^dal: EMIGRATE: .*bad name.sql' "$work/err")"
expect "migrate without a directory" 2 "$(run migrate "$mig_url")"
expect "--to without a version" 2 "$(run migrate --to "$mig_url" "$mig")"

# The URL defaults to $DAL_URL, then to an SQLite file in the working directory.
expect "DAL_URL" 0 "$(DAL_URL=$url "$dal" query "SELECT COUNT(*) AS n FROM cli_t" >"$work/out" 2>&1; echo $?)"
expect "DAL_URL result" '{"n":4}' "$(cat "$work/out")"
expect "default file" 0 "$(env -u DAL_URL "$dal" query "SELECT 7 AS seven" >"$work/out" 2>&1; echo $?)"
expect "default result" '{"seven":7}' "$(cat "$work/out")"
expect "default file created" 1 "$(ls "$work" | grep -c '^dal.db$')"

[ "$fails" -eq 0 ] || { echo "$fails failures"; exit 1; }
echo "all passed ($backend)"
