/* What is MariaDB's own: a connection killed mid-transaction, deadlocks and
 * lock waits, and bulk inserts past its 65,535 placeholders a statement.
 * (Everything shared with the other backends runs in the other modules.) */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

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
