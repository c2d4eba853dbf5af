/* dal's side of every workload. */
#include <dal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sides.h"

static void check(int rc, const dal_error *err, const char *what)
{
    if (rc && rc != DAL_ROW && rc != DAL_DONE) bench_die(what, err->message);
}

static dal_engine *engine(const bench_target *t, const char *query)
{
    char url[700];
    snprintf(url, sizeof url, "%s%s", t->dal_url, query);
    dal_engine *e;
    dal_error err = DAL_ERROR_INIT;
    check(dal_engine_create(url, NULL, &e, &err), &err, "engine");
    return e;
}

static void exec(dal_session *s, const char *sql)
{
    dal_error err = DAL_ERROR_INIT;
    check(dal_session_exec(s, sql, NULL, 0, NULL, &err), &err, sql);
}

static dal_session *open_session(const bench_target *t, dal_engine **e)
{
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    *e = engine(t, "");
    check(dal_session_open(*e, &s, &err), &err, "open");
    return s;
}

static void close_session(dal_session *s, dal_engine *e)
{
    dal_session_close(s);
    dal_engine_dispose(e);
}

/* Rows of (id, name, x, doc) for insert_many. */
static dal_value *make_rows(size_t n, char (**names)[32])
{
    dal_value *v = malloc(n * 4 * sizeof *v);
    *names = malloc(n * sizeof **names);
    for (size_t i = 0; i < n; i++) {
        snprintf((*names)[i], 32, "name-%zu", i);
        v[i * 4] = dal_int64((int64_t)i);
        v[i * 4 + 1] = dal_text((*names)[i]);
        v[i * 4 + 2] = dal_double((double)i * 0.5);
        v[i * 4 + 3] = dal_text(BENCH_DOC);
    }
    return v;
}

static void create_table(dal_session *s, const char *table)
{
    char sql[200];
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", table);
    exec(s, sql);
    snprintf(sql, sizeof sql,
             "CREATE TABLE %s (id BIGINT, name VARCHAR(64), x DOUBLE PRECISION, doc TEXT)", table);
    exec(s, sql);
}

/* Inserts n rows into table and commits; returns the rate (rows/s). */
static double insert_rows(dal_session *s, const char *table, size_t n)
{
    char(*names)[32];
    dal_value *v = make_rows(n, &names);
    static const char *const cols[] = {"id", "name", "x", "doc"};
    dal_error err = DAL_ERROR_INIT;
    int64_t done = 0;
    double t0 = bench_now();
    check(dal_session_insert_many(s, table, cols, 4, v, n, &done, &err), &err, "insert_many");
    check(dal_session_commit(s, &err), &err, "commit");
    double rate = (double)n / (bench_now() - t0);
    if ((size_t)done != n) bench_die("insert_many", "wrong row count");
    free(v);
    free(names);
    return rate;
}

void bench_fill_rows(const bench_target *t, size_t n)
{
    dal_engine *e;
    dal_session *s = open_session(t, &e);
    create_table(s, "bench_rows");
    insert_rows(s, "bench_rows", n);
    close_session(s, e);
}

void bench_reset_insert_table(const bench_target *t, size_t n)
{
    (void)n;
    dal_engine *e;
    dal_session *s = open_session(t, &e);
    dal_error err = DAL_ERROR_INIT;
    create_table(s, "bench_ins");
    check(dal_session_commit(s, &err), &err, "commit");
    close_session(s, e);
}

typedef struct checkout_arg {
    dal_engine *e;
    size_t n;
    bool select;
} checkout_arg;

static void *checkout_loop(void *p)
{
    checkout_arg *a = p;
    dal_error err = DAL_ERROR_INIT;
    for (size_t i = 0; i < a->n; i++) {
        dal_session *s;
        check(dal_session_open(a->e, &s, &err), &err, "checkout");
        if (a->select) {
            dal_result *r;
            dal_value v = dal_int64((int64_t)i);
            int64_t got;
            check(dal_session_query(s, "SELECT ?", &v, 1, &r, &err), &err, "select");
            check(dal_result_next(r, &err), &err, "next");
            check(dal_result_int64(r, 0, &got, &err), &err, "get");
            dal_result_close(r);
        }
        dal_session_close(s);
    }
    return NULL;
}

static double checkouts(const bench_target *t, size_t n, int threads, bool select, bool lazy)
{
    dal_engine *e = engine(t, lazy ? "?pool_size=8&max_overflow=0&lazy_begin=true"
                                   : "?pool_size=8&max_overflow=0");
    checkout_arg warm = {e, 8, select};
    checkout_loop(&warm); /* connections open outside the timing */
    pthread_t th[64];
    checkout_arg a = {e, n / (size_t)threads, select};
    double t0 = bench_now();
    for (int k = 0; k < threads; k++)
        pthread_create(&th[k], NULL, checkout_loop, &a);
    for (int k = 0; k < threads; k++)
        pthread_join(th[k], NULL);
    double rate = (double)(a.n * (size_t)threads) / (bench_now() - t0);
    dal_engine_dispose(e);
    return rate;
}

double dal_checkout(const bench_target *t, size_t n, int threads)
{
    return checkouts(t, n, threads, false, false);
}

double dal_checkout_select(const bench_target *t, size_t n, int threads)
{
    return checkouts(t, n, threads, true, false);
}

double dal_checkout_select_lazy(const bench_target *t, size_t n, int threads)
{
    return checkouts(t, n, threads, true, true);
}

/* What a request handler does: scope, scoped session, prepared SELECT ?, end. */
static int one_request(void *arg, dal_error *err)
{
    dal_session *s;
    dal_result *r;
    int64_t got;
    dal_value v = dal_int64(*(int64_t *)arg);
    int rc = dal_scoped_session(&s, err);
    if (!rc) rc = dal_session_query(s, "SELECT ?", &v, 1, &r, err);
    if (rc) return rc;
    rc = dal_result_next(r, err);
    if (rc == DAL_ROW) rc = dal_result_int64(r, 0, &got, err);
    dal_result_close(r);
    return rc;
}

static void ignore_event(const dal_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
}

/* query: "" or URL query keys to add ("?lazy_begin=true"). */
static double request_cycle(const bench_target *t, size_t n, const char *query, bool read_only,
                            bool observed)
{
    dal_error err = DAL_ERROR_INIT;
    char url[700];
    snprintf(url, sizeof url, "%s%s", t->dal_url, query);
    dal_engine_options opts;
    dal_engine_options_init(&opts);
    if (observed) opts.on_event = ignore_event; /* what an empty callback costs */
    check(dal_configure(url, &opts, &err), &err, "configure");
    int64_t i = 0;
    check(read_only ? dal_with_read_only_scope(one_request, &i, &err)
                    : dal_with_scope(one_request, &i, &err),
          &err, "warm-up");
    double t0 = bench_now();
    for (i = 0; i < (int64_t)n; i++) {
        check(read_only ? dal_scope_begin_read_only(&err) : dal_scope_begin(&err), &err, "scope");
        check(one_request(&i, &err), &err, "request");
        dal_scope_end();
    }
    double rate = (double)n / (bench_now() - t0);
    dal_unconfigure();
    return rate;
}

double dal_request_cycle(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    return request_cycle(t, n, "", false, false);
}

double dal_request_cycle_observed(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    return request_cycle(t, n, "", false, true);
}

double dal_request_cycle_lazy(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    return request_cycle(t, n, "?lazy_begin=true", false, false);
}

double dal_request_cycle_read_only(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    return request_cycle(t, n, "", true, false);
}

double dal_request_cycle_read_only_balanced(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    return request_cycle(t, n, "?load_balance_hosts=random", true, false);
}

/* The same, with the lag check: what max_staleness_ms costs a request. */
double dal_request_cycle_read_only_bounded(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    return request_cycle(t, n, "?load_balance_hosts=random&max_staleness_ms=500", true, false);
}

double dal_round_trip(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    dal_engine *e;
    dal_session *s = open_session(t, &e);
    dal_stmt *st;
    dal_error err = DAL_ERROR_INIT;
    check(dal_session_prepare(s, "SELECT ?", &st, &err), &err, "prepare");
    double t0 = bench_now();
    for (size_t i = 0; i < n; i++) {
        dal_result *r;
        dal_value v = dal_int64((int64_t)i);
        int64_t got;
        check(dal_stmt_execute(st, &v, 1, &r, NULL, &err), &err, "execute");
        check(dal_result_next(r, &err), &err, "next");
        check(dal_result_int64(r, 0, &got, &err), &err, "get");
        dal_result_close(r);
    }
    double rate = (double)n / (bench_now() - t0);
    dal_stmt_close(st);
    close_session(s, e);
    return rate;
}

double dal_bulk_insert(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    bench_reset_insert_table(t, n);
    dal_engine *e;
    dal_session *s = open_session(t, &e);
    double rate = insert_rows(s, "bench_ins", n);
    close_session(s, e);
    return rate;
}

double dal_fetch(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    dal_engine *e;
    dal_session *s = open_session(t, &e);
    dal_result *r;
    dal_error err = DAL_ERROR_INIT;
    double t0 = bench_now();
    check(dal_session_query(s, "SELECT id, name, x, doc FROM bench_rows", NULL, 0, &r, &err), &err,
          "query");
    size_t rows = 0;
    int rc;
    int64_t sum = 0;
    while ((rc = dal_result_next(r, &err)) == DAL_ROW) {
        int64_t id;
        double x;
        const char *name, *doc;
        size_t len;
        check(dal_result_int64(r, 0, &id, &err), &err, "id");
        check(dal_result_text(r, 1, &name, &len, &err), &err, "name");
        check(dal_result_double(r, 2, &x, &err), &err, "x");
        check(dal_result_text(r, 3, &doc, &len, &err), &err, "doc");
        sum += id + (int64_t)len;
        rows++;
    }
    check(rc, &err, "fetch");
    double rate = (double)rows / (bench_now() - t0);
    if (rows != n) bench_die("fetch", "wrong row count");
    dal_result_close(r);
    close_session(s, e);
    return sum >= 0 ? rate : -1;
}

static int discard(void *ctx, const char *data, size_t n)
{
    (void)data;
    *(size_t *)ctx += n;
    return 0;
}

double dal_export_json(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    dal_engine *e;
    dal_session *s = open_session(t, &e);
    dal_result *r;
    dal_error err = DAL_ERROR_INIT;
    size_t bytes = 0;
    uint64_t rows = 0;
    double t0 = bench_now();
    check(dal_session_query(s, "SELECT id, name, x, doc FROM bench_rows", NULL, 0, &r, &err), &err,
          "query");
    check(dal_result_export_json(r, DAL_JSON_LINES, discard, &bytes, &rows, &err), &err, "export");
    double rate = (double)rows / (bench_now() - t0);
    if (rows != n) bench_die("export", "wrong row count");
    dal_result_close(r);
    close_session(s, e);
    return rate;
}

/* A write request: scope, `stmts` INSERTs (executed, or deferred so that on
 * PostgreSQL the unit goes out in one message), commit, end. */
typedef struct write_arg {
    int64_t first; /* the first row's id */
    int stmts;
    bool deferred;
} write_arg;

static int one_write(void *arg, dal_error *err)
{
    write_arg *w = arg;
    dal_session *s;
    int rc = dal_scoped_session(&s, err);
    for (int k = 0; k < w->stmts && !rc; k++) {
        int64_t id = w->first + k;
        char name[32];
        snprintf(name, sizeof name, "name-%lld", (long long)id);
        dal_value v[4] = {dal_int64(id), dal_text(name), dal_double((double)id * 0.5),
                          dal_text(BENCH_DOC)};
        const char *sql = "INSERT INTO bench_ins (id, name, x, doc) VALUES (?, ?, ?, ?)";
        rc = w->deferred ? dal_session_defer(s, sql, v, 4, err)
                         : dal_session_exec(s, sql, v, 4, NULL, err);
    }
    return rc ? rc : dal_session_commit(s, err);
}

static double write_requests(const bench_target *t, size_t n, int stmts, bool deferred)
{
    bench_reset_insert_table(t, n);
    dal_error err = DAL_ERROR_INIT;
    check(dal_configure(t->dal_url, NULL, &err), &err, "configure");
    write_arg w = {.first = -1000000, .stmts = stmts, .deferred = deferred}; /* warm-up rows */
    check(dal_with_scope(one_write, &w, &err), &err, "warm-up");
    double t0 = bench_now();
    for (size_t i = 0; i < n; i++) {
        w.first = (int64_t)i * stmts;
        check(dal_with_scope(one_write, &w, &err), &err, "request");
    }
    double rate = (double)n / (bench_now() - t0);
    dal_unconfigure();
    return rate;
}

double dal_write_request_1(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    return write_requests(t, n, 1, false);
}

double dal_write_request_1_deferred(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    return write_requests(t, n, 1, true);
}

double dal_write_request_3(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    return write_requests(t, n, 3, false);
}

double dal_write_request_3_deferred(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    return write_requests(t, n, 3, true);
}

/* SQLite concurrent write transactions: `threads` threads, each open a
 * session, INSERT, commit, close; every transaction's time is recorded. */
typedef struct concurrent_arg {
    dal_engine *e;
    size_t n;
    _Atomic int64_t *next_id;
} concurrent_arg;

static void *concurrent_writer(void *p)
{
    concurrent_arg *a = p;
    dal_error err = DAL_ERROR_INIT;
    for (size_t i = 0; i < a->n; i++) {
        double t0 = bench_now();
        dal_session *s;
        int64_t id = (*a->next_id)++;
        dal_value v[4] = {dal_int64(id), dal_text("name"), dal_double(0.5), dal_text(BENCH_DOC)};
        check(dal_session_open(a->e, &s, &err), &err, "open");
        check(dal_session_exec(s, "INSERT INTO bench_ins (id, name, x, doc) VALUES (?, ?, ?, ?)", v,
                               4, NULL, &err),
              &err, "insert");
        check(dal_session_commit(s, &err), &err, "commit");
        dal_session_close(s);
        bench_latency_add(SIDE_DAL, bench_now() - t0);
    }
    return NULL;
}

double dal_concurrent_writes(const bench_target *t, size_t n, int threads)
{
    bench_reset_insert_table(t, n);
    dal_engine *e = engine(t, "?pool_size=16&max_overflow=0");
    _Atomic int64_t next_id = 0;
    concurrent_arg a = {e, 8, &next_id}; /* connections open outside the timing */
    pthread_t th[64];
    for (int k = 0; k < threads; k++)
        pthread_create(&th[k], NULL, concurrent_writer, &a);
    for (int k = 0; k < threads; k++)
        pthread_join(th[k], NULL);
    bench_latency_reset(SIDE_DAL);
    a.n = n / (size_t)threads;
    double t0 = bench_now();
    for (int k = 0; k < threads; k++)
        pthread_create(&th[k], NULL, concurrent_writer, &a);
    for (int k = 0; k < threads; k++)
        pthread_join(th[k], NULL);
    double rate = (double)(a.n * (size_t)threads) / (bench_now() - t0);
    dal_engine_dispose(e);
    return rate;
}
