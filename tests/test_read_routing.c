/* Read scale-out on a real primary and two asynchronous standbys
 * (tests/ha/read_routing_test.sh starts scripts/pg-cluster start-async):
 * load_balance_hosts=random spreads read-only connections over the
 * standbys, a standby that does not answer costs one connect_timeout per
 * host_recheck (not one per checkout), and max_staleness_ms keeps reads
 * off a standby whose replay is paused: no read returns data older than
 * the bound. One test at a time (-j1): they change the cluster. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backends.h"

static const char *env(const char *name)
{
    return dal_test_env(name, "tests/ha/read_routing_test.sh");
}

static void cluster_script(const char *args)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s %s", env("DAL_TEST_CLUSTER_SCRIPT"), args);
    cr_assert_eq(system(cmd), 0, "%s failed", cmd);
}

static dal_engine *engine(const char *base, const char *query)
{
    char url[1024];
    snprintf(url, sizeof url, "%s%s", base, query);
    return dal_test_engine_at(url);
}

/* The two integers of the one row sql returns. */
static void two_values(dal_session *s, const char *sql, const dal_value *v, size_t n, int64_t *a,
                       int64_t *b)
{
    dal_error err = DAL_ERROR_INIT;
    dal_result *r;
    DAL_OK_OR_FAIL(dal_session_query(s, sql, v, n, &r, &err), err);
    cr_assert_eq(dal_result_next(r, &err), DAL_ROW);
    DAL_OK_OR_FAIL(dal_result_int64(r, 0, a, &err), err);
    DAL_OK_OR_FAIL(dal_result_int64(r, 1, b, &err), err);
    dal_result_close(r);
}

static int server_port(dal_session *s)
{
    return (int)dal_test_scalar(s, "SELECT inet_server_port()");
}

Test(read_routing, random_load_balancing_spreads_reads_evenly_over_the_standbys, .timeout = 300)
{
    int primary = dal_test_url_port(env("DAL_TEST_PRIMARY_URL"));
    int standby[2] = {dal_test_url_port(env("DAL_TEST_STANDBY_URL")),
                      dal_test_url_port(env("DAL_TEST_STANDBY2_URL"))};
    dal_engine *e = engine(env("DAL_TEST_CLUSTER_URL"),
                           "?load_balance_hosts=random&pool_recycle=0.001&read_pool_size=1");
    dal_error err = DAL_ERROR_INIT;
    enum { CHECKOUTS = 3000 };
    int on[2] = {0}, on_primary = 0;
    for (int i = 0; i < CHECKOUTS; i++) { /* pool_recycle: a new connection each */
        dal_session *s;
        usleep(1500);
        DAL_OK_OR_FAIL(dal_session_open_read_only(e, &s, &err), err);
        int port = server_port(s);
        on[0] += port == standby[0];
        on[1] += port == standby[1];
        on_primary += port == primary;
        dal_session_close(s);
    }
    printf("read routing spread: %d read-only checkouts with new connections: %d and %d on the "
           "standbys, %d on the primary\n",
           CHECKOUTS, on[0], on[1], on_primary);
    cr_expect_eq(on_primary, 0);
    for (int i = 0; i < 2; i++)
        cr_expect(on[i] >= 1350 && on[i] <= 1650, "standby %d: %d of %d (1,500 +- 10%%)", i + 1,
                  on[i], CHECKOUTS);
    dal_engine_dispose(e);
}

/* A standby killed: reads carry on on the other one, none fails. */
Test(read_routing, a_killed_standby_leaves_the_reads_to_the_other, .timeout = 120)
{
    int standby1 = dal_test_url_port(env("DAL_TEST_STANDBY_URL"));
    dal_engine *e = engine(env("DAL_TEST_CLUSTER_URL"),
                           "?load_balance_hosts=random&pool_recycle=0.001&read_pool_size=1");
    cluster_script("kill-standby 2");
    dal_error err = DAL_ERROR_INIT;
    int failures = 0, elsewhere = 0;
    double started = dal_test_now();
    for (int i = 0; i < 300; i++) {
        dal_session *s;
        usleep(1000);
        if (dal_session_open_read_only(e, &s, &err) != DAL_OK) {
            failures++;
            continue;
        }
        elsewhere += server_port(s) != standby1;
        dal_session_close(s);
    }
    double took = dal_test_now() - started;
    const char *why = dal_engine_host_skipped(e, 2, NULL);
    cluster_script("start-standby 2");
    printf("read routing killed standby: 300 read-only checkouts in %.2f s, %d failed, %d not on "
           "the surviving standby; the dead one: %s\n",
           took, failures, elsewhere, why ? why : "not skipped");
    cr_expect_eq(failures, 0);
    cr_expect_eq(elsewhere, 0);
    cr_expect(why && !strcmp(why, "host down"));
    dal_engine_dispose(e);
}

/* A third "standby" that accepts and never answers: every connect to it
 * would cost connect_timeout. With host_recheck=3 it costs that once per
 * 3 s, whatever the number of checkouts. */
Test(read_routing, a_host_that_does_not_answer_costs_one_connect_timeout_per_recheck,
     .timeout = 120)
{
    int silent_port;
    int fd = dal_test_silent_listener(&silent_port);
    char url[1024];
    const char *cluster = env("DAL_TEST_CLUSTER_URL");
    const char *db = strrchr(cluster, '/');
    snprintf(url, sizeof url,
             "%.*s,127.0.0.1:%d%s?load_balance_hosts=random&pool_recycle=0.001&"
             "read_pool_size=1&connect_timeout=2&host_recheck=3",
             (int)(db - cluster), cluster, silent_port, db);
    dal_engine *e = dal_test_engine_at(url);
    dal_error err = DAL_ERROR_INIT;
    int slow = 0, checkouts = 0, failures = 0;
    double started = dal_test_now(), slowest = 0;
    while (dal_test_now() - started < 10) {
        dal_session *s;
        double t = dal_test_now();
        if (dal_session_open_read_only(e, &s, &err) == DAL_OK) {
            server_port(s);
            dal_session_close(s);
        } else {
            failures++;
        }
        double took = dal_test_now() - t;
        slow += took >= 1.5;
        if (took > slowest) slowest = took;
        checkouts++;
        usleep(5000);
    }
    double elapsed = dal_test_now() - started;
    printf("read routing dead host: %d checkouts in %.1f s, %d waited for the silent host "
           "(slowest %.2f s), %d failed\n",
           checkouts, elapsed, slow, slowest, failures);
    cr_expect_eq(failures, 0);
    /* One a recheck interval (3 s + the 2 s the connect itself takes). */
    cr_expect_leq(slow, (int)(elapsed / 5.0) + 2, "%d of %d checkouts waited", slow, checkouts);
    cr_expect_geq(slow, 1, "the silent host was never tried: the test proves nothing");
    dal_engine_dispose(e);
    close(fd);
}

/* ---- staleness ---- */

/* A session on the primary after table (id 1, n 0) was made afresh and
 * has reached the standbys. */
static dal_session *fresh_counter(dal_engine *primary, const char *table)
{
    dal_session *s = dal_test_session(primary);
    char sql[160];
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", table);
    dal_test_exec(s, sql);
    snprintf(sql, sizeof sql, "CREATE TABLE %s (id int PRIMARY KEY, n bigint NOT NULL)", table);
    dal_test_exec(s, sql);
    snprintf(sql, sizeof sql, "INSERT INTO %s VALUES (1, 0)", table);
    dal_test_exec(s, sql);
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    sleep(1); /* the standbys have it */
    return s;
}

enum { MAX_VALUES = 4000 };

typedef struct counter_load {
    dal_engine *writer_engine, *reader_engine;
    atomic_bool stop;
    double acked_at[MAX_VALUES]; /* when the commit of value i returned */
    atomic_int written;          /* values acknowledged so far */
    atomic_int reads, violations, on_paused, on_paused_after;
    atomic_int stale_discards; /* DISCARD events with reason "stale" */
    int paused_port;
    atomic_bool resumed;
    double worst; /* seconds by which the oldest read missed the bound */
    pthread_mutex_t lock;
} counter_load;

static void count_stale(const dal_event *ev, void *ctx)
{
    counter_load *l = ctx;
    if (ev->kind == DAL_EVENT_DISCARD && ev->reason && !strcmp(ev->reason, "stale"))
        atomic_fetch_add(&l->stale_discards, 1);
}

static void *counter_writer(void *arg)
{
    counter_load *l = arg;
    dal_session *s = dal_test_session(l->writer_engine);
    dal_error err = DAL_ERROR_INIT;
    for (int i = 1; i < MAX_VALUES && !atomic_load(&l->stop); i++) {
        dal_value v[1] = {dal_int64(i)};
        DAL_OK_OR_FAIL(
            dal_session_exec(s, "UPDATE rr_counter SET n = ? WHERE id = 1", v, 1, NULL, &err), err);
        DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
        l->acked_at[i] = dal_test_now();
        atomic_store(&l->written, i);
        usleep(10 * 1000);
    }
    dal_session_close(s);
    return NULL;
}

static void *counter_reader(void *arg)
{
    counter_load *l = arg;
    const double bound = 0.5;
    while (!atomic_load(&l->stop)) {
        double started = dal_test_now();
        int known = atomic_load(&l->written);
        dal_session *s;
        dal_error err = DAL_ERROR_INIT;
        DAL_OK_OR_FAIL(dal_session_open_read_only(l->reader_engine, &s, &err), err);
        int64_t n = 0, port = 0;
        two_values(s, "SELECT n, inet_server_port() FROM rr_counter WHERE id = 1", NULL, 0, &n,
                   &port);
        dal_session_close(s);
        /* Every value acknowledged more than bound before the read began
         * must be visible: n is at least the newest of them. */
        int must = 0;
        for (int i = known; i >= 1; i--)
            if (l->acked_at[i] < started - bound) {
                must = i;
                break;
            }
        atomic_fetch_add(&l->reads, 1);
        if (port == l->paused_port)
            atomic_fetch_add(atomic_load(&l->resumed) ? &l->on_paused_after : &l->on_paused, 1);
        if (n < must) {
            atomic_fetch_add(&l->violations, 1);
            pthread_mutex_lock(&l->lock);
            double missed = started - l->acked_at[n + 1];
            if (missed > l->worst) l->worst = missed;
            pthread_mutex_unlock(&l->lock);
        }
        usleep(2000);
    }
    return NULL;
}

Test(read_routing, max_staleness_keeps_reads_off_a_standby_whose_replay_is_paused, .timeout = 120)
{
    dal_engine *w = dal_test_engine_at(env("DAL_TEST_PRIMARY_URL"));
    dal_session_close(fresh_counter(w, "rr_counter"));
    static counter_load l;
    memset(&l, 0, sizeof l);
    pthread_mutex_init(&l.lock, NULL);
    l.writer_engine = w;
    dal_engine_options o;
    dal_engine_options_init(&o);
    o.on_event = count_stale;
    o.event_ctx = &l;
    char url[1024];
    snprintf(url, sizeof url, "%s%s", env("DAL_TEST_CLUSTER_URL"),
             "?load_balance_hosts=random&max_staleness_ms=500&host_recheck=1&pool_recycle=0.2&"
             "read_pool_size=4");
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_engine_create(url, &o, &l.reader_engine, &err), err);
    l.paused_port = dal_test_url_port(env("DAL_TEST_STANDBY_URL"));
    pthread_t writer, readers[3];
    pthread_create(&writer, NULL, counter_writer, &l);
    for (int i = 0; i < 3; i++)
        pthread_create(&readers[i], NULL, counter_reader, &l);
    sleep(2);
    int before = atomic_load(&l.on_paused);
    cluster_script("pause-replay 1");
    sleep(5);
    cluster_script("resume-replay 1");
    atomic_store(&l.resumed, true);
    sleep(4);
    atomic_store(&l.stop, true);
    pthread_join(writer, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(readers[i], NULL);
    printf("read routing staleness: %d reads, %d values written every 10 ms; %d reads on the "
           "paused standby before the pause, %d after replay resumed; %d reads older than "
           "max_staleness_ms=500 (worst by %.3f s); %d connections discarded as stale\n",
           atomic_load(&l.reads), atomic_load(&l.written), before, atomic_load(&l.on_paused_after),
           atomic_load(&l.violations), l.worst, atomic_load(&l.stale_discards));
    cr_expect_gt(atomic_load(&l.stale_discards), 0, "a DISCARD event with reason stale");
    cr_expect_eq(atomic_load(&l.violations), 0);
    cr_expect_gt(before, 0, "the paused standby served reads before: the test proves nothing");
    cr_expect_gt(atomic_load(&l.on_paused_after), 0, "reads resume on it after replay resumes");
    dal_engine_dispose(l.reader_engine);
    dal_engine_dispose(w);
}

static void count_connects(const dal_event *ev, void *ctx)
{
    if (ev->kind == DAL_EVENT_CONNECT && !ev->code && ev->target &&
        strstr(ev->target, "127.0.0.1:"))
        atomic_fetch_add((atomic_int *)ctx, 1);
}

/* Without max_staleness_ms the same paused standby keeps serving: the
 * stale reads the option prevents (measured, not required). */
Test(read_routing, without_max_staleness_a_paused_standby_serves_old_data, .timeout = 60)
{
    dal_engine *w = dal_test_engine_at(env("DAL_TEST_PRIMARY_URL"));
    dal_session *s = fresh_counter(w, "rr_plain");
    dal_error err = DAL_ERROR_INIT;
    cluster_script("pause-replay 1");
    dal_test_exec(s, "UPDATE rr_plain SET n = 1 WHERE id = 1");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    dal_session_close(s);
    sleep(1);
    dal_engine *r = dal_test_engine_at(env("DAL_TEST_STANDBY_URL"));
    dal_session *rs;
    DAL_OK_OR_FAIL(dal_session_open_read_only(r, &rs, &err), err);
    int64_t seen = dal_test_scalar(rs, "SELECT n FROM rr_plain WHERE id = 1");
    dal_session_close(rs);
    dal_engine_dispose(r);
    char url[1024];
    snprintf(url, sizeof url, "%s?max_staleness_ms=500", env("DAL_TEST_STANDBY_URL"));
    atomic_int connects = 0;
    dal_engine_options o; /* observed: CONNECT events name the one host */
    dal_engine_options_init(&o);
    o.on_event = count_connects;
    o.event_ctx = &connects;
    DAL_OK_OR_FAIL(dal_engine_create(url, &o, &r, &err), err);
    int rc = dal_session_open_read_only(r, &rs, &err);
    cluster_script("resume-replay 1");
    /* Caught up again, it serves: the same engine, its one host retried. */
    dal_session *again = NULL;
    dal_error again_err = DAL_ERROR_INIT;
    for (int i = 0; i < 50 && dal_session_open_read_only(r, &again, &again_err); i++)
        usleep(100 * 1000);
    cr_expect_not_null(again, "after replay resumed: %s", again_err.message);
    if (again) dal_session_close(again);
    cr_expect_geq(atomic_load(&connects), 1, "a CONNECT event naming the standby");
    printf("read routing without max_staleness_ms: the paused standby answered n = %lld (the "
           "primary has 1); with it, the only host refused: %s\n",
           (long long)seen, rc ? err.message : "(served)");
    cr_expect_eq(seen, 0, "replay paused: the standby still has the old value");
    cr_expect_eq(rc, DAL_ECONNECT, "a lone standby beyond the bound serves nothing");
    if (!rc) dal_session_close(rs);
    dal_engine_dispose(r);
    dal_engine_dispose(w);
}

/* Read your own writes across sessions: a commit's token, and a read-only
 * session that has it, on asynchronous standbys. */
Test(read_routing, a_commit_token_makes_a_later_read_only_session_see_the_write, .timeout = 120)
{
    dal_engine *e = engine(env("DAL_TEST_CLUSTER_URL"), "?load_balance_hosts=random");
    dal_session *s = dal_test_session(e);
    dal_test_exec(s, "DROP TABLE IF EXISTS rr_token");
    dal_test_exec(s, "CREATE TABLE rr_token (id int PRIMARY KEY)");
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    dal_session_close(s);
    sleep(1);
    int missed = 0, on_standby = 0, plain_missed = 0;
    enum { LOOPS = 2000 }; /* 1,000 with a token, 1,000 without */
    for (int i = 1; i <= LOOPS; i++) {
        s = dal_test_session(e);
        dal_value v[1] = {dal_int64(i)};
        DAL_OK_OR_FAIL(dal_session_exec(s, "INSERT INTO rr_token VALUES (?)", v, 1, NULL, &err),
                       err);
        DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
        char token[64];
        DAL_OK_OR_FAIL(dal_session_commit_token(s, token, sizeof token, &err), err);
        dal_session_close(s);
        if (i % 2) { /* every other loop: a plain read-only session, for comparison */
            DAL_OK_OR_FAIL(dal_session_open_read_only(e, &s, &err), err);
            char sql[80];
            snprintf(sql, sizeof sql, "SELECT count(*) FROM rr_token WHERE id = %d", i);
            plain_missed += dal_test_scalar(s, sql) != 1;
            dal_session_close(s);
            continue;
        }
        DAL_OK_OR_FAIL(dal_session_open_read_only_after(e, token, &s, &err), err);
        int64_t n = 0, standby = 0;
        two_values(s,
                   "SELECT count(*), CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END FROM "
                   "rr_token WHERE id = ?",
                   v, 1, &n, &standby);
        missed += n != 1;
        on_standby += standby == 1;
        dal_session_close(s);
    }
    printf("read routing read-your-writes: %d write-then-read loops with a commit token: %d "
           "missed the write, %d served by a standby; %d loops without a token: %d missed\n",
           LOOPS / 2, missed, on_standby, LOOPS / 2, plain_missed);
    cr_expect_eq(missed, 0);
    char token[64];
    dal_session *none;
    cr_expect_eq(dal_session_open_read_only_after(e, "0/1; DROP TABLE rr_token", &none, &err),
                 DAL_EMISUSE, "a token that is not one is refused, never sent");
    cr_expect_null(none);
    s = dal_test_session(e);
    dal_test_exec(s, "SELECT 1");
    cr_expect_eq(dal_session_commit_token(s, token, sizeof token, &err), DAL_EMISUSE,
                 "inside a transaction there is no commit to name");
    dal_session_close(s);
    dal_engine_dispose(e);
}
