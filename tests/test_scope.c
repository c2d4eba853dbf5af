/* dal_configure, per-thread scopes and the middleware, on every backend:
 * the reference pattern's own tests in C, plus nesting, threads, thread exit,
 * reconfiguration and moving a scope between threads. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "backends.h"

static const char not_configured[] =
    "Database has not been configured, i.e. dal_configure() was not called.";
static const char no_scope[] = "No session is available in the current scope.";

static void configure(const char *url)
{
    dal_error err = DAL_ERROR_INIT;
    int rc = dal_configure(url, NULL, &err);
    DAL_OK_OR_FAIL(rc, err);
}

static dal_session *scoped(void)
{
    dal_session *s = NULL;
    dal_error err = DAL_ERROR_INIT;
    int rc = dal_scoped_session(&s, &err);
    DAL_OK_OR_FAIL(rc, err);
    return s;
}

static dal_pool_stats stats(void)
{
    dal_pool_stats st;
    dal_engine_pool_stats(dal_configured_engine(), &st);
    return st;
}

static int called;
static int count_call(void *arg, dal_error *err)
{
    (void)arg;
    (void)err;
    called++;
    return DAL_OK;
}

Test(scope, not_configured_is_reported_with_the_reference_text)
{
    dal_error err = DAL_ERROR_INIT;
    cr_expect_eq(dal_scope_begin(&err), DAL_ENOTCONFIGURED);
    cr_expect_str_eq(err.message, not_configured);
    dal_session *s = (dal_session *)1;
    dal_error_clear(&err);
    cr_expect_eq(dal_scoped_session(&s, &err), DAL_ENOTCONFIGURED);
    cr_expect_str_eq(err.message, not_configured);
    cr_expect_null(s);
    dal_error_clear(&err);
    cr_expect_eq(dal_with_scope(count_call, NULL, &err), DAL_ENOTCONFIGURED);
    cr_expect_eq(called, 0, "fn must not be called");
    cr_expect_eq(dal_scope_end(), DAL_ENOSCOPE);
    cr_expect_null(dal_configured_engine());
}

DAL_TEST_EACH(scope, reference_pattern)
{
    (void)backend;
    configure(url);
    dal_error err = DAL_ERROR_INIT;
    dal_session *s = NULL;
    /* Outside a scope: "no scope", with the exact text. */
    cr_expect_eq(dal_scoped_session(&s, &err), DAL_ENOSCOPE);
    cr_expect_str_eq(err.message, no_scope);
    cr_expect_eq(dal_scope_end(), DAL_ENOSCOPE);

    DAL_OK_OR_FAIL(dal_scope_begin(&err), err);
    s = scoped();
    dal_test_exec(s, "DROP TABLE IF EXISTS ref_t");
    dal_test_exec(s, "CREATE TABLE ref_t (id INTEGER PRIMARY KEY, name VARCHAR(20))");
    dal_test_exec(s, "INSERT INTO ref_t VALUES (7, 'first')");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    cr_expect_eq(scoped(), s, "the same scope returns the same session");
    cr_expect_eq(dal_scope_end(), DAL_OK);

    DAL_OK_OR_FAIL(dal_scope_begin(&err), err);
    cr_expect_eq(dal_test_scalar(scoped(), "SELECT id FROM ref_t"), 7,
                 "id readable after the scope ended");
    cr_expect_eq(dal_test_scalar(scoped(), "SELECT COUNT(*) FROM ref_t"), 1,
                 "a new scope sees exactly one row");
    dal_scope_end();
    dal_unconfigure();
}

DAL_TEST_EACH(scope, nested_scopes_have_their_own_sessions)
{
    (void)backend;
    configure(url);
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_scope_begin(&err), err);
    dal_session *outer = scoped();
    DAL_OK_OR_FAIL(dal_scope_begin(&err), err);
    cr_expect_eq(dal_scope_depth(), 2);
    dal_session *inner = scoped();
    cr_expect_neq(inner, outer, "two scopes return different sessions");
    cr_expect_eq(stats().checked_out, 2);
    dal_scope_end();
    cr_expect_eq(scoped(), outer, "the outer session is current again");
    cr_expect_eq(stats().checked_out, 1);
    dal_scope_end();
    cr_expect_eq(stats().checked_out, 0);
    cr_expect_eq(dal_scope_depth(), 0);
    dal_unconfigure();
}

DAL_TEST_EACH(scope, a_scope_without_a_session_costs_no_connection)
{
    (void)backend;
    configure(url);
    dal_error err = DAL_ERROR_INIT;
    for (int k = 0; k < 10; k++) {
        DAL_OK_OR_FAIL(dal_scope_begin(&err), err);
        cr_expect_eq(dal_scope_end(), DAL_OK);
    }
    cr_expect_eq(stats().checkouts, 0);
    cr_expect_eq(stats().connects, 0);
    dal_unconfigure();
}

DAL_TEST_EACH(scope, uncommitted_work_is_discarded)
{
    (void)backend;
    configure(url);
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_scope_begin(&err), err);
    dal_test_exec(scoped(), "DROP TABLE IF EXISTS discard_t");
    dal_test_exec(scoped(), "CREATE TABLE discard_t (k INTEGER)");
    dal_session_commit(scoped(), NULL);
    dal_test_exec(scoped(), "INSERT INTO discard_t VALUES (1)");
    dal_scope_end(); /* no commit */
    DAL_OK_OR_FAIL(dal_scope_begin(&err), err);
    cr_expect_eq(dal_test_scalar(scoped(), "SELECT COUNT(*) FROM discard_t"), 0);
    dal_scope_end();
    dal_unconfigure();
}

typedef struct middleware_arg {
    int calls;
    dal_session *seen;
} middleware_arg;

static int failing_handler(void *p, dal_error *err)
{
    middleware_arg *a = p;
    a->calls++;
    int rc = dal_scoped_session(&a->seen, err);
    if (!rc) rc = dal_session_exec(a->seen, "SELECT * FROM no_such_table_mw", NULL, 0, NULL, err);
    return rc;
}

DAL_TEST_EACH(scope, middleware_returns_the_handlers_status_and_always_ends)
{
    (void)backend;
    configure(url);
    middleware_arg a = {0, NULL};
    dal_error err = DAL_ERROR_INIT;
    int rc = dal_with_scope(failing_handler, &a, &err);
    cr_expect_eq(rc, DAL_ESYNTAX, "%s", dal_code_name(rc));
    cr_expect_eq(err.code, DAL_ESYNTAX, "the handler's error reaches the caller");
    cr_expect_eq(a.calls, 1);
    cr_expect_eq(dal_scope_depth(), 0);
    cr_expect_eq(stats().checked_out, 0);
    dal_unconfigure();
}

enum { THREADS = 8 };
typedef struct thread_arg {
    int id;
    int rc;
    int64_t seen;
} thread_arg;

static void *isolated_worker(void *p)
{
    thread_arg *a = p;
    dal_error err = DAL_ERROR_INIT;
    if ((a->rc = dal_scope_begin(&err))) return NULL;
    dal_session *s;
    if ((a->rc = dal_scoped_session(&s, &err))) return NULL;
    for (int k = 0; k < 5 && !a->rc; k++) {
        dal_value v[] = {dal_int64(a->id), dal_int64(k)};
        a->rc = dal_session_exec(s, "INSERT INTO iso_t VALUES (?, ?)", v, 2, NULL, &err);
    }
    if (!a->rc) a->rc = dal_session_commit(s, &err);
    dal_session *again;
    dal_scoped_session(&again, &err);
    if (again != s) a->rc = -1;
    dal_result *r;
    dal_value id = dal_int64(a->id);
    if (!a->rc && !(a->rc = dal_session_query(s, "SELECT COUNT(*) FROM iso_t WHERE t = ?", &id, 1,
                                              &r, &err))) {
        if (dal_result_next(r, &err) == DAL_ROW) dal_result_int64(r, 0, &a->seen, &err);
        dal_result_close(r);
    }
    dal_scope_end();
    return NULL;
}

DAL_TEST_EACH(scope, threads_never_see_each_others_scopes)
{
    (void)backend;
    configure(url);
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_scope_begin(&err), err);
    dal_test_exec(scoped(), "DROP TABLE IF EXISTS iso_t");
    dal_test_exec(scoped(), "CREATE TABLE iso_t (t INTEGER, k INTEGER)");
    dal_session_commit(scoped(), NULL);
    dal_scope_end();
    pthread_t t[THREADS];
    thread_arg a[THREADS];
    for (int k = 0; k < THREADS; k++) {
        a[k] = (thread_arg){k, 0, 0};
        pthread_create(&t[k], NULL, isolated_worker, &a[k]);
    }
    for (int k = 0; k < THREADS; k++) {
        pthread_join(t[k], NULL);
        cr_expect_eq(a[k].rc, 0, "thread %d: %d", k, a[k].rc);
        cr_expect_eq(a[k].seen, 5, "thread %d saw %lld rows", k, (long long)a[k].seen);
    }
    cr_expect_eq(dal_scope_depth(), 0, "no scope leaked to the main thread");
    cr_expect_eq(stats().checked_out, 0);
    dal_unconfigure();
}

static void *exit_with_open_scope(void *p)
{
    (void)p;
    dal_error err = DAL_ERROR_INIT;
    dal_scope_begin(&err);
    dal_session *s;
    dal_scoped_session(&s, &err);
    dal_session_exec(s, "INSERT INTO exit_t VALUES (1)", NULL, 0, NULL, &err);
    dal_scope_begin(&err); /* a second, nested one, also left open */
    return NULL;           /* exits with both scopes open */
}

DAL_TEST_EACH(scope, thread_exit_ends_open_scopes)
{
    (void)backend;
    configure(url);
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_scope_begin(&err), err);
    dal_test_exec(scoped(), "DROP TABLE IF EXISTS exit_t");
    dal_test_exec(scoped(), "CREATE TABLE exit_t (k INTEGER)");
    dal_session_commit(scoped(), NULL);
    dal_scope_end();
    pthread_t t;
    pthread_create(&t, NULL, exit_with_open_scope, NULL);
    pthread_join(t, NULL);
    cr_expect_eq(stats().checked_out, 0, "the connection came back");
    DAL_OK_OR_FAIL(dal_scope_begin(&err), err);
    cr_expect_eq(dal_test_scalar(scoped(), "SELECT COUNT(*) FROM exit_t"), 0, "rolled back");
    dal_scope_end();
    dal_unconfigure();
}

typedef struct handoff {
    dal_scope *scope;
    int rc;
    int attach_twice;
} handoff;

static void *attach_and_finish(void *p)
{
    handoff *h = p;
    dal_error err = DAL_ERROR_INIT;
    if ((h->rc = dal_scope_attach(h->scope, &err))) return NULL;
    h->attach_twice = dal_scope_attach(h->scope, NULL);
    dal_session *s;
    if (!(h->rc = dal_scoped_session(&s, &err))) {
        h->rc = dal_session_exec(s, "INSERT INTO handoff_t VALUES (2)", NULL, 0, NULL, &err);
        if (!h->rc) h->rc = dal_session_commit(s, &err);
    }
    dal_scope_end();
    return NULL;
}

DAL_TEST_EACH(scope, detach_on_one_thread_attach_on_another)
{
    (void)backend;
    configure(url);
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_scope_begin(&err), err);
    dal_test_exec(scoped(), "DROP TABLE IF EXISTS handoff_t");
    dal_test_exec(scoped(), "CREATE TABLE handoff_t (k INTEGER)");
    dal_session_commit(scoped(), NULL);
    dal_test_exec(scoped(), "INSERT INTO handoff_t VALUES (1)");
    handoff h = {dal_scope_detach(), -1, 0};
    cr_assert_not_null(h.scope);
    cr_expect_eq(dal_scope_depth(), 0);
    dal_session *s;
    cr_expect_eq(dal_scoped_session(&s, NULL), DAL_ENOSCOPE);
    pthread_t t;
    pthread_create(&t, NULL, attach_and_finish, &h);
    pthread_join(t, NULL);
    cr_expect_eq(h.rc, DAL_OK);
    cr_expect_eq(h.attach_twice, DAL_EMISUSE);
    cr_expect_null(dal_scope_detach());
    DAL_OK_OR_FAIL(dal_scope_begin(&err), err);
    cr_expect_eq(dal_test_scalar(scoped(), "SELECT SUM(k) FROM handoff_t"), 3,
                 "work of both threads committed");
    dal_scope_end();
    dal_unconfigure();
}

typedef struct holder {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stage;
    int rc;
} holder;

static void *hold_session_across_reconfigure(void *p)
{
    holder *h = p;
    dal_error err = DAL_ERROR_INIT;
    dal_session *s = NULL;
    h->rc = dal_scope_begin(&err);
    if (!h->rc) h->rc = dal_scoped_session(&s, &err);
    pthread_mutex_lock(&h->lock);
    h->stage = 1;
    pthread_cond_broadcast(&h->cond);
    while (h->stage != 2)
        pthread_cond_wait(&h->cond, &h->lock);
    pthread_mutex_unlock(&h->lock);
    if (!h->rc)
        h->rc = dal_session_exec(s, "SELECT 1", NULL, 0, NULL, &err); /* old engine, still alive */
    dal_scope_end();
    return NULL;
}

DAL_TEST_EACH(scope, reconfigure_while_another_thread_holds_a_session)
{
    (void)backend;
    configure(url);
    holder h = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    pthread_t t;
    pthread_create(&t, NULL, hold_session_across_reconfigure, &h);
    pthread_mutex_lock(&h.lock);
    while (h.stage != 1)
        pthread_cond_wait(&h.cond, &h.lock);
    pthread_mutex_unlock(&h.lock);
    configure(url); /* replaces the engine the other thread's session came from */
    pthread_mutex_lock(&h.lock);
    h.stage = 2;
    pthread_cond_broadcast(&h.cond);
    pthread_mutex_unlock(&h.lock);
    pthread_join(t, NULL);
    cr_expect_eq(h.rc, DAL_OK);
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_scope_begin(&err), err);
    cr_expect_eq(dal_test_scalar(scoped(), "SELECT 5"), 5, "the new engine works");
    dal_scope_end();
    dal_unconfigure();
    dal_unconfigure(); /* twice is harmless */
}

DAL_TEST_EACH(scope, closing_a_scoped_session_is_harmless)
{
    (void)backend;
    configure(url);
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_scope_begin(&err), err);
    dal_session *s = scoped();
    dal_session_close(s); /* a natural mistake: the scope owns it */
    cr_expect_eq(dal_session_last_error(s)->code, DAL_EMISUSE, "the mistake is recorded");
    cr_expect_eq(dal_test_scalar(s, "SELECT 7"), 7, "the session still works");
    cr_expect_eq(scoped(), s, "the scope still hands out the same session");
    cr_expect_eq(stats().checked_out, 1);
    dal_scope_end();
    cr_expect_eq(stats().checked_out, 0, "returned once, by the scope");

    /* The next scopes get sessions of their own, unharmed (ASan: no reuse
     * of freed or doubly released memory). */
    for (int i = 0; i < 3; i++) {
        DAL_OK_OR_FAIL(dal_scope_begin(&err), err);
        dal_session *again = scoped();
        cr_expect_eq(dal_test_scalar(again, "SELECT 8"), 8);
        DAL_OK_OR_FAIL(dal_scope_begin(&err), err);
        dal_session *inner = scoped();
        cr_expect_neq(inner, again, "nested scopes never share a session");
        dal_scope_end();
        dal_scope_end();
    }
    cr_expect_eq(stats().checked_out, 0);
    dal_unconfigure();
}

DAL_TEST_EACH(scope, closing_a_session_twice_is_harmless)
{
    dal_engine *e;
    dal_session *s, *a, *b;
    (void)backend;
    dal_test_open(url, &e, &s);
    dal_session_close(s);
    dal_session_close(s); /* already back in the pool: no second release */
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_open(e, &a, &err), err);
    DAL_OK_OR_FAIL(dal_session_open(e, &b, &err), err);
    cr_expect_neq(a, b, "two sessions, two objects");
    dal_pool_stats st;
    dal_engine_pool_stats(e, &st);
    cr_expect_eq(st.checked_out, 2);
    dal_session_close(a);
    dal_session_close(b);
    dal_engine_dispose(e);
}

static int read_in_scope(void *arg, dal_error *err)
{
    dal_session *s;
    int rc = dal_scoped_session(&s, err);
    if (rc) return rc;
    *(int64_t *)arg = dal_test_scalar(s, "SELECT COUNT(*) FROM ro_t");
    return dal_session_exec(s, "INSERT INTO ro_t VALUES (2)", NULL, 0, NULL, err);
}

DAL_TEST_EACH(scope, read_only_sessions_read_and_never_write)
{
    (void)backend;
    configure(url);
    dal_engine *e = dal_configured_engine();
    dal_error err = DAL_ERROR_INIT;
    dal_session *w, *r;
    DAL_OK_OR_FAIL(dal_session_open(e, &w, &err), err);
    dal_test_exec(w, "DROP TABLE IF EXISTS ro_t");
    dal_test_exec(w, "CREATE TABLE ro_t (k INTEGER)");
    dal_test_exec(w, "INSERT INTO ro_t VALUES (1)");
    DAL_OK_OR_FAIL(dal_session_commit(w, &err), err);
    dal_session_close(w);

    DAL_OK_OR_FAIL(dal_session_open_read_only(e, &r, &err), err);
    cr_expect_eq(dal_test_scalar(r, "SELECT COUNT(*) FROM ro_t"), 1, "sees committed data");
    cr_expect_eq(dal_session_exec(r, "INSERT INTO ro_t VALUES (3)", NULL, 0, NULL, &err),
                 DAL_EREADONLY, "%s: %s", dal_code_name(err.code), err.message);
    dal_error_clear(&err);
    cr_expect_eq(dal_test_scalar(r, "SELECT 4"), 4, "a refused write aborts nothing");
    cr_expect_eq(dal_session_begin_nested(r, NULL, &err), DAL_EMISUSE, "no savepoints");
    dal_error_clear(&err);
    DAL_OK_OR_FAIL(dal_session_commit(r, &err), err);
    DAL_OK_OR_FAIL(dal_session_rollback(r, &err), err);
    cr_expect_eq(dal_test_scalar(r, "SELECT 8"), 8);
    dal_session_close(r);

    dal_pool_stats st;
    dal_engine_read_pool_stats(e, &st);
    cr_expect_eq(st.checkouts, 1, "the read-only pool served it");
    cr_expect_eq(st.checked_out, 0);

    /* A read-only scope; the normal pool's next user can write again. */
    int64_t seen = 0;
    cr_expect_eq(dal_with_read_only_scope(read_in_scope, &seen, &err), DAL_EREADONLY);
    cr_expect_eq(seen, 1);
    dal_error_clear(&err);
    DAL_OK_OR_FAIL(dal_session_open(e, &w, &err), err);
    dal_test_exec(w, "INSERT INTO ro_t VALUES (5)");
    DAL_OK_OR_FAIL(dal_session_commit(w, &err), err);
    cr_expect_eq(dal_test_scalar(w, "SELECT SUM(k) FROM ro_t"), 6);
    dal_session_close(w);
    dal_unconfigure();
}

Test(scope, read_only_sessions_share_an_in_memory_sqlite_database)
{
    configure("sqlite://");
    dal_engine *e = dal_configured_engine();
    dal_error err = DAL_ERROR_INIT;
    dal_session *w, *r;
    DAL_OK_OR_FAIL(dal_session_open(e, &w, &err), err);
    dal_test_exec(w, "CREATE TABLE mem_t (k INTEGER)");
    dal_test_exec(w, "INSERT INTO mem_t VALUES (1)");
    DAL_OK_OR_FAIL(dal_session_commit(w, &err), err);
    dal_session_close(w);
    DAL_OK_OR_FAIL(dal_session_open_read_only(e, &r, &err), err);
    cr_expect_eq(dal_test_scalar(r, "SELECT COUNT(*) FROM mem_t"), 1, "the same database");
    cr_expect_eq(dal_session_exec(r, "INSERT INTO mem_t VALUES (2)", NULL, 0, NULL, &err),
                 DAL_EREADONLY);
    dal_session_close(r);
    dal_error_clear(&err);
    DAL_OK_OR_FAIL(dal_session_open(e, &w, &err), err);
    dal_test_exec(w, "INSERT INTO mem_t VALUES (3)");
    DAL_OK_OR_FAIL(dal_session_rollback(w, &err), err);
    cr_expect_eq(dal_test_scalar(w, "SELECT COUNT(*) FROM mem_t"), 1,
                 "writable and transactional again, data kept");
    dal_session_close(w);
    dal_unconfigure();
}
