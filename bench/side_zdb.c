/* libzdb, the closest peer: its pool, prepared statements and result sets,
 * used as its documentation shows. Built only when libzdb-dev is installed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sides.h"

#ifdef HAVE_ZDB
#include <jansson.h>
#include <zdb.h>

bool zdb_available(void) { return true; }

static ConnectionPool_T pool_for(const bench_target *t, URL_T *url, int size)
{
    *url = URL_new(t->zdb_url);
    if (!*url) bench_die("libzdb URL", t->zdb_url);
    ConnectionPool_T pool = ConnectionPool_new(*url);
    ConnectionPool_setInitialConnections(pool, size);
    ConnectionPool_setMaxConnections(pool, size);
    ConnectionPool_start(pool);
    return pool;
}

static void pool_free(ConnectionPool_T *pool, URL_T *url)
{
    ConnectionPool_free(pool);
    URL_free(url);
}

static Connection_T get(ConnectionPool_T pool)
{
    Connection_T c = ConnectionPool_getConnection(pool);
    if (!c) bench_die("libzdb", "no connection");
    return c;
}

typedef struct zdb_arg {
    ConnectionPool_T pool;
    size_t n;
    bool select;
} zdb_arg;

static void *zdb_loop(void *p)
{
    zdb_arg *a = p;
    for (size_t i = 0; i < a->n; i++) {
        Connection_T c = get(a->pool);
        if (a->select) {
            PreparedStatement_T st = Connection_prepareStatement(c, "SELECT ?");
            PreparedStatement_setLLong(st, 1, (long long)i);
            ResultSet_T r = PreparedStatement_executeQuery(st);
            if (ResultSet_next(r)) (void)ResultSet_getLLong(r, 1);
        }
        Connection_close(c);
    }
    return NULL;
}

static double zdb_checkouts(const bench_target *t, size_t n, int threads, bool select)
{
    URL_T url;
    ConnectionPool_T pool = pool_for(t, &url, 8);
    zdb_arg warm = {pool, 8, select};
    zdb_loop(&warm);
    zdb_arg a = {pool, n / (size_t)threads, select};
    pthread_t th[64];
    double t0 = bench_now();
    for (int k = 0; k < threads; k++)
        pthread_create(&th[k], NULL, zdb_loop, &a);
    for (int k = 0; k < threads; k++)
        pthread_join(th[k], NULL);
    double rate = (double)(a.n * (size_t)threads) / (bench_now() - t0);
    pool_free(&pool, &url);
    return rate;
}

double zdb_checkout(const bench_target *t, size_t n, int threads)
{
    return zdb_checkouts(t, n, threads, false);
}

double zdb_checkout_select(const bench_target *t, size_t n, int threads)
{
    return zdb_checkouts(t, n, threads, true);
}

double zdb_round_trip(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    URL_T url;
    ConnectionPool_T pool = pool_for(t, &url, 1);
    Connection_T c = get(pool);
    PreparedStatement_T st = Connection_prepareStatement(c, "SELECT ?");
    double t0 = bench_now();
    for (size_t i = 0; i < n; i++) {
        PreparedStatement_setLLong(st, 1, (long long)i);
        ResultSet_T r = PreparedStatement_executeQuery(st);
        if (ResultSet_next(r)) (void)ResultSet_getLLong(r, 1);
    }
    double rate = (double)n / (bench_now() - t0);
    Connection_close(c);
    pool_free(&pool, &url);
    return rate;
}

double zdb_bulk_insert(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    bench_reset_insert_table(t, n);
    URL_T url;
    ConnectionPool_T pool = pool_for(t, &url, 1);
    Connection_T c = get(pool);
    PreparedStatement_T st = Connection_prepareStatement(
        c, "INSERT INTO bench_ins (id, name, x, doc) VALUES (?, ?, ?, ?)");
    char name[32];
    double t0 = bench_now();
    Connection_beginTransaction(c);
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof name, "name-%zu", i);
        PreparedStatement_setLLong(st, 1, (long long)i);
        PreparedStatement_setString(st, 2, name);
        PreparedStatement_setDouble(st, 3, (double)i * 0.5);
        PreparedStatement_setString(st, 4, BENCH_DOC);
        PreparedStatement_execute(st);
    }
    Connection_commit(c);
    double rate = (double)n / (bench_now() - t0);
    Connection_close(c);
    pool_free(&pool, &url);
    return rate;
}

/* The same unit of work from libzdb's pool: a connection, a transaction,
 * `stmts` prepared INSERTs, the commit, the connection back. */
static double zdb_write_requests(const bench_target *t, size_t n, int stmts)
{
    bench_reset_insert_table(t, n);
    URL_T url;
    ConnectionPool_T pool = pool_for(t, &url, 1);
    char name[32];
    double t0 = bench_now();
    for (size_t i = 0; i < n; i++) {
        Connection_T c = get(pool);
        PreparedStatement_T st = Connection_prepareStatement(
            c, "INSERT INTO bench_ins (id, name, x, doc) VALUES (?, ?, ?, ?)");
        Connection_beginTransaction(c);
        for (int k = 0; k < stmts; k++) {
            long long id = (long long)(i * (size_t)stmts + (size_t)k);
            snprintf(name, sizeof name, "name-%lld", id);
            PreparedStatement_setLLong(st, 1, id);
            PreparedStatement_setString(st, 2, name);
            PreparedStatement_setDouble(st, 3, (double)id * 0.5);
            PreparedStatement_setString(st, 4, BENCH_DOC);
            PreparedStatement_execute(st);
        }
        Connection_commit(c);
        Connection_close(c);
    }
    double rate = (double)n / (bench_now() - t0);
    pool_free(&pool, &url);
    return rate;
}

double zdb_write_request_1(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    return zdb_write_requests(t, n, 1);
}

double zdb_write_request_3(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    return zdb_write_requests(t, n, 3);
}

static double zdb_read(const bench_target *t, size_t n, bool json)
{
    URL_T url;
    ConnectionPool_T pool = pool_for(t, &url, 1);
    Connection_T c = get(pool);
    size_t rows = 0, bytes = 0;
    long long sum = 0;
    double t0 = bench_now();
    ResultSet_T r = Connection_executeQuery(c, "SELECT id, name, x, doc FROM bench_rows");
    while (ResultSet_next(r)) {
        long long id = ResultSet_getLLong(r, 1);
        const char *name = ResultSet_getString(r, 2);
        double x = ResultSet_getDouble(r, 3);
        const char *doc = ResultSet_getString(r, 4);
        if (json) {
            json_t *o = json_pack("{s:I,s:s,s:f,s:s}", "id", (json_int_t)id, "name", name, "x", x,
                                  "doc", doc);
            char *s = json_dumps(o, JSON_COMPACT);
            bytes += strlen(s) + 1;
            free(s);
            json_decref(o);
        } else {
            sum += id + (long long)strlen(name) + (long long)strlen(doc);
        }
        rows++;
    }
    double rate = (double)rows / (bench_now() - t0);
    if (rows != n) bench_die("libzdb read", "wrong row count");
    Connection_close(c);
    pool_free(&pool, &url);
    return sum >= 0 ? rate : -1;
}

double zdb_fetch(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    return zdb_read(t, n, false);
}

double zdb_export_json(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    return zdb_read(t, n, true);
}

#else /* no libzdb */

bool zdb_available(void) { return false; }
double zdb_checkout(const bench_target *t, size_t n, int threads)
{
    return (void)t, (void)n, (void)threads, -1;
}
double zdb_checkout_select(const bench_target *t, size_t n, int threads)
{
    return (void)t, (void)n, (void)threads, -1;
}
double zdb_round_trip(const bench_target *t, size_t n, int threads)
{
    return (void)t, (void)n, (void)threads, -1;
}
double zdb_bulk_insert(const bench_target *t, size_t n, int threads)
{
    return (void)t, (void)n, (void)threads, -1;
}
double zdb_fetch(const bench_target *t, size_t n, int threads)
{
    return (void)t, (void)n, (void)threads, -1;
}
double zdb_write_request_1(const bench_target *t, size_t n, int threads)
{
    return (void)t, (void)n, (void)threads, -1;
}
double zdb_write_request_3(const bench_target *t, size_t n, int threads)
{
    return (void)t, (void)n, (void)threads, -1;
}
double zdb_export_json(const bench_target *t, size_t n, int threads)
{
    return (void)t, (void)n, (void)threads, -1;
}

#endif
