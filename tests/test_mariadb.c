/* What is MariaDB's own: a connection killed mid-transaction, or lost just
 * after its COMMIT succeeded, deadlocks and lock waits, and bulk inserts
 * past its 65,535 placeholders a statement.
 * (Everything shared with the other backends runs in the other modules.) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backends.h"

static int exec(dal_session *s, const char *sql, dal_error *err)
{
    return dal_session_exec(s, sql, NULL, 0, NULL, err);
}

Test(mariadb, a_connection_killed_mid_transaction_commits_nothing)
{
    dal_engine *e = dal_test_engine("mariadb", "?pool_size=2");
    dal_session *a = dal_test_session(e), *b = dal_test_session(e);
    dal_test_exec(a, "CREATE OR REPLACE TABLE killed_t (k INT PRIMARY KEY)");
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_commit(a, &err), err);
    dal_test_exec(a, "INSERT INTO killed_t VALUES (1)");
    int64_t id = dal_test_scalar(a, "SELECT CONNECTION_ID()");
    char kill[64];
    snprintf(kill, sizeof kill, "KILL CONNECTION %lld", (long long)id);
    dal_test_exec(b, kill);
    int rc = exec(a, "INSERT INTO killed_t VALUES (2)", &err);
    cr_expect_eq(rc, DAL_EDISCONNECTED, "%s: %s", dal_code_name(rc), err.message);
    dal_error_clear(&err);
    rc = dal_session_commit(a, &err);
    cr_expect_neq(rc, DAL_OK, "a commit after the kill never reports success");
    cr_expect_eq(dal_test_scalar(b, "SELECT COUNT(*) FROM killed_t"), 0, "nothing was committed");
    dal_session_close(a);
    dal_session_close(b);
    a = dal_test_session(e); /* the pool hands out a working connection again */
    cr_expect_eq(dal_test_scalar(a, "SELECT 7"), 7);
    dal_session_close(a);
    dal_engine_dispose(e);
}

typedef struct {
    dal_session *s;
    const char *sql;
    int rc;
    dal_error err;
} statement_job;

static void *run_statement(void *arg)
{
    statement_job *job = arg;
    dal_error_clear(&job->err);
    job->rc = exec(job->s, job->sql, &job->err);
    return NULL;
}

Test(mariadb, a_deadlock_is_a_retryable_conflict)
{
    dal_engine *e = dal_test_engine("mariadb", "?pool_size=2");
    dal_session *a = dal_test_session(e), *b = dal_test_session(e);
    dal_test_exec(a, "CREATE OR REPLACE TABLE deadlock_t (k INT PRIMARY KEY, v INT)");
    dal_test_exec(a, "INSERT INTO deadlock_t VALUES (1, 0), (2, 0)");
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_commit(a, &err), err);
    dal_test_exec(a, "UPDATE deadlock_t SET v = 1 WHERE k = 1");
    dal_test_exec(b, "UPDATE deadlock_t SET v = 2 WHERE k = 2");
    statement_job job = {a, "UPDATE deadlock_t SET v = 1 WHERE k = 2", 0, DAL_ERROR_INIT};
    pthread_t t;
    pthread_create(&t, NULL, run_statement, &job); /* waits for b's lock */
    struct timespec pause = {0, 200 * 1000 * 1000};
    nanosleep(&pause, NULL);
    int rc = exec(b, "UPDATE deadlock_t SET v = 2 WHERE k = 1", &err); /* closes the cycle */
    pthread_join(t, NULL);
    /* InnoDB picks one victim; the other's statement goes through. */
    int victim = rc ? rc : job.rc;
    cr_expect_eq(victim, DAL_ECONFLICT, "a: %s (%s), b: %s (%s)", dal_code_name(job.rc),
                 job.err.message, dal_code_name(rc), err.message);
    cr_expect((rc == DAL_OK) != (job.rc == DAL_OK), "exactly one was chosen");
    cr_expect_eq(rc ? err.native_code : job.err.native_code, 1213);
    dal_session_rollback(a, NULL);
    dal_session_rollback(b, NULL);
    dal_session_close(a);
    dal_session_close(b);
    dal_engine_dispose(e);
}

Test(mariadb, a_lock_wait_that_times_out_is_busy_and_aborts_the_transaction)
{
    dal_engine *e = dal_test_engine("mariadb", "?pool_size=2");
    dal_session *a = dal_test_session(e), *b = dal_test_session(e);
    dal_test_exec(a, "CREATE OR REPLACE TABLE wait_t (k INT PRIMARY KEY)");
    dal_test_exec(a, "INSERT INTO wait_t VALUES (1)");
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_commit(a, &err), err);
    dal_test_exec(b, "SET SESSION innodb_lock_wait_timeout = 1");
    dal_test_exec(a, "UPDATE wait_t SET k = 2 WHERE k = 1");
    int rc = exec(b, "UPDATE wait_t SET k = 3 WHERE k = 1", &err);
    cr_expect_eq(rc, DAL_EBUSY, "%s: %s", dal_code_name(rc), err.message);
    cr_expect_eq(err.native_code, 1205);
    /* MariaDB rolls back only that statement; dal still treats the
     * transaction as failed, as on every backend: nothing half-done commits. */
    dal_error_clear(&err);
    cr_expect_eq(dal_session_commit(b, &err), DAL_EABORTED, "%s", err.message);
    dal_session_rollback(a, NULL);
    dal_session_close(a);
    dal_session_close(b);
    dal_engine_dispose(e);
}

Test(mariadb, insert_many_past_65535_placeholders_is_batched)
{
    dal_engine *e = dal_test_engine("mariadb", "");
    dal_session *s = dal_test_session(e);
    dal_test_exec(s, "CREATE OR REPLACE TABLE many_t (a BIGINT, b VARCHAR(20), c DOUBLE)");
    enum { ROWS = 40000, COLS = 3 }; /* 120,000 values */
    static dal_value v[ROWS * COLS];
    static char text[ROWS][16];
    for (int i = 0; i < ROWS; i++) {
        snprintf(text[i], sizeof text[i], "row %d", i);
        v[i * COLS] = dal_int64(i);
        v[i * COLS + 1] = dal_text(text[i]);
        v[i * COLS + 2] = dal_double(i / 4.0);
    }
    const char *cols[] = {"a", "b", "c"};
    int64_t n = 0;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_insert_many(s, "many_t", cols, COLS, v, ROWS, &n, &err), err);
    cr_expect_eq(n, ROWS);
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM many_t"), ROWS);
    cr_expect_eq(dal_test_scalar(s, "SELECT SUM(a) FROM many_t"), (int64_t)ROWS * (ROWS - 1) / 2);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM many_t WHERE b = CONCAT('row ', a) "
                                    "AND c = a / 4"),
                 ROWS, "every value where it belongs");
    dal_session_close(s);
    dal_engine_dispose(e);
}

/* Runs scripts/mariadb ARGS for the private instance "limits" and returns
 * its first line of output (static). */
static const char *limits_server(const char *args)
{
    const char *dir = getenv("DAL_SCRIPTS_DIR");
    cr_assert(dir, "DAL_SCRIPTS_DIR is not set (ctest sets it)");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "DAL_MARIADB_INSTANCE=limits %s/mariadb %s", dir, args);
    FILE *p = popen(cmd, "r");
    cr_assert(p, "%s", cmd);
    static char line[1024];
    line[0] = '\0';
    if (!fgets(line, sizeof line, p)) line[0] = '\0';
    line[strcspn(line, "\n")] = '\0';
    cr_assert_eq(pclose(p), 0, "%s failed", cmd);
    return line;
}

static dal_stmt *prepared(dal_session *s, const char *sql)
{
    dal_stmt *st = NULL;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_prepare(s, sql, &st, &err), err);
    return st;
}

/* max_prepared_stmt_count bounds prepared statements across all of a
 * server's clients (a server of its own here, so no other test minds). */
Test(mariadb, the_servers_prepared_statement_limit_makes_room_in_the_cache)
{
    limits_server("start");
    char url[1024];
    snprintf(url, sizeof url, "%s", limits_server("url"));
    limits_server("sql SET GLOBAL max_prepared_stmt_count = 4");
    dal_engine *e = dal_test_engine_at(url);
    dal_session *s = dal_test_session(e);
    dal_error err = DAL_ERROR_INIT;
    /* Ten different statements: the cache would keep them all (32), the
     * server takes four; the idle ones make room. */
    for (int i = 0; i < 10; i++) {
        char sql[64];
        snprintf(sql, sizeof sql, "SELECT %d + ?", i);
        dal_value v = dal_int64(1);
        dal_result *r;
        DAL_OK_OR_FAIL(dal_session_query(s, sql, &v, 1, &r, &err), err);
        cr_assert_eq(dal_result_next(r, &err), DAL_ROW);
        dal_result_close(r);
    }
    /* Four held by the session: a fifth has no room, and says why. */
    dal_stmt *held[4];
    for (int i = 0; i < 4; i++) {
        char sql[64];
        snprintf(sql, sizeof sql, "SELECT %d", 100 + i);
        held[i] = prepared(s, sql);
    }
    dal_stmt *fifth = NULL;
    int rc = dal_session_prepare(s, "SELECT 105", &fifth, &err);
    cr_expect_eq(rc, DAL_EBUSY, "%s: %s", dal_code_name(rc), err.message);
    cr_expect_eq(err.native_code, 1461, "%s", err.message);
    for (int i = 0; i < 4; i++)
        dal_stmt_close(held[i]);
    dal_session_rollback(s, NULL);
    dal_error_clear(&err);
    fifth = prepared(s, "SELECT 105"); /* room again */
    dal_stmt_close(fifth);
    dal_session_close(s);
    dal_engine_dispose(e);
    limits_server("destroy");
}

/* A proxy in front of the server that forwards everything until the
 * server has answered the first COMMIT, then cuts the connection: the
 * commit succeeded, and whatever the client sends next finds no server. */
typedef struct commit_cutter {
    int listener, server_port;
    bool cut;
} commit_cutter;

/* Forwards what fd has; returns the bytes, 0 at its end. */
static ssize_t pass(int from, int to, unsigned char *buf, size_t cap)
{
    ssize_t n = read(from, buf, cap);
    if (n > 0 && write(to, buf, (size_t)n) != n) return 0;
    return n;
}

static void *cut_after_commit(void *arg)
{
    commit_cutter *cc = arg;
    int client = accept(cc->listener, NULL, NULL);
    int server = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cc->server_port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (client < 0 || connect(server, (struct sockaddr *)&addr, sizeof addr) != 0) return NULL;
    bool committing = false;
    unsigned char buf[65536];
    for (;;) {
        struct pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
        if (poll(fds, 2, 10000) <= 0) break;
        if (fds[0].revents) {
            ssize_t n = pass(client, server, buf, sizeof buf);
            if (n <= 0) break;
            /* A MySQL packet: 3 bytes of length, a sequence byte, then
             * COM_QUERY (3) and the text. */
            if (n >= 11 && buf[4] == 3 && !strncasecmp((char *)buf + 5, "COMMIT", 6))
                committing = true;
        }
        if (fds[1].revents) {
            if (pass(server, client, buf, sizeof buf) <= 0) break;
            if (committing) { /* its answer is through: the connection dies now */
                cc->cut = true;
                break;
            }
        }
    }
    close(client);
    close(server);
    return NULL;
}

/* With lazy_begin the driver is switched back to autocommit after the
 * COMMIT (a round trip on MariaDB). When that fails, the commit still
 * succeeded: it must be reported as such, never as a failure a caller
 * would retry and so write twice. */
Test(mariadb, a_commit_that_succeeded_is_reported_as_success_when_the_connection_dies_after_it)
{
    dal_engine *direct = dal_test_engine("mariadb", "");
    dal_session *d = dal_test_session(direct);
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(exec(d, "CREATE TABLE IF NOT EXISTS cut_t (k INT)", &err), err);
    DAL_OK_OR_FAIL(exec(d, "DELETE FROM cut_t", &err), err);
    DAL_OK_OR_FAIL(dal_session_commit(d, &err), err);
    dal_session_close(d);

    commit_cutter cc = {.server_port = 0};
    size_t nhosts = dal_engine_host_count(direct);
    cr_assert_eq(nhosts, 1);
    dal_engine_host(direct, 0, &cc.server_port);
    cc.listener = dal_test_silent_listener(&(int){0});
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    getsockname(cc.listener, (struct sockaddr *)&addr, &len);
    pthread_t proxy;
    pthread_create(&proxy, NULL, cut_after_commit, &cc);

    char url[1024];
    snprintf(url, sizeof url, "%s", dal_test_url("mariadb", "?lazy_begin=true&pool_size=1"));
    char port[16];
    snprintf(port, sizeof port, ":%d/", cc.server_port);
    char *at = strstr(url, port);
    cr_assert(at, "the URL names the server's port: %s", url);
    char proxied[1100];
    snprintf(proxied, sizeof proxied, "%.*s:%d/%s", (int)(at - url), url, ntohs(addr.sin_port),
             at + strlen(port));
    dal_engine *e = dal_test_engine_at(proxied);
    dal_session *s = dal_test_session(e);
    DAL_OK_OR_FAIL(exec(s, "INSERT INTO cut_t VALUES (1)", &err), err);
    int rc = dal_session_commit(s, &err);
    pthread_join(proxy, NULL);
    cr_assert(cc.cut, "the proxy cut the connection after the COMMIT");
    cr_expect_eq(rc, DAL_OK, "the commit succeeded, and was reported as %s: %s", dal_code_name(rc),
                 err.message);
    dal_session_close(s);
    dal_pool_stats st;
    dal_engine_pool_stats(e, &st);
    cr_expect_eq(st.discards, 1, "the connection that could not return to autocommit went");
    dal_engine_dispose(e);
    close(cc.listener);

    d = dal_test_session(direct);
    cr_expect_eq(dal_test_scalar(d, "SELECT COUNT(*) FROM cut_t"), 1, "the row was committed");
    dal_session_close(d);
    dal_engine_dispose(direct);
}

/* ---- host lists dal tries itself (Connector/ODBC 3.1.15 has none) ---- */

typedef struct asked {
    int ports[16];
    int n;
} asked;

static int record_host(void *ctx, const char *host, int port, char *user, size_t user_size,
                       char *password, size_t password_size, dal_error *err)
{
    (void)host;
    (void)user;
    (void)user_size;
    (void)err;
    asked *a = ctx;
    if (a->n < 16) a->ports[a->n++] = port;
    snprintf(password, password_size, "%s", "dal_test_pw");
    return 0;
}

Test(mariadb, a_host_list_skips_a_dead_host_and_asks_credentials_per_host)
{
    int dead;
    int fd = dal_test_silent_listener(&dead); /* then closed: nothing listens there */
    close(fd);
    const char *base = dal_test_url("mariadb", "");
    const char *at = strrchr(base, '@'), *slash = strchr(at, '/');
    char url[1024];
    /* mariadb://dal@127.0.0.1:DEAD,HOST:PORT/db: no password in the URL */
    snprintf(url, sizeof url, "mariadb://dal@127.0.0.1:%d,%.*s%s?connect_timeout=2&host_recheck=30",
             dead, (int)(slash - at - 1), at + 1, slash);
    asked a = {0};
    dal_engine_options o;
    dal_engine_options_init(&o);
    o.credentials = record_host;
    o.credentials_ctx = &a;
    dal_engine *e;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_engine_create(url, &o, &e, &err), err);
    dal_session *s;
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT 1"), 1);
    dal_session_close(s);
    int port = 0;
    dal_engine_host(e, 1, &port);
    cr_assert_eq(a.n, 2, "asked %d times", a.n);
    cr_expect_eq(a.ports[0], dead, "the first host's own credentials");
    cr_expect_eq(a.ports[1], port);
    double left = 0;
    cr_expect_str_eq(dal_engine_host_skipped(e, 0, &left), "host down");
    cr_expect(left > 25 && left <= 30);
    cr_expect_null(dal_engine_host_skipped(e, 1, NULL));
    /* The next connects skip it: one ask, for the live host. */
    dal_session *held[3];
    for (int i = 0; i < 3; i++)
        DAL_OK_OR_FAIL(dal_session_open(e, &held[i], &err), err);
    for (int i = 0; i < 3; i++)
        dal_session_close(held[i]);
    cr_expect_eq(a.n, 4, "two more connections, two asks: %d", a.n);
    cr_expect_eq(a.ports[3], port);
    size_t serving = 9;
    DAL_OK_OR_FAIL(dal_engine_check_hosts(e, &serving, &err), err);
    cr_expect_eq(serving, 1);
    dal_engine_dispose(e);
}

Test(mariadb, a_host_list_of_dead_hosts_fails_naming_the_last)
{
    int p1, p2;
    close(dal_test_silent_listener(&p1));
    close(dal_test_silent_listener(&p2));
    char url[256];
    snprintf(url, sizeof url,
             "mariadb://u:secret_pw@127.0.0.1:%d,127.0.0.1:%d/db?connect_timeout=2", p1, p2);
    dal_engine *e = dal_test_engine_at(url);
    dal_error err = DAL_ERROR_INIT;
    dal_session *s;
    cr_assert_eq(dal_session_open(e, &s, &err), DAL_ECONNECT);
    cr_expect(strstr(err.message, "none of the 2 hosts could serve"), "%s", err.message);
    char port[16];
    snprintf(port, sizeof port, ":%d", p2);
    cr_expect(strstr(err.message, port), "names the last host tried: %s", err.message);
    cr_expect_null(strstr(err.message, "secret_pw"));
    dal_engine_dispose(e);
}
