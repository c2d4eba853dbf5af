/* The concurrency paths without Criterion (Criterion cannot run under
 * ThreadSanitizer: Snaipe/Criterion#274), so the TSan stage can check them:
 * pool hand-off between many threads, per-thread scopes with writes and
 * rollbacks, thread exit with open scopes, moving a scope between threads,
 * and reconfiguring while sessions are out. Usage: concurrency_check URL.
 * Exits non-zero on the first broken invariant. */
#include <dal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "concurrency_check: %s:%d: ", __FILE__, __LINE__);                     \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

enum { THREADS = 8, ROUNDS = 200 };

static int exec_in_scope(const char *sql, const dal_value *params, size_t n, dal_error *err)
{
    dal_session *s;
    int rc = dal_scoped_session(&s, err);
    return rc ? rc : dal_session_exec(s, sql, params, n, NULL, err);
}

typedef struct worker {
    int id, committed;
} worker;

static void *scopes(void *p)
{
    worker *w = p;
    for (int i = 0; i < ROUNDS; i++) {
        dal_error err = DAL_ERROR_INIT;
        CHECK(dal_scope_begin(&err) == DAL_OK, "%s", err.message);
        dal_value v[] = {dal_int64(w->id), dal_int64(i)};
        int rc;
        do {
            dal_error_clear(&err);
            rc = exec_in_scope("INSERT INTO cc_t VALUES (?, ?)", v, 2, &err);
        } while (rc == DAL_EBUSY);
        CHECK(rc == DAL_OK, "insert: %s", err.message);
        if (i % 2 == 0) { /* odd rounds end the scope without commit: rolled back */
            dal_session *s;
            dal_scoped_session(&s, &err);
            CHECK(dal_session_commit(s, &err) == DAL_OK, "commit: %s", err.message);
            w->committed++;
        }
        CHECK(dal_scope_end() == DAL_OK, "scope end");
    }
    /* leave one scope open with work in it: the thread-exit destructor ends it */
    dal_error err = DAL_ERROR_INIT;
    dal_scope_begin(&err);
    dal_value v[] = {dal_int64(w->id), dal_int64(-1)};
    exec_in_scope("INSERT INTO cc_t VALUES (?, ?)", v, 2, &err);
    return NULL;
}

static void *attach_and_end(void *p)
{
    dal_error err = DAL_ERROR_INIT;
    CHECK(dal_scope_attach(p, &err) == DAL_OK, "attach: %s", err.message);
    dal_session *s;
    CHECK(dal_scoped_session(&s, &err) == DAL_OK, "%s", err.message);
    CHECK(dal_session_exec(s, "SELECT 1", NULL, 0, NULL, &err) == DAL_OK, "%s", err.message);
    dal_scope_end();
    return NULL;
}

static int64_t scalar(const char *sql)
{
    dal_error err = DAL_ERROR_INIT;
    dal_session *s;
    dal_result *r;
    int64_t v = -1;
    CHECK(dal_scoped_session(&s, &err) == DAL_OK, "%s", err.message);
    CHECK(dal_session_query(s, sql, NULL, 0, &r, &err) == DAL_OK, "%s: %s", sql, err.message);
    CHECK(dal_result_next(r, &err) == DAL_ROW, "%s", err.message);
    CHECK(dal_result_int64(r, 0, &v, &err) == DAL_OK, "%s", err.message);
    dal_result_close(r);
    return v;
}

int main(int argc, char **argv)
{
    CHECK(argc == 2, "usage: concurrency_check URL");
    dal_error err = DAL_ERROR_INIT;
    char url[1024];
    snprintf(url, sizeof url, "%s%cpool_size=4&max_overflow=2", argv[1],
             strchr(argv[1], '?') ? '&' : '?');
    CHECK(dal_configure(url, NULL, &err) == DAL_OK, "%s", err.message);
    CHECK(dal_scope_begin(&err) == DAL_OK, "%s", err.message);
    CHECK(exec_in_scope("DROP TABLE IF EXISTS cc_t", NULL, 0, &err) == DAL_OK, "%s", err.message);
    CHECK(exec_in_scope("CREATE TABLE cc_t (t INTEGER, k INTEGER)", NULL, 0, &err) == DAL_OK, "%s",
          err.message);
    dal_session *s;
    dal_scoped_session(&s, &err);
    dal_session_commit(s, &err);
    dal_scope_end();

    pthread_t t[THREADS];
    worker w[THREADS];
    for (int k = 0; k < THREADS; k++) {
        w[k] = (worker){k, 0};
        pthread_create(&t[k], NULL, scopes, &w[k]);
    }
    int committed = 0;
    for (int k = 0; k < THREADS; k++) {
        pthread_join(t[k], NULL);
        committed += w[k].committed;
    }

    /* a scope moved to another thread */
    CHECK(dal_scope_begin(&err) == DAL_OK, "%s", err.message);
    dal_scope *moved = dal_scope_detach();
    pthread_t mover;
    pthread_create(&mover, NULL, attach_and_end, moved);
    pthread_join(mover, NULL);

    /* reconfigure while a session is out, then use it */
    CHECK(dal_scope_begin(&err) == DAL_OK, "%s", err.message);
    dal_session *held;
    CHECK(dal_scoped_session(&held, &err) == DAL_OK, "%s", err.message);
    CHECK(dal_configure(url, NULL, &err) == DAL_OK, "%s", err.message);
    CHECK(dal_session_exec(held, "SELECT 1", NULL, 0, NULL, &err) == DAL_OK, "%s", err.message);
    dal_scope_end(); /* frees the old engine */

    CHECK(dal_scope_begin(&err) == DAL_OK, "%s", err.message);
    CHECK(scalar("SELECT COUNT(*) FROM cc_t") == committed, "committed rows");
    CHECK(scalar("SELECT COUNT(*) FROM cc_t WHERE k < 0") == 0,
          "the thread-exit scopes were rolled back");
    dal_scope_end();
    dal_pool_stats st;
    dal_engine_pool_stats(dal_configured_engine(), &st);
    CHECK(st.checked_out == 0, "sessions out: %d", st.checked_out);
    dal_unconfigure();
    printf("concurrency_check: %d threads x %d scopes, %d commits verified\n", THREADS, ROUNDS,
           committed);
    return 0;
}
