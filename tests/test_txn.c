/* When transactions begin: the default (first statement) and lazy_begin
 * (plain SELECTs before the first write run in autocommit). */
#include <string.h>
#include <unistd.h>

#include "backends.h"
#include "alloc.h"
#include "engine_internal.h"

Test(txn, plain_reads_are_recognised)
{
    struct {
        const char *sql;
        bool read;
    } t[] = {
        {"SELECT 1", true},
        {"  select * from t where a = ?", true},
        {"/* c */ -- x\n (SELECT 1) UNION (SELECT 2)", true},
        {"SELECT a FROM t FOR UPDATE", false},
        {"select a from t for share", false},
        {"SELECT * INTO t2 FROM t", false},
        {"SELECT nextval('s')", false},
        {"SELECT a AS \"format\" FROM t", true},
        {"SELECTED", false},
        {"INSERT INTO t VALUES (1)", false},
        {"WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", false},
        {"UPDATE t SET a = 1", false},
        {"", false},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        cr_expect_eq(dal__sql_is_plain_read(t[i].sql), t[i].read, "%s", t[i].sql);
}

DAL_TEST_EACH(txn, lazy_reads_need_no_transaction_and_writes_still_get_one)
{
    (void)url;
    dal_engine *e = dal_test_engine(backend, "?lazy_begin=true&pool_size=2");
    dal_session *s, *other;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    dal_test_exec(s, "DROP TABLE IF EXISTS lazy_t");
    dal_test_exec(s, "CREATE TABLE lazy_t (k INTEGER)");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);

    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM lazy_t"), 0);
    cr_expect_not(s->in_txn, "a plain read begins no transaction");
    cr_expect_not(s->conn->manual);
    DAL_OK_OR_FAIL(dal_session_rollback(s, &err), err);

    dal_test_exec(s, "INSERT INTO lazy_t VALUES (1)");
    cr_expect(s->in_txn, "a write begins the transaction");
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM lazy_t"), 1,
                 "reads after a write are in its transaction");
    DAL_OK_OR_FAIL(dal_session_open(e, &other, &err), err);
    cr_expect_eq(dal_test_scalar(other, "SELECT COUNT(*) FROM lazy_t"), 0,
                 "uncommitted work is invisible");
    DAL_OK_OR_FAIL(dal_session_rollback(s, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM lazy_t"), 0, "rolled back");

    dal_test_exec(s, "INSERT INTO lazy_t VALUES (2)");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    cr_expect_eq(dal_test_scalar(other, "SELECT COUNT(*) FROM lazy_t"), 1, "committed");

    /* A session closed with uncommitted work rolls it back and hands the
     * connection on in autocommit again. */
    dal_test_exec(s, "INSERT INTO lazy_t VALUES (3)");
    void *conn = s->conn;
    dal_session_close(s);
    cr_expect_not(((dal__conn *)conn)->manual);
    cr_expect_eq(dal_test_scalar(other, "SELECT COUNT(*) FROM lazy_t"), 1);

    /* Savepoints begin the transaction too. */
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    int depth = 0;
    DAL_OK_OR_FAIL(dal_session_begin_nested(s, &depth, &err), err);
    cr_expect_eq(depth, 1);
    dal_test_exec(s, "INSERT INTO lazy_t VALUES (4)");
    DAL_OK_OR_FAIL(dal_session_rollback_nested(s, &err), err);
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    cr_expect_eq(dal_test_scalar(other, "SELECT COUNT(*) FROM lazy_t"), 1);
    dal_session_close(s);
    dal_session_close(other);
    dal_engine_dispose(e);
}

Test(txn, lazy_reads_run_in_their_own_statement_transaction_on_postgresql)
{
    /* now() is the transaction's start time: two reads in one transaction
     * see the same now(), two autocommitted reads do not. */
    const char *now_us = "SELECT CAST(EXTRACT(EPOCH FROM now()) * 1000000 AS BIGINT)";
    for (int lazy = 0; lazy < 2; lazy++) {
        dal_engine *e = dal_test_engine("postgresql", lazy ? "?lazy_begin=true" : "?lazy_begin=false");
        dal_session *s;
        dal_error err = DAL_ERROR_INIT;
        DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
        int64_t first = dal_test_scalar(s, now_us);
        usleep(20000);
        int64_t second = dal_test_scalar(s, now_us);
        cr_expect_eq(second != first, lazy, "lazy_begin=%d: %lld vs %lld", lazy, (long long)first,
                     (long long)second);
        dal_session_close(s);
        dal_engine_dispose(e);
    }
}

DAL_TEST_EACH(txn, a_session_that_ran_nothing_ends_without_a_round_trip)
{
    (void)url;
    dal_engine *e = dal_test_engine(backend, "");
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    cr_expect_not(s->in_txn);
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    DAL_OK_OR_FAIL(dal_session_rollback(s, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT 2"), 2);
    cr_expect(s->in_txn, "by default any statement begins the transaction");
    dal_session_close(s);
    dal_engine_dispose(e);
}

/* sqliteodbc quirk: a cursor closed before its end made the statement's next
 * execution return no rows. Every execution here must see its rows. */
static void reexecute_after_partial_reads(const char *backend, const char *query)
{
    dal_engine *e = dal_test_engine(backend, query);
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    dal_test_exec(s, "DROP TABLE IF EXISTS partial_t");
    dal_test_exec(s, "CREATE TABLE partial_t (k INTEGER)");
    for (int k = 0; k < 5; k++)
        dal_test_exec(s, "INSERT INTO partial_t VALUES (1)");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    for (int round = 0; round < 4; round++) {
        /* one row of five, then close */
        dal_result *r;
        DAL_OK_OR_FAIL(dal_session_query(s, "SELECT k FROM partial_t", NULL, 0, &r, &err), err);
        cr_expect_eq(dal_result_next(r, &err), DAL_ROW, "round %d: %s", round, err.message);
        dal_result_close(r);
        /* one row of one, then close without reading the end */
        cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM partial_t"), 5, "round %d", round);
    }
    dal_session_close(s);
    dal_engine_dispose(e);
}

Test(txn, partially_read_results_do_not_break_the_next_execution_sqlite_lazy)
{
    reexecute_after_partial_reads("sqlite", "?lazy_begin=true");
}

DAL_TEST_EACH(txn, partially_read_results_do_not_break_the_next_execution)
{
    (void)url;
    reexecute_after_partial_reads(backend, "");
}

Test(txn, writes_led_by_common_table_expressions_are_recognised)
{
    cr_expect(dal__sql_is_cte_write("WITH c AS (SELECT 1) INSERT INTO t SELECT * FROM c"));
    cr_expect(dal__sql_is_cte_write("/* x */ with recursive c(n) AS (SELECT 1 UNION ALL SELECT n "
                                    "+ 1 FROM c WHERE n < 3) delete from t"));
    cr_expect(dal__sql_is_cte_write("WITH a AS (SELECT 1), b AS MATERIALIZED (SELECT 2) UPDATE t "
                                    "SET x = 1"));
    cr_expect_not(dal__sql_is_cte_write("WITH c AS (DELETE FROM t RETURNING *) SELECT * FROM c"));
    cr_expect_not(dal__sql_is_cte_write("WITH c AS (SELECT ')insert(') SELECT * FROM c"));
    cr_expect_not(dal__sql_is_cte_write("INSERT INTO t VALUES (1)"));
    cr_expect_not(dal__sql_is_cte_write("WITHOUT"));
}

Test(txn, comments_are_stripped_outside_quotes_only)
{
    struct {
        const char *in, *out;
    } t[] = {
        {"SELECT 1 /* ; */", "SELECT 1  "},
        {"SELECT 1 -- x;\n, 2", "SELECT 1  \n, 2"},
        {"SELECT '/* kept */', \"--kept\" /*x*/", "SELECT '/* kept */', \"--kept\"  "},
        {"SELECT 'it''s -- kept'", NULL},
        {"SELECT 1", NULL},
        {"SELECT 1 /* never closed", "SELECT 1  "},
        {"SELECT [a--b], `c/*d`", NULL},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char *out = NULL;
        cr_assert_eq(dal__sql_strip_comments(t[i].in, &out), 0);
        const char *want = t[i].out ? t[i].out : t[i].in;
        cr_expect_str_eq(out ? out : t[i].in, want, "%s", t[i].in);
        dal__free(out);
    }
}

Test(txn, statements_that_change_the_connection_are_recognised)
{
    static const struct {
        const char *sql;
        bool changes;
    } t[] = {
        {"CREATE TEMPORARY TABLE tt (k INT)", true},
        {"create temp view v AS SELECT 1", true},
        {"/* c */ CREATE TEMP TABLE tt AS SELECT 1", true},
        {"CREATE TABLE temp.tt (k INT)", true},
        {"CREATE TRIGGER temp.tr AFTER INSERT ON t BEGIN SELECT 1; END", true},
        {"CREATE INDEX IF NOT EXISTS \"temp\".i ON t (k)", true},
        {"PRAGMA query_only = 0", true},
        {"  pragma foreign_keys=off", true},
        {"ATTACH DATABASE 'x.db' AS d", true},
        {"DETACH d", true},
        {"CREATE TABLE t (k INT)", false},
        {"CREATE TABLE attempts (k INT)", false},
        {"INSERT INTO t VALUES ('PRAGMA')", false},
        {"SELECT 1", false},
        {"SET @leak = 1", true},
        {"set session sql_mode = 'ANSI'", true},
        {"SET SESSION TRANSACTION READ WRITE", true},
        {"SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", false},
        {"USE other", true},
        {"CALL p()", true},
        {"SELECT GET_LOCK('job', 10)", true},
        {"SELECT @n := @n + 1 FROM t", true},
        {"SELECT 'a := b', \"x:=\" FROM t -- := here", false},
        {"PREPARE s FROM 'SELECT 1'", true},
        {"LOCK TABLES t WRITE", true},
        {"CREATE OR REPLACE TEMPORARY TABLE tt (k INT)", true},
        {"SETTINGS", false},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        cr_expect_eq(dal__sql_changes_connection(t[i].sql), t[i].changes, "%s", t[i].sql);
}

/* ---- transactions that never lie -------------------------------------- */

/* Runs sql and expects code; returns the error for more checks. */
static dal_error expect_exec(dal_session *s, const char *sql, int code)
{
    dal_error err = DAL_ERROR_INIT;
    int rc = dal_session_exec(s, sql, NULL, 0, NULL, &err);
    cr_expect_eq(rc, code, "%s: got %s (%s), want %s", sql, dal_code_name(rc), err.message,
                 dal_code_name(code));
    return err;
}

/* A fresh table name_t (k INTEGER PRIMARY KEY), committed, and a second
 * session to look from. */
static void fresh_table(dal_session *s, const char *table)
{
    char sql[128];
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", table);
    dal_test_exec(s, sql);
    snprintf(sql, sizeof sql, "CREATE TABLE %s (k INTEGER PRIMARY KEY)", table);
    dal_test_exec(s, sql);
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
}

DAL_TEST_EACH(txn, a_failed_statement_aborts_the_transaction_and_commit_commits_nothing)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    (void)backend;
    fresh_table(s, "lie_t");
    expect_exec(s, "INSERT INTO lie_t VALUES (6)", DAL_OK);
    expect_exec(s, "INSERT INTO lie_missing_table VALUES (1)", DAL_ESYNTAX);
    dal_error err = expect_exec(s, "INSERT INTO lie_t VALUES (7)", DAL_EABORTED);
    cr_expect(strstr(err.message, "lie_missing_table"), "names the failed statement: %s",
              err.message);
    cr_expect_eq(dal_session_last_error(s)->code, DAL_EABORTED);
    dal_result *r;
    dal_error_clear(&err);
    cr_expect_eq(dal_session_query(s, "SELECT k FROM lie_t", NULL, 0, &r, &err), DAL_EABORTED);
    dal_stmt *st;
    dal_error_clear(&err);
    cr_expect_eq(dal_session_prepare(s, "SELECT k FROM lie_t", &st, &err), DAL_EABORTED);

    dal_error_clear(&err);
    cr_expect_eq(dal_session_commit(s, &err), DAL_EABORTED, "%s", err.message);
    cr_expect(strstr(err.message, "lie_missing_table"), "%s", err.message);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM lie_t"), 0, "nothing was committed");

    /* The session is in a new, empty transaction that works. */
    expect_exec(s, "INSERT INTO lie_t VALUES (8)", DAL_OK);
    dal_error_clear(&err);
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT SUM(k) FROM lie_t"), 8);
    dal_session_close(s);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(txn, a_prepared_statement_that_fails_aborts_too)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    (void)backend;
    fresh_table(s, "lie_prep_t");
    dal_error err = DAL_ERROR_INIT;
    dal_stmt *st;
    DAL_OK_OR_FAIL(dal_session_prepare(s, "INSERT INTO lie_prep_t VALUES (?)", &st, &err), err);
    DAL_OK_OR_FAIL(dal_stmt_execute(st, (dal_value[]){dal_int64(1)}, 1, NULL, NULL, &err), err);
    cr_expect_eq(dal_stmt_execute(st, (dal_value[]){dal_int64(1)}, 1, NULL, NULL, &err),
                 DAL_ECONSTRAINT, "%s", err.message);
    dal_error_clear(&err);
    cr_expect_eq(dal_stmt_execute(st, (dal_value[]){dal_int64(2)}, 1, NULL, NULL, &err),
                 DAL_EABORTED, "%s", err.message);
    /* A mistake dal catches before the driver sees it aborts nothing... */
    dal_stmt_close(st);
    dal_error_clear(&err);
    DAL_OK_OR_FAIL(dal_session_rollback(s, &err), err);
    DAL_OK_OR_FAIL(dal_session_prepare(s, "INSERT INTO lie_prep_t VALUES (?)", &st, &err), err);
    DAL_OK_OR_FAIL(dal_stmt_execute(st, (dal_value[]){dal_int64(3)}, 1, NULL, NULL, &err), err);
    cr_expect_eq(dal_stmt_execute(st, NULL, 0, NULL, NULL, &err), DAL_EMISUSE);
    dal_error_clear(&err);
    DAL_OK_OR_FAIL(dal_stmt_execute(st, (dal_value[]){dal_int64(4)}, 1, NULL, NULL, &err), err);
    dal_stmt_close(st);
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT SUM(k) FROM lie_prep_t"), 7);
    dal_session_close(s);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(txn, rollback_nested_undoes_only_the_failed_part)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    (void)backend;
    fresh_table(s, "lie_sp_t");
    dal_error err = DAL_ERROR_INIT;
    expect_exec(s, "INSERT INTO lie_sp_t VALUES (1)", DAL_OK);
    DAL_OK_OR_FAIL(dal_session_begin_nested(s, NULL, &err), err);
    expect_exec(s, "INSERT INTO lie_sp_t VALUES (2)", DAL_OK);
    expect_exec(s, "INSERT INTO lie_sp_t VALUES (1)", DAL_ECONSTRAINT);
    expect_exec(s, "INSERT INTO lie_sp_t VALUES (3)", DAL_EABORTED);
    int depth = -1;
    cr_expect_eq(dal_session_begin_nested(s, &depth, &err), DAL_EABORTED);
    cr_expect_eq(depth, 0);
    dal_error_clear(&err);
    cr_expect_eq(dal_session_release_nested(s, &err), DAL_EABORTED, "%s", err.message);
    dal_error_clear(&err);
    DAL_OK_OR_FAIL(dal_session_rollback_nested(s, &err), err);
    expect_exec(s, "INSERT INTO lie_sp_t VALUES (4)", DAL_OK);
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM lie_sp_t"), 2);
    cr_expect_eq(dal_test_scalar(s, "SELECT SUM(k) FROM lie_sp_t"), 5, "1 and 4 kept");
    dal_session_close(s);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(txn, a_failure_three_savepoints_deep_keeps_the_outer_levels)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    (void)backend;
    fresh_table(s, "lie_deep_t");
    dal_error err = DAL_ERROR_INIT;
    expect_exec(s, "INSERT INTO lie_deep_t VALUES (1)", DAL_OK);
    for (int level = 1; level <= 3; level++) {
        int depth = 0;
        DAL_OK_OR_FAIL(dal_session_begin_nested(s, &depth, &err), err);
        cr_expect_eq(depth, level);
        char sql[64];
        snprintf(sql, sizeof sql, "INSERT INTO lie_deep_t VALUES (%d)", 10 * level);
        expect_exec(s, sql, DAL_OK);
    }
    expect_exec(s, "INSERT INTO lie_deep_t VALUES (10)", DAL_ECONSTRAINT);
    expect_exec(s, "INSERT INTO lie_deep_t VALUES (40)", DAL_EABORTED);
    DAL_OK_OR_FAIL(dal_session_rollback_nested(s, &err), err); /* drops 30 */
    expect_exec(s, "INSERT INTO lie_deep_t VALUES (50)", DAL_OK);
    DAL_OK_OR_FAIL(dal_session_release_nested(s, &err), err);
    DAL_OK_OR_FAIL(dal_session_release_nested(s, &err), err);
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT SUM(k) FROM lie_deep_t"), 1 + 10 + 20 + 50);
    dal_session_close(s);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(txn, an_error_in_the_first_statement_aborts_the_transaction)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    (void)backend;
    fresh_table(s, "lie_first_t");
    dal_error err = DAL_ERROR_INIT;
    expect_exec(s, "INSERT INTO lie_first_t VALUES ('not a number', 2)", DAL_ESYNTAX);
    expect_exec(s, "INSERT INTO lie_first_t VALUES (1)", DAL_EABORTED);
    DAL_OK_OR_FAIL(dal_session_rollback(s, &err), err);
    expect_exec(s, "INSERT INTO lie_first_t VALUES (2)", DAL_OK);
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT SUM(k) FROM lie_first_t"), 2);
    dal_session_close(s);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(txn, an_error_during_insert_many_commits_no_batch)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    (void)backend;
    fresh_table(s, "lie_bulk_t");
    enum { N = 2500 };
    static dal_value v[N];
    for (int i = 0; i < N; i++)
        v[i] = dal_int64(i == 1800 ? 5 : i); /* a duplicate in the second batch */
    const char *cols[] = {"k"};
    dal_error err = DAL_ERROR_INIT;
    int64_t n = -1;
    cr_expect_eq(dal_session_insert_many(s, "lie_bulk_t", cols, 1, v, N, &n, &err),
                 DAL_ECONSTRAINT, "%s", err.message);
    cr_expect(strstr(err.message, "rows 1000..1999"), "%s", err.message);
    cr_expect_eq(n, 1000, "the first batch went in before the failure");
    dal_error_clear(&err);
    cr_expect_eq(dal_session_commit(s, &err), DAL_EABORTED, "%s", err.message);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM lie_bulk_t"), 0, "no batch committed");
    dal_session_close(s);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(txn, a_commit_that_fails_on_a_deferred_constraint_commits_nothing)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    /* MariaDB has no deferred constraints: the violation fails its statement,
     * and the commit then commits nothing all the same (DAL_EABORTED). */
    bool deferred = strcmp(backend, "mariadb") != 0;
    dal_test_exec(s, "DROP TABLE IF EXISTS lie_child");
    dal_test_exec(s, "DROP TABLE IF EXISTS lie_parent");
    dal_test_exec(s, "CREATE TABLE lie_parent (id INTEGER PRIMARY KEY)");
    dal_test_exec(s, deferred ? "CREATE TABLE lie_child (k INTEGER, p INTEGER REFERENCES "
                                "lie_parent (id) DEFERRABLE INITIALLY DEFERRED)"
                              : "CREATE TABLE lie_child (k INTEGER, p INTEGER REFERENCES "
                                "lie_parent (id))");
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    expect_exec(s, "INSERT INTO lie_child VALUES (1, NULL)", DAL_OK);
    expect_exec(s, "INSERT INTO lie_child VALUES (2, 99)", deferred ? DAL_OK : DAL_ECONSTRAINT);
    cr_expect_eq(dal_session_commit(s, &err), deferred ? DAL_ECONSTRAINT : DAL_EABORTED, "%s: %s",
                 dal_code_name(err.code), err.message);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM lie_child"), 0, "nothing committed");
    expect_exec(s, "INSERT INTO lie_child VALUES (3, NULL)", DAL_OK);
    dal_error_clear(&err);
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT SUM(k) FROM lie_child"), 3);
    dal_session_close(s);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(txn, lazy_reads_in_autocommit_abort_nothing)
{
    (void)url;
    dal_engine *e = dal_test_engine(backend, "?lazy_begin=true");
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    dal_result *r;
    cr_expect_eq(dal_session_query(s, "SELECT * FROM lie_lazy_missing", NULL, 0, &r, &err),
                 DAL_ESYNTAX);
    cr_expect_not(s->aborted, "an autocommitted read is no transaction");
    cr_expect_eq(dal_test_scalar(s, "SELECT 41 + 1"), 42);
    dal_session_close(s);
    dal_engine_dispose(e);
}
