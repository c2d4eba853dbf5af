/* SQLite writers of one file wait in line (src/writers.c): many writer
 * threads all succeed without DAL_EBUSY, a transaction that read before
 * another committed gets DAL_ECONFLICT at once (and succeeds when retried),
 * two processes on one file all succeed (SQLite's own lock between them),
 * and a writer that holds the lock past query_timeout makes the others fail
 * with DAL_ETIMEOUT then, not later. Each test bounds waiting, never speed. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backends.h"

static const char *file_url(const char *query)
{
    static char url[512];
    snprintf(url, sizeof url, "sqlite:///%s/writers.db%s", dal_test_tmpdir(), query);
    return url;
}

static void create_table(void)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(file_url(""), &e, &s);
    dal_error err = DAL_ERROR_INIT;
    dal_test_exec(s, "CREATE TABLE IF NOT EXISTS w_t (k INTEGER PRIMARY KEY, who INTEGER)");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    dal_session_close(s);
    dal_engine_dispose(e);
}

enum { THREADS = 16, WRITES = 500 };

typedef struct writer {
    dal_engine *e;
    int who;
    atomic_int *failures, *busy;
} writer;

static atomic_uint queued_events; /* STATEMENT or COMMIT events that waited in line */
static void note_queued(const dal_event *ev, void *ctx)
{
    (void)ctx;
    if (ev->queued > 0) atomic_fetch_add(&queued_events, 1);
}

static void *write_many(void *arg)
{
    writer *w = arg;
    for (int i = 0; i < WRITES; i++) {
        dal_session *s;
        dal_error err = DAL_ERROR_INIT;
        dal_value p[2] = {dal_int64((int64_t)w->who * 100000 + i), dal_int64(w->who)};
        int rc = dal_session_open(w->e, &s, &err);
        if (!rc) {
            rc = dal_session_exec(s, "INSERT INTO w_t (k, who) VALUES (?, ?)", p, 2, NULL, &err);
            if (!rc) rc = dal_session_commit(s, &err);
            dal_session_close(s);
        }
        if (rc) {
            atomic_fetch_add(w->failures, 1);
            if (rc == DAL_EBUSY) atomic_fetch_add(w->busy, 1);
            cr_log_warn("writer %d: %s: %s", w->who, dal_code_name(rc), err.message);
        }
    }
    return NULL;
}

Test(writers, sixteen_threads_of_writers_all_succeed_without_ebusy_sqlite, .timeout = 120)
{
    create_table();
    dal_engine_options o;
    dal_engine_options_init(&o);
    o.pool_size = THREADS;
    o.on_event = note_queued;
    dal_engine *e;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_engine_create(file_url(""), &o, &e, &err), err);
    atomic_int failures = 0, busy = 0;
    writer w[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (writer){e, i, &failures, &busy};
        cr_assert_eq(pthread_create(&t[i], NULL, write_many, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    dal_pool_stats st;
    cr_assert_eq(dal_engine_pool_stats(e, &st), DAL_OK);
    dal_session *s = dal_test_session(e);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM w_t"), THREADS * WRITES);
    dal_session_close(s);
    dal_engine_dispose(e);
    cr_expect_eq(atomic_load(&failures), 0);
    cr_expect_eq(atomic_load(&busy), 0);
    cr_expect_gt(st.writer_wait_seconds_total, 0, "nobody waited in line");
    cr_expect_gt(atomic_load(&queued_events), 0, "no event says a writer waited");
}

/* A reads, B writes and commits, A writes: A's snapshot is stale. */
static int read_then_write(dal_engine *e, dal_engine *other, bool someone_commits, dal_error *err)
{
    dal_session *a = dal_test_session(e);
    cr_expect_geq(dal_test_scalar(a, "SELECT COUNT(*) FROM w_t"), 0);
    if (someone_commits) {
        dal_session *b = dal_test_session(other);
        dal_error berr = DAL_ERROR_INIT;
        dal_test_exec(b, "INSERT INTO w_t (who) VALUES (-2)");
        DAL_OK_OR_FAIL(dal_session_commit(b, &berr), berr);
        dal_session_close(b);
    }
    int rc = dal_session_exec(a, "INSERT INTO w_t (who) VALUES (-1)", NULL, 0, NULL, err);
    if (!rc) rc = dal_session_commit(a, err);
    dal_session_close(a);
    return rc;
}

typedef struct unit {
    dal_engine *other;
    atomic_int attempts;
} unit;

static int read_then_write_unit(void *arg, dal_error *err)
{
    unit *u = arg;
    int attempt = atomic_fetch_add(&u->attempts, 1);
    dal_session *a;
    int rc = dal_scoped_session(&a, err);
    if (!rc && dal_test_scalar(a, "SELECT COUNT(*) FROM w_t") < 0) rc = DAL_EDATA;
    if (!rc && attempt == 0) { /* another writer commits between the read and the write, once */
        dal_session *b = dal_test_session(u->other);
        dal_error berr = DAL_ERROR_INIT;
        dal_test_exec(b, "INSERT INTO w_t (who) VALUES (-2)");
        DAL_OK_OR_FAIL(dal_session_commit(b, &berr), berr);
        dal_session_close(b);
    }
    if (!rc) rc = dal_session_exec(a, "INSERT INTO w_t (who) VALUES (-1)", NULL, 0, NULL, err);
    return rc ? rc : dal_session_commit(a, err);
}

Test(writers, a_transaction_that_read_before_another_commit_conflicts_at_once_sqlite)
{
    create_table();
    dal_engine *e = dal_test_engine_at(file_url(""));
    dal_engine *other = dal_test_engine_at(file_url(""));
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(read_then_write(e, other, false, &err), err); /* nobody between: fine */
    double started = dal_test_now();
    int rc = read_then_write(e, other, true, &err);
    double took = dal_test_now() - started;
    cr_expect_eq(rc, DAL_ECONFLICT, "%s: %s", dal_code_name(rc), err.message);
    cr_expect_lt(took, 2.0, "the conflict took %.2f s (sqliteodbc's busy timeout is 5 s)", took);
    /* retried, it succeeds */
    DAL_OK_OR_FAIL(dal_configure(file_url(""), NULL, &err), err);
    unit u = {.other = other};
    dal_error_clear(&err);
    DAL_OK_OR_FAIL(dal_with_scope_retry(read_then_write_unit, &u, NULL, &err), err);
    cr_expect_eq(atomic_load(&u.attempts), 2);
    dal_unconfigure();
    dal_engine_dispose(other);
    dal_engine_dispose(e);
}

Test(writers, two_processes_on_one_file_all_succeed_sqlite, .timeout = 120)
{
    create_table();
    pid_t children[2];
    for (int c = 0; c < 2; c++) {
        children[c] = fork();
        cr_assert_geq(children[c], 0);
        if (children[c] == 0) {
            dal_engine_options o;
            dal_engine_options_init(&o);
            o.pool_size = 4;
            dal_engine *e;
            dal_error err = DAL_ERROR_INIT;
            if (dal_engine_create(file_url(""), &o, &e, &err)) _exit(2);
            atomic_int failures = 0, busy = 0;
            writer w[4];
            pthread_t t[4];
            for (int i = 0; i < 4; i++) {
                w[i] = (writer){e, 100 + c * 10 + i, &failures, &busy};
                pthread_create(&t[i], NULL, write_many, &w[i]);
            }
            for (int i = 0; i < 4; i++)
                pthread_join(t[i], NULL);
            dal_engine_dispose(e);
            _exit(atomic_load(&failures) ? 1 : 0);
        }
    }
    for (int c = 0; c < 2; c++) {
        int status = -1;
        cr_assert_eq(waitpid(children[c], &status, 0), children[c]);
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "process %d: a write failed", c);
    }
    dal_engine *e = dal_test_engine_at(file_url(""));
    dal_session *s = dal_test_session(e);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM w_t WHERE who >= 100"), 2 * 4 * WRITES);
    dal_session_close(s);
    dal_engine_dispose(e);
}

typedef struct waiter_arg {
    dal_engine *e;
    int rc;
    double took;
} waiter_arg;

static void *try_to_write(void *arg)
{
    waiter_arg *a = arg;
    dal_session *s = dal_test_session(a->e);
    dal_error err = DAL_ERROR_INIT;
    double started = dal_test_now();
    a->rc = dal_session_exec(s, "INSERT INTO w_t (who) VALUES (-3)", NULL, 0, NULL, &err);
    a->took = dal_test_now() - started;
    dal_session_close(s);
    return NULL;
}

Test(writers, writers_behind_a_lock_held_past_query_timeout_fail_then_sqlite)
{
    create_table();
    dal_engine *holder = dal_test_engine_at(file_url(""));
    dal_engine *e = dal_test_engine_at(file_url("?query_timeout=0.5&pool_size=3"));
    dal_session *h = dal_test_session(holder);
    dal_test_exec(h, "INSERT INTO w_t (who) VALUES (-4)"); /* holds the write lock */
    waiter_arg a[3];
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        a[i] = (waiter_arg){.e = e};
        cr_assert_eq(pthread_create(&t[i], NULL, try_to_write, &a[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        cr_expect_eq(a[i].rc, DAL_ETIMEOUT, "writer %d: %s", i, dal_code_name(a[i].rc));
        cr_expect(a[i].took >= 0.45 && a[i].took < 2.0, "writer %d gave up after %.2f s", i, a[i].took);
    }
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_commit(h, &err), err);
    dal_session_close(h);
    /* the line is free again */
    waiter_arg after = {.e = e};
    try_to_write(&after);
    cr_expect_eq(after.rc, DAL_OK);
    dal_engine_dispose(e);
    dal_engine_dispose(holder);
}

/* The WAL is copied into the database file by the file's checkpointer
 * thread, not by a committing writer: 200 commits of one 4 KiB row stay
 * below SQLite's own checkpoint (1,000 pages), yet the rows reach the
 * database file while the engine is open. */
static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

Test(writers, the_wal_is_checkpointed_outside_the_line_sqlite, .timeout = 60)
{
    char url[600], path[512];
    snprintf(path, sizeof path, "%s/checkpointed.db", dal_test_tmpdir());
    snprintf(url, sizeof url, "sqlite:///%s", path);
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    dal_error err = DAL_ERROR_INIT;
    dal_test_exec(s, "CREATE TABLE big (k INTEGER PRIMARY KEY, v BLOB)");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    dal_session_close(s);
    long long before = file_size(path);
    static unsigned char blob[4096];
    memset(blob, 7, sizeof blob);
    for (int i = 0; i < 200; i++) {
        s = dal_test_session(e);
        dal_value v[1] = {dal_blob(blob, sizeof blob)};
        DAL_OK_OR_FAIL(dal_session_exec(s, "INSERT INTO big (v) VALUES (?)", v, 1, NULL, &err), err);
        DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
        dal_session_close(s);
    }
    long long after = before;
    for (int i = 0; i < 100 && after < before + 150 * 4096; i++) { /* 2 s at most */
        usleep(20 * 1000);
        after = file_size(path);
    }
    printf("writers checkpoint: database file %lld bytes before 200 commits of 4 KiB, %lld after "
           "(the WAL holds them until a checkpoint copies them)\n",
           before, after);
    cr_expect_geq(after, before + 150 * 4096, "the rows were copied into the database file");
    dal_engine_dispose(e);
}
