/* When transactions begin: the default (first statement) and lazy_begin
 * (plain SELECTs before the first write run in autocommit). */
#include <string.h>
#include <unistd.h>

#include "backends.h"
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

static dal_engine *engine(const char *backend, const char *query)
{
    dal_engine *e;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_engine_create(dal_test_url(backend, query), NULL, &e, &err), err);
    return e;
}

DAL_TEST_BOTH(txn, lazy_reads_need_no_transaction_and_writes_still_get_one)
{
    (void)url;
    dal_engine *e = engine(backend, "?lazy_begin=true&pool_size=2");
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
    cr_expect_eq(dal_session_begin_nested(s, &err), 1, "%s", err.message);
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
        dal_engine *e = engine("postgresql", lazy ? "?lazy_begin=true" : "?lazy_begin=false");
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

DAL_TEST_BOTH(txn, a_session_that_ran_nothing_ends_without_a_round_trip)
{
    (void)url;
    dal_engine *e = engine(backend, "");
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
    dal_engine *e = engine(backend, query);
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

DAL_TEST_BOTH(txn, partially_read_results_do_not_break_the_next_execution)
{
    (void)url;
    reexecute_after_partial_reads(backend, "");
}

Test(txn, session_settings_are_recognised)
{
    cr_expect(dal__sql_changes_settings("SET application_name = 'x'"));
    cr_expect(dal__sql_changes_settings("  set search_path TO s"));
    cr_expect(dal__sql_changes_settings("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"));
    cr_expect_not(dal__sql_changes_settings("SET LOCAL work_mem = '1MB'"));
    cr_expect_not(dal__sql_changes_settings("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"));
    cr_expect_not(dal__sql_changes_settings("SET CONSTRAINTS ALL DEFERRED"));
    cr_expect_not(dal__sql_changes_settings("SELECT 1"));
    cr_expect_not(dal__sql_changes_settings("SETTINGS"));
}
