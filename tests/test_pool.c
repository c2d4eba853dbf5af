/* The pool on every backend: limits, waiting, fairness under threads,
 * dirty check-ins, dead connections, the statement cache, dispose. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
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

DAL_TEST_EACH(pool, exhaustion_times_out_and_names_the_limits)
{
    (void)url;
    dal_engine *e = dal_test_engine(backend, "?pool_size=2&max_overflow=1&pool_timeout=0.2");
    dal_session *s[4];
    dal_error err = DAL_ERROR_INIT;
    for (int k = 0; k < 3; k++)
        DAL_OK_OR_FAIL(dal_session_open(e, &s[k], &err), err);
    double t0 = now();
    int rc = dal_session_open(e, &s[3], &err);
    double waited = now() - t0;
    cr_expect_eq(rc, DAL_ETIMEOUT, "%s", dal_code_name(rc));
    cr_expect_null(s[3]);
    cr_expect_geq(waited, 0.19, "gave up after %.3fs", waited);
    cr_expect_lt(waited, 2.0, "waited %.3fs", waited);
    cr_expect_neq(strstr(err.message, "pool_size=2"), NULL, "%s", err.message);
    cr_expect_neq(strstr(err.message, "max_overflow=1"), NULL, "%s", err.message);
    dal_pool_stats st;
    dal_engine_pool_stats(e, &st);
    cr_expect_eq(st.checked_out, 3);
    cr_expect_eq(st.kept, 2);
    cr_expect_eq(st.overflow, 1);
    cr_expect_eq(st.timeouts, 1);
    cr_expect_eq(st.waits, 1);
    for (int k = 0; k < 3; k++)
        dal_session_close(s[k]);
    dal_engine_pool_stats(e, &st);
    cr_expect_eq(st.checked_out, 0);
    cr_expect_eq(st.idle, 2, "the overflow connection is closed at check-in");
    cr_expect_eq(st.overflow, 0);
    dal_engine_dispose(e);
}

typedef struct waiter_arg {
    dal_engine *e;
    int rc;
    double waited;
} waiter_arg;

static void *wait_for_session(void *p)
{
    waiter_arg *a = p;
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    double t0 = now();
    a->rc = dal_session_open(a->e, &s, &err);
    a->waited = now() - t0;
    if (!a->rc) dal_session_close(s);
    return NULL;
}

DAL_TEST_EACH(pool, a_waiter_is_woken_by_a_check_in)
{
    (void)url;
    dal_engine *e = dal_test_engine(backend, "?pool_size=1&max_overflow=0&pool_timeout=10");
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    waiter_arg a = {e, -1, 0};
    pthread_t t;
    pthread_create(&t, NULL, wait_for_session, &a);
    usleep(100000);
    dal_session_close(s);
    pthread_join(t, NULL);
    cr_expect_eq(a.rc, DAL_OK);
    cr_expect_lt(a.waited, 5.0, "woken, not timed out (%.3fs)", a.waited);
    dal_pool_stats st;
    dal_engine_pool_stats(e, &st);
    cr_expect_eq(st.waits, 1);
    cr_expect_eq(st.connects, 1, "the waiter got the same connection");
    dal_engine_dispose(e);
}

/* Each connection in use is marked; a second thread on it fails the test. */
enum { THREADS = 16, CHECKOUTS = 2000, MAX_CONNS = 64 };
static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static void *conns[MAX_CONNS];
static atomic_int in_use[MAX_CONNS];
static atomic_int double_handouts;

static int slot_of(void *conn)
{
    pthread_mutex_lock(&conns_lock);
    int k = 0;
    while (k < MAX_CONNS && conns[k] && conns[k] != conn)
        k++;
    if (k < MAX_CONNS) conns[k] = conn;
    pthread_mutex_unlock(&conns_lock);
    return k;
}

typedef struct hammer_arg {
    dal_engine *e;
    int failures;
} hammer_arg;

static void *hammer(void *p)
{
    hammer_arg *a = p;
    for (int k = 0; k < CHECKOUTS; k++) {
        dal_session *s;
        dal_error err = DAL_ERROR_INIT;
        if (dal_session_open(a->e, &s, &err)) {
            a->failures++;
            continue;
        }
        int slot = slot_of(s->conn);
        if (slot < MAX_CONNS && atomic_exchange(&in_use[slot], 1) != 0)
            atomic_fetch_add(&double_handouts, 1);
        if (k % 100 == 0 && dal_session_exec(s, "SELECT 1", NULL, 0, NULL, &err)) a->failures++;
        if (slot < MAX_CONNS) atomic_store(&in_use[slot], 0);
        dal_session_close(s);
    }
    return NULL;
}

DAL_TEST_EACH(pool, sixteen_threads_share_four_connections)
{
    (void)url;
    dal_engine *e = dal_test_engine(backend, "?pool_size=4&max_overflow=0&pool_timeout=60");
    pthread_t t[THREADS];
    hammer_arg a[THREADS];
    for (int k = 0; k < THREADS; k++) {
        a[k] = (hammer_arg){e, 0};
        pthread_create(&t[k], NULL, hammer, &a[k]);
    }
    int failures = 0;
    for (int k = 0; k < THREADS; k++) {
        pthread_join(t[k], NULL);
        failures += a[k].failures;
    }
    cr_expect_eq(failures, 0);
    cr_expect_eq(atomic_load(&double_handouts), 0, "a connection was handed to two threads");
    dal_pool_stats st;
    dal_engine_pool_stats(e, &st);
    cr_expect_eq(st.checkouts, (uint64_t)THREADS * CHECKOUTS);
    cr_expect_eq(st.checked_out, 0);
    cr_expect_eq(st.waiting, 0);
    cr_expect_leq(st.connects, 4);
    cr_expect_eq(st.idle, (int)st.connects - (int)st.discards);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(pool, dirty_check_in_is_rolled_back)
{
    (void)url;
    dal_engine *e = dal_test_engine(backend, "?pool_size=1&max_overflow=0");
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    dal_test_exec(s, "DROP TABLE IF EXISTS dirty_t");
    dal_test_exec(s, "CREATE TABLE dirty_t (k INTEGER)");
    dal_session_commit(s, NULL);
    dal_test_exec(s, "INSERT INTO dirty_t VALUES (1)");
    void *conn = s->conn;
    dal_session_close(s); /* no commit */
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    cr_expect_eq(s->conn, conn, "same connection reused");
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM dirty_t"), 0);
    /* A fresh transaction: a rollback now cannot undo anything earlier. */
    dal_test_exec(s, "INSERT INTO dirty_t VALUES (2)");
    dal_session_commit(s, NULL);
    dal_test_exec(s, "INSERT INTO dirty_t VALUES (3)");
    dal_session_rollback(s, NULL);
    cr_expect_eq(dal_test_scalar(s, "SELECT SUM(k) FROM dirty_t"), 2);
    dal_session_close(s);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(pool, statements_are_prepared_once_per_connection)
{
    (void)url;
    dal_engine *e = dal_test_engine(backend, "?pool_size=2&pool_pre_ping=never");
    dal_pool_stats before, after;
    dal_error err = DAL_ERROR_INIT;
    dal_session *s;
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    dal_session_close(s);
    dal_engine_pool_stats(e, &before);
    for (int k = 0; k < 1000; k++) {
        DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
        dal_result *r;
        dal_value p = dal_int64(k);
        DAL_OK_OR_FAIL(dal_session_query(s, "SELECT ? + 1", &p, 1, &r, &err), err);
        cr_assert_eq(dal_result_next(r, &err), DAL_ROW);
        int64_t v;
        dal_result_int64(r, 0, &v, &err);
        cr_assert_eq(v, k + 1);
        dal_result_close(r);
        dal_session_close(s);
    }
    dal_engine_pool_stats(e, &after);
    cr_expect_eq(
        after.prepares - before.prepares, after.connects, "prepared %llu times on %llu connections",
        (unsigned long long)(after.prepares - before.prepares), (unsigned long long)after.connects);
    cr_expect_geq(after.cache_hits - before.cache_hits, 999);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(pool, dispose_waits_for_the_last_session)
{
    (void)url;
    dal_engine *e = dal_test_engine(backend, "");
    dal_session *s, *t;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    DAL_OK_OR_FAIL(dal_session_open(e, &t, &err), err);
    dal_session_close(t); /* one idle connection, closed by dispose */
    cr_expect_eq(dal_engine_dispose(e), DAL_OK);
    /* The session still works: dispose freed nothing it uses (ASan checks). */
    cr_expect_eq(dal_test_scalar(s, "SELECT 7"), 7);
    cr_expect_eq(dal_session_open(e, &t, &err), DAL_EMISUSE, "no checkout from a disposed engine");
    dal_session_close(s); /* frees the engine */
}

Test(pool, memory_sqlite_shares_one_database)
{
    dal_engine *e = dal_test_engine("sqlite", "");
    dal_engine_dispose(e);
    dal_error err = DAL_ERROR_INIT;
    cr_assert_eq(dal_engine_create("sqlite://", NULL, &e, &err), DAL_OK);
    dal_session *s;
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    dal_test_exec(s, "CREATE TABLE mem_t (k INTEGER)");
    dal_test_exec(s, "INSERT INTO mem_t VALUES (5)");
    dal_session_commit(s, NULL);
    dal_session_close(s);
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT k FROM mem_t"), 5);
    dal_session_close(s);
    dal_engine_dispose(e);
}

/* Terminates a PostgreSQL backend from another connection. */
static void terminate_backend(int64_t pid)
{
    dal_engine *ke;
    dal_session *ks;
    dal_test_open(dal_test_url("postgresql", ""), &ke, &ks);
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)::int", (long long)pid);
    cr_assert_eq(dal_test_scalar(ks, sql), 1);
    dal_session_close(ks);
    dal_engine_dispose(ke);
    usleep(100000);
}

/* Terminates the backend behind s, between transactions. */
static void kill_backend(dal_session *s)
{
    int64_t pid = dal_test_scalar(s, "SELECT pg_backend_pid()");
    dal_session_rollback(s, NULL);
    terminate_backend(pid);
}

Test(pool, killed_backend_is_replaced_by_the_idle_ping)
{
    dal_engine *e = dal_test_engine("postgresql", "?pool_size=1&pool_pre_ping=0.05");
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    int64_t pid = dal_test_scalar(s, "SELECT pg_backend_pid()");
    dal_session_close(s);
    terminate_backend(pid); /* while the connection is idle in the pool */
    usleep(100000); /* longer than the 50 ms idle threshold */
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT 3"), 3);
    dal_session_close(s);
    dal_pool_stats st;
    dal_engine_pool_stats(e, &st);
    cr_expect_geq(st.pings, 1);
    cr_expect_eq(st.discards, 1);
    cr_expect_eq(st.connects, 2);
    dal_engine_dispose(e);
}

Test(pool, killed_backend_is_retried_on_the_first_statement)
{
    dal_engine *e = dal_test_engine("postgresql", "?pool_size=1&pool_pre_ping=never");
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    kill_backend(s);
    /* Nothing was done in this transaction yet: the statement moves to a new connection. */
    cr_expect_eq(dal_test_scalar(s, "SELECT 4"), 4);
    dal_session_close(s);
    dal_pool_stats st;
    dal_engine_pool_stats(e, &st);
    cr_expect_eq(st.connects, 2);
    cr_expect_eq(st.pings, 0);
    dal_engine_dispose(e);
}

/* The session's own query timeout holds on the connection the retry moved
 * it to. */
Test(pool, the_retry_keeps_the_session_query_timeout)
{
    dal_engine *e = dal_test_engine("postgresql", "?pool_size=1&pool_pre_ping=never");
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    DAL_OK_OR_FAIL(dal_session_set_query_timeout(s, 1, &err), err);
    kill_backend(s);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = dal_session_exec(s, "SELECT pg_sleep(8)", NULL, 0, NULL, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    cr_expect_eq(rc, DAL_ETIMEOUT, "%s: %s", dal_code_name(rc), err.message);
    cr_expect_lt(took, 5, "the retried statement ran %.1f s past its 1 s timeout", took);
    dal_session_close(s);
    dal_pool_stats st;
    dal_engine_pool_stats(e, &st);
    cr_expect_eq(st.connects, 2, "the statement was retried on a new connection");
    dal_engine_dispose(e);
}

Test(pool, killed_backend_mid_transaction_is_disconnected)
{
    dal_engine *e = dal_test_engine("postgresql", "?pool_size=1&pool_pre_ping=never");
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    dal_test_exec(s, "DROP TABLE IF EXISTS killed_t");
    dal_test_exec(s, "CREATE TABLE killed_t (k INTEGER)");
    dal_test_exec(s, "INSERT INTO killed_t VALUES (1)");
    dal_session_commit(s, NULL);
    dal_test_exec(s, "INSERT INTO killed_t VALUES (2)");
    terminate_backend(dal_test_scalar(s, "SELECT pg_backend_pid()"));
    int rc = dal_session_exec(s, "INSERT INTO killed_t VALUES (3)", NULL, 0, NULL, &err);
    cr_expect_eq(rc, DAL_EDISCONNECTED, "%s: %s", dal_code_name(rc), err.message);
    dal_session_close(s);
    dal_pool_stats st;
    dal_engine_pool_stats(e, &st);
    cr_expect_eq(st.discards, 1);
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM killed_t"), 1,
                 "committed row kept, the rest gone");
    dal_session_close(s);
    dal_engine_dispose(e);
}

static char *setting(dal_session *s, const char *name)
{
    dal_error err = DAL_ERROR_INIT;
    dal_result *r;
    dal_value v = dal_text(name);
    DAL_OK_OR_FAIL(dal_session_query(s, "SELECT current_setting(?)", &v, 1, &r, &err), err);
    cr_assert_eq(dal_result_next(r, &err), DAL_ROW);
    const char *t;
    DAL_OK_OR_FAIL(dal_result_text(r, 0, &t, NULL, &err), err);
    char *copy = strdup(t);
    dal_result_close(r);
    return copy;
}

Test(pool, settings_a_user_changed_do_not_reach_the_next_user)
{
    dal_engine *e = dal_test_engine("postgresql", "?pool_size=1&max_overflow=0");
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    void *conn = s->conn;
    dal_test_exec(s, "SET application_name = 'leaky'");
    dal_test_exec(s, "SET TIME ZONE 'Asia/Tokyo'");
    dal_session_commit(s, NULL);
    char *name = setting(s, "application_name");
    cr_expect_str_eq(name, "leaky");
    free(name);
    dal_session_close(s);

    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    cr_expect_eq(s->conn, conn, "the same connection");
    name = setting(s, "application_name");
    char *zone = setting(s, "TimeZone");
    cr_expect_str_neq(name, "leaky");
    cr_expect_str_eq(zone, "UTC", "dal's own setting is back");
    free(name);
    free(zone);
    dal_session_close(s);
    dal_engine_dispose(e);
}

/* Whether sql fails (the object it names is gone). */
static bool fails(dal_session *s, const char *sql)
{
    dal_error err = DAL_ERROR_INIT;
    int rc = dal_session_exec(s, sql, NULL, 0, NULL, &err);
    dal_session_rollback(s, NULL);
    return rc != DAL_OK;
}

DAL_TEST_EACH(pool, check_in_leaves_no_session_state_behind)
{
    (void)url;
    dal_engine *e = dal_test_engine(backend, "?pool_size=1&max_overflow=0");
    dal_engine *other = dal_test_engine(backend, "?pool_size=1&max_overflow=0");
    bool pg = !strcmp(backend, "postgresql"), maria = !strcmp(backend, "mariadb");
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    dal_test_exec(s, pg ? "CREATE TEMP TABLE leak_t (k INT)" : "CREATE TEMPORARY TABLE leak_t (k INT)");
    if (pg) cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM (SELECT pg_advisory_lock(4711)) l"), 1);
    if (maria) {
        cr_expect_eq(dal_test_scalar(s, "SELECT GET_LOCK('dal_leak', 0)"), 1);
        dal_test_exec(s, "SET @leak = 42");
        dal_test_exec(s, "SET SESSION sql_mode = 'ANSI_QUOTES'");
    }
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    dal_session_close(s);

    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    cr_expect(fails(s, "SELECT k FROM leak_t"), "the temporary table went with its user");
    if (maria) {
        cr_expect_eq(dal_test_scalar(s, "SELECT @leak IS NULL"), 1, "the user variable is gone");
        cr_expect_eq(dal_test_scalar(s, "SELECT @@sql_mode LIKE '%ANSI_QUOTES%'"), 0,
                     "the session's sql_mode is the server's again");
    }
    dal_session_close(s);
    if (pg || maria) { /* the lock was released: another connection takes it at once */
        dal_session *o;
        DAL_OK_OR_FAIL(dal_session_open(other, &o, &err), err);
        /* PostgreSQL's reset releases it before check-in returns; MariaDB's
         * server releases it when it has processed the closed connection's
         * COM_QUIT, a moment later (seen under ASan): wait up to 5 s. */
        cr_expect_eq(dal_test_scalar(o, pg ? "SELECT pg_try_advisory_lock(4711)::int"
                                           : "SELECT GET_LOCK('dal_leak', 5)"),
                     1);
        dal_session_close(o); /* and gives it back the same way */
    }
    dal_pool_stats st;
    dal_engine_pool_stats(e, &st);
    /* MariaDB has no reset statement: its connection is closed instead. */
    cr_expect_eq(st.discards, maria ? 1 : 0, "a reset, or the connection closed");
    dal_engine_dispose(other);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(pool, old_connections_are_recycled)
{
    (void)url;
    dal_engine *e = dal_test_engine(backend, "?pool_size=1&pool_recycle=0.05&pool_pre_ping=never");
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    dal_session_close(s);
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err); /* young: reused */
    dal_session_close(s);
    usleep(100000);
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err); /* older than 50 ms: replaced */
    cr_expect_eq(dal_test_scalar(s, "SELECT 1"), 1);
    dal_session_close(s);
    dal_pool_stats st;
    dal_engine_pool_stats(e, &st);
    cr_expect_eq(st.connects, 2);
    cr_expect_eq(st.discards, 1);
    dal_engine_dispose(e);
}
