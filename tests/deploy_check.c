/* What pre-fork servers and reconfiguring programs do to a pool, as a plain
 * program so that the ASan and TSan stages run it too (Criterion cannot
 * run under TSan: Snaipe/Criterion#274). Usage: deploy_check URL (the
 * backend in DAL_BACKEND). Exits non-zero on the first broken invariant.
 *
 * fork: the parent holds a scope with an uncommitted transaction, and
 * (PostgreSQL, MariaDB) two threads that commit in a loop on a pool of two:
 * the pool is full at the fork and a thread is mostly waiting in a checkout. Three children work meanwhile (one of
 * them configures a new engine first). Every transaction any process saw
 * acknowledged must be in the table exactly once, the parent's held
 * transaction must survive the fork, and the children's inherited scope
 * must refuse to run on the parent's connection.
 *
 * dispose: a checkout waiting for a connection is woken by
 * dal_engine_dispose with DAL_EMISUSE at once; a session whose connection
 * died retries against a disposed engine without touching freed memory. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* usleep */
#include <dal.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "deploy_check[%d]: %s:%d: ", (int)getpid(), __FILE__, __LINE__);      \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            _exit(1);                                                                              \
        }                                                                                          \
    } while (0)

enum { CHILDREN = 3, CHILD_TXNS = 60 };

#if defined(__SANITIZE_ADDRESS__)
static const bool asan = true;
#else
static const bool asan = false;
#endif

/* A child that hangs must not hang the test: the parent gives up after 120
 * s, and takes its children with it (they hold ctest's output pipe). */
static pid_t children[CHILDREN];

static void give_up(int sig)
{
    (void)sig;
    for (int i = 0; i < CHILDREN; i++)
        if (children[i] > 0) kill(children[i], SIGKILL);
    static const char msg[] = "deploy_check: gave up after 120 s\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(1);
}

static char url[1024];
static const char *backend;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One transaction of two rows (proc, k, 0) and (proc, k, 1) in a scope. */
static int one_transaction(void *arg, dal_error *err)
{
    const int64_t *pk = arg;
    dal_session *s;
    int rc = dal_scoped_session(&s, err);
    for (int64_t j = 0; j < 2 && !rc; j++)
        rc = dal_session_exec(s, "INSERT INTO dc_t (proc, k, j) VALUES (?, ?, ?)",
                              (dal_value[]){dal_int64(pk[0]), dal_int64(pk[1]), dal_int64(j)}, 3,
                              NULL, err);
    return rc ? rc : dal_session_commit(s, err);
}

static int64_t scalar(const char *sql)
{
    dal_error err = DAL_ERROR_INIT;
    dal_session *s;
    dal_result *r;
    int64_t v = -1;
    CHECK(dal_scope_begin(&err) == DAL_OK, "%s", err.message);
    CHECK(dal_scoped_session(&s, &err) == DAL_OK, "%s", err.message);
    CHECK(dal_session_query(s, sql, NULL, 0, &r, &err) == DAL_OK, "%s: %s", sql, err.message);
    CHECK(dal_result_next(r, &err) == DAL_ROW, "%s", err.message);
    CHECK(dal_result_int64(r, 0, &v, &err) == DAL_OK, "%s", err.message);
    dal_result_close(r);
    dal_scope_end();
    return v;
}

static atomic_bool stop;
static atomic_int parent_acks;

static void *parent_worker(void *arg)
{
    (void)arg;
    static atomic_long next_k;
    while (!atomic_load(&stop)) {
        dal_error err = DAL_ERROR_INIT;
        int64_t pk[2] = {1000, atomic_fetch_add(&next_k, 1)};
        if (dal_with_scope(one_transaction, pk, &err) == DAL_OK) atomic_fetch_add(&parent_acks, 1);
    }
    return NULL;
}

/* The child's work; its acknowledged count goes to the parent through fd. */
static void child(int index, int fd)
{
    dal_error err = DAL_ERROR_INIT;
    /* The forking thread's scope came along: its session is the parent's. */
    dal_session *inherited;
    CHECK(dal_scoped_session(&inherited, &err) == DAL_OK, "%s", err.message);
    CHECK(dal_session_exec(inherited, "SELECT 1", NULL, 0, NULL, &err) == DAL_EMISUSE,
          "a statement on the inherited connection was not refused: %s", err.message);
    CHECK(dal_session_commit(inherited, &err) != DAL_OK, "commit on the inherited connection");
    dal_scope_end(); /* gives it up without a word to the server */
    if (index == CHILDREN - 1) /* a child may configure a new engine */
        CHECK(dal_configure(url, NULL, &err) == DAL_OK, "%s", err.message);
    int acks = 0;
    for (int64_t k = 0; k < CHILD_TXNS; k++) {
        int64_t pk[2] = {index, k};
        dal_error_clear(&err);
        int rc = dal_with_scope(one_transaction, pk, &err);
        CHECK(rc == DAL_OK, "child %d transaction %lld: %s", index, (long long)k, err.message);
        acks++;
    }
    CHECK(write(fd, &acks, sizeof acks) == sizeof acks, "pipe");
    _exit(0); /* a child of a threaded parent leaves without the parent's atexit work */
}

static void check_fork(void)
{
    dal_error err = DAL_ERROR_INIT;
    /* An idle pooled connection, and a scope of this thread with work in it. */
    CHECK(scalar("SELECT COUNT(*) FROM dc_t") == 0, "empty table");
    CHECK(dal_scope_begin(&err) == DAL_OK, "%s", err.message);
    dal_session *held;
    CHECK(dal_scoped_session(&held, &err) == DAL_OK, "%s", err.message);
    /* SQLite: one writer at a time, and a reader's snapshot cannot become a
     * writer's once others committed: the held session starts its
     * transaction after the children are done. */
    bool sqlite = !strcmp(backend, "sqlite");
    CHECK(sqlite || dal_session_exec(held, "INSERT INTO dc_t (proc, k, j) VALUES (-1, 0, 0)", NULL,
                                     0, NULL, &err) == DAL_OK,
          "%s", err.message);
    /* SQLite runs inside the process: its own global mutexes, held by a
     * thread at the fork, would stay locked in the child (the README says
     * so). With SQLite the parent forks while no other thread is in it. So
     * it does under AddressSanitizer: GCC 12's allocator lock is not held
     * across fork(), and a child forked while a thread allocates hangs in
     * malloc (seen: the lock of ASan's size-class allocator). */
    bool threads = !sqlite && !asan;
    /* Two parent threads on a pool of two with the held scope's session
     * out: the pool is full, and one of them mostly waits in a checkout. */
    pthread_t workers[2];
    for (int w = 0; w < 2 && threads; w++)
        pthread_create(&workers[w], NULL, parent_worker, NULL);
    usleep(20000);
    int fds[CHILDREN][2];
    pid_t pids[CHILDREN];
    for (int i = 0; i < CHILDREN; i++) {
        CHECK(pipe(fds[i]) == 0, "pipe");
        pids[i] = fork();
        CHECK(pids[i] >= 0, "fork");
        children[i] = pids[i];
        if (pids[i] == 0) {
            close(fds[i][0]);
            child(i, fds[i][1]);
        }
        close(fds[i][1]);
        usleep(5000);
    }
    int child_acks[CHILDREN];
    for (int i = 0; i < CHILDREN; i++) {
        int status = 0;
        CHECK(waitpid(pids[i], &status, 0) == pids[i], "waitpid");
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d failed (status %d)", i,
              status);
        CHECK(read(fds[i][0], &child_acks[i], sizeof child_acks[i]) == sizeof child_acks[i],
              "child %d sent no count", i);
        close(fds[i][0]);
    }
    atomic_store(&stop, true);
    for (int w = 0; w < 2 && threads; w++)
        pthread_join(workers[w], NULL);
    /* The parent's held transaction went on as if nothing had happened. */
    CHECK(dal_session_exec(held,
                           sqlite ? "INSERT INTO dc_t (proc, k, j) VALUES (-1, 0, 0), (-1, 0, 1)"
                                  : "INSERT INTO dc_t (proc, k, j) VALUES (-1, 0, 1)",
                           NULL, 0, NULL, &err) == DAL_OK,
          "the parent's transaction after the fork: %s", err.message);
    CHECK(dal_session_commit(held, &err) == DAL_OK, "%s", err.message);
    dal_scope_end();

    CHECK(scalar("SELECT COUNT(*) FROM dc_t WHERE proc = -1") == 2, "the held transaction");
    CHECK(scalar("SELECT COUNT(*) FROM dc_t WHERE proc = 1000") == 2 * atomic_load(&parent_acks),
          "the parent thread's acknowledged transactions (%d)", atomic_load(&parent_acks));
    for (int i = 0; i < CHILDREN; i++) {
        char sql[80];
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM dc_t WHERE proc = %d", i);
        CHECK(scalar(sql) == 2 * child_acks[i], "child %d: %d acknowledged", i, child_acks[i]);
    }
    CHECK(scalar("SELECT COUNT(*) FROM (SELECT proc, k, j FROM dc_t GROUP BY proc, k, j HAVING "
                 "COUNT(*) > 1) d") == 0,
          "a transaction is in the table twice");
    printf("deploy_check: fork: 3 children x %d + %d parent transactions, each once\n", CHILD_TXNS,
           atomic_load(&parent_acks));
}

typedef struct waiter {
    dal_engine *e;
    int rc;
    double took;
} waiter;

static void *wait_for_connection(void *arg)
{
    waiter *w = arg;
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    double t0 = now();
    w->rc = dal_session_open(w->e, &s, &err);
    w->took = now() - t0;
    if (w->rc == DAL_OK) dal_session_close(s);
    return NULL;
}

static void check_dispose_wakes_waiters(void)
{
    char u[1200];
    snprintf(u, sizeof u, "%s%cpool_size=1&max_overflow=0&pool_timeout=30", url,
             strchr(url, '?') ? '&' : '?');
    dal_engine *e;
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    CHECK(dal_engine_create(u, NULL, &e, &err) == DAL_OK, "%s", err.message);
    CHECK(dal_session_open(e, &s, &err) == DAL_OK, "%s", err.message);
    waiter w = {e, -1, 0};
    pthread_t t;
    pthread_create(&t, NULL, wait_for_connection, &w);
    usleep(200000); /* the waiter is in line */
    dal_engine_dispose(e);
    pthread_join(t, NULL);
    CHECK(w.rc == DAL_EMISUSE, "a waiter of a disposed engine got %s", dal_code_name(w.rc));
    CHECK(w.took < 5, "the waiter was woken after %.1f s", w.took);
    CHECK(dal_session_exec(s, "SELECT 1", NULL, 0, NULL, &err) == DAL_OK, "%s", err.message);
    dal_session_close(s); /* the last one out frees the engine */
    printf("deploy_check: dispose woke a waiting checkout in %.3f s\n", w.took);
}

/* The backend behind s dies; the engine is disposed; the next statement's
 * transparent retry must find the engine gone, not freed memory. */
static void check_dispose_with_a_dead_session(void)
{
    bool pg = !strcmp(backend, "postgresql");
    if (!pg && strcmp(backend, "mariadb")) return; /* SQLite has no server to lose */
    char u[1200];
    snprintf(u, sizeof u, "%s%cpool_size=1&max_overflow=0", url, strchr(url, '?') ? '&' : '?');
    dal_engine *e, *killer;
    dal_session *s, *k;
    dal_error err = DAL_ERROR_INIT;
    CHECK(dal_engine_create(u, NULL, &e, &err) == DAL_OK, "%s", err.message);
    CHECK(dal_engine_create(url, NULL, &killer, &err) == DAL_OK, "%s", err.message);
    CHECK(dal_session_open(e, &s, &err) == DAL_OK, "%s", err.message);
    dal_result *r;
    CHECK(dal_session_query(s, pg ? "SELECT pg_backend_pid()" : "SELECT CONNECTION_ID()", NULL, 0,
                            &r, &err) == DAL_OK,
          "%s", err.message);
    int64_t id = 0;
    CHECK(dal_result_next(r, &err) == DAL_ROW && dal_result_int64(r, 0, &id, &err) == DAL_OK, "%s",
          err.message);
    dal_result_close(r);
    CHECK(dal_session_rollback(s, &err) == DAL_OK, "%s", err.message);
    CHECK(dal_session_open(killer, &k, &err) == DAL_OK, "%s", err.message);
    char sql[80];
    snprintf(sql, sizeof sql, pg ? "SELECT pg_terminate_backend(%lld)" : "KILL CONNECTION %lld",
             (long long)id);
    CHECK(dal_session_exec(k, sql, NULL, 0, NULL, &err) == DAL_OK, "%s", err.message);
    dal_session_close(k);
    dal_engine_dispose(killer);
    usleep(100000);
    dal_engine_dispose(e);
    int rc = dal_session_exec(s, "SELECT 1", NULL, 0, NULL, &err);
    CHECK(rc != DAL_OK, "a statement on a dead connection of a disposed engine succeeded");
    dal_session_close(s);
    printf("deploy_check: a dead session of a disposed engine failed with %s\n",
           dal_code_name(rc));
}

int main(int argc, char **argv)
{
    CHECK(argc == 2, "usage: deploy_check URL");
    backend = getenv("DAL_BACKEND") ? getenv("DAL_BACKEND") : "sqlite";
    signal(SIGALRM, give_up);
    alarm(120);
    snprintf(url, sizeof url, "%s", argv[1]);
    dal_error err = DAL_ERROR_INIT;
    char u[1200];
    snprintf(u, sizeof u, "%s%cpool_size=2&max_overflow=0", url, strchr(url, '?') ? '&' : '?');
    CHECK(dal_configure(u, NULL, &err) == DAL_OK, "%s", err.message);
    CHECK(dal_scope_begin(&err) == DAL_OK, "%s", err.message);
    dal_session *s;
    CHECK(dal_scoped_session(&s, &err) == DAL_OK, "%s", err.message);
    CHECK(dal_session_exec(s, "DROP TABLE IF EXISTS dc_t", NULL, 0, NULL, &err) == DAL_OK, "%s",
          err.message);
    CHECK(dal_session_exec(s, "CREATE TABLE dc_t (proc INTEGER, k INTEGER, j INTEGER)", NULL, 0,
                           NULL, &err) == DAL_OK,
          "%s", err.message);
    CHECK(dal_session_commit(s, &err) == DAL_OK, "%s", err.message);
    dal_scope_end();
    check_fork();
    dal_unconfigure();
    check_dispose_wakes_waiters();
    check_dispose_with_a_dead_session();
    return 0;
}
