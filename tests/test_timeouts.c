/* Bounded waits on a live server: statements, fetches, bulk inserts and
 * commits that run past query_timeout are interrupted; connects give up
 * after connect_timeout. The hung-server and partition faults are in
 * tests/hangs. Bounds asserted are generous (3x the timeout): they prove a
 * call gives up, never how fast anything succeeds. */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backends.h"
#include "engine_internal.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* SQL that runs for a long time (minutes) on each backend. */
static const char *slow_sql(const char *backend)
{
    return !strcmp(backend, "postgresql") ? "SELECT pg_sleep(30)"
           : !strcmp(backend, "mariadb")  ? "SELECT SLEEP(30)"
                                          : "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                 "SELECT COUNT(*) FROM c";
}

/* After a timeout: a server's connection is gone (its socket was shut
 * down), SQLite's session works again after a rollback (the failed
 * statement aborted its transaction). */
static void expect_state_after_timeout(dal_session *s, const char *backend)
{
    dal_error err = DAL_ERROR_INIT;
    if (strcmp(backend, "sqlite")) {
        cr_expect_eq(dal_session_exec(s, "SELECT 1", NULL, 0, NULL, &err), DAL_EDISCONNECTED,
                     "%s", err.message);
        return;
    }
    DAL_OK_OR_FAIL(dal_session_rollback(s, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT 5"), 5, "the SQLite session is usable again");
    /* and its transactions are still transactions */
    dal_test_exec(s, "CREATE TABLE IF NOT EXISTS after_timeout_t (k INTEGER)");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    int64_t before = dal_test_scalar(s, "SELECT COUNT(*) FROM after_timeout_t");
    dal_test_exec(s, "INSERT INTO after_timeout_t VALUES (1)");
    DAL_OK_OR_FAIL(dal_session_rollback(s, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM after_timeout_t"), before,
                 "the insert was rolled back");
    DAL_OK_OR_FAIL(dal_session_rollback(s, &err), err);
}

DAL_TEST_EACH(timeouts, a_statement_past_query_timeout_is_interrupted)
{
    dal_engine *e;
    dal_session *s;
    char u[1024];
    snprintf(u, sizeof u, "%s%squery_timeout=1", url, strchr(url, '?') ? "&" : "?");
    dal_test_open(u, &e, &s);
    dal_error err = DAL_ERROR_INIT;
    double started = now();
    int rc = dal_session_exec(s, slow_sql(backend), NULL, 0, NULL, &err);
    double took = now() - started;
    cr_expect_eq(rc, DAL_ETIMEOUT, "%s: %s", dal_code_name(rc), err.message);
    cr_expect(strstr(err.message, "1s"), "names the limit: %s", err.message);
    cr_expect(took >= 0.9 && took < 3, "gave up after %.2fs", took);
    expect_state_after_timeout(s, backend);
    dal_session_close(s);
    /* The pool hands out a working connection afterwards. */
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT 6"), 6);
    dal_session_close(s);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(timeouts, a_session_timeout_lasts_until_the_session_is_closed)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    dal_error err = DAL_ERROR_INIT;
    cr_expect_eq(dal_session_set_query_timeout(s, -1, &err), DAL_EMISUSE);
    dal_error_clear(&err);
    DAL_OK_OR_FAIL(dal_session_set_query_timeout(s, 1, &err), err);
    double started = now();
    cr_expect_eq(dal_session_exec(s, slow_sql(backend), NULL, 0, NULL, &err), DAL_ETIMEOUT, "%s",
                 err.message);
    cr_expect(now() - started < 3);
    dal_session_close(s);
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    cr_expect_eq(s->conn->timeout, 0, "the next user gets the engine's (no limit)");
    dal_session_close(s);
    dal_engine_dispose(e);
}

/* The first rows come at once; a later one takes minutes. PostgreSQL's
 * rows come in rowsets of 128: the slow one is in the second. */
static const char *slow_later_row_sql(const char *backend)
{
    return !strcmp(backend, "postgresql")
               ? "SELECT g, CASE WHEN g = 200 THEN pg_sleep(30) END FROM generate_series(1, 300) g"
               : "SELECT x FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                 "SELECT x FROM c) WHERE x < 3 OR x > 4000000000";
}

DAL_TEST_EACH(timeouts, a_fetch_past_query_timeout_is_interrupted)
{
    (void)url;
    /* Streaming results: a cursor on PostgreSQL; an autocommit read on
     * SQLite (inside a transaction the driver reads the whole result at
     * execute). */
    const char *query = !strcmp(backend, "postgresql") ? "?query_timeout=1&UseDeclareFetch=1"
                                                       : "?query_timeout=1&lazy_begin=true";
    dal_engine *e;
    dal_session *s;
    dal_test_open(dal_test_url(backend, query), &e, &s);
    dal_error err = DAL_ERROR_INIT;
    dal_result *r;
    if (!strcmp(backend, "mariadb")) {
        /* MariaDB Connector/ODBC 3.1 reads the whole result at execute (no
         * streaming before 3.2): the execute is what runs out of time. */
        double started = now();
        int rc = dal_session_query(
            s, "SELECT seq, IF(seq = 200, SLEEP(30), 0) FROM seq_1_to_300", NULL, 0, &r, &err);
        cr_expect_eq(rc, DAL_ETIMEOUT, "%s: %s", dal_code_name(rc), err.message);
        cr_expect(now() - started < 3, "gave up after %.2fs", now() - started);
        dal_session_close(s);
        dal_engine_dispose(e);
        return;
    }
    DAL_OK_OR_FAIL(dal_session_query(s, slow_later_row_sql(backend), NULL, 0, &r, &err), err);
    int rows = 0, rc;
    double started = now();
    while ((rc = dal_result_next(r, &err)) == DAL_ROW) {
        rows++;
        started = now();
    }
    cr_expect_eq(rc, DAL_ETIMEOUT, "%s: %s", dal_code_name(rc), err.message);
    cr_expect(rows >= 2, "the first rows came before the slow one (%d)", rows);
    cr_expect(now() - started < 3, "gave up after %.2fs", now() - started);
    dal_result_close(r);
    dal_session_close(s);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(timeouts, insert_many_past_query_timeout_names_the_batch)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    dal_test_exec(s, "DROP TABLE IF EXISTS slow_bulk_t");
    dal_test_exec(s, "CREATE TABLE slow_bulk_t (k INTEGER)");
    /* Row 1500 (the second batch) makes the insert take minutes. */
    if (!strcmp(backend, "postgresql")) {
        dal_test_exec(s, "CREATE OR REPLACE FUNCTION slow_bulk_f() RETURNS trigger AS $$ BEGIN IF "
                         "NEW.k = 1500 THEN PERFORM pg_sleep(30); END IF; RETURN NEW; END $$ "
                         "LANGUAGE plpgsql");
        dal_test_exec(s, "CREATE TRIGGER slow_bulk BEFORE INSERT ON slow_bulk_t FOR EACH ROW "
                         "EXECUTE FUNCTION slow_bulk_f()");
    } else if (!strcmp(backend, "mariadb")) {
        dal_test_exec(s, "CREATE TRIGGER slow_bulk BEFORE INSERT ON slow_bulk_t FOR EACH ROW "
                         "IF NEW.k = 1500 THEN DO SLEEP(30); END IF");
    } else {
        dal_test_exec(s, "CREATE TRIGGER slow_bulk BEFORE INSERT ON slow_bulk_t WHEN NEW.k = 1500 "
                         "BEGIN SELECT COUNT(*) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
                         "SELECT x + 1 FROM c) SELECT x FROM c); END");
    }
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    DAL_OK_OR_FAIL(dal_session_set_query_timeout(s, 1, &err), err);
    enum { N = 2500 };
    static dal_value v[N];
    for (int i = 0; i < N; i++)
        v[i] = dal_int64(i);
    const char *cols[] = {"k"};
    double started = now();
    int rc = dal_session_insert_many(s, "slow_bulk_t", cols, 1, v, N, NULL, &err);
    cr_expect_eq(rc, DAL_ETIMEOUT, "%s: %s", dal_code_name(rc), err.message);
    cr_expect(strstr(err.message, "rows 1000..1999"), "%s", err.message);
    cr_expect(now() - started < 4, "gave up after %.2fs", now() - started);
    expect_state_after_timeout(s, backend);
    dal_session_close(s);
    dal_engine_dispose(e);
}

Test(timeouts, a_commit_past_query_timeout_is_in_doubt)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(dal_test_url("postgresql", ""), &e, &s);
    dal_test_exec(s, "DROP TABLE IF EXISTS slow_commit_t");
    dal_test_exec(s, "CREATE TABLE slow_commit_t (k INTEGER)");
    /* A deferred constraint trigger runs at COMMIT and takes 30 s. */
    dal_test_exec(s, "CREATE OR REPLACE FUNCTION slow_commit_f() RETURNS trigger AS $$ BEGIN "
                     "PERFORM pg_sleep(30); RETURN NULL; END $$ LANGUAGE plpgsql");
    dal_test_exec(s, "CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON slow_commit_t "
                     "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit_f()");
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    DAL_OK_OR_FAIL(dal_session_set_query_timeout(s, 1, &err), err);
    dal_test_exec(s, "INSERT INTO slow_commit_t VALUES (1)");
    double started = now();
    int rc = dal_session_commit(s, &err);
    cr_expect_eq(rc, DAL_EINDOUBT, "%s: %s", dal_code_name(rc), err.message);
    cr_expect(strstr(err.message, "unknown"), "says the outcome is unknown: %s", err.message);
    cr_expect(now() - started < 3, "gave up after %.2fs", now() - started);
    /* Its connection is gone; the session's next transaction moves to a
     * fresh one, as any first statement after a disconnect does. */
    cr_expect(s->conn->broken);
    cr_expect_eq(dal_test_scalar(s, "SELECT 7"), 7);
    dal_session_close(s);
    dal_pool_stats st;
    dal_engine_pool_stats(e, &st);
    cr_expect_eq(st.checked_out, 0);
    dal_engine_dispose(e);
}

/* A server that accepts and never answers: the connect gives up after
 * connect_timeout (psqlODBC takes SQL_ATTR_LOGIN_TIMEOUT; MariaDB's driver
 * ignores it and gets CONN_TIMEOUT in the connection string). */
static void expect_silent_listener_times_out(const char *scheme)
{
    int port;
    int fd = dal_test_silent_listener(&port);
    char u[256];
    snprintf(u, sizeof u, "%s://u:pw@127.0.0.1:%d/db?connect_timeout=1", scheme, port);
    dal_engine *e;
    dal_session *s = NULL;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_engine_create(u, NULL, &e, &err), err);
    double started = now();
    int rc = dal_session_open(e, &s, &err);
    double took = now() - started;
    cr_expect_eq(rc, DAL_ECONNECT, "%s: %s", dal_code_name(rc), err.message);
    cr_expect(took < 3, "%s gave up after %.2fs", scheme, took);
    dal_engine_dispose(e);
    close(fd);
}

Test(timeouts, a_listener_that_never_answers_fails_after_connect_timeout)
{
    expect_silent_listener_times_out("postgresql");
    expect_silent_listener_times_out("mariadb");
}
