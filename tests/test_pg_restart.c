/* The whole PostgreSQL server stopped and started again under the program:
 * checkouts fail with DAL_ECONNECT while it is down and work again after,
 * without a restart of the program. Runs alone (RUN_SERIAL in ctest). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends.h"

static int pg(const char *verb)
{
    char cmd[1024];
    const char *dir = getenv("DAL_SCRIPTS_DIR");
    cr_assert(dir, "DAL_SCRIPTS_DIR is not set (ctest sets it)");
    snprintf(cmd, sizeof cmd, "'%s/pg' %s >/dev/null", dir, verb);
    return system(cmd);
}

static void ensure_started(void) { pg("start"); }

TestSuite(pg_restart, .fini = ensure_started);

Test(pg_restart, checkouts_fail_while_down_and_recover_after)
{
    dal_engine *e;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(
        dal_engine_create(dal_test_url("postgresql", "?pool_pre_ping=always&pool_timeout=5"), NULL,
                          &e, &err),
        err);
    dal_session *s;
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT 1"), 1);
    dal_session_close(s);

    cr_assert_eq(pg("stop"), 0);
    int rc = dal_session_open(e, &s, &err);
    cr_expect_eq(rc, DAL_ECONNECT, "%s: %s", dal_code_name(rc), err.message);
    cr_expect_null(s);
    dal_pool_stats st;
    dal_engine_pool_stats(e, &st);
    cr_expect_eq(st.checked_out, 0, "a failed checkout gives its slot back");
    cr_expect_eq(st.discards, 1, "the dead idle connection was discarded");

    cr_assert_eq(pg("start"), 0);
    dal_error_clear(&err);
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT 2"), 2);
    dal_session_close(s);
    dal_engine_dispose(e);
}

/* Writers keep committing while the server goes away and comes back. */
enum { WRITERS = 4, MAX_KEYS = 1 << 20 };
enum { KEY_FAILED = 0, KEY_COMMITTED = 1, KEY_IN_DOUBT = 2 };
typedef struct restart_writer {
    int next_key;
    unsigned char *keys; /* what each key's commit reported */
    int in_doubt;
    int id;
    atomic_bool *stop;
    int committed; /* commits that reported success */
    int down_errors, other_errors, after_restart;
    int lost_connection; /* ECONNECT / EDISCONNECTED, commits in doubt apart */
    atomic_bool *restarted;
    char other_code[32];
} restart_writer;

static int write_one(void *p, dal_error *err)
{
    restart_writer *w = p;
    dal_session *s;
    int rc = dal_scoped_session(&s, err);
    dal_value v[] = {dal_int64(w->id), dal_int64(w->next_key)};
    if (!rc) rc = dal_session_exec(s, "INSERT INTO restart_t VALUES (?, ?)", v, 2, NULL, err);
    if (!rc) rc = dal_session_commit(s, err);
    return rc;
}

static void *restart_writer_loop(void *p)
{
    restart_writer *w = p;
    while (!atomic_load(w->stop)) {
        dal_error err = DAL_ERROR_INIT;
        int rc = dal_with_scope(write_one, w, &err);
        if (w->next_key >= MAX_KEYS) break;
        w->keys[w->next_key++] = rc == DAL_OK        ? KEY_COMMITTED
                                 : rc == DAL_EINDOUBT ? KEY_IN_DOUBT
                                                      : KEY_FAILED;
        if (!rc) {
            w->committed++;
            if (atomic_load(w->restarted)) w->after_restart++;
        } else if (rc == DAL_EINDOUBT) { /* the server died during COMMIT */
            w->in_doubt++;
            w->down_errors++;
        } else if (rc == DAL_ECONNECT || rc == DAL_EDISCONNECTED) {
            w->down_errors++;
            w->lost_connection++;
            usleep(10000);
        } else {
            w->other_errors++;
            snprintf(w->other_code, sizeof w->other_code, "%s", dal_code_name(rc));
        }
    }
    return NULL;
}

Test(pg_restart, a_running_workload_recovers_and_loses_no_commit)
{
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(
        dal_configure(dal_test_url("postgresql", "?pool_size=4&pool_timeout=5"), NULL, &err), err);
    DAL_OK_OR_FAIL(dal_scope_begin(&err), err);
    dal_session *s;
    DAL_OK_OR_FAIL(dal_scoped_session(&s, &err), err);
    dal_test_exec(s, "DROP TABLE IF EXISTS restart_t");
    dal_test_exec(s, "CREATE TABLE restart_t (w INTEGER, k INTEGER, PRIMARY KEY (w, k))");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    dal_scope_end();

    static atomic_bool stop, restarted; /* outlive any early return of the test */
    atomic_store(&stop, false);
    atomic_store(&restarted, false);
    pthread_t t[WRITERS];
    restart_writer w[WRITERS];
    for (int k = 0; k < WRITERS; k++) {
        w[k] = (restart_writer){.id = k, .stop = &stop, .restarted = &restarted,
                                .keys = calloc(MAX_KEYS, 1)};
        pthread_create(&t[k], NULL, restart_writer_loop, &w[k]);
    }
    usleep(300000);
    int stopped = pg("stop");
    usleep(300000);
    int started = pg("start");
    atomic_store(&restarted, true);
    usleep(500000);
    atomic_store(&stop, true);
    int committed = 0, down = 0, after = 0, lost_connection = 0;
    for (int k = 0; k < WRITERS; k++) {
        pthread_join(t[k], NULL);
        cr_expect_eq(w[k].other_errors, 0, "writer %d: unexpected %s", k, w[k].other_code);
        /* One outage: a writer can be inside a COMMIT when it begins once. */
        cr_expect_leq(w[k].in_doubt, 1, "writer %d: %d commits in doubt", k, w[k].in_doubt);
        lost_connection += w[k].lost_connection;
        committed += w[k].committed;
        down += w[k].down_errors;
        after += w[k].after_restart;
    }
    cr_assert_eq(stopped, 0, "scripts/pg stop failed");
    cr_assert_eq(started, 0, "scripts/pg start failed");
    cr_expect_gt(down, 0, "the outage was seen as ECONNECT/EDISCONNECTED");
    cr_expect_gt(lost_connection, 0, "the outage was seen as a lost connection, not only as doubt");
    cr_expect_gt(after, 0, "the workload recovered by itself");
    DAL_OK_OR_FAIL(dal_scope_begin(&err), err);
    DAL_OK_OR_FAIL(dal_scoped_session(&s, &err), err);
    /* Every commit that reported success is there; nothing whose commit
     * failed is; a commit in doubt may be either. */
    for (int k = 0; k < WRITERS; k++) {
        dal_result *r;
        dal_value v = dal_int64(k);
        DAL_OK_OR_FAIL(dal_session_query(s, "SELECT k FROM restart_t WHERE w = ?", &v, 1, &r, &err),
                       err);
        int present = 0, wrong = 0;
        unsigned char *seen = calloc(MAX_KEYS, 1);
        while (dal_result_next(r, &err) == DAL_ROW) {
            int64_t key = -1;
            dal_result_int64(r, 0, &key, &err);
            if (key < 0 || key >= MAX_KEYS || w[k].keys[key] == KEY_FAILED) wrong++;
            if (key >= 0 && key < MAX_KEYS) seen[key] = 1;
            present++;
        }
        dal_result_close(r);
        int lost = 0;
        for (int key = 0; key < w[k].next_key; key++)
            lost += w[k].keys[key] == KEY_COMMITTED && !seen[key];
        cr_expect_eq(lost, 0, "writer %d: %d reported commits are missing", k, lost);
        cr_expect_eq(wrong, 0, "writer %d: %d failed commits are present", k, wrong);
        cr_expect(present >= w[k].committed && present <= w[k].committed + w[k].in_doubt);
        free(seen);
        free(w[k].keys);
    }
    dal_scope_end();
    dal_pool_stats st;
    dal_engine_pool_stats(dal_configured_engine(), &st);
    cr_expect_eq(st.checked_out, 0);
    cr_log_info("%d commits, %d outage errors, %d commits after the restart", committed, down,
                after);
    dal_unconfigure();
}
