/* Engines from URLs against the real drivers: the first round trip, driver
 * resolution, connection strings, passwords. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"

DAL_TEST_EACH(engine, round_trip_with_a_bound_parameter)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    cr_expect_str_eq(dal_engine_dialect(e), dal_test_dialect(backend));
    dal_error err = DAL_ERROR_INIT;
    dal_result *r;
    dal_value p = dal_int64(41);
    int rc = dal_session_query(s, "SELECT ? + 1", &p, 1, &r, &err);
    DAL_OK_OR_FAIL(rc, err);
    cr_assert_eq(dal_result_next(r, &err), DAL_ROW, "%s", err.message);
    int64_t v = 0;
    rc = dal_result_int64(r, 0, &v, &err);
    DAL_OK_OR_FAIL(rc, err);
    cr_expect_eq(v, 42);
    cr_expect_eq(dal_result_next(r, &err), DAL_DONE);
    dal_result_close(r);
    dal_session_close(s);
    cr_expect_eq(dal_engine_dispose(e), DAL_OK);
}

Test(engine, create_does_not_connect)
{
    dal_engine *e;
    dal_error err = DAL_ERROR_INIT;
    /* Nothing listens on port 1: creation still succeeds, opening fails. */
    int rc = dal_engine_create("postgresql://u:pw@127.0.0.1:1/db", NULL, &e, &err);
    DAL_OK_OR_FAIL(rc, err);
    dal_session *s;
    rc = dal_session_open(e, &s, &err);
    cr_expect_eq(rc, DAL_ECONNECT, "%s: %s", dal_code_name(rc), err.message);
    cr_expect_null(s);
    cr_expect_neq(strstr(err.message, "127.0.0.1"), NULL, "%s", err.message);
    dal_engine_dispose(e);
}

Test(engine, wrong_password_is_reported_without_the_password)
{
    char url[1024];
    const char *pg = dal_test_url("postgresql", "");
    /* Swap the real password for a recognisable wrong one. */
    const char *at = strrchr(pg, '@');
    const char *colon = strchr(pg + strlen("postgresql://"), ':');
    cr_assert(at && colon && colon < at);
    snprintf(url, sizeof url, "%.*sWr0ngPassw0rd%s", (int)(colon + 1 - pg), pg, at);
    dal_engine *e;
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    int rc = dal_engine_create(url, NULL, &e, &err);
    DAL_OK_OR_FAIL(rc, err);
    rc = dal_session_open(e, &s, &err);
    cr_expect_eq(rc, DAL_ECONNECT, "%s: %s", dal_code_name(rc), err.message);
    cr_expect_neq(err.message[0], '\0');
    cr_expect_null(strstr(err.message, "Wr0ngPassw0rd"), "%s", err.message);
    cr_expect_neq(strstr(err.message, "password"), NULL, "%s", err.message);
    dal_engine_dispose(e);
}

Test(engine, connection_string_is_masked_unless_asked)
{
    dal_engine *e;
    dal_error err = DAL_ERROR_INIT;
    int rc = dal_engine_create("postgresql://u:S3cr%3Bt@h/db", NULL, &e, &err);
    DAL_OK_OR_FAIL(rc, err);
    char buf[512];
    cr_assert_eq(dal_engine_connection_string(e, buf, sizeof buf, 0), DAL_OK);
    cr_expect_null(strstr(buf, "S3cr"), "%s", buf);
    cr_expect_neq(strstr(buf, "PWD=***;"), NULL, "%s", buf);
    cr_assert_eq(dal_engine_connection_string(e, buf, sizeof buf, DAL_CONNSTR_UNMASKED), DAL_OK);
    cr_expect_neq(strstr(buf, "PWD={S3cr;t};"), NULL, "%s", buf);
    cr_expect_str_eq(dal_engine_driver(e), "PostgreSQL Unicode");
    char small[10];
    cr_expect_eq(dal_engine_connection_string(e, small, sizeof small, 0), DAL_ERANGE);
    dal_engine_dispose(e);
    cr_expect_eq(dal_engine_dispose(NULL), DAL_OK);
}

Test(engine, missing_driver_names_the_package)
{
    dal_engine *e = (dal_engine *)1;
    dal_error err = DAL_ERROR_INIT;
    int rc = dal_engine_create("mssql://u:pw@127.0.0.1/db", NULL, &e, &err);
    cr_expect_eq(rc, DAL_EDRIVER, "%s", dal_code_name(rc));
    cr_expect_null(e);
    cr_expect_neq(strstr(err.message, "tdsodbc"), NULL, "%s", err.message);
    cr_expect_neq(strstr(err.message, "SQLite3"), NULL, "installed drivers listed: %s",
                  err.message);

    dal_error_clear(&err);
    rc = dal_engine_create("sqlite:///x.db?driver=NoSuchDriver", NULL, &e, &err);
    cr_expect_eq(rc, DAL_EDRIVER);
    cr_expect_neq(strstr(err.message, "NoSuchDriver"), NULL, "%s", err.message);

    dal_error_clear(&err);
    rc = dal_engine_create("nosuch://x", NULL, &e, &err);
    cr_expect_eq(rc, DAL_EDRIVER);
}

Test(engine, url_settings_win_over_options)
{
    dal_engine_options o;
    dal_engine_options_init(&o);
    o.pool_size = 3;
    o.max_overflow = 4;
    dal_engine *e;
    dal_error err = DAL_ERROR_INIT;
    int rc = dal_engine_create(dal_test_url("sqlite", "?pool_size=7"), &o, &e, &err);
    DAL_OK_OR_FAIL(rc, err);
    dal_pool_stats st;
    dal_engine_pool_stats(e, &st);
    cr_expect_eq(st.pool_size, 7);
    cr_expect_eq(st.max_overflow, 4);
    dal_engine_dispose(e);

    rc = dal_engine_create("sqlite://", &o, &e, &err);
    DAL_OK_OR_FAIL(rc, err);
    dal_engine_pool_stats(e, &st);
    cr_expect_eq(st.pool_size, 1, "one shared connection for an in-memory database");
    cr_expect_eq(st.max_overflow, 0);
    dal_engine_dispose(e);
}

/* Makes a role whose password is `password` (SQL-quoted by the caller). */
static void make_role(const char *role, const char *password_sql)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(dal_test_url("postgresql", ""), &e, &s);
    char sql[512];
    snprintf(sql, sizeof sql, "DROP ROLE IF EXISTS %s", role);
    dal_test_exec(s, sql);
    snprintf(sql, sizeof sql, "CREATE ROLE %s LOGIN PASSWORD '%s'", role, password_sql);
    dal_test_exec(s, sql);
    dal_error err = DAL_ERROR_INIT;
    cr_assert_eq(dal_session_commit(s, &err), DAL_OK, "%s", err.message);
    dal_session_close(s);
    dal_engine_dispose(e);
}

/* postgresql://dal:pw@host:port/db -> postgresql://<role>:<pw>@host:port/<db> */
static void url_for(char *out, size_t n, const char *role, const char *pw_encoded, const char *db)
{
    const char *pg = dal_test_url("postgresql", "");
    const char *at = strrchr(pg, '@');
    const char *slash = strchr(at, '/');
    snprintf(out, n, "postgresql://%s:%s%.*s/%s", role, pw_encoded, (int)(slash - at), at, db);
}

static char *current_database(const char *url)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    dal_error err = DAL_ERROR_INIT;
    dal_result *r;
    cr_assert_eq(dal_session_query(s, "SELECT current_database()", NULL, 0, &r, &err), DAL_OK);
    cr_assert_eq(dal_result_next(r, &err), DAL_ROW);
    const char *name;
    cr_assert_eq(dal_result_text(r, 0, &name, NULL, &err), DAL_OK);
    char *copy = strdup(name);
    dal_result_close(r);
    dal_session_close(s);
    dal_engine_dispose(e);
    return copy;
}

Test(engine, password_with_every_special_character_connects)
{
    make_role("dal_special_pw", ";{}=@:/% x");
    char url[1024];
    url_for(url, sizeof url, "dal_special_pw", "%3B%7B%7D%3D%40%3A%2F%25%20x", "dal_test");
    char *db = current_database(url);
    cr_expect_str_eq(db, "dal_test");
    free(db);
}

Test(engine, password_cannot_inject_attributes)
{
    make_role("dal_inject_pw", "x;Database=postgres");
    char url[1024];
    url_for(url, sizeof url, "dal_inject_pw", "x%3BDatabase%3Dpostgres", "dal_test");
    char *db = current_database(url);
    cr_expect_str_eq(db, "dal_test", "the password changed the database");
    free(db);

    make_role("dal_inject_pw2", "x};Database=postgres;PWD={y");
    url_for(url, sizeof url, "dal_inject_pw2", "x%7D%3BDatabase%3Dpostgres%3BPWD%3D%7By",
            "dal_test");
    db = current_database(url);
    cr_expect_str_eq(db, "dal_test", "the password changed the database");
    free(db);
}

/* libpq's parameters in a PostgreSQL URL take effect, as they do in libpq
 * and SQLAlchemy URLs. */
Test(engine, libpq_parameters_take_effect)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(dal_test_url("postgresql",
                               "?application_name=dal%20it's&options=-c%20statement_timeout%3D4321"),
                  &e, &s);
    dal_error err = DAL_ERROR_INIT;
    dal_result *r;
    DAL_OK_OR_FAIL(dal_session_query(s,
                                     "SELECT application_name, current_setting('statement_timeout') "
                                     "FROM pg_stat_activity WHERE pid = pg_backend_pid()",
                                     NULL, 0, &r, &err),
                   err);
    cr_assert_eq(dal_result_next(r, &err), DAL_ROW);
    const char *name, *timeout;
    DAL_OK_OR_FAIL(dal_result_text(r, 0, &name, NULL, &err), err);
    cr_expect_str_eq(name, "dal it's");
    DAL_OK_OR_FAIL(dal_result_text(r, 1, &timeout, NULL, &err), err);
    cr_expect_str_eq(timeout, "4321ms");
    dal_result_close(r);
    dal_session_close(s);
    dal_engine_dispose(e);

    /* the test server has no TLS: sslmode=require must refuse to connect */
    DAL_OK_OR_FAIL(dal_engine_create(dal_test_url("postgresql", "?sslmode=require"), NULL, &e, &err),
                   err);
    cr_expect_eq(dal_session_open(e, &s, &err), DAL_ECONNECT);
    cr_expect(strstr(err.message, "SSL"), "%s", err.message);
    dal_engine_dispose(e);
}

Test(engine, hosts_of_the_url_with_default_ports)
{
    dal_engine *e;
    dal_error err = DAL_ERROR_INIT;
    int rc = dal_engine_create("postgresql://u:pw@h1,[::1]:7,h3/db", NULL, &e, &err);
    DAL_OK_OR_FAIL(rc, err);
    cr_assert_eq(dal_engine_host_count(e), 3);
    int port = 0;
    cr_expect_str_eq(dal_engine_host(e, 0, &port), "h1");
    cr_expect_eq(port, 5432);
    cr_expect_str_eq(dal_engine_host(e, 1, &port), "::1");
    cr_expect_eq(port, 7);
    cr_expect_str_eq(dal_engine_host(e, 2, NULL), "h3");
    cr_expect_null(dal_engine_host(e, 3, &port));
    dal_engine_dispose(e);

    rc = dal_engine_create("postgresql://u@db.example:6000/db", NULL, &e, &err);
    DAL_OK_OR_FAIL(rc, err);
    cr_assert_eq(dal_engine_host_count(e), 1);
    cr_expect_str_eq(dal_engine_host(e, 0, &port), "db.example");
    cr_expect_eq(port, 6000);
    dal_engine_dispose(e);

    /* A file database has no server. */
    rc = dal_engine_create("sqlite:///x.db", NULL, &e, &err);
    DAL_OK_OR_FAIL(rc, err);
    cr_expect_eq(dal_engine_host_count(e), 0);
    cr_expect_null(dal_engine_host(e, 0, &port));
    dal_engine_dispose(e);
    cr_expect_eq(dal_engine_host_count(NULL), 0);
}

static int collect_driver(void *ctx, const char *driver, const char *dialect, bool tested)
{
    if (!strcmp(driver, "SQLite3") && tested) strcpy(ctx, dialect ? dialect : "(none)");
    if (!strcmp(driver, "MariaDB Unicode") && tested) strcat(ctx, dialect ? "+mysql" : "+none");
    return 0;
}

static int stop_at_first(void *ctx, const char *driver, const char *dialect, bool tested)
{
    (void)driver, (void)dialect, (void)tested;
    ++*(int *)ctx;
    return 1;
}

Test(engine, installed_drivers_with_their_dialects)
{
    char sqlite_dialect[32] = "";
    dal_error err = DAL_ERROR_INIT;
    int rc = dal_odbc_drivers(collect_driver, sqlite_dialect, &err);
    DAL_OK_OR_FAIL(rc, err);
    cr_expect_str_eq(sqlite_dialect, "sqlite+mysql", "both tested, each with its dialect");
    int calls = 0;
    cr_expect_eq(dal_odbc_drivers(stop_at_first, &calls, &err), DAL_OK);
    cr_expect_eq(calls, 1, "a non-zero return stops the listing");
    cr_expect_eq(dal_odbc_drivers(NULL, NULL, &err), DAL_EMISUSE);
}

DAL_TEST_EACH(engine, ping_and_server_info)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    dal_error err = DAL_ERROR_INIT;
    int rc = dal_session_ping(s, &err);
    DAL_OK_OR_FAIL(rc, err);
    json_t *info = NULL;
    rc = dal_session_server_info(s, &info, &err);
    DAL_OK_OR_FAIL(rc, err);
    const char *product = json_string_value(json_object_get(info, "product"));
    cr_assert_not_null(product);
    cr_expect_not_null(json_string_value(json_object_get(info, "version")));
    if (!strcmp(backend, "postgresql")) {
        cr_expect_str_eq(product, "PostgreSQL");
        cr_expect_str_eq(json_string_value(json_object_get(info, "host")), "127.0.0.1");
        int port = 0;
        dal_engine_host(e, 0, &port);
        cr_expect_eq(json_integer_value(json_object_get(info, "port")), port);
        cr_expect_str_eq(json_string_value(json_object_get(info, "role")), "primary");
    } else {
        cr_expect_str_eq(product, !strcmp(backend, "sqlite") ? "SQLite" : "MariaDB");
        cr_expect_null(json_object_get(info, "role"), "only PostgreSQL reports a role");
    }
    json_decref(info);
    /* After a failed statement the transaction is aborted: ping says so at once. */
    cr_expect_neq(dal_session_exec(s, "SELECT * FROM no_such_table", NULL, 0, NULL, &err), DAL_OK);
    dal_error_clear(&err);
    cr_expect_eq(dal_session_ping(s, &err), DAL_EABORTED, "%s", err.message);
    dal_session_close(s);
    dal_engine_dispose(e);
    cr_expect_eq(dal_session_ping(NULL, &err), DAL_EMISUSE);
    cr_expect_eq(dal_session_server_info(NULL, &info, &err), DAL_EMISUSE);
}

/* SQLDrivers keeps its place in the shared environment: engines created at
 * once on several threads each saw part of the driver list (EDRIVER "no
 * ODBC driver for sqlite is installed") until the listing was serialised. */
static void *create_many(void *arg)
{
    int *failures = arg;
    for (int i = 0; i < 200; i++) {
        dal_engine *e;
        dal_error err = DAL_ERROR_INIT;
        if (dal_engine_create("sqlite://", NULL, &e, &err) == DAL_OK)
            dal_engine_dispose(e);
        else
            ++*failures;
    }
    return NULL;
}

Test(engine, engines_created_on_several_threads_at_once_all_find_their_driver)
{
    pthread_t t[8];
    int failures[8] = {0};
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, create_many, &failures[i]);
    int total = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        total += failures[i];
    }
    cr_expect_eq(total, 0, "%d of 1,600 engines did not find their driver", total);
}
