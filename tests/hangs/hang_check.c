/* A workload through a fault: 4 threads insert, read and commit, and 2 read
 * in read-only scopes, while a command breaks the server (SIGSTOP, a
 * network partition, or a failover: the primary killed and the standby
 * promoted) and another heals it. A plain program (not Criterion) so
 * ThreadSanitizer can run it.
 *
 *   hang_check URL FAULT_COMMAND HEAL_COMMAND
 *
 * URL should set query_timeout, connect_timeout and pool_timeout. Checks:
 * every call returns within 3x the largest of them; the fault is seen as
 * DAL_ETIMEOUT / DAL_EINDOUBT / DAL_ECONNECT / DAL_EDISCONNECTED; after the
 * heal every thread commits again by itself; nothing stays checked out;
 * every commit that returned DAL_OK is in the table. Prints the figures. */
#include <dal.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define THREADS 4
#define READERS 2
#define MAX_IDS 200000

static dal_engine *engine;
static atomic_int phase; /* 0 before the fault, 1 during, 2 after the heal, 3 stop */
static atomic_long next_id;
static long committed[THREADS][MAX_IDS / THREADS];
static int ncommitted[THREADS];
static atomic_int commits_in_phase[THREADS][3]; /* read by main while running */
static double slowest[THREADS + READERS][3];
static int slowest_code[THREADS + READERS][3];
static const char *slowest_call[THREADS + READERS][3];
static int fault_errors[THREADS + READERS];
static atomic_int reads_done;
static pthread_mutex_t gap_lock = PTHREAD_MUTEX_INITIALIZER;
static double last_commit_at, longest_gap; /* the longest time without any commit */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Records how long one call took in the current phase. */
static int timed(int t, const char *call, double started, int rc)
{
    int p = atomic_load(&phase);
    if (p > 2) p = 2;
    double took = now() - started;
    if (took > slowest[t][p]) {
        slowest[t][p] = took;
        slowest_code[t][p] = rc;
        slowest_call[t][p] = call;
    }
    if (rc == DAL_ETIMEOUT || rc == DAL_EINDOUBT || rc == DAL_ECONNECT || rc == DAL_EDISCONNECTED)
        fault_errors[t]++;
    return rc;
}

static void committed_now(void)
{
    pthread_mutex_lock(&gap_lock);
    double t = now();
    if (last_commit_at > 0 && t - last_commit_at > longest_gap) longest_gap = t - last_commit_at;
    last_commit_at = t;
    pthread_mutex_unlock(&gap_lock);
}

static int read_once(void *arg, dal_error *err)
{
    dal_session *s;
    dal_result *r = NULL;
    int rc = dal_scoped_session(&s, err);
    if (!rc) rc = dal_session_query(s, "SELECT COUNT(*) FROM hang_t", NULL, 0, &r, err);
    if (!rc) rc = dal_result_next(r, err) == DAL_ROW ? DAL_OK : err->code;
    dal_result_close(r);
    (void)arg;
    return rc;
}

static void *reader(void *arg)
{
    int t = (int)(intptr_t)arg;
    while (atomic_load(&phase) < 3) {
        dal_error err = DAL_ERROR_INIT;
        if (timed(t, "read-only scope", now(), dal_with_read_only_scope(read_once, NULL, &err)) ==
            DAL_OK)
            atomic_fetch_add(&reads_done, 1);
        else
            usleep(10000);
    }
    return NULL;
}

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;
    while (atomic_load(&phase) < 3) {
        dal_error err = DAL_ERROR_INIT;
        dal_session *s = NULL;
        if (timed(t, "open", now(), dal_session_open(engine, &s, &err)) != DAL_OK) continue;
        long id = atomic_fetch_add(&next_id, 1);
        dal_value v[] = {dal_int64(id), dal_int64(t)};
        int p = atomic_load(&phase);
        double started = now();
        int rc = timed(t, "insert", started, dal_session_exec(s, "INSERT INTO hang_t VALUES (?, ?)", v, 2,
                                                    NULL, &err));
        if (!rc) {
            dal_result *r = NULL;
            started = now();
            rc = dal_session_query(s, "SELECT COUNT(*) FROM hang_t WHERE worker = ?", v + 1, 1,
                                   &r, &err);
            if (!rc) rc = dal_result_next(r, &err) == DAL_ROW ? DAL_OK : err.code;
            timed(t, "select", started, rc);
            dal_result_close(r);
        }
        if (!rc) {
            started = now();
            rc = timed(t, "commit", started, dal_session_commit(s, &err));
            if (!rc) committed_now();
            if (!rc && ncommitted[t] < MAX_IDS / THREADS) {
                committed[t][ncommitted[t]++] = id;
                atomic_fetch_add(&commits_in_phase[t][p > 2 ? 2 : p], 1);
            }
        }
        started = now();
        dal_session_close(s);
        timed(t, "close", started, DAL_OK);
    }
    return NULL;
}

static int run(const char *command)
{
    int rc = system(command);
    if (rc != 0) fprintf(stderr, "hang_check: '%s' failed (%d)\n", command, rc);
    return rc;
}

/* Waits until every thread committed at least once in phase 2, or limit s. */
static bool recovered(double limit)
{
    for (double end = now() + limit; now() < end;) {
        bool all = true;
        for (int t = 0; t < THREADS; t++)
            all &= atomic_load(&commits_in_phase[t][2]) > 0;
        if (all) return true;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

static void pause_for(double seconds)
{
    struct timespec ts = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Every id whose commit returned DAL_OK must be in the table. */
static long missing_commits(const char *url, long *checked)
{
    dal_engine *e;
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    *checked = 0;
    if (dal_engine_create(url, NULL, &e, &err) || dal_session_open(e, &s, &err)) {
        fprintf(stderr, "hang_check: cannot verify: %s\n", err.message);
        return -1;
    }
    long missing = 0;
    dal_stmt *st;
    if (dal_session_prepare(s, "SELECT COUNT(*) FROM hang_t WHERE id = ?", &st, &err)) return -1;
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < ncommitted[t]; i++) {
            dal_value v = dal_int64(committed[t][i]);
            dal_result *r;
            int64_t n = 0;
            if (dal_stmt_execute(st, &v, 1, &r, NULL, &err) || dal_result_next(r, &err) != DAL_ROW ||
                dal_result_int64(r, 0, &n, &err) || n != 1)
                missing++;
            dal_result_close(r);
            (*checked)++;
        }
    dal_stmt_close(st);
    dal_session_close(s);
    dal_engine_dispose(e);
    return missing;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: hang_check URL FAULT_COMMAND HEAL_COMMAND\n");
        return 2;
    }
    const char *url = argv[1];
    dal_error err = DAL_ERROR_INIT;
    dal_session *s;
    if (dal_engine_create(url, NULL, &engine, &err) || dal_session_open(engine, &s, &err) ||
        dal_session_exec(s, "DROP TABLE IF EXISTS hang_t", NULL, 0, NULL, &err) ||
        dal_session_exec(s, "CREATE TABLE hang_t (id BIGINT PRIMARY KEY, worker INTEGER)", NULL, 0,
                         NULL, &err) ||
        dal_session_commit(s, &err)) {
        fprintf(stderr, "hang_check: setup failed: %s\n", err.message);
        return 1;
    }
    dal_session_close(s);
    dal_configure(url, NULL, &err); /* the readers' scopes */
    pthread_t threads[THREADS + READERS];
    for (int t = 0; t < THREADS + READERS; t++)
        pthread_create(&threads[t], NULL, t < THREADS ? worker : reader, (void *)(intptr_t)t);
    pause_for(2);
    atomic_store(&phase, 1);
    int failures = 0;
    if (run(argv[2])) failures++;
    pause_for(8);
    atomic_store(&phase, 2);
    if (run(argv[3])) failures++;
    double healed_at = now();
    bool healthy = recovered(30);
    double recovery = now() - healed_at;
    atomic_store(&phase, 3);
    for (int t = 0; t < THREADS + READERS; t++)
        pthread_join(threads[t], NULL);

    double worst = 0;
    const char *worst_call = "none";
    int worst_code = 0, seen = 0, before = 0, during = 0, after = 0;
    for (int t = 0; t < THREADS + READERS; t++) {
        for (int p = 0; p < 3; p++)
            if (slowest[t][p] > worst)
                worst = slowest[t][p], worst_code = slowest_code[t][p],
                worst_call = slowest_call[t][p];
        seen += fault_errors[t];
        if (t >= THREADS) continue;
        before += atomic_load(&commits_in_phase[t][0]);
        during += atomic_load(&commits_in_phase[t][1]);
        after += atomic_load(&commits_in_phase[t][2]);
    }
    dal_pool_stats stats, read_stats;
    dal_engine_pool_stats(engine, &stats);
    dal_engine_read_pool_stats(dal_configured_engine(), &read_stats);
    stats.checked_out += read_stats.checked_out;
    long checked = 0, missing = missing_commits(url, &checked);
    printf("hang_check: slowest call %s %.2fs (%s); %d fault errors; commits %d before, "
           "%d during, %d after; longest time without a commit %.2fs; %d reads; recovered %s in "
           "%.2fs after the heal; %d checked out; %ld committed ids checked, %ld missing\n",
           worst_call, worst, dal_code_name(worst_code), seen, before, during, after, longest_gap,
           atomic_load(&reads_done), healthy ? "yes" : "NO", recovery, stats.checked_out, checked, missing);
    double bound = 3 * 3.0; /* 3x the largest timeout the tests use (3 s) */
    if (worst > bound) printf("FAIL: a call took %.2fs (> %.0fs)\n", worst, bound), failures++;
    if (seen == 0) printf("FAIL: the fault was never seen\n"), failures++;
    if (!healthy) printf("FAIL: not every thread committed again after the heal\n"), failures++;
    if (stats.checked_out != 0) printf("FAIL: sessions left checked out\n"), failures++;
    if (missing != 0) printf("FAIL: commits reported as done are missing\n"), failures++;
    if (before == 0) printf("FAIL: nothing committed before the fault\n"), failures++;
    if (atomic_load(&reads_done) == 0) printf("FAIL: no read-only scope succeeded\n"), failures++;
    dal_engine_dispose(engine);
    dal_unconfigure();
    printf("hang_check: %s\n", failures ? "FAILED" : "passed");
    return failures ? 1 : 0;
}
