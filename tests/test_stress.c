/* 8 threads x N scopes of mixed reads, writes and rollbacks on each backend,
 * with the invariants checked at the end. N = $DAL_STRESS_SCOPES (default
 * 300 in the test suite; scripts/stress runs 20,000). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"

enum { THREADS = 8 };

typedef struct worker {
    int id, scopes;
    int committed, rolled_back, reads, retried, failed;
    char failure[600];
} worker;

typedef struct unit {
    worker *w;
    int i;
} unit;

static int do_unit(void *p, dal_error *err)
{
    unit *u = p;
    dal_session *s;
    int rc = dal_scoped_session(&s, err);
    if (rc) return rc;
    dal_value v[] = {dal_int64(u->w->id), dal_int64(u->i), dal_int64(u->i % 3 == 1)};
    switch (u->i % 3) {
    case 0: /* write and commit */
    case 1: /* write and roll back (the scope ends without commit) */
        rc = dal_session_exec(s, "INSERT INTO stress_t VALUES (?, ?, ?)", v, 3, NULL, err);
        if (!rc && u->i % 3 == 0) rc = dal_session_commit(s, err);
        return rc;
    default: { /* read own rows */
        dal_result *r;
        rc = dal_session_query(s, "SELECT COUNT(*) FROM stress_t WHERE t = ? AND k < ?", v, 2, &r,
                               err);
        if (!rc && (rc = dal_result_next(r, err)) == DAL_ROW) rc = DAL_OK;
        dal_result_close(r);
        return rc;
    }
    }
}

static void *stress(void *p)
{
    worker *w = p;
    for (int i = 0; i < w->scopes; i++) {
        unit u = {w, i};
        int rc;
        int attempts = 0;
        do { /* SQLite writers may meet a busy database: retry, as a caller would */
            dal_error err = DAL_ERROR_INIT;
            rc = dal_with_scope(do_unit, &u, &err);
            if (rc && rc != DAL_EBUSY && !w->failure[0])
                snprintf(w->failure, sizeof w->failure, "%s: %s", dal_code_name(rc), err.message);
        } while (rc == DAL_EBUSY && ++attempts < 100 && ++w->retried);
        if (rc)
            w->failed++;
        else if (i % 3 == 0)
            w->committed++;
        else if (i % 3 == 1)
            w->rolled_back++;
        else
            w->reads++;
    }
    return NULL;
}

DAL_TEST_EACH(stress, mixed_scopes_keep_every_invariant)
{
    (void)backend;
    const char *env = getenv("DAL_STRESS_SCOPES");
    int scopes = env ? atoi(env) : 300;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_configure(url, NULL, &err), err);
    DAL_OK_OR_FAIL(dal_scope_begin(&err), err);
    dal_session *s;
    DAL_OK_OR_FAIL(dal_scoped_session(&s, &err), err);
    dal_test_exec(s, "DROP TABLE IF EXISTS stress_t");
    dal_test_exec(
        s, "CREATE TABLE stress_t (t INTEGER, k INTEGER, rolled_back INTEGER, PRIMARY KEY (t, k))");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    dal_scope_end();

    pthread_t t[THREADS];
    worker w[THREADS];
    for (int k = 0; k < THREADS; k++) {
        memset(&w[k], 0, sizeof w[k]);
        w[k].id = k;
        w[k].scopes = scopes;
        pthread_create(&t[k], NULL, stress, &w[k]);
    }
    int committed = 0;
    for (int k = 0; k < THREADS; k++) {
        pthread_join(t[k], NULL);
        cr_expect_eq(w[k].failed, 0, "thread %d: %d failures, first: %s", k, w[k].failed,
                     w[k].failure);
        committed += w[k].committed;
    }
    DAL_OK_OR_FAIL(dal_scope_begin(&err), err);
    DAL_OK_OR_FAIL(dal_scoped_session(&s, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM stress_t"), committed,
                 "every committed write, once");
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM stress_t WHERE rolled_back = 1"), 0,
                 "no rolled-back write");
    for (int k = 0; k < THREADS; k++) {
        char sql[80];
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM stress_t WHERE t = %d", k);
        cr_expect_eq(dal_test_scalar(s, sql), w[k].committed, "thread %d", k);
    }
    dal_scope_end();
    dal_pool_stats st;
    dal_engine_pool_stats(dal_configured_engine(), &st);
    cr_expect_eq(st.checked_out, 0, "no connection leaked");
    cr_expect_eq(st.waiting, 0);
    cr_expect_leq(st.kept + st.overflow, st.pool_size + st.max_overflow);
    cr_expect_eq(st.idle, st.kept, "every kept connection is back in the pool");
    cr_log_info("%s: %d threads x %d scopes, %d committed, %llu checkouts", backend, THREADS,
                scopes, committed, (unsigned long long)st.checkouts);
    dal_unconfigure();
}
