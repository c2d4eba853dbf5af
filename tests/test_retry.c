/* Isolation levels and dal_with_scope_retry on the real servers: the level
 * really applies (what the server reports, and write skew prevented at
 * SERIALIZABLE only), a bank that keeps its sum under 8 threads of
 * conflicting transfers, and what is never retried (a commit in doubt, other
 * errors), the deadline and the policy's bounds. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends.h"

static void configure(const char *url)
{
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_configure(url, NULL, &err), err);
}

static dal_session *scoped(dal_error *err)
{
    dal_session *s = NULL;
    return dal_scoped_session(&s, err) ? NULL : s;
}

/* ---- isolation ---- */

/* The level the server reports inside a transaction of s. */
static void level_of(dal_session *s, const char *backend, char *out, size_t size)
{
    const char *sql = !strcmp(backend, "postgresql") ? "SELECT current_setting('transaction_isolation')"
                                                     : "SELECT @@tx_isolation";
    dal_result *r;
    dal_error err = DAL_ERROR_INIT;
    const char *text;
    DAL_OK_OR_FAIL(dal_session_query(s, sql, NULL, 0, &r, &err), err);
    cr_assert_eq(dal_result_next(r, &err), DAL_ROW);
    DAL_OK_OR_FAIL(dal_result_text(r, 0, &text, NULL, &err), err);
    snprintf(out, size, "%s", text);
    dal_result_close(r);
    DAL_OK_OR_FAIL(dal_session_rollback(s, &err), err);
}

static void expect_level(dal_engine *e, const char *backend, dal_isolation set, const char *want)
{
    dal_session *s = dal_test_session(e);
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_set_isolation(s, set, &err), err);
    char got[64];
    level_of(s, backend, got, sizeof got);
    cr_expect_str_eq(got, want, "level %d", (int)set);
    level_of(s, backend, got, sizeof got); /* the next transaction too */
    cr_expect_str_eq(got, want, "level %d, second transaction", (int)set);
    dal_session_close(s);
}

DAL_TEST_EACH(isolation, the_level_asked_for_is_the_servers)
{
    dal_engine *e = dal_test_engine_at(url);
    dal_error err = DAL_ERROR_INIT;
    dal_session *s = dal_test_session(e);
    cr_expect_eq(dal_session_set_isolation(s, (dal_isolation)7, &err), DAL_EMISUSE);
    cr_expect_eq(dal_session_set_isolation(NULL, DAL_ISOLATION_SERIALIZABLE, &err), DAL_EMISUSE);
    if (!strcmp(backend, "sqlite")) { /* one level: accepted, and serializable */
        DAL_OK_OR_FAIL(dal_session_set_isolation(s, DAL_ISOLATION_READ_COMMITTED, &err), err);
        dal_test_exec(s, "CREATE TABLE IF NOT EXISTS iso_t (k INTEGER)");
        DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
        dal_session_close(s);
        dal_engine_dispose(e);
        return;
    }
    dal_session_close(s);
    bool pg = !strcmp(backend, "postgresql");
    const char *rc = pg ? "read committed" : "READ-COMMITTED";
    const char *rr = pg ? "repeatable read" : "REPEATABLE-READ";
    const char *se = pg ? "serializable" : "SERIALIZABLE";
    /* the server's default, then each level, then back: on one connection */
    expect_level(e, backend, DAL_ISOLATION_DEFAULT, pg ? rc : rr);
    expect_level(e, backend, DAL_ISOLATION_SERIALIZABLE, se);
    expect_level(e, backend, DAL_ISOLATION_READ_COMMITTED, rc);
    expect_level(e, backend, DAL_ISOLATION_REPEATABLE_READ, rr);
    expect_level(e, backend, DAL_ISOLATION_DEFAULT, pg ? rc : rr);
    dal_engine_dispose(e);
    /* the URL's level is every session's default */
    char with[2100];
    snprintf(with, sizeof with, "%s%sisolation=serializable", url, strchr(url, '?') ? "&" : "?");
    e = dal_test_engine_at(with);
    expect_level(e, backend, DAL_ISOLATION_DEFAULT, se);
    expect_level(e, backend, DAL_ISOLATION_READ_COMMITTED, rc);
    expect_level(e, backend, DAL_ISOLATION_DEFAULT, se);
    /* read-only sessions stay read-only */
    dal_session *r;
    DAL_OK_OR_FAIL(dal_session_open_read_only(e, &r, &err), err);
    DAL_OK_OR_FAIL(dal_session_set_isolation(r, DAL_ISOLATION_SERIALIZABLE, &err), err);
    cr_expect_eq(dal_session_exec(r, "CREATE TABLE iso_never (k INTEGER)", NULL, 0, NULL, &err),
                 DAL_EREADONLY, "%s", err.message);
    dal_session_close(r);
    dal_engine_dispose(e);
    dal_engine *bad;
    snprintf(with, sizeof with, "%s%sisolation=snapshot", url, strchr(url, '?') ? "&" : "?");
    cr_expect_eq(dal_engine_create(with, NULL, &bad, &err), DAL_EURL);
}

/* Two doctors on call; each, in its own transaction, goes off call when it
 * sees two on call. Interleaved, both succeed at READ COMMITTED (nobody is
 * left on call: write skew) and one fails at SERIALIZABLE. */
static int write_skew(dal_engine *e, dal_isolation level, int *on_call)
{
    dal_session *a = dal_test_session(e), *b = dal_test_session(e);
    dal_error err = DAL_ERROR_INIT;
    dal_test_exec(a, "DROP TABLE IF EXISTS skew_doctors");
    dal_test_exec(a, "CREATE TABLE skew_doctors (name TEXT PRIMARY KEY, on_call BOOLEAN NOT NULL)");
    dal_test_exec(a, "INSERT INTO skew_doctors VALUES ('alice', true), ('bob', true)");
    DAL_OK_OR_FAIL(dal_session_commit(a, &err), err);
    DAL_OK_OR_FAIL(dal_session_set_isolation(a, level, &err), err);
    DAL_OK_OR_FAIL(dal_session_set_isolation(b, level, &err), err);
    const char *count = "SELECT count(*) FROM skew_doctors WHERE on_call";
    cr_assert_eq(dal_test_scalar(a, count), 2);
    cr_assert_eq(dal_test_scalar(b, count), 2);
    dal_test_exec(a, "UPDATE skew_doctors SET on_call = false WHERE name = 'alice'");
    DAL_OK_OR_FAIL(dal_session_commit(a, &err), err);
    int rc = dal_session_exec(b, "UPDATE skew_doctors SET on_call = false WHERE name = 'bob'", NULL,
                              0, NULL, &err);
    if (!rc) rc = dal_session_commit(b, &err);
    if (rc) {
        cr_expect_eq(rc, DAL_ECONFLICT, "%s", err.message);
        cr_expect_str_eq(err.sqlstate, "40001");
        dal_session_rollback(b, &err);
    }
    *on_call = (int)dal_test_scalar(a, count);
    dal_session_rollback(a, &err);
    dal_session_close(a);
    dal_session_close(b);
    return rc;
}

Test(isolation, serializable_prevents_write_skew_read_committed_allows_it_postgresql)
{
    dal_engine *e = dal_test_engine("postgresql", "");
    int on_call = -1;
    cr_expect_eq(write_skew(e, DAL_ISOLATION_READ_COMMITTED, &on_call), DAL_OK);
    cr_expect_eq(on_call, 0, "read committed: write skew left %d on call", on_call);
    cr_expect_eq(write_skew(e, DAL_ISOLATION_SERIALIZABLE, &on_call), DAL_ECONFLICT);
    cr_expect_eq(on_call, 1, "serializable: %d on call", on_call);
    dal_engine_dispose(e);
}

/* ---- the bank ---- */

enum { ACCOUNTS = 10, THREADS = 8, TRANSFERS = 500, START = 1000 };

typedef struct transfer {
    int id, from, to, amount;
    atomic_int attempts;
} transfer;

static int do_transfer(void *arg, dal_error *err)
{
    transfer *t = arg;
    atomic_fetch_add(&t->attempts, 1);
    dal_session *s = scoped(err);
    if (!s) return err->code;
    dal_value p[3] = {dal_int64(t->from)};
    dal_result *r;
    int64_t balance = 0;
    int rc = dal_session_query(s, "SELECT balance FROM bank_accounts WHERE id = ?", p, 1, &r, err);
    if (rc) return rc;
    if ((rc = dal_result_next(r, err)) == DAL_ROW) rc = dal_result_int64(r, 0, &balance, err);
    dal_result_close(r);
    if (rc) return rc;
    int amount = balance >= t->amount ? t->amount : 0; /* never below zero */
    p[0] = dal_int64(amount);
    p[1] = dal_int64(t->from);
    if ((rc = dal_session_exec(s, "UPDATE bank_accounts SET balance = balance - ? WHERE id = ?", p,
                               2, NULL, err)))
        return rc;
    p[1] = dal_int64(t->to);
    if ((rc = dal_session_exec(s, "UPDATE bank_accounts SET balance = balance + ? WHERE id = ?", p,
                               2, NULL, err)))
        return rc;
    p[0] = dal_int64(t->id);
    p[1] = dal_int64(amount);
    if ((rc = dal_session_exec(s, "INSERT INTO bank_ledger (id, amount) VALUES (?, ?)", p, 2, NULL,
                               err)))
        return rc;
    return dal_session_commit(s, err);
}

typedef struct teller {
    int index;
    transfer *transfers;
    int *outcome;
} teller;

static void *run_teller(void *arg)
{
    teller *t = arg;
    dal_retry_policy policy;
    dal_retry_policy_init(&policy);
    policy.max_attempts = 50;
    unsigned seed = (unsigned)t->index * 7919u + 1;
    for (int i = 0; i < TRANSFERS; i++) {
        transfer *x = &t->transfers[t->index * TRANSFERS + i];
        x->id = t->index * TRANSFERS + i + 1;
        x->from = (int)(rand_r(&seed) % ACCOUNTS) + 1;
        x->to = (x->from % ACCOUNTS) + 1 + (int)(rand_r(&seed) % (ACCOUNTS - 1));
        if (x->to > ACCOUNTS) x->to -= ACCOUNTS;
        x->amount = (int)(rand_r(&seed) % 50) + 1;
        dal_error err = DAL_ERROR_INIT;
        t->outcome[x->id - 1] = dal_with_scope_retry(do_transfer, x, &policy, &err);
        if (t->outcome[x->id - 1])
            cr_log_warn("transfer %d: %s: %s", x->id, dal_code_name(t->outcome[x->id - 1]),
                        err.message);
    }
    return NULL;
}

static atomic_int retry_events;
static void count_retries(const dal_event *ev, void *ctx)
{
    (void)ctx;
    if (ev->kind != DAL_EVENT_RETRY) return;
    atomic_fetch_add(&retry_events, 1);
    cr_expect_eq(ev->code, DAL_ECONFLICT);
    cr_expect(ev->attempt >= 1);
}

DAL_TEST_EACH(retry, a_bank_keeps_its_sum_under_serializable_transfers)
{
    dal_engine *setup = dal_test_engine_at(url);
    dal_session *s = dal_test_session(setup);
    dal_error err = DAL_ERROR_INIT;
    dal_test_exec(s, "DROP TABLE IF EXISTS bank_ledger");
    dal_test_exec(s, "DROP TABLE IF EXISTS bank_accounts");
    dal_test_exec(s, "CREATE TABLE bank_accounts (id INTEGER PRIMARY KEY, balance BIGINT NOT NULL)");
    dal_test_exec(s, "CREATE TABLE bank_ledger (id INTEGER PRIMARY KEY, amount BIGINT NOT NULL)");
    for (int a = 1; a <= ACCOUNTS; a++) {
        dal_value p[2] = {dal_int64(a), dal_int64(START)};
        DAL_OK_OR_FAIL(dal_session_exec(s, "INSERT INTO bank_accounts VALUES (?, ?)", p, 2, NULL, &err),
                       err);
    }
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    dal_session_close(s);
    dal_engine_dispose(setup);

    char with[2100];
    snprintf(with, sizeof with, "%s%sisolation=serializable&pool_size=8", url,
             strchr(url, '?') ? "&" : "?");
    dal_engine_options o;
    dal_engine_options_init(&o);
    o.on_event = count_retries;
    DAL_OK_OR_FAIL(dal_configure(with, &o, &err), err);
    static transfer transfers[THREADS * TRANSFERS];
    static int outcome[THREADS * TRANSFERS];
    teller tellers[THREADS];
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++) {
        tellers[i] = (teller){i, transfers, outcome};
        cr_assert_eq(pthread_create(&threads[i], NULL, run_teller, &tellers[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    dal_pool_stats st;
    cr_assert_eq(dal_engine_pool_stats(dal_configured_engine(), &st), DAL_OK);
    dal_unconfigure();

    dal_engine *check = dal_test_engine_at(url);
    s = dal_test_session(check);
    cr_expect_eq(dal_test_scalar(s, "SELECT SUM(balance) FROM bank_accounts"), ACCOUNTS * START);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM bank_accounts WHERE balance < 0"), 0);
    int ok = 0, failed = 0, retried = 0, attempts = 0;
    for (int i = 0; i < THREADS * TRANSFERS; i++) {
        dal_value id = dal_int64(transfers[i].id);
        dal_result *r;
        int64_t n = -1;
        DAL_OK_OR_FAIL(dal_session_query(s, "SELECT COUNT(*) FROM bank_ledger WHERE id = ?", &id, 1,
                                         &r, &err),
                       err);
        cr_assert_eq(dal_result_next(r, &err), DAL_ROW);
        DAL_OK_OR_FAIL(dal_result_int64(r, 0, &n, &err), err);
        dal_result_close(r);
        /* done exactly once when it said so, not at all when it failed */
        cr_expect_eq(n, outcome[i] == DAL_OK ? 1 : 0, "transfer %d (%s) is in the ledger %lld times",
                     transfers[i].id, dal_code_name(outcome[i]), (long long)n);
        ok += outcome[i] == DAL_OK;
        failed += outcome[i] != DAL_OK;
        retried += transfers[i].attempts > 1;
        attempts += transfers[i].attempts;
    }
    dal_session_rollback(s, &err);
    dal_session_close(s);
    dal_engine_dispose(check);
    fprintf(stderr,
            "bank (%s): %d transfers ok, %d failed; %d retried; %d attempts in all; %llu retries "
            "counted by the pool, %d RETRY events\n",
            backend, ok, failed, retried, attempts, (unsigned long long)st.retries,
            atomic_load(&retry_events));
    cr_expect_eq(failed, 0, "transfers that exhausted 50 attempts");
    cr_expect_eq((int)st.retries, attempts - THREADS * TRANSFERS);
    cr_expect_eq(atomic_load(&retry_events), attempts - THREADS * TRANSFERS);
}

/* ---- what is never retried, the deadline, the bounds ---- */

/* A real serialization failure every time: fn reads a row at SERIALIZABLE,
 * another connection updates it, then fn updates it too (40001). */
typedef struct conflicting {
    dal_engine *other;
    atomic_int attempts;
    double longest; /* the longest attempt, seconds */
} conflicting;

static int always_conflicts(void *arg, dal_error *err)
{
    conflicting *c = arg;
    double began = dal_test_now();
    atomic_fetch_add(&c->attempts, 1);
    dal_session *s = scoped(err);
    if (!s) return err->code;
    int rc = dal_session_set_isolation(s, DAL_ISOLATION_SERIALIZABLE, err);
    if (!rc && dal_test_scalar(s, "SELECT v FROM retry_hot WHERE k = 1") < 0) rc = DAL_EDATA;
    dal_session *o = dal_test_session(c->other);
    dal_error oe = DAL_ERROR_INIT;
    dal_test_exec(o, "UPDATE retry_hot SET v = v + 1 WHERE k = 1");
    DAL_OK_OR_FAIL(dal_session_commit(o, &oe), oe);
    dal_session_close(o);
    if (!rc) rc = dal_session_exec(s, "UPDATE retry_hot SET v = v + 1 WHERE k = 1", NULL, 0, NULL, err);
    if (!rc) rc = dal_session_commit(s, err);
    double took = dal_test_now() - began;
    if (took > c->longest) c->longest = took;
    return rc;
}

static conflicting *hot_row(void)
{
    static conflicting c;
    c.other = dal_test_engine("postgresql", "");
    dal_session *s = dal_test_session(c.other);
    dal_error err = DAL_ERROR_INIT;
    dal_test_exec(s, "DROP TABLE IF EXISTS retry_hot");
    dal_test_exec(s, "CREATE TABLE retry_hot (k INTEGER PRIMARY KEY, v BIGINT NOT NULL)");
    dal_test_exec(s, "INSERT INTO retry_hot VALUES (1, 0)");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    dal_session_close(s);
    configure(dal_test_url("postgresql", ""));
    return &c;
}

Test(retry, stops_at_max_attempts_with_the_last_error_postgresql)
{
    conflicting *c = hot_row();
    dal_retry_policy p;
    dal_retry_policy_init(&p);
    p.max_attempts = 3;
    p.base_delay_ms = 1;
    dal_error err = DAL_ERROR_INIT;
    cr_expect_eq(dal_with_scope_retry(always_conflicts, c, &p, &err), DAL_ECONFLICT);
    cr_expect_eq(atomic_load(&c->attempts), 3);
    cr_expect_str_eq(err.sqlstate, "40001");
    cr_expect_not_null(strstr(err.message, "(attempt 3, the last of dal_with_scope_retry's)"), "%s",
                       err.message);
    dal_pool_stats st;
    cr_assert_eq(dal_engine_pool_stats(dal_configured_engine(), &st), DAL_OK);
    cr_expect_eq(st.retries, 2);
    dal_unconfigure();
    dal_engine_dispose(c->other);
}

Test(retry, no_attempt_starts_after_the_deadline_postgresql)
{
    conflicting *c = hot_row();
    dal_retry_policy p;
    dal_retry_policy_init(&p);
    p.max_attempts = 1000;
    p.deadline_ms = 200;
    dal_error err = DAL_ERROR_INIT;
    double began = dal_test_now();
    cr_expect_eq(dal_with_scope_retry(always_conflicts, c, &p, &err), DAL_ECONFLICT);
    double took = dal_test_now() - began;
    int attempts = atomic_load(&c->attempts);
    fprintf(stderr, "deadline 200 ms: gave up after %.0f ms and %d attempts (longest %.1f ms)\n",
            took * 1e3, attempts, c->longest * 1e3);
    cr_expect_gt(attempts, 1);
    cr_expect_lt(took, 0.2 + c->longest + 0.1, "gave up after %.0f ms", took * 1e3);
    dal_unconfigure();
    dal_engine_dispose(c->other);
}

typedef struct counted {
    atomic_int attempts;
    int result;
} counted;

static int insert_twice(void *arg, dal_error *err)
{
    counted *c = arg;
    atomic_fetch_add(&c->attempts, 1);
    dal_session *s = scoped(err);
    if (!s) return err->code;
    int rc = dal_session_exec(s, "INSERT INTO retry_unique VALUES (1)", NULL, 0, NULL, err);
    if (!rc) rc = dal_session_commit(s, err);
    return rc;
}

static int fails_with(void *arg, dal_error *err)
{
    counted *c = arg;
    atomic_fetch_add(&c->attempts, 1);
    snprintf(err->message, sizeof err->message, "the unit of work failed");
    err->code = (dal_code)c->result;
    return c->result;
}

DAL_TEST_EACH(retry, only_conflicts_are_retried)
{
    configure(url);
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_scope_begin(&err), err);
    DAL_OK_OR_FAIL(dal_scoped_session(&s, &err), err);
    dal_test_exec(s, "DROP TABLE IF EXISTS retry_unique");
    dal_test_exec(s, "CREATE TABLE retry_unique (k INTEGER PRIMARY KEY)");
    dal_test_exec(s, "INSERT INTO retry_unique VALUES (1)");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    dal_scope_end();
    dal_retry_policy p;
    dal_retry_policy_init(&p);
    p.base_delay_ms = 1;
    /* a unique violation: once, unless the policy opts in */
    counted c = {0};
    cr_expect_eq(dal_with_scope_retry(insert_twice, &c, &p, &err), DAL_ECONSTRAINT, "%s", err.message);
    cr_expect_eq(atomic_load(&c.attempts), 1);
    cr_expect_not_null(strstr(err.message, "(attempt 1)"), "%s", err.message);
    p.retry_unique_violation = true;
    atomic_store(&c.attempts, 0);
    dal_error_clear(&err);
    cr_expect_eq(dal_with_scope_retry(insert_twice, &c, &p, &err), DAL_ECONSTRAINT);
    cr_expect_eq(atomic_load(&c.attempts), 5, "opted in: %d attempts", atomic_load(&c.attempts));
    /* never after a commit in doubt, nor any other code */
    const int codes[] = {DAL_EINDOUBT, DAL_EBUSY, DAL_ETIMEOUT, DAL_EDISCONNECTED, DAL_EABORTED};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        counted f = {.result = codes[i]};
        dal_error_clear(&err);
        cr_expect_eq(dal_with_scope_retry(fails_with, &f, &p, &err), codes[i]);
        cr_expect_eq(atomic_load(&f.attempts), 1, "%s was retried", dal_code_name(codes[i]));
    }
    /* the policy's bounds */
    p.max_attempts = 0;
    counted f = {.result = DAL_ECONFLICT};
    cr_expect_eq(dal_with_scope_retry(fails_with, &f, &p, &err), DAL_EMISUSE);
    cr_expect_eq(dal_with_scope_retry(NULL, NULL, NULL, &err), DAL_EMISUSE);
    dal_retry_policy_init(&p);
    p.max_attempts = 4;
    p.base_delay_ms = 1;
    atomic_store(&f.attempts, 0);
    cr_expect_eq(dal_with_scope_retry(fails_with, &f, &p, &err), DAL_ECONFLICT);
    cr_expect_eq(atomic_load(&f.attempts), 4);
    dal_unconfigure();
    counted n = {.result = DAL_OK};
    cr_expect_eq(dal_with_scope_retry(fails_with, &n, NULL, &err), DAL_ENOTCONFIGURED);
}

/* A commit that the server may or may not have made: the backend is killed
 * while a deferred trigger sleeps inside COMMIT. */
typedef struct doubtful {
    atomic_int attempts;
    atomic_int pid;
} doubtful;

static int commit_killed(void *arg, dal_error *err)
{
    doubtful *d = arg;
    atomic_fetch_add(&d->attempts, 1);
    dal_session *s = scoped(err);
    if (!s) return err->code;
    atomic_store(&d->pid, (int)dal_test_scalar(s, "SELECT pg_backend_pid()"));
    int rc = dal_session_exec(s, "INSERT INTO retry_doubt VALUES (1)", NULL, 0, NULL, err);
    if (!rc) rc = dal_session_commit(s, err);
    return rc;
}

static void *killer(void *arg)
{
    doubtful *d = arg;
    while (!atomic_load(&d->pid))
        usleep(10000);
    usleep(500000); /* inside the commit's 3 s sleep */
    dal_engine *e = dal_test_engine("postgresql", "");
    dal_session *s = dal_test_session(e);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)::int", atomic_load(&d->pid));
    cr_expect_eq(dal_test_scalar(s, sql), 1);
    dal_error err = DAL_ERROR_INIT;
    dal_session_rollback(s, &err);
    dal_session_close(s);
    dal_engine_dispose(e);
    return NULL;
}

Test(retry, a_commit_in_doubt_is_never_retried_postgresql, .timeout = 60)
{
    dal_engine *e = dal_test_engine("postgresql", "");
    dal_session *s = dal_test_session(e);
    dal_error err = DAL_ERROR_INIT;
    dal_test_exec(s, "DROP TABLE IF EXISTS retry_doubt");
    dal_test_exec(s, "CREATE TABLE retry_doubt (k INTEGER)");
    dal_test_exec(s, "CREATE FUNCTION retry_doubt_sleep() RETURNS trigger LANGUAGE plpgsql AS "
                     "$$BEGIN PERFORM pg_sleep(3); RETURN NULL; END$$");
    dal_test_exec(s, "CREATE CONSTRAINT TRIGGER retry_doubt_at_commit AFTER INSERT ON retry_doubt "
                     "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION retry_doubt_sleep()");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    configure(dal_test_url("postgresql", ""));
    doubtful d = {0};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, killer, &d), 0);
    int rc = dal_with_scope_retry(commit_killed, &d, NULL, &err);
    pthread_join(t, NULL);
    cr_expect_eq(rc, DAL_EINDOUBT, "%s: %s", dal_code_name(rc), err.message);
    cr_expect_eq(atomic_load(&d.attempts), 1, "a commit in doubt was retried");
    dal_unconfigure();
    dal_test_exec(s, "DROP TABLE retry_doubt");
    dal_test_exec(s, "DROP FUNCTION retry_doubt_sleep()");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    dal_session_close(s);
    dal_engine_dispose(e);
}
