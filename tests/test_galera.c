/* A real three-node MariaDB Galera cluster (tests/galera/galera_test.sh
 * starts scripts/galera): host lists tried by dal itself, nodes that are
 * not ready skipped, 1047 discarding every connection to its node,
 * certification conflicts as DAL_ECONFLICT, causal reads, and a node killed
 * and another frozen under load without losing an acknowledged commit.
 * One test at a time (-j1): they change the cluster. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backends.h"

static const char *env(const char *name)
{
    return dal_test_env(name, "tests/galera/galera_test.sh");
}

/* The cluster's URL (all three nodes) with query appended. */
static const char *cluster(const char *query)
{
    static _Thread_local char url[512];
    snprintf(url, sizeof url, "%s%s", env("DAL_TEST_GALERA_URL"), query);
    return url;
}

/* Node n's URL alone. */
static const char *node(int n, const char *query)
{
    static _Thread_local char url[512];
    snprintf(url, sizeof url, "mariadb://dal:dal_test_pw@127.0.0.1:%d/dal_test%s", 23400 + n,
             query);
    return url;
}

/* scripts/galera with these arguments; fails the test when it fails. */
static void galera(const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s >/dev/null", env("DAL_TEST_GALERA_SCRIPT"), args);
    cr_assert_eq(system(cmd), 0, "%s failed", cmd);
}

static int64_t scalar(dal_session *s, const char *sql) { return dal_test_scalar(s, sql); }

/* The port of the node that serves s. */
static int port_of(dal_session *s) { return (int)scalar(s, "SELECT @@port"); }

static void reset_table(const char *sql_create, const char *table)
{
    dal_engine *e = dal_test_engine_at(node(1, ""));
    dal_session *s = dal_test_session(e);
    char drop[128];
    snprintf(drop, sizeof drop, "DROP TABLE IF EXISTS %s", table);
    dal_test_exec(s, drop);
    dal_test_exec(s, sql_create);
    dal_session_close(s);
    dal_engine_dispose(e);
}

/* Waits until a node reports node n is what state says. */
static void wait_status(int n, const char *sql, const char *want)
{
    char args[512];
    snprintf(args, sizeof args, "sql %d \"%s\" | grep -qx '%s'", n, sql, want);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s", env("DAL_TEST_GALERA_SCRIPT"), args);
    for (int i = 0; i < 300; i++) {
        if (system(cmd) == 0) return;
        usleep(100 * 1000);
    }
    cr_assert_fail("node %d never answered %s with %s", n, sql, want);
}

Test(galera, writes_go_to_the_first_host_and_reads_spread_over_all)
{
    dal_engine *e = dal_test_engine_at(cluster("?pool_size=8&read_pool_size=1&pool_recycle=0.001"));
    dal_error err = DAL_ERROR_INIT;
    dal_session *held[8];
    for (int i = 0; i < 8; i++) {
        held[i] = dal_test_session(e);
        cr_assert_eq(port_of(held[i]), 23401, "normal sessions take the first host that serves");
    }
    for (int i = 0; i < 8; i++)
        dal_session_close(held[i]);
    int per_node[3] = {0};
    enum { READS = 300 };
    for (int i = 0; i < READS; i++) { /* pool_recycle: each checkout connects anew */
        dal_session *s;
        usleep(2000);
        DAL_OK_OR_FAIL(dal_session_open_read_only(e, &s, &err), err);
        int port = port_of(s);
        cr_assert(port >= 23401 && port <= 23403);
        per_node[port - 23401]++;
        dal_session_close(s);
    }
    printf("galera routing: %d read-only connections: %d / %d / %d per node\n", READS, per_node[0],
           per_node[1], per_node[2]);
    for (int i = 0; i < 3; i++) /* expected 100 each; 60 is far outside chance */
        cr_expect_geq(per_node[i], 60, "node %d served %d of %d reads", i + 1, per_node[i], READS);
    dal_engine_dispose(e);
}

Test(galera, a_node_outside_the_primary_component_is_skipped_at_connect)
{
    dal_engine *e = dal_test_engine_at(cluster("?read_pool_size=1&pool_recycle=0.001"));
    dal_error err = DAL_ERROR_INIT;
    galera("sql 3 \"SET GLOBAL wsrep_provider_options='gmcast.isolate=1'\"");
    wait_status(3, "SHOW STATUS LIKE 'wsrep_ready'", "wsrep_ready\tOFF");
    int on_node3 = 0;
    for (int i = 0; i < 60; i++) {
        dal_session *s;
        usleep(2000);
        DAL_OK_OR_FAIL(dal_session_open_read_only(e, &s, &err), err);
        on_node3 += port_of(s) == 23403;
        dal_session_close(s);
    }
    double left = 0;
    const char *why = dal_engine_host_skipped(e, 2, &left);
    galera("sql 3 \"SET GLOBAL wsrep_provider_options='gmcast.isolate=0'\"");
    galera("wait-synced");
    cr_expect_eq(on_node3, 0, "%d reads were served by the isolated node", on_node3);
    cr_assert(why && !strcmp(why, "not ready"), "node 3: %s", why ? why : "not skipped");
    cr_expect(left > 0 && left <= 10.0);
    size_t serving = 0;
    DAL_OK_OR_FAIL(dal_engine_check_hosts(e, &serving, &err), err);
    cr_expect_eq(serving, 3, "after it rejoined, %zu hosts serve", serving);
    cr_expect_null(dal_engine_host_skipped(e, 2, NULL));
    dal_engine_dispose(e);
}

typedef struct counts {
    atomic_int not_ready_statements; /* statements that got 1047 */
    atomic_int not_ready_discards;   /* pooled connections closed because their node was marked */
} counts;

static void count_events(const dal_event *ev, void *ctx)
{
    counts *c = ctx;
    if (ev->kind == DAL_EVENT_STATEMENT && ev->code && strstr(ev->message, "WSREP"))
        atomic_fetch_add(&c->not_ready_statements, 1);
    if (ev->kind == DAL_EVENT_DISCARD && ev->reason && !strcmp(ev->reason, "not ready"))
        atomic_fetch_add(&c->not_ready_discards, 1);
}

/* wsrep_reject_queries=ALL: the node still says Synced, but statements on
 * tables get 1047. The first one marks the node: every other connection
 * to it is closed at checkout, before a statement reaches it. */
Test(galera, the_first_1047_takes_every_connection_off_its_node)
{
    reset_table("CREATE TABLE g_reject (id INT PRIMARY KEY)", "g_reject");
    counts c = {0};
    dal_engine_options o;
    dal_engine_options_init(&o);
    o.on_event = count_events;
    o.event_ctx = &c;
    enum { HELD = 30 };
    o.read_pool_size = HELD;
    dal_engine *e;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_engine_create(cluster("?host_recheck=30"), &o, &e, &err), err);
    dal_session *held[HELD];
    int on_node3 = 0, opened = 0;
    /* Connections, a third of them on each node at random, until 4 are on
     * node 3 (fewer than 2 of 30: about once in 10,000 runs). */
    while (opened < HELD && on_node3 < 4) {
        DAL_OK_OR_FAIL(dal_session_open_read_only(e, &held[opened], &err), err);
        on_node3 += port_of(held[opened++]) == 23403;
    }
    for (int i = 0; i < opened; i++)
        dal_session_close(held[i]);
    cr_assert_geq(on_node3, 2, "only %d of %d connections on node 3", on_node3, opened);
    galera("sql 3 \"SET GLOBAL wsrep_reject_queries = ALL\"");
    int failures = 0;
    for (int i = 0; i < opened; i++) { /* each checkout takes another pooled connection */
        DAL_OK_OR_FAIL(dal_session_open_read_only(e, &held[i], &err), err);
        dal_result *r;
        if (dal_session_query(held[i], "SELECT count(*) FROM g_reject", NULL, 0, &r, &err) ==
            DAL_OK)
            dal_result_close(r);
        else
            failures++;
    }
    for (int i = 0; i < opened; i++)
        dal_session_close(held[i]);
    galera("sql 3 \"SET GLOBAL wsrep_reject_queries = NONE\"");
    printf("galera 1047: %d connections on node 3; %d statements met 1047, %d connections to it "
           "closed "
           "(after one statement or at checkout)\n",
           on_node3, atomic_load(&c.not_ready_statements), atomic_load(&c.not_ready_discards));
    cr_expect_eq(failures, 0, "the first statement moves to another node by itself");
    cr_expect_eq(atomic_load(&c.not_ready_statements), 1,
                 "after the first 1047, no statement reached node 3");
    cr_expect_eq(atomic_load(&c.not_ready_discards), on_node3,
                 "every connection to node 3 closed: the one that met 1047, and the others "
                 "at checkout");
    cr_expect_str_eq(dal_engine_host_skipped(e, 2, NULL), "not ready");
    dal_engine_dispose(e);
}

/* Two nodes update the same row: Galera certifies the first commit; the
 * other transaction is rolled back whole and gets DAL_ECONFLICT. */
Test(galera, a_certification_conflict_is_econflict_and_nothing_of_it_remains)
{
    reset_table("CREATE TABLE g_conflict (id INT PRIMARY KEY, a INT, b INT)", "g_conflict");
    dal_engine *e1 = dal_test_engine_at(node(1, "")), *e2 = dal_test_engine_at(node(2, ""));
    dal_session *s1 = dal_test_session(e1), *s2 = dal_test_session(e2);
    dal_test_exec(s1, "INSERT INTO g_conflict VALUES (1, 0, 0), (2, 0, 0)");
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_commit(s1, &err), err);
    galera("wait-synced");
    int conflicts = 0, rounds = 20;
    for (int round = 1; round <= rounds; round++) {
        dal_error e1err = DAL_ERROR_INIT, e2err = DAL_ERROR_INIT;
        dal_value v1[1] = {dal_int64(round * 10 + 1)}, v2[1] = {dal_int64(round * 10 + 2)};
        /* each writes both rows: a partial outcome would mix them */
        int rc1 = dal_session_exec(s1, "UPDATE g_conflict SET a = ?, b = a WHERE id IN (1, 2)", v1,
                                   1, NULL, &e1err);
        int rc2 = dal_session_exec(s2, "UPDATE g_conflict SET a = ?, b = a WHERE id IN (1, 2)", v2,
                                   1, NULL, &e2err);
        cr_assert_eq(rc1, DAL_OK, "%s", e1err.message);
        cr_assert_eq(rc2, DAL_OK, "%s", e2err.message); /* no lock across nodes */
        rc1 = dal_session_commit(s1, &e1err);
        rc2 = dal_session_commit(s2, &e2err);
        cr_assert(rc1 == DAL_OK, "the first commit is certified: %s", e1err.message);
        cr_assert(rc2 == DAL_ECONFLICT, "the second: %s %s", dal_code_name(rc2), e2err.message);
        conflicts++;
        if (rc2) dal_session_rollback(s2, &e2err);
        for (int n = 1; n <= 3; n++) {
            dal_engine *en = dal_test_engine_at(node(n, "?causal_reads=true"));
            dal_session *sn = dal_test_session(en);
            char sql[160];
            snprintf(sql, sizeof sql, "SELECT count(*) FROM g_conflict WHERE a = %d AND b = %d",
                     round * 10 + 1, round * 10 + 1);
            cr_assert_eq(scalar(sn, sql), 2, "node %d holds the winner's two rows, whole", n);
            dal_session_close(sn);
            dal_engine_dispose(en);
        }
    }
    printf("galera conflict: %d of %d rounds ended in DAL_ECONFLICT for the later commit\n",
           conflicts, rounds);
    dal_session_close(s1);
    dal_session_close(s2);
    dal_engine_dispose(e1);
    dal_engine_dispose(e2);
}

/* Write on node 1, then read on node 2: with causal_reads=true the read
 * always sees the write; without, it may not (measured). */
static int stale_reads(const char *read_query, int loops, double *seconds)
{
    dal_engine *w = dal_test_engine_at(node(1, "")), *r = dal_test_engine_at(node(2, read_query));
    dal_session *ws = dal_test_session(w);
    dal_error err = DAL_ERROR_INIT;
    int stale = 0;
    double started = dal_test_now();
    for (int i = 1; i <= loops; i++) {
        dal_value v[1] = {dal_int64(i)};
        DAL_OK_OR_FAIL(
            dal_session_exec(ws, "UPDATE g_causal SET n = ? WHERE id = 1", v, 1, NULL, &err), err);
        DAL_OK_OR_FAIL(dal_session_commit(ws, &err), err);
        dal_session *rs;
        DAL_OK_OR_FAIL(dal_session_open_read_only(r, &rs, &err), err);
        stale += scalar(rs, "SELECT n FROM g_causal WHERE id = 1") != i;
        dal_session_close(rs);
    }
    *seconds = dal_test_now() - started;
    dal_session_close(ws);
    dal_engine_dispose(w);
    dal_engine_dispose(r);
    return stale;
}

Test(galera, causal_reads_see_every_write_committed_before_them)
{
    reset_table("CREATE TABLE g_causal (id INT PRIMARY KEY, n INT)", "g_causal");
    dal_engine *e = dal_test_engine_at(node(1, ""));
    dal_session *s = dal_test_session(e);
    dal_test_exec(s, "INSERT INTO g_causal VALUES (1, 0)");
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    dal_session_close(s);
    dal_engine_dispose(e);
    galera("wait-synced");
    double causal_s, plain_s;
    int causal = stale_reads("?causal_reads=true", 1000, &causal_s);
    int plain = stale_reads("", 1000, &plain_s);
    printf("galera causal reads: 1000 write-then-read loops across nodes: %d stale with "
           "causal_reads=true (%.0f us a loop), %d stale without (%.0f us a loop)\n",
           causal, causal_s * 1e3, plain, plain_s * 1e3);
    cr_expect_eq(causal, 0);
}

/* ---- a node killed, another frozen, under load ---- */

enum { WRITERS = 8, READERS = 4, MAX_WRITES = 20000 };

typedef struct load {
    dal_engine *engine;
    atomic_bool stop;
    unsigned char acked[WRITERS][MAX_WRITES];
    int written[WRITERS];
    double longest_gap[WRITERS];
    double gap_began[WRITERS]; /* when the longest gap began (dal_test_now()) */
    atomic_int errors, reads, read_errors;
} load;

typedef struct worker {
    load *l;
    int id;
} worker;

static void *writer(void *arg)
{
    worker *w = arg;
    load *l = w->l;
    double last = dal_test_now();
    for (int i = 0; i < MAX_WRITES && !atomic_load(&l->stop); i++) {
        dal_error err = DAL_ERROR_INIT;
        dal_session *s;
        dal_value v[2] = {dal_int64(w->id), dal_int64(i)};
        int rc = dal_session_open(l->engine, &s, &err);
        if (!rc) {
            rc = dal_session_exec(s, "INSERT INTO g_load (writer, n) VALUES (?, ?)", v, 2, NULL,
                                  &err);
            if (!rc) rc = dal_session_commit(s, &err);
            dal_session_close(s);
        }
        l->written[w->id] = i + 1;
        if (rc) {
            atomic_fetch_add(&l->errors, 1);
            usleep(20 * 1000);
            continue;
        }
        l->acked[w->id][i] = 1;
        double t = dal_test_now();
        if (t - last > l->longest_gap[w->id]) {
            l->longest_gap[w->id] = t - last;
            l->gap_began[w->id] = last;
        }
        last = t;
    }
    return NULL;
}

static void *reader(void *arg)
{
    worker *w = arg;
    load *l = w->l;
    while (!atomic_load(&l->stop)) {
        dal_error err = DAL_ERROR_INIT;
        dal_session *s;
        dal_result *r;
        int rc = dal_session_open_read_only(l->engine, &s, &err);
        if (!rc) {
            rc = dal_session_query(s, "SELECT count(*) FROM g_load", NULL, 0, &r, &err);
            if (!rc) dal_result_close(r);
            dal_session_close(s);
        }
        atomic_fetch_add(rc ? &l->read_errors : &l->reads, 1);
        if (rc) usleep(20 * 1000);
    }
    return NULL;
}

/* Rows of g_load on node n, as a bitmap like acked. */
static void check_node(int n, load *l)
{
    dal_engine *e = dal_test_engine_at(node(n, "?causal_reads=true"));
    dal_session *s = dal_test_session(e);
    dal_error err = DAL_ERROR_INIT;
    dal_result *r;
    DAL_OK_OR_FAIL(dal_session_query(s, "SELECT writer, n FROM g_load", NULL, 0, &r, &err), err);
    static unsigned char present[WRITERS][MAX_WRITES];
    memset(present, 0, sizeof present);
    while (dal_result_next(r, &err) == DAL_ROW) {
        int64_t wr = 0, i = 0;
        dal_result_int64(r, 0, &wr, &err);
        dal_result_int64(r, 1, &i, &err);
        cr_assert(wr >= 0 && wr < WRITERS && i >= 0 && i < MAX_WRITES);
        present[wr][i] = 1;
    }
    dal_result_close(r);
    int missing = 0, acked = 0;
    for (int w = 0; w < WRITERS; w++)
        for (int i = 0; i < l->written[w]; i++) {
            acked += l->acked[w][i];
            missing += l->acked[w][i] && !present[w][i];
        }
    printf("galera node %d: %d acknowledged commits, %d missing\n", n, acked, missing);
    cr_expect_eq(missing, 0, "node %d lost %d acknowledged commits", n, missing);
    dal_session_close(s);
    dal_engine_dispose(e);
}

Test(galera, a_node_killed_and_another_frozen_lose_no_acknowledged_commit, .timeout = 240)
{
    reset_table("CREATE TABLE g_load (writer INT, n INT, PRIMARY KEY (writer, n))", "g_load");
    static load l;
    memset(&l, 0, sizeof l);
    const double connect_timeout = 3;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_engine_create(cluster("?connect_timeout=3&query_timeout=3&pool_size=8&"
                                             "read_pool_size=4&pool_timeout=30"),
                                     NULL, &l.engine, &err),
                   err);
    pthread_t threads[WRITERS + READERS];
    worker workers[WRITERS + READERS];
    for (int i = 0; i < WRITERS + READERS; i++) {
        workers[i] = (worker){&l, i < WRITERS ? i : i - WRITERS};
        pthread_create(&threads[i], NULL, i < WRITERS ? writer : reader, &workers[i]);
    }
    sleep(2);
    double killed = dal_test_now();
    galera("kill 1"); /* where the writers are: they move to node 2 */
    sleep(3);
    galera("start-node 1"); /* rejoins (IST) while the writers carry on */
    galera("wait-synced");
    sleep(2);
    /* Another node stops answering. (Not before node 1 is back: one node
     * of three has no quorum and refuses everything with 1047.) */
    double frozen = dal_test_now();
    galera("freeze 2");
    sleep(6);
    galera("thaw 2"); /* evicted meanwhile: it rejoins */
    galera("wait-synced");
    sleep(2);
    atomic_store(&l.stop, true);
    for (int i = 0; i < WRITERS + READERS; i++)
        pthread_join(threads[i], NULL);
    galera("wait-synced");
    double gap = 0, began = 0;
    for (int w = 0; w < WRITERS; w++)
        if (l.longest_gap[w] > gap) {
            gap = l.longest_gap[w];
            began = l.gap_began[w];
        }
    printf("galera node loss: the longest gap began %.2f s after the kill, %.2f s after the "
           "freeze\n",
           began - killed, began - frozen);
    printf("galera node loss: longest writer gap %.2f s (connect_timeout %.0f s), %d failed "
           "writes, %d reads, %d failed reads\n",
           gap, connect_timeout, atomic_load(&l.errors), atomic_load(&l.reads),
           atomic_load(&l.read_errors));
    for (int n = 1; n <= 3; n++)
        check_node(n, &l);
    cr_expect_leq(gap, 2 * connect_timeout, "a writer went %.2f s without a commit", gap);
    dal_engine_dispose(l.engine);
}

/* wsrep_on=0 is session state: the connection that ran it is closed at
 * check-in, never lent to the next session. (It needs SUPER: root, over
 * node 1's socket.) */
Test(galera, a_session_that_turns_wsrep_off_does_not_hand_it_on)
{
    char url[512];
    snprintf(url, sizeof url, "%s&pool_size=1&max_overflow=0", env("DAL_TEST_GALERA_ROOT_URL"));
    dal_engine *e = dal_test_engine_at(url);
    dal_session *s = dal_test_session(e);
    dal_test_exec(s, "SET SESSION wsrep_on = 0");
    cr_assert_eq(scalar(s, "SELECT @@session.wsrep_on"), 0);
    dal_session_close(s);
    s = dal_test_session(e);
    cr_expect_eq(scalar(s, "SELECT @@session.wsrep_on"), 1, "the next session replicates");
    dal_session_close(s);
    dal_engine_dispose(e);
}
