/* Behind PgBouncer in transaction mode (tests/pooler/pooler_test.sh starts
 * scripts/pgbouncer: 2 server connections): a stress of 32 threads with
 * pooler=transaction has no error and loses no acknowledged commit; the
 * same without it fails (its errors are printed, for the README); what
 * cannot work there is refused with DAL_EMISUSE and leaves the connection
 * usable; SET LOCAL, transaction-scoped temporary tables and advisory locks,
 * read-only sessions and retries work. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"

enum { THREADS = 32, CYCLES = 2000, BULK = 10 };

static const char *bouncer(const char *query)
{
    static char url[1024];
    const char *base = getenv("DAL_TEST_PGBOUNCER_URL");
    cr_assert(base && *base, "DAL_TEST_PGBOUNCER_URL is not set: run tests/pooler/pooler_test.sh");
    snprintf(url, sizeof url, "%s%s", base, query);
    return url;
}

/* ---- the stress ---- */

typedef struct stress {
    dal_engine *engine;
    int cycles_each; /* request cycles per thread */
    atomic_int errors;
    atomic_int cycles;
    pthread_mutex_t lock;
    char first_errors[4][320];
    int nfirst;
    unsigned char acked[THREADS][CYCLES]; /* 1: its commit returned DAL_OK */
} stress;

static void failed(stress *st, const char *what, const dal_error *err)
{
    atomic_fetch_add(&st->errors, 1);
    pthread_mutex_lock(&st->lock);
    char kind[64]; /* one line per request kind and SQLSTATE */
    snprintf(kind, sizeof kind, "%s: %s [%s]", what, dal_code_name(err->code), err->sqlstate);
    bool seen = false;
    for (int i = 0; i < st->nfirst; i++)
        seen |= !strncmp(st->first_errors[i], kind, strlen(kind));
    if (!seen && st->nfirst < 4)
        snprintf(st->first_errors[st->nfirst++], sizeof st->first_errors[0], "%s %.200s", kind,
                 err->message);
    pthread_mutex_unlock(&st->lock);
}

typedef struct worker {
    stress *st;
    int thread;
} worker;

/* One request of each kind in turn: a write, a read-only read, a prepared
 * statement executed twice, insert_many, a fetch of 500 rows. */
static int one_cycle(stress *st, int t, int i, const char **what, dal_error *err)
{
    dal_session *s;
    int rc;
    dal_value p[2] = {dal_int64(t), dal_int64(i)};
    switch (i % 5) {
    case 0:
        *what = "write";
        if ((rc = dal_session_open(st->engine, &s, err))) return rc;
        rc = dal_session_exec(s, "INSERT INTO pool_ack (thread, n) VALUES (?, ?)", p, 2, NULL, err);
        if (!rc && !(rc = dal_session_commit(s, err))) st->acked[t][i] = 1;
        dal_session_close(s);
        return rc;
    case 1: {
        *what = "read-only read";
        if ((rc = dal_session_open_read_only(st->engine, &s, err))) return rc;
        dal_result *r;
        int64_t n = -1;
        rc = dal_session_query(s, "SELECT count(*) FROM pool_ack WHERE thread = ?", p, 1, &r, err);
        if (!rc && (rc = dal_result_next(r, err)) == DAL_ROW) rc = dal_result_int64(r, 0, &n, err);
        if (!rc) dal_result_close(r);
        dal_session_close(s);
        return rc;
    }
    case 2: {
        *what = "prepared statement";
        if ((rc = dal_session_open(st->engine, &s, err))) return rc;
        dal_stmt *stmt;
        if (!(rc = dal_session_prepare(s, "INSERT INTO pool_ack (thread, n) VALUES (?, ?)", &stmt, err))) {
            rc = dal_stmt_execute(stmt, p, 2, NULL, NULL, err);
            dal_value q[2] = {dal_int64(t), dal_int64(-i)};
            if (!rc) rc = dal_stmt_execute(stmt, q, 2, NULL, NULL, err);
            dal_stmt_close(stmt);
        }
        if (!rc && !(rc = dal_session_commit(s, err))) st->acked[t][i] = 1;
        dal_session_close(s);
        return rc;
    }
    case 3: {
        *what = "insert_many";
        if ((rc = dal_session_open(st->engine, &s, err))) return rc;
        static const char *const cols[] = {"thread", "n"};
        dal_value v[BULK * 2];
        for (int k = 0; k < BULK; k++) {
            v[2 * k] = dal_int64(t);
            v[2 * k + 1] = dal_int64(i * BULK + k);
        }
        rc = dal_session_insert_many(s, "pool_bulk", cols, 2, v, BULK, NULL, err);
        if (!rc) rc = dal_session_commit(s, err);
        dal_session_close(s);
        return rc;
    }
    default: {
        *what = "fetch";
        if ((rc = dal_session_open(st->engine, &s, err))) return rc;
        dal_result *r;
        int64_t sum = 0, v;
        rc = dal_session_query(s, "SELECT g FROM generate_series(1, 500) AS g WHERE g > ?", p, 1, &r,
                               err);
        while (!rc && (rc = dal_result_next(r, err)) == DAL_ROW)
            if (!(rc = dal_result_int64(r, 0, &v, err))) sum += v;
        if (rc == DAL_DONE) rc = DAL_OK;
        if (!rc) dal_result_close(r);
        dal_session_close(s);
        if (!rc && sum != 500 * 501 / 2 - (t < 500 ? t * (t + 1) / 2 : 0)) {
            snprintf(err->message, sizeof err->message, "wrong sum %lld", (long long)sum);
            return err->code = DAL_EDATA;
        }
        return rc;
    }
    }
}

static void *run_worker(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < w->st->cycles_each; i++) {
        dal_error err = DAL_ERROR_INIT;
        const char *what = "";
        if (one_cycle(w->st, w->thread, i, &what, &err)) failed(w->st, what, &err);
        atomic_fetch_add(&w->st->cycles, 1);
    }
    return NULL;
}

static void prepare_tables(void)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(dal_test_url("postgresql", ""), &e, &s);
    dal_error err = DAL_ERROR_INIT;
    dal_test_exec(s, "DROP TABLE IF EXISTS pool_ack");
    dal_test_exec(s, "DROP TABLE IF EXISTS pool_bulk");
    dal_test_exec(s, "CREATE TABLE pool_ack (thread INTEGER, n INTEGER, PRIMARY KEY (thread, n))");
    dal_test_exec(s, "CREATE TABLE pool_bulk (thread INTEGER, n INTEGER)");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    dal_session_close(s);
    dal_engine_dispose(e);
}

static int run_stress(const char *url, stress *st)
{
    prepare_tables();
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_engine_create(url, NULL, &st->engine, &err), err);
    pthread_mutex_init(&st->lock, NULL);
    pthread_t threads[THREADS];
    worker workers[THREADS];
    for (int t = 0; t < THREADS; t++) {
        workers[t] = (worker){st, t};
        cr_assert_eq(pthread_create(&threads[t], NULL, run_worker, &workers[t]), 0);
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    dal_engine_dispose(st->engine);
    for (int i = 0; i < st->nfirst; i++)
        fprintf(stderr, "  %s\n", st->first_errors[i]);
    return atomic_load(&st->errors);
}

Test(pooler, transaction_pooling_stress_has_no_error_and_loses_no_commit, .timeout = 600)
{
    static stress st = {.cycles_each = CYCLES};
    int errors = run_stress(bouncer("?pooler=transaction&pool_size=8&max_overflow=0"), &st);
    fprintf(stderr, "pooler=transaction: %d cycles, %d errors\n", atomic_load(&st.cycles), errors);
    cr_expect_eq(errors, 0);
    /* every acknowledged commit is there, and nothing else */
    dal_engine *e;
    dal_session *s;
    dal_test_open(dal_test_url("postgresql", ""), &e, &s);
    dal_result *r;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_query(s, "SELECT thread, n FROM pool_ack WHERE n >= 0", NULL, 0, &r, &err),
                   err);
    static unsigned char found[THREADS][CYCLES];
    int64_t t, n;
    int extra = 0;
    while (dal_result_next(r, &err) == DAL_ROW) {
        dal_result_int64(r, 0, &t, &err);
        dal_result_int64(r, 1, &n, &err);
        if (t < 0 || t >= THREADS || n >= CYCLES || !st.acked[t][n])
            extra++;
        else
            found[t][n] = 1;
    }
    dal_result_close(r);
    int missing = 0, acked = 0;
    for (int i = 0; i < THREADS; i++)
        for (int j = 0; j < CYCLES; j++) {
            acked += st.acked[i][j];
            missing += st.acked[i][j] && !found[i][j];
        }
    fprintf(stderr, "pooler=transaction: %d commits acknowledged, %d missing, %d unacknowledged rows\n",
            acked, missing, extra);
    cr_expect_gt(acked, THREADS * CYCLES / 5);
    cr_expect_eq(missing, 0);
    cr_expect_eq(extra, 0);
    cr_expect_eq(dal_test_scalar(s, "SELECT count(*) FROM pool_bulk"),
                 (int64_t)THREADS * (CYCLES / 5) * BULK);
    dal_session_rollback(s, &err);
    dal_session_close(s);
    dal_engine_dispose(e);
}

Test(pooler, without_pooler_transaction_the_same_stress_fails, .timeout = 600)
{
    static stress st = {.cycles_each = CYCLES / 10}; /* it fails at once */
    int errors = run_stress(bouncer("?pool_size=8&max_overflow=0"), &st);
    fprintf(stderr, "without pooler=transaction: %d cycles, %d errors, first kinds above\n",
            atomic_load(&st.cycles), errors);
    cr_expect_gt(errors, 0, "the contrast did not fail: is PgBouncer in transaction mode?");
}

/* ---- what is refused, and what works ---- */

Test(pooler, statements_that_need_the_server_session_are_refused)
{
    dal_engine *e = dal_test_engine_at(bouncer("?pooler=transaction"));
    dal_session *s = dal_test_session(e);
    dal_error err = DAL_ERROR_INIT;
    static const char *const refused[] = {
        "LISTEN channel",
        "SET statement_timeout = '5s'",
        "SET SESSION statement_timeout = '5s'",
        "set  search_path to public",
        "RESET ALL",
        "DISCARD ALL",
        "PREPARE p AS SELECT 1",
        "EXECUTE p",
        "DEALLOCATE p",
        "SELECT pg_advisory_lock(1)",
        "SELECT pg_try_advisory_lock(1, 2)",
        "select PG_ADVISORY_UNLOCK_ALL ()",
        "CREATE TEMP TABLE pooled_tmp (k INTEGER)",
        "CREATE TEMPORARY TABLE pooled_tmp (k INTEGER) ON COMMIT PRESERVE ROWS",
        "CREATE GLOBAL TEMPORARY TABLE pooled_tmp (k INTEGER)",
        "DECLARE c CURSOR WITH HOLD FOR SELECT 1",
        "/* a comment first */ LISTEN channel",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        dal_error_clear(&err);
        int rc = dal_session_exec(s, refused[i], NULL, 0, NULL, &err);
        cr_expect_eq(rc, DAL_EMISUSE, "%s: %s (%s)", refused[i], dal_code_name(rc), err.message);
        cr_expect_not_null(strstr(err.message, "pooler=transaction"), "%s", err.message);
        /* nothing was sent: the transaction goes on */
        cr_expect_eq(dal_test_scalar(s, "SELECT 41 + 1"), 42, "after %s", refused[i]);
    }
    /* what works: transaction-scoped settings, tables and locks; strings
     * that merely mention the words */
    dal_test_exec(s, "SET LOCAL statement_timeout = '5s'");
    cr_expect_eq(dal_test_scalar(s, "SELECT CASE WHEN current_setting('statement_timeout') = '5s' "
                                    "THEN 1 ELSE 0 END"),
                 1);
    dal_test_exec(s, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
    dal_test_exec(s, "CREATE TEMP TABLE pooled_tmp (k INTEGER) ON COMMIT DROP");
    dal_test_exec(s, "INSERT INTO pooled_tmp VALUES (1)");
    cr_expect_eq(dal_test_scalar(s, "SELECT count(*) FROM pooled_tmp"), 1);
    cr_expect_eq(dal_test_scalar(s, "SELECT count(*) FROM (SELECT pg_advisory_xact_lock(7)) x"), 1);
    cr_expect_eq(dal_test_scalar(s, "SELECT length('LISTEN; SET x = 1; pg_advisory_lock(1)')"), 38);
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    dal_session_close(s);
    dal_engine_dispose(e);
    /* another backend: pooler= is for PostgreSQL */
    dal_engine *bad;
    cr_expect_eq(dal_engine_create(dal_test_url("sqlite", "?pooler=transaction"), NULL, &bad, &err),
                 DAL_EURL);
    cr_expect_eq(dal_engine_create(bouncer("?pooler=statement"), NULL, &bad, &err), DAL_EURL);
    cr_expect_eq(dal_engine_create(bouncer("?pooler=transaction&UseDeclareFetch=1"), NULL, &bad, &err),
                 DAL_EURL);
}

Test(pooler, read_only_sessions_and_retries_work_behind_it)
{
    dal_engine *e = dal_test_engine_at(bouncer("?pooler=transaction&isolation=serializable"));
    dal_error err = DAL_ERROR_INIT;
    for (int i = 0; i < 20; i++) { /* on whichever server connection PgBouncer picks */
        dal_session *r;
        DAL_OK_OR_FAIL(dal_session_open_read_only(e, &r, &err), err);
        cr_expect_eq(dal_test_scalar(r, "SELECT CASE WHEN current_setting('transaction_read_only') = "
                                        "'on' THEN 1 ELSE 0 END"),
                     1);
        cr_expect_eq(dal_session_exec(r, "CREATE TABLE pooled_never (k INTEGER)", NULL, 0, NULL, &err),
                     DAL_EREADONLY, "%s", err.message);
        dal_session_close(r);
        dal_session *w = dal_test_session(e);
        cr_expect_eq(dal_test_scalar(w, "SELECT CASE WHEN current_setting('transaction_isolation') = "
                                        "'serializable' AND current_setting('transaction_read_only') "
                                        "= 'off' THEN 1 ELSE 0 END"),
                     1, "a write session after a read-only one");
        dal_session_close(w);
    }
    dal_engine_dispose(e);
}

/* A real serialization failure on every attempt, through the pooler. */
typedef struct hot {
    dal_engine *direct;
    atomic_int attempts;
} hot;

static int conflicts(void *arg, dal_error *err)
{
    hot *h = arg;
    atomic_fetch_add(&h->attempts, 1);
    dal_session *s;
    int rc = dal_scoped_session(&s, err);
    if (!rc && dal_test_scalar(s, "SELECT v FROM pooled_hot WHERE k = 1") < 0) rc = DAL_EDATA;
    dal_session *o = dal_test_session(h->direct);
    dal_error oe = DAL_ERROR_INIT;
    dal_test_exec(o, "UPDATE pooled_hot SET v = v + 1 WHERE k = 1");
    DAL_OK_OR_FAIL(dal_session_commit(o, &oe), oe);
    dal_session_close(o);
    if (!rc) rc = dal_session_exec(s, "UPDATE pooled_hot SET v = v + 1 WHERE k = 1", NULL, 0, NULL, err);
    return rc ? rc : dal_session_commit(s, err);
}

Test(pooler, the_retry_rule_works_behind_it)
{
    hot h = {.direct = dal_test_engine("postgresql", "")};
    dal_session *s = dal_test_session(h.direct);
    dal_error err = DAL_ERROR_INIT;
    dal_test_exec(s, "DROP TABLE IF EXISTS pooled_hot");
    dal_test_exec(s, "CREATE TABLE pooled_hot (k INTEGER PRIMARY KEY, v BIGINT)");
    dal_test_exec(s, "INSERT INTO pooled_hot VALUES (1, 0)");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    dal_session_close(s);
    DAL_OK_OR_FAIL(dal_configure(bouncer("?pooler=transaction&isolation=serializable"), NULL, &err), err);
    dal_retry_policy p;
    dal_retry_policy_init(&p);
    p.max_attempts = 3;
    p.base_delay_ms = 1;
    cr_expect_eq(dal_with_scope_retry(conflicts, &h, &p, &err), DAL_ECONFLICT, "%s", err.message);
    cr_expect_str_eq(err.sqlstate, "40001");
    cr_expect_eq(atomic_load(&h.attempts), 3);
    dal_unconfigure();
    dal_engine_dispose(h.direct);
}
