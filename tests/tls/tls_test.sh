#!/bin/sh
# TLS and credentials on real TLS servers: makes the certificates
# (scripts/tls-certs), starts the TLS variants of scripts/pg and
# scripts/mariadb (instances "tls"), adds the roles the cases log in as,
# runs test_tls, checks `dal ping`, then stops and removes the servers.
#   tests/tls/tls_test.sh TEST_TLS DAL_COMMAND
set -eu
test_tls=$1
dal=$2
scripts=${DAL_SCRIPTS_DIR:?}
work=$(mktemp -d /tmp/dal-tls-XXXXXX)
chmod 755 "$work"
cleanup() {
    DAL_PG_INSTANCE=tls "$scripts/pg" destroy >/dev/null 2>&1 || true
    DAL_MARIADB_INSTANCE=tls "$scripts/mariadb" destroy >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
"$scripts/tls-certs" "$work/certs"
chmod 755 "$work/certs"
# Fresh instances: nothing of an earlier run's roles or files.
DAL_PG_INSTANCE=tls "$scripts/pg" destroy >/dev/null 2>&1 || true
DAL_MARIADB_INSTANCE=tls "$scripts/mariadb" destroy >/dev/null 2>&1 || true
DAL_PG_INSTANCE=tls DAL_PG_TLS_DIR=$work/certs "$scripts/pg" start
DAL_MARIADB_INSTANCE=tls DAL_MARIADB_TLS_DIR=$work/certs "$scripts/mariadb" start
DAL_PG_INSTANCE=tls "$scripts/pg" psql -qc "
    CREATE ROLE dal_cert LOGIN; GRANT ALL ON DATABASE dal_test TO dal_cert;
    CREATE ROLE dal_rot LOGIN PASSWORD 'rot-one'; GRANT ALL ON DATABASE dal_test TO dal_rot;"
users=""
for host in 127.0.0.1 localhost; do
    users="$users
        CREATE USER dal_cert@'$host' REQUIRE SUBJECT '/CN=dal_cert';
        GRANT ALL ON dal_test.* TO dal_cert@'$host';
        CREATE USER dal_rot@'$host' IDENTIFIED BY 'rot-one';
        GRANT ALL ON dal_test.* TO dal_rot@'$host';"
done
DAL_MARIADB_INSTANCE=tls "$scripts/mariadb" sql "$users"

DAL_TEST_TLS_CERTS=$work/certs
DAL_TEST_PG_TLS_PORT=$(DAL_PG_INSTANCE=tls "$scripts/pg" port)
DAL_TEST_MARIADB_TLS_PORT=$(DAL_MARIADB_INSTANCE=tls "$scripts/mariadb" port)
export DAL_TEST_TLS_CERTS DAL_TEST_PG_TLS_PORT DAL_TEST_MARIADB_TLS_PORT
"$test_tls" --verbose -j1

# dal ping says what protects the connection
ca=$work/certs/ca.crt
out=$("$dal" ping "postgresql://dal:dal_test_pw@localhost:$DAL_TEST_PG_TLS_PORT/dal_test?sslmode=verify-full&sslrootcert=$ca")
echo "$out"
echo "$out" | grep -q ", TLS TLSv1\.[23] " || { echo "tls_test: dal ping does not report TLS" >&2; exit 1; }
out=$("$dal" ping "mariadb://dal:dal_test_pw@127.0.0.1:$DAL_TEST_MARIADB_TLS_PORT/dal_test?sslmode=verify-full&sslrootcert=$ca")
echo "$out"
echo "$out" | grep -q ", TLS TLSv1\.[23] " || { echo "tls_test: dal ping does not report TLS on MariaDB" >&2; exit 1; }
out=$("$dal" ping "$DAL_TEST_PG_URL")
echo "$out" | grep -q ", not encrypted$" || { echo "tls_test: dal ping does not report clear text: $out" >&2; exit 1; }
# the dal command takes password_file like any URL key
printf 'dal_test_pw\n' >"$work/pw"
chmod 600 "$work/pw"
"$dal" ping "postgresql://dal@127.0.0.1:$DAL_TEST_PG_TLS_PORT/dal_test?sslmode=verify-full&sslrootcert=$ca&password_file=$work/pw" |
    grep -q "TLS" || { echo "tls_test: dal ping with password_file failed" >&2; exit 1; }
chmod 644 "$work/pw"
if "$dal" ping "postgresql://dal@127.0.0.1:$DAL_TEST_PG_TLS_PORT/dal_test?sslmode=verify-full&sslrootcert=$ca&password_file=$work/pw" 2>"$work/err"; then
    echo "tls_test: a password file open to others was used" >&2
    exit 1
fi
grep -q "open to group or others" "$work/err" || { cat "$work/err" >&2; exit 1; }
echo "tls_test: passed"
