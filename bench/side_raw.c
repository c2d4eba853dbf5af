/* Raw ODBC: the limit dal sits on, written as a careful user would (same
 * connection string, prepared once, bound once, row arrays for fetching). */
#include <jansson.h>
#include <sql.h>
#include <sqlext.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sides.h"

#define OK(rc) ((rc) == SQL_SUCCESS || (rc) == SQL_SUCCESS_WITH_INFO)

static void die_odbc(SQLSMALLINT type, SQLHANDLE h, const char *what)
{
    SQLCHAR state[6] = "", msg[512] = "";
    SQLINTEGER native;
    SQLSMALLINT len;
    SQLGetDiagRec(type, h, 1, state, &native, msg, sizeof msg, &len);
    bench_die(what, (char *)msg);
}

typedef struct raw_conn {
    SQLHENV env;
    SQLHDBC dbc;
} raw_conn;

static raw_conn connect_raw(const bench_target *t, bool autocommit)
{
    raw_conn c;
    SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &c.env);
    SQLSetEnvAttr(c.env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0);
    SQLAllocHandle(SQL_HANDLE_DBC, c.env, &c.dbc);
    if (!OK(SQLDriverConnect(c.dbc, NULL, (SQLCHAR *)t->odbc, SQL_NTS, NULL, 0, NULL,
                             SQL_DRIVER_NOPROMPT)))
        die_odbc(SQL_HANDLE_DBC, c.dbc, "connect");
    if (!autocommit)
        SQLSetConnectAttr(c.dbc, SQL_ATTR_AUTOCOMMIT, (SQLPOINTER)SQL_AUTOCOMMIT_OFF, 0);
    return c;
}

static void disconnect_raw(raw_conn *c)
{
    SQLEndTran(SQL_HANDLE_DBC, c->dbc, SQL_ROLLBACK);
    SQLDisconnect(c->dbc);
    SQLFreeHandle(SQL_HANDLE_DBC, c->dbc);
    SQLFreeHandle(SQL_HANDLE_ENV, c->env);
}

static SQLHSTMT prepare(raw_conn *c, const char *sql)
{
    SQLHSTMT h;
    SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &h);
    if (!OK(SQLPrepare(h, (SQLCHAR *)sql, SQL_NTS))) die_odbc(SQL_HANDLE_STMT, h, sql);
    return h;
}

double raw_round_trip(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    raw_conn c = connect_raw(t, true);
    SQLHSTMT h = prepare(&c, "SELECT ?");
    SQLBIGINT in = 0, out = 0;
    SQLLEN ind = 0;
    SQLBindParameter(h, 1, SQL_PARAM_INPUT, SQL_C_SBIGINT, SQL_BIGINT, 0, 0, &in, 0, NULL);
    double t0 = bench_now();
    for (size_t i = 0; i < n; i++) {
        in = (SQLBIGINT)i;
        if (!OK(SQLExecute(h))) die_odbc(SQL_HANDLE_STMT, h, "execute");
        if (!OK(SQLFetch(h))) die_odbc(SQL_HANDLE_STMT, h, "fetch");
        SQLGetData(h, 1, SQL_C_SBIGINT, &out, 0, &ind);
        SQLCloseCursor(h);
    }
    double rate = (double)n / (bench_now() - t0);
    SQLFreeHandle(SQL_HANDLE_STMT, h);
    disconnect_raw(&c);
    return rate;
}

/* Parameter arrays of 1000 rows, column-wise, one transaction. */
double raw_bulk_insert(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    enum { BATCH = 1000 };
    bench_reset_insert_table(t, n);
    raw_conn c = connect_raw(t, false);
    SQLHSTMT h = prepare(&c, "INSERT INTO bench_ins (id, name, x, doc) VALUES (?, ?, ?, ?)");
    static SQLBIGINT ids[BATCH];
    static char names[BATCH][65];
    static double xs[BATCH];
    static char docs[BATCH][64];
    static SQLLEN name_len[BATCH], doc_len[BATCH];
    SQLULEN done = 0;
    SQLSetStmtAttr(h, SQL_ATTR_PARAM_BIND_TYPE, SQL_PARAM_BIND_BY_COLUMN, 0);
    SQLSetStmtAttr(h, SQL_ATTR_PARAMSET_SIZE, (SQLPOINTER)BATCH, 0);
    SQLSetStmtAttr(h, SQL_ATTR_PARAMS_PROCESSED_PTR, &done, 0);
    SQLBindParameter(h, 1, SQL_PARAM_INPUT, SQL_C_SBIGINT, SQL_BIGINT, 0, 0, ids, 0, NULL);
    SQLBindParameter(h, 2, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR, 64, 0, names, 65, name_len);
    SQLBindParameter(h, 3, SQL_PARAM_INPUT, SQL_C_DOUBLE, SQL_DOUBLE, 0, 0, xs, 0, NULL);
    SQLBindParameter(h, 4, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR, 63, 0, docs, 64, doc_len);
    double t0 = bench_now();
    for (size_t first = 0; first < n; first += BATCH) {
        size_t rows = n - first < BATCH ? n - first : BATCH;
        for (size_t k = 0; k < rows; k++) {
            size_t i = first + k;
            ids[k] = (SQLBIGINT)i;
            name_len[k] = snprintf(names[k], sizeof names[k], "name-%zu", i);
            xs[k] = (double)i * 0.5;
            doc_len[k] = (SQLLEN)strlen(BENCH_DOC);
            memcpy(docs[k], BENCH_DOC, (size_t)doc_len[k] + 1);
        }
        if (rows != BATCH) SQLSetStmtAttr(h, SQL_ATTR_PARAMSET_SIZE, (SQLPOINTER)rows, 0);
        if (!OK(SQLExecute(h))) die_odbc(SQL_HANDLE_STMT, h, "insert");
    }
    if (!OK(SQLEndTran(SQL_HANDLE_DBC, c.dbc, SQL_COMMIT)))
        die_odbc(SQL_HANDLE_DBC, c.dbc, "commit");
    double rate = (double)n / (bench_now() - t0);
    SQLFreeHandle(SQL_HANDLE_STMT, h);
    disconnect_raw(&c);
    return rate;
}

/* Row-array fetch with bound columns: the fastest raw ODBC read. */
typedef struct rows_block {
    SQLBIGINT id[1000];
    SQLLEN id_ind[1000];
    char name[1000][65];
    SQLLEN name_ind[1000];
    double x[1000];
    SQLLEN x_ind[1000];
    char doc[1000][256];
    SQLLEN doc_ind[1000];
} rows_block;

typedef void (*row_fn)(void *ctx, const rows_block *b, size_t k);

static size_t fetch_rows(raw_conn *c, row_fn each, void *ctx)
{
    static rows_block b;
    SQLHSTMT h;
    SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &h);
    SQLULEN fetched = 0;
    SQLSetStmtAttr(h, SQL_ATTR_ROW_BIND_TYPE, SQL_BIND_BY_COLUMN, 0);
    SQLSetStmtAttr(h, SQL_ATTR_ROW_ARRAY_SIZE, (SQLPOINTER)1000, 0);
    SQLSetStmtAttr(h, SQL_ATTR_ROWS_FETCHED_PTR, &fetched, 0);
    if (!OK(SQLExecDirect(h, (SQLCHAR *)"SELECT id, name, x, doc FROM bench_rows", SQL_NTS)))
        die_odbc(SQL_HANDLE_STMT, h, "select");
    SQLBindCol(h, 1, SQL_C_SBIGINT, b.id, 0, b.id_ind);
    SQLBindCol(h, 2, SQL_C_CHAR, b.name, 65, b.name_ind);
    SQLBindCol(h, 3, SQL_C_DOUBLE, b.x, 0, b.x_ind);
    SQLBindCol(h, 4, SQL_C_CHAR, b.doc, 256, b.doc_ind);
    size_t rows = 0;
    SQLRETURN rc;
    while (OK(rc = SQLFetch(h))) {
        for (size_t k = 0; k < fetched; k++)
            each(ctx, &b, k);
        rows += fetched;
    }
    if (rc != SQL_NO_DATA) die_odbc(SQL_HANDLE_STMT, h, "fetch");
    SQLFreeHandle(SQL_HANDLE_STMT, h);
    return rows;
}

static void sum_row(void *ctx, const rows_block *b, size_t k)
{
    *(long long *)ctx += b->id[k] + b->name_ind[k] + b->doc_ind[k];
}

double raw_fetch(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    long long sum = 0;
    raw_conn c = connect_raw(t, true);
    double t0 = bench_now();
    size_t rows = fetch_rows(&c, sum_row, &sum);
    double rate = (double)rows / (bench_now() - t0);
    disconnect_raw(&c);
    if (rows != n) bench_die("raw fetch", "wrong row count");
    return sum >= 0 ? rate : -1;
}

/* Rows as JSON lines with jansson, as a raw ODBC user would write it. */
static void json_row(void *ctx, const rows_block *b, size_t k)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(b->id[k]));
    json_object_set_new(o, "name", json_stringn(b->name[k], (size_t)b->name_ind[k]));
    json_object_set_new(o, "x", json_real(b->x[k]));
    json_object_set_new(o, "doc", json_stringn(b->doc[k], (size_t)b->doc_ind[k]));
    char *s = json_dumps(o, JSON_COMPACT);
    *(size_t *)ctx += strlen(s) + 1;
    free(s);
    json_decref(o);
}

double raw_export_json(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    size_t bytes = 0;
    raw_conn c = connect_raw(t, true);
    double t0 = bench_now();
    size_t rows = fetch_rows(&c, json_row, &bytes);
    double rate = (double)rows / (bench_now() - t0);
    disconnect_raw(&c);
    if (rows != n) bench_die("raw export", "wrong row count");
    return rate;
}

/* One bench_ins row bound to a prepared INSERT's four markers. */
typedef struct insert_row {
    SQLBIGINT id;
    char name[65];
    double x;
    SQLLEN name_len, doc_len;
} insert_row;

static void bind_row(SQLHSTMT h, insert_row *r)
{
    r->doc_len = (SQLLEN)strlen(BENCH_DOC);
    SQLBindParameter(h, 1, SQL_PARAM_INPUT, SQL_C_SBIGINT, SQL_BIGINT, 0, 0, &r->id, 0, NULL);
    SQLBindParameter(h, 2, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR, 64, 0, r->name, 65,
                     &r->name_len);
    SQLBindParameter(h, 3, SQL_PARAM_INPUT, SQL_C_DOUBLE, SQL_DOUBLE, 0, 0, &r->x, 0, NULL);
    SQLBindParameter(h, 4, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR, 63, 0, (SQLPOINTER)BENCH_DOC,
                     64, &r->doc_len);
}

static void set_row(insert_row *r, long long id)
{
    r->id = (SQLBIGINT)id;
    r->name_len = snprintf(r->name, sizeof r->name, "name-%lld", id);
    r->x = (double)id * 0.5;
}

/* The same unit of work as dal's write request: `stmts` executions of a
 * prepared INSERT bound once, then a commit, on one kept connection. */
static double raw_write_requests(const bench_target *t, size_t n, int stmts)
{
    bench_reset_insert_table(t, n);
    raw_conn c = connect_raw(t, false);
    SQLHSTMT h = prepare(&c, "INSERT INTO bench_ins (id, name, x, doc) VALUES (?, ?, ?, ?)");
    insert_row row;
    bind_row(h, &row);
    double t0 = bench_now();
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < stmts; k++) {
            set_row(&row, (long long)(i * (size_t)stmts + (size_t)k));
            if (!OK(SQLExecute(h))) die_odbc(SQL_HANDLE_STMT, h, "insert");
        }
        if (!OK(SQLEndTran(SQL_HANDLE_DBC, c.dbc, SQL_COMMIT)))
            die_odbc(SQL_HANDLE_DBC, c.dbc, "commit");
    }
    double rate = (double)n / (bench_now() - t0);
    SQLFreeHandle(SQL_HANDLE_STMT, h);
    disconnect_raw(&c);
    return rate;
}

double raw_write_request_1(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    return raw_write_requests(t, n, 1);
}

double raw_write_request_3(const bench_target *t, size_t n, int threads)
{
    (void)threads;
    return raw_write_requests(t, n, 3);
}

/* The same concurrent write transactions with raw ODBC: a connection per
 * thread, kept (no pool to check out from), INSERT, commit. */
typedef struct raw_writer_arg {
    const bench_target *t;
    size_t n;
    _Atomic long long *next_id;
} raw_writer_arg;

static void *raw_writer(void *p)
{
    raw_writer_arg *a = p;
    raw_conn c = connect_raw(a->t, false);
    SQLHSTMT h = prepare(&c, "INSERT INTO bench_ins (id, name, x, doc) VALUES (?, ?, ?, ?)");
    insert_row row;
    bind_row(h, &row);
    for (size_t i = 0; i < a->n; i++) {
        double t0 = bench_now();
        set_row(&row, (*a->next_id)++);
        /* What a careful raw user does when SQLite says the database or a
         * table is locked (a writer of another connection got there
         * first: SQLITE_LOCKED is not waited for by the busy handler):
         * roll back and try again. */
        for (int attempt = 0; !OK(SQLExecute(h)) || !OK(SQLEndTran(SQL_HANDLE_DBC, c.dbc, SQL_COMMIT));
             attempt++) {
            if (attempt == 1000) die_odbc(SQL_HANDLE_STMT, h, "insert");
            SQLEndTran(SQL_HANDLE_DBC, c.dbc, SQL_ROLLBACK);
            usleep(100);
        }
        bench_latency_add(SIDE_RAW, bench_now() - t0);
    }
    SQLFreeHandle(SQL_HANDLE_STMT, h);
    disconnect_raw(&c);
    return NULL;
}

double raw_concurrent_writes(const bench_target *t, size_t n, int threads)
{
    bench_reset_insert_table(t, n);
    bench_latency_reset(SIDE_RAW);
    _Atomic long long next_id = 0;
    raw_writer_arg a = {t, n / (size_t)threads, &next_id};
    pthread_t th[64];
    double t0 = bench_now();
    for (int k = 0; k < threads; k++)
        pthread_create(&th[k], NULL, raw_writer, &a);
    for (int k = 0; k < threads; k++)
        pthread_join(th[k], NULL);
    return (double)(a.n * (size_t)threads) / (bench_now() - t0);
}
