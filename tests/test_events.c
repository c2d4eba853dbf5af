/* Events and pool timings on every backend: order and fields, parameter
 * values only when asked, discards with their reasons, several threads, a
 * slow callback that blocks no other thread, and the statement histogram. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backends.h"

#define MAX_EVENTS 4096

typedef struct seen {
    pthread_mutex_t lock;
    int n;
    dal_event_kind kind[MAX_EVENTS];
    int code[MAX_EVENTS];
    int64_t rows[MAX_EVENTS];
    char text[MAX_EVENTS][96]; /* sql, target or reason */
    size_t nparams[MAX_EVENTS];
    double seconds[MAX_EVENTS];
} seen;

static void collect(const dal_event *ev, void *ctx)
{
    seen *s = ctx;
    pthread_mutex_lock(&s->lock);
    if (s->n < MAX_EVENTS) {
        int i = s->n++;
        s->kind[i] = ev->kind;
        s->code[i] = ev->code;
        s->rows[i] = ev->rows;
        s->nparams[i] = ev->nparams;
        s->seconds[i] = ev->seconds;
        const char *t = ev->sql ? ev->sql : ev->target ? ev->target : ev->reason ? ev->reason : "";
        snprintf(s->text[i], sizeof s->text[i], "%s", t);
    }
    pthread_mutex_unlock(&s->lock);
}

static dal_engine *observed_engine(const char *url, seen *s, bool parameters)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    dal_engine_options o;
    dal_engine_options_init(&o);
    o.on_event = collect;
    o.event_ctx = s;
    o.event_parameters = parameters;
    dal_engine *e;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_engine_create(url, &o, &e, &err), err);
    return e;
}

/* The kinds seen, as letters: C connect, O checkout, I check-in, D discard,
 * S statement, M commit, R rollback. */
static const char *kinds(const seen *s)
{
    static char k[MAX_EVENTS + 1];
    static const char letters[] = "?COIDSMR";
    for (int i = 0; i < s->n; i++)
        k[i] = letters[s->kind[i]];
    k[s->n] = '\0';
    return k;
}

DAL_TEST_EACH(events, arrive_in_order_with_their_fields)
{
    seen s;
    dal_engine *e = observed_engine(url, &s, false);
    dal_error err = DAL_ERROR_INIT;
    dal_session *ses;
    DAL_OK_OR_FAIL(dal_session_open(e, &ses, &err), err);
    dal_test_exec(ses, "DROP TABLE IF EXISTS ev_t");
    dal_test_exec(ses, "CREATE TABLE ev_t (k INTEGER)");
    DAL_OK_OR_FAIL(dal_session_commit(ses, &err), err);
    int first = s.n;
    dal_value v = dal_int64(41);
    DAL_OK_OR_FAIL(dal_session_exec(ses, "INSERT INTO ev_t VALUES (?)", &v, 1, NULL, &err), err);
    cr_expect_eq(dal_session_exec(ses, "INSERT INTO ev_missing VALUES (1)", NULL, 0, NULL, &err),
                 DAL_ESYNTAX);
    dal_error_clear(&err);
    DAL_OK_OR_FAIL(dal_session_rollback(ses, &err), err);
    DAL_OK_OR_FAIL(dal_session_exec(ses, "INSERT INTO ev_t VALUES (?)", &v, 1, NULL, &err), err);
    DAL_OK_OR_FAIL(dal_session_commit(ses, &err), err);
    dal_session_close(ses);
    dal_engine_dispose(e);

    cr_expect(!strncmp(kinds(&s), "CO", 2), "connect, then checkout: %s", kinds(&s));
    cr_expect(!strcmp(kinds(&s) + first, "SSRSMI"), "%s", kinds(&s) + first);
    cr_expect_str_eq(s.text[first], "INSERT INTO ev_t VALUES (?)");
    cr_expect_eq(s.rows[first], 1);
    cr_expect_eq(s.nparams[first], 0, "no parameter values unless asked");
    cr_expect_eq(s.code[first + 1], DAL_ESYNTAX);
    cr_expect_eq(s.code[first + 4], DAL_OK, "the commit");
    cr_expect_null(strstr(s.text[0], "dal_test_pw"), "no password: %s", s.text[0]);
    cr_expect(s.seconds[0] > 0, "a connect takes time");
}

DAL_TEST_EACH(events, parameter_values_only_when_asked)
{
    seen s;
    dal_engine *e = observed_engine(url, &s, true);
    dal_session *ses;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_open(e, &ses, &err), err);
    cr_expect_eq(dal_test_scalar(ses, "SELECT 3"), 3);
    dal_value v[] = {dal_int64(1), dal_text("two")};
    dal_result *r;
    DAL_OK_OR_FAIL(dal_session_query(ses, "SELECT ?, ?", v, 2, &r, &err), err);
    dal_result_close(r);
    dal_session_close(ses);
    dal_engine_dispose(e);
    int stmt = -1;
    for (int i = 0; i < s.n; i++)
        if (s.kind[i] == DAL_EVENT_STATEMENT && !strcmp(s.text[i], "SELECT ?, ?")) stmt = i;
    cr_assert_geq(stmt, 0);
    cr_expect_eq(s.nparams[stmt], 2);
    cr_expect_eq(s.rows[stmt], -1, "a query: rows come later");
}

DAL_TEST_EACH(events, discards_say_why)
{
    (void)url;
    seen s;
    dal_engine *e = observed_engine(
        dal_test_url(backend, "?pool_size=1&pool_recycle=0.05&pool_pre_ping=never"), &s, false);
    dal_session *ses;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_open(e, &ses, &err), err);
    dal_session_close(ses);
    usleep(100000);
    DAL_OK_OR_FAIL(dal_session_open(e, &ses, &err), err);
    bool pg = !strcmp(backend, "postgresql");
    if (pg || !strcmp(backend, "mariadb")) { /* a server session killed under the session */
        dal_session *killer;
        DAL_OK_OR_FAIL(dal_session_open_read_only(e, &killer, &err), err);
        int64_t pid = dal_test_scalar(ses, pg ? "SELECT pg_backend_pid()" : "SELECT CONNECTION_ID()");
        char sql[96];
        snprintf(sql, sizeof sql, pg ? "SELECT pg_terminate_backend(%lld)::int" : "KILL CONNECTION %lld",
                 (long long)pid);
        if (pg)
            cr_expect_eq(dal_test_scalar(killer, sql), 1);
        else
            DAL_OK_OR_FAIL(dal_session_exec(killer, sql, NULL, 0, NULL, &err), err);
        dal_session_close(killer);
        usleep(100000);
        cr_expect_eq(dal_session_exec(ses, "SELECT 1", NULL, 0, NULL, &err), DAL_EDISCONNECTED,
                     "%s", err.message);
    }
    dal_session_close(ses);
    dal_engine_dispose(e);
    int too_old = 0, dead = 0;
    for (int i = 0; i < s.n; i++) {
        if (s.kind[i] != DAL_EVENT_DISCARD) continue;
        too_old += !strcmp(s.text[i], "too old");
        dead += !strcmp(s.text[i], "dead");
    }
    cr_expect_eq(too_old, 1, "%s", kinds(&s));
    cr_expect_eq(dead, strcmp(backend, "sqlite") ? 1 : 0, "%s", kinds(&s));
}

static dal_engine *shared;
static atomic_bool slow_started;

static void slow_on_checkout(const dal_event *ev, void *ctx)
{
    (void)ctx;
    if (ev->kind == DAL_EVENT_CHECKOUT && !atomic_exchange(&slow_started, true)) usleep(400000);
}

static void *slow_user(void *arg)
{
    (void)arg;
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    if (!dal_session_open(shared, &s, &err)) dal_session_close(s);
    return NULL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

DAL_TEST_EACH(events, a_slow_callback_blocks_no_other_thread)
{
    (void)url;
    dal_engine_options o;
    dal_engine_options_init(&o);
    o.on_event = slow_on_checkout;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_engine_create(dal_test_url(backend, "?pool_size=3"), &o, &shared, &err), err);
    dal_session *warm[2];
    for (int i = 0; i < 2; i++) /* two idle connections ready */
        DAL_OK_OR_FAIL(dal_session_open(shared, &warm[i], &err), err);
    for (int i = 0; i < 2; i++)
        dal_session_close(warm[i]);
    atomic_store(&slow_started, false);
    pthread_t t;
    pthread_create(&t, NULL, slow_user, NULL);
    while (!atomic_load(&slow_started))
        usleep(1000);
    double started = now();
    for (int i = 0; i < 20; i++) {
        dal_session *s;
        DAL_OK_OR_FAIL(dal_session_open(shared, &s, &err), err);
        dal_session_close(s);
    }
    double took = now() - started;
    pthread_join(t, NULL);
    cr_expect_lt(took, 0.3, "20 checkouts took %.3fs while a callback slept 0.4s", took);
    dal_engine_dispose(shared);
}

typedef struct worker_arg {
    dal_engine *e;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *a = p;
    for (int i = 0; i < 50; i++) {
        dal_session *s;
        dal_error err = DAL_ERROR_INIT;
        if (dal_session_open(a->e, &s, &err)) continue;
        dal_result *r;
        if (!dal_session_query(s, "SELECT 1", NULL, 0, &r, &err)) dal_result_close(r);
        dal_session_close(s);
    }
    return NULL;
}

DAL_TEST_EACH(events, several_threads_and_the_timings)
{
    seen s;
    dal_engine *e = observed_engine(dal_test_url(backend, "?pool_size=2&max_overflow=0"), &s, false);
    enum { THREADS = 4 };
    pthread_t t[THREADS];
    worker_arg a = {e};
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, &a);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    dal_pool_stats st;
    dal_engine_pool_stats(e, &st);
    int checkouts = 0, checkins = 0, statements = 0;
    for (int i = 0; i < s.n; i++) {
        checkouts += s.kind[i] == DAL_EVENT_CHECKOUT && s.code[i] == DAL_OK;
        checkins += s.kind[i] == DAL_EVENT_CHECKIN;
        statements += s.kind[i] == DAL_EVENT_STATEMENT;
    }
    cr_expect_eq(checkouts, THREADS * 50);
    cr_expect_eq(checkins, THREADS * 50);
    cr_expect_eq(statements, THREADS * 50);
    uint64_t counted = 0;
    for (int b = 0; b < DAL_STATEMENT_BUCKETS; b++)
        counted += st.statements[b];
    cr_expect_eq(counted, (uint64_t)statements, "the histogram counts every statement");
    cr_expect(st.statement_seconds_total > 0);
    cr_expect(st.connect_seconds_total > 0);
    cr_expect(st.waits == 0 || st.wait_seconds_total > 0);
    cr_expect(st.wait_seconds_max <= st.wait_seconds_total + 1e-9);
    cr_expect(dal_statement_bucket_limits()[0] == 0.0001);
    dal_engine_dispose(e);
}
