/* Check-in leaves nothing behind: with one pooled connection, whatever the
 * previous user ran (directly, or inside a function, a DO block or a
 * procedure, where no reading of the SQL text can see it), the next user
 * sees what a new connection sees. Each case runs in a normal session, a
 * lazy_begin session (plain reads in autocommit) and, where it applies, a
 * read-only session. */
#include <stdio.h>
#include <string.h>

#include "backends.h"

typedef struct leak_case {
    const char *leave; /* what the first user runs */
    const char *seen;  /* what the next user asks: 0 when nothing was left */
} leak_case;

enum session_kind { NORMAL, LAZY, READ_ONLY };

static const char *kind_name(enum session_kind k)
{
    return k == NORMAL ? "normal" : k == LAZY ? "lazy_begin" : "read-only";
}

static dal_session *open_kind(dal_engine *e, enum session_kind k)
{
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    int rc = k == READ_ONLY ? dal_session_open_read_only(e, &s, &err) : dal_session_open(e, &s, &err);
    DAL_OK_OR_FAIL(rc, err);
    return s;
}

/* Runs each case as a first user and checks what the next one sees. */
static void expect_nothing_left(const char *backend, enum session_kind k, const leak_case *cases,
                                size_t n)
{
    const char *query = k == LAZY ? "?pool_size=1&max_overflow=0&read_pool_size=1&read_max_overflow=0&lazy_begin=true"
                                  : "?pool_size=1&max_overflow=0&read_pool_size=1&read_max_overflow=0";
    dal_engine *e = dal_test_engine(backend, query);
    for (size_t i = 0; i < n; i++) {
        dal_error err = DAL_ERROR_INIT;
        dal_session *s = open_kind(e, k);
        cr_expect_eq(dal_test_scalar(s, cases[i].seen), 0, "%s, %s: a new connection sees 0: %s",
                     backend, kind_name(k), cases[i].seen);
        int rc = dal_session_exec(s, cases[i].leave, NULL, 0, NULL, &err);
        cr_assert_eq(rc, DAL_OK, "%s, %s: %s: %s", backend, kind_name(k), cases[i].leave,
                     err.message);
        DAL_OK_OR_FAIL(dal_session_commit(s, &err), err); /* LISTEN counts from the commit */
        cr_assert_neq(dal_test_scalar(s, cases[i].seen), 0, "%s, %s: %s changed nothing", backend,
                      kind_name(k), cases[i].leave);
        dal_session_rollback(s, NULL);
        dal_session_close(s);

        s = open_kind(e, k);
        cr_expect_eq(dal_test_scalar(s, cases[i].seen), 0, "%s, %s: after %s, the next user sees %s",
                     backend, kind_name(k), cases[i].leave, cases[i].seen);
        dal_session_close(s);
    }
    dal_engine_dispose(e);
}

static void run_once(const char *backend, const char *sql)
{
    dal_engine *e = dal_test_engine(backend, "");
    dal_session *s = dal_test_session(e);
    dal_test_exec(s, sql);
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    dal_session_close(s);
    dal_engine_dispose(e);
}

/* ---- PostgreSQL ---------------------------------------------------------- */

static const leak_case pg_cases[] = {
    {"SET ROLE dal_tenant_a", "SELECT (current_user <> session_user)::int"},
    {"SET SESSION AUTHORIZATION dal_tenant_a", "SELECT (session_user <> current_user OR current_user = 'dal_tenant_a')::int"},
    {"SELECT set_config('search_path', 'pg_catalog', false)",
     "SELECT (current_setting('search_path') <> '\"$user\", public')::int"},
    {"SELECT dal_sets_inside()", "SELECT (current_setting('application_name') = 'leaked')::int"},
    {"DO $$BEGIN EXECUTE 'SET TIME ZONE ''Europe/Berlin'''; END$$",
     "SELECT (current_setting('TimeZone') <> 'UTC')::int"},
    {"SET DateStyle = 'German'", "SELECT (current_setting('DateStyle') NOT LIKE 'ISO%')::int"},
    {"LISTEN dal_channel", "SELECT count(*) FROM pg_listening_channels()"},
    {"DECLARE dal_c CURSOR WITH HOLD FOR SELECT 1", "SELECT count(*) FROM pg_cursors"},
    {"PREPARE dal_p AS SELECT 1", "SELECT count(*) FROM pg_prepared_statements WHERE from_sql"},
    {"SELECT pg_advisory_lock(4242)",
     "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"},
    {"SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
     "SELECT (current_setting('default_transaction_read_only') = 'on')::int"},
};

static const leak_case pg_temp_cases[] = {
    {"CREATE TEMP TABLE dal_leak (k int)",
     "SELECT count(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema()"},
    {"SELECT nextval('dal_seq')", "SELECT dal_has_lastval()"},
};

static const leak_case pg_read_only_cases[] = {
    {"SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
     "SELECT (current_setting('default_transaction_read_only') = 'off')::int"},
    {"SET ROLE dal_tenant_a", "SELECT (current_user <> session_user)::int"},
    {"SELECT set_config('search_path', 'pg_catalog', false)",
     "SELECT (current_setting('search_path') <> '\"$user\", public')::int"},
    {"SELECT dal_sets_inside()", "SELECT (current_setting('application_name') = 'leaked')::int"},
    {"LISTEN dal_channel", "SELECT count(*) FROM pg_listening_channels()"},
    {"SELECT pg_advisory_lock(4243)",
     "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"},
};

static void pg_prepare(void)
{
    run_once("postgresql",
             "DO $$BEGIN CREATE ROLE dal_tenant_a; EXCEPTION WHEN duplicate_object OR "
             "unique_violation THEN NULL; END$$");
    run_once("postgresql",
             "CREATE OR REPLACE FUNCTION dal_sets_inside() RETURNS int LANGUAGE plpgsql AS "
             "$$BEGIN PERFORM set_config('application_name', 'leaked', false); RETURN 1; END$$");
    run_once("postgresql", "CREATE SEQUENCE IF NOT EXISTS dal_seq");
    run_once("postgresql",
             "CREATE OR REPLACE FUNCTION dal_has_lastval() RETURNS int LANGUAGE plpgsql AS "
             "$$BEGIN PERFORM lastval(); RETURN 1; EXCEPTION WHEN object_not_in_prerequisite_state "
             "THEN RETURN 0; END$$");
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

Test(checkin, postgresql_normal_sessions)
{
    pg_prepare();
    expect_nothing_left("postgresql", NORMAL, pg_cases, N(pg_cases));
    expect_nothing_left("postgresql", NORMAL, pg_temp_cases, N(pg_temp_cases));
}

Test(checkin, postgresql_lazy_begin_sessions)
{
    pg_prepare();
    expect_nothing_left("postgresql", LAZY, pg_cases, N(pg_cases));
    expect_nothing_left("postgresql", LAZY, pg_temp_cases, N(pg_temp_cases));
}

Test(checkin, postgresql_read_only_sessions)
{
    pg_prepare();
    expect_nothing_left("postgresql", READ_ONLY, pg_read_only_cases, N(pg_read_only_cases));
}

/* The reset keeps what the pool relies on: its prepared statements and the
 * same connection (no reconnect). */
Test(checkin, postgresql_reset_keeps_the_connection_and_its_statements)
{
    pg_prepare();
    dal_engine *e = dal_test_engine("postgresql", "?pool_size=1&max_overflow=0");
    dal_error err = DAL_ERROR_INIT;
    dal_pool_stats first;
    for (int i = 0; i < 3; i++) {
        dal_session *s = dal_test_session(e);
        dal_result *r;
        DAL_OK_OR_FAIL(dal_session_query(s, "SELECT ?::int", (dal_value[]){dal_int64(i)}, 1, &r, &err), err);
        cr_assert_eq(dal_result_next(r, &err), DAL_ROW);
        dal_result_close(r);
        dal_test_exec(s, "SET ROLE dal_tenant_a");
        dal_session_close(s);
        if (i == 0) dal_engine_pool_stats(e, &first);
    }
    dal_pool_stats st;
    dal_engine_pool_stats(e, &st);
    cr_expect_eq(st.connects, 1);
    cr_expect_eq(st.discards, 0);
    cr_expect_eq(st.prepares, first.prepares, "the prepared statements survived the resets");
    cr_expect_eq(st.cache_hits - first.cache_hits, 4);
    dal_engine_dispose(e);
}

/* ---- SQLite -------------------------------------------------------------- */

static char attach_sql[600];

static const leak_case sqlite_cases[] = {
    {attach_sql, "SELECT count(*) FROM pragma_database_list WHERE name = 'dal_other'"},
    {"CREATE TEMP TABLE dal_leak (k)", "SELECT count(*) FROM temp.sqlite_master"},
    {"CREATE TABLE temp.dal_leak2 (k)", "SELECT count(*) FROM temp.sqlite_master"},
    {"CREATE TEMP VIEW dal_v AS SELECT 1", "SELECT count(*) FROM temp.sqlite_master"},
    {"PRAGMA recursive_triggers = 1", "SELECT recursive_triggers FROM pragma_recursive_triggers"},
};

static const leak_case sqlite_read_only_cases[] = {
    {"PRAGMA query_only = 0", "SELECT query_only = 0 FROM pragma_query_only"},
    {"PRAGMA foreign_keys = 0", "SELECT foreign_keys = 0 FROM pragma_foreign_keys"},
    {attach_sql, "SELECT count(*) FROM pragma_database_list WHERE name = 'dal_other'"},
};

static void sqlite_prepare(void)
{
    snprintf(attach_sql, sizeof attach_sql, "ATTACH DATABASE '%s/other.db' AS dal_other",
             dal_test_tmpdir());
}

Test(checkin, sqlite_normal_sessions)
{
    sqlite_prepare();
    expect_nothing_left("sqlite", NORMAL, sqlite_cases, N(sqlite_cases));
}

Test(checkin, sqlite_lazy_begin_sessions)
{
    sqlite_prepare();
    expect_nothing_left("sqlite", LAZY, sqlite_cases, N(sqlite_cases));
}

Test(checkin, sqlite_read_only_sessions)
{
    sqlite_prepare();
    expect_nothing_left("sqlite", READ_ONLY, sqlite_read_only_cases, N(sqlite_read_only_cases));
}

/* An in-memory database is its one connection: the reset undoes the
 * user's state, never the data. */
Test(checkin, sqlite_in_memory_keeps_its_data)
{
    sqlite_prepare();
    dal_engine *e = dal_test_engine_at("sqlite://");
    dal_session *s = dal_test_session(e);
    dal_error err = DAL_ERROR_INIT;
    dal_test_exec(s, "CREATE TABLE kept (k INT)");
    dal_test_exec(s, "INSERT INTO kept VALUES (7)");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    dal_test_exec(s, "CREATE TEMP TABLE dal_leak (k)");
    dal_test_exec(s, attach_sql);
    dal_session_close(s);
    s = dal_test_session(e);
    cr_expect_eq(dal_test_scalar(s, "SELECT count(*) FROM temp.sqlite_master"), 0);
    cr_expect_eq(dal_test_scalar(s, "SELECT count(*) FROM pragma_database_list WHERE name = 'dal_other'"), 0);
    cr_expect_eq(dal_test_scalar(s, "SELECT k FROM kept"), 7);
    dal_session_close(s);
    dal_engine_dispose(e);
}

/* ---- MariaDB ------------------------------------------------------------- */

static const leak_case maria_cases[] = {
    {"SET @leak = 1", "SELECT @leak IS NOT NULL"},
    {"SELECT @leak2 := 5", "SELECT @leak2 IS NOT NULL"},
    {"SET SESSION sql_mode = 'ANSI_QUOTES'", "SELECT @@sql_mode LIKE '%ANSI_QUOTES%'"},
    {"SET SESSION TRANSACTION READ ONLY", "SELECT @@tx_read_only"},
    {"CALL dal_sets_inside()", "SELECT @@group_concat_max_len = 777"},
    /* held by this session (a closed one lets go of it as the server sees
     * the disconnect, which may come a moment later) */
    {"CALL dal_locks_inside()",
     "SELECT COALESCE(IS_USED_LOCK('dal_proc_lock') = CONNECTION_ID(), 0)"},
};

static const leak_case maria_read_only_cases[] = {
    {"SET SESSION TRANSACTION READ WRITE", "SELECT @@tx_read_only = 0"},
    {"SET @leak = 1", "SELECT @leak IS NOT NULL"},
    {"CALL dal_sets_inside()", "SELECT @@group_concat_max_len = 777"},
};

static void maria_prepare(void)
{
    run_once("mariadb", "CREATE OR REPLACE PROCEDURE dal_sets_inside() "
                        "SET SESSION group_concat_max_len = 777");
    run_once("mariadb", "CREATE OR REPLACE PROCEDURE dal_locks_inside() "
                        "DO GET_LOCK('dal_proc_lock', 0)");
    run_once("mariadb", "CREATE OR REPLACE PROCEDURE dal_temp_inside() "
                        "CREATE TEMPORARY TABLE IF NOT EXISTS dal_proc_tmp (k INT)");
}

/* A temporary table made inside a procedure: the next user can make one
 * of the same name (it would exist otherwise). */
static void expect_no_temporary_table(enum session_kind k)
{
    const char *query = k == LAZY ? "?pool_size=1&max_overflow=0&lazy_begin=true"
                                  : "?pool_size=1&max_overflow=0";
    dal_engine *e = dal_test_engine("mariadb", query);
    dal_session *s = dal_test_session(e);
    dal_error err = DAL_ERROR_INIT;
    dal_test_exec(s, "CALL dal_temp_inside()");
    dal_test_exec(s, "SELECT count(*) FROM dal_proc_tmp");
    dal_session_close(s);
    s = dal_test_session(e);
    cr_expect_neq(dal_session_exec(s, "SELECT count(*) FROM dal_proc_tmp", NULL, 0, NULL, &err),
                  DAL_OK, "the temporary table went with its user (%s)", kind_name(k));
    dal_session_close(s);
    dal_engine_dispose(e);
}

Test(checkin, mariadb_normal_sessions)
{
    maria_prepare();
    expect_nothing_left("mariadb", NORMAL, maria_cases, N(maria_cases));
    expect_no_temporary_table(NORMAL);
}

Test(checkin, mariadb_lazy_begin_sessions)
{
    maria_prepare();
    expect_nothing_left("mariadb", LAZY, maria_cases, N(maria_cases));
    expect_no_temporary_table(LAZY);
}

Test(checkin, mariadb_read_only_sessions)
{
    maria_prepare();
    expect_nothing_left("mariadb", READ_ONLY, maria_read_only_cases, N(maria_read_only_cases));
}

/* A session that changed nothing keeps its connection. */
Test(checkin, mariadb_a_clean_session_keeps_its_connection)
{
    run_once("mariadb", "CREATE TABLE IF NOT EXISTS dal_clean (k INT)");
    dal_engine *e = dal_test_engine("mariadb", "?pool_size=1&max_overflow=0&lazy_begin=true");
    for (int i = 0; i < 3; i++) {
        dal_session *s = dal_test_session(e);
        cr_expect_eq(dal_test_scalar(s, "SELECT 1"), 1);
        dal_test_exec(s, "INSERT INTO dal_clean VALUES (1)");
        dal_error err = DAL_ERROR_INIT;
        DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
        dal_session_close(s);
    }
    dal_pool_stats st;
    dal_engine_pool_stats(e, &st);
    cr_expect_eq(st.connects, 1);
    cr_expect_eq(st.discards, 0);
    dal_engine_dispose(e);
}
