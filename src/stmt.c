/* Binding typed values to ? markers and executing prepared statements. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "convert.h"
#include "dal/json.h"
#include "engine_internal.h"
#include "error_internal.h"
#include "numeric_locale.h"

/* Long values go as LONGVARCHAR/LONGVARBINARY: some drivers cap VARCHAR. */
#define DAL__LONG_DATA 8000

static int keep_text(dal__param *p, const char *text, size_t n, dal_error *err)
{
    if (p->text_cap < n + 1) {
        char *t = dal__realloc(p->text, n + 1);
        if (!t) return dal__error_nomem(err);
        p->text = t;
        p->text_cap = n + 1;
    }
    memcpy(p->text, text, n + 1);
    return DAL_OK;
}

static int json_text(dal_stmt *st, dal__param *p, const json_t *j, size_t *len, dal_error *err)
{
    dal_engine *e = st->conn->engine;
    char *s = e->json_serialize(j, err);
    if (!s) return err && err->code ? err->code : DAL_EJSON;
    *len = strlen(s);
    int rc = keep_text(p, s, *len, err);
    free(s);
    return rc;
}

static int bind_one(dal_stmt *st, SQLUSMALLINT i, const dal_value *v, dal_error *err)
{
    dal__param *p = &st->params[i - 1];
    SQLSMALLINT c_type, sql_type, digits = 0;
    SQLULEN size = 0;
    SQLPOINTER ptr;
    SQLLEN ind;
    size_t len;
    int rc;
    switch (v->type) {
    case DAL_TYPE_NULL:
        c_type = SQL_C_CHAR, sql_type = SQL_VARCHAR, size = 1, ptr = NULL, ind = SQL_NULL_DATA;
        break;
    case DAL_TYPE_BOOL:
        p->v.b = v->u.b ? 1 : 0;
        c_type = SQL_C_BIT, sql_type = SQL_BIT, size = 1, ptr = &p->v.b, ind = 0;
        break;
    case DAL_TYPE_INT64:
        p->v.i = v->u.i;
        c_type = SQL_C_SBIGINT, sql_type = SQL_BIGINT, size = 19, ptr = &p->v.i, ind = 0;
        break;
    case DAL_TYPE_DOUBLE:
        p->v.d = v->u.d;
        c_type = SQL_C_DOUBLE, sql_type = SQL_DOUBLE, size = 15, ptr = &p->v.d, ind = 0;
        break;
    case DAL_TYPE_TEXT:
        if (!v->u.bytes.ptr && v->u.bytes.len)
            return dal__error_set(err, DAL_EMISUSE, "parameter %u: text pointer is NULL", i);
        len = v->u.bytes.len;
        /* PostgreSQL text cannot hold NUL and the drivers end text there:
         * refused, never cut short (a blob holds any byte). */
        const char *nul = len ? memchr(v->u.bytes.ptr, '\0', len) : NULL;
        if (nul)
            return dal__error_set(err, DAL_EDATA,
                                  "parameter %u: text holds a NUL byte at offset %zu: bind it as "
                                  "a blob (dal_blob)",
                                  i, (size_t)(nul - (const char *)v->u.bytes.ptr));
        c_type = SQL_C_CHAR, sql_type = len > DAL__LONG_DATA ? SQL_LONGVARCHAR : SQL_VARCHAR;
        size = len ? len : 1, ptr = (SQLPOINTER)(v->u.bytes.ptr ? v->u.bytes.ptr : ""),
        ind = (SQLLEN)len;
        break;
    case DAL_TYPE_BLOB:
        if (!v->u.bytes.ptr && v->u.bytes.len)
            return dal__error_set(err, DAL_EMISUSE, "parameter %u: blob pointer is NULL", i);
        len = v->u.bytes.len;
        c_type = SQL_C_BINARY, sql_type = len > DAL__LONG_DATA ? SQL_LONGVARBINARY : SQL_VARBINARY;
        size = len ? len : 1, ptr = (SQLPOINTER)(v->u.bytes.ptr ? v->u.bytes.ptr : ""),
        ind = (SQLLEN)len;
        break;
    case DAL_TYPE_JSON:
        if ((rc = json_text(st, p, v->u.json, &len, err))) return rc;
        c_type = SQL_C_CHAR, sql_type = len > DAL__LONG_DATA ? SQL_LONGVARCHAR : SQL_VARCHAR;
        size = len ? len : 1, ptr = p->text, ind = (SQLLEN)len;
        break;
    case DAL_TYPE_TIMESTAMP: {
        char ts[40];
        dal__format_timestamp(v->u.ts_us, false, ts, sizeof ts);
        if ((rc = keep_text(p, ts, strlen(ts), err))) return rc;
        c_type = SQL_C_CHAR, sql_type = SQL_TYPE_TIMESTAMP, size = 26, digits = 6;
        ptr = p->text, ind = (SQLLEN)strlen(ts);
        break;
    }
    default:
        return dal__error_set(err, DAL_ETYPE, "parameter %u: unknown value type %d", i,
                              (int)v->type);
    }
    p->ind = ind;
    /* Fixed-size values live in p->v: rebinding is needed only on a change. */
    if (ptr == (SQLPOINTER)&p->v && p->ptr == ptr && p->c_type == c_type && p->sql_type == sql_type)
        return DAL_OK;
    SQLRETURN sr = SQLBindParameter(st->h, i, SQL_PARAM_INPUT, c_type, sql_type, size, digits, ptr,
                                    ind > 0 ? ind : 0, &p->ind);
    if (!DAL__ODBC_OK(sr)) {
        p->c_type = 0;
        return dal__conn_error(st->conn, SQL_HANDLE_STMT, st->h, "binding a parameter failed", err);
    }
    p->c_type = c_type;
    p->sql_type = sql_type;
    p->ptr = ptr;
    return DAL_OK;
}

/* sqliteodbc streams a parameterless statement's rows outside a transaction
 * (DAL__CAP_DRAIN_CURSOR), and runs a streamed SELECT only as it is fetched. */
static bool driver_streams(const dal_stmt *st)
{
    return (st->conn->engine->dialect->caps & DAL__CAP_DRAIN_CURSOR) && st->nparams == 0 &&
           !st->conn->manual;
}

bool dal__stmt_keeps_shape(const dal_stmt *st)
{
    unsigned caps = st->conn->engine->dialect->caps;
    return !st->direct && (caps & (DAL__CAP_SHAPE_KEPT | DAL__CAP_VALUE_TYPES)) && !st->streams;
}

static int run_statement(dal_stmt *st, const dal_value *params, size_t n, dal_result **out,
                         int64_t *rows_affected, dal_error *err)
{
    if (dal__conn_inherited(st->conn)) return dal__conn_check_owned(st->conn, err);
    if (n != (size_t)st->nparams)
        return dal__error_set(err, DAL_EMISUSE,
                              "statement has %d parameter markers, %zu values given", st->nparams,
                              n);
    if (n && !params) return dal__error_set(err, DAL_EMISUSE, "params is NULL");
    dal__stmt_close_cursor(st);
    if (!st->h) {
        int rc = dal__stmt_reprepare(st, err); /* its last cursor was abandoned early */
        if (rc) return rc;
    }
    int txn = st->session ? dal__txn_before(st->session, st->plain_read, err) : DAL_OK;
    if (txn) return txn;
    for (size_t i = 0; i < n; i++) {
        int rc = bind_one(st, (SQLUSMALLINT)(i + 1), &params[i], err);
        if (rc) return rc;
    }
    st->streams = driver_streams(st); /* as the transaction now stands */
    st->conn->used = true;
    if (st->changes_connection) st->conn->state_marked = true;
    dal__watch w;
    dal__conn_watch(st->conn, &w);
    locale_t previous = dal__numeric_c_begin(); /* the driver writes parameters as text */
    SQLRETURN sr = st->direct ? SQLExecDirect(st->h, (SQLCHAR *)dal__stmt_driver_sql(st), SQL_NTS)
                              : SQLExecute(st->h);
    SQLSMALLINT ncols = 0;
    if (!out && DAL__ODBC_OK(sr) && st->streams && DAL__ODBC_OK(SQLNumResultCols(st->h, &ncols)) &&
        ncols > 0) { /* run for its effects */
        do
            sr = SQLFetch(st->h);
        while (DAL__ODBC_OK(sr));
        if (sr == SQL_NO_DATA) sr = SQL_SUCCESS;
    }
    dal__numeric_c_end(previous);
    if (dal__conn_unwatch(st->conn, &w)) {
        SQLFreeStmt(st->h, SQL_CLOSE);
        return dal__conn_timed_out(st->conn, "the statement", false, err);
    }
    if (!DAL__ODBC_OK(sr) && sr != SQL_NO_DATA) {
        int rc = dal__conn_error(st->conn, SQL_HANDLE_STMT, st->h, "statement failed", err);
        SQLFreeStmt(st->h, SQL_CLOSE);
        /* PostgreSQL: the table changed shape under the prepared statement
         * ("cached plan must not change result type"); the next run prepares
         * it again instead of failing the same way forever. */
        if (!strcmp(err->sqlstate, "0A000") && !st->direct) dal__stmt_forget_plan(st);
        return rc;
    }
    if (out) {
        int rc = dal__result_open(&st->result, st, err);
        if (!rc) *out = &st->result;
        return rc;
    }
    if (rows_affected) *rows_affected = dal__stmt_rows_affected(st, sr == SQL_NO_DATA);
    SQLFreeStmt(st->h, SQL_CLOSE);
    return DAL_OK;
}

void dal__stmt_free(dal_stmt *st)
{
    if (!st) return;
    dal__result_free(&st->result);
    if (st->h) dal__odbc_free(SQL_HANDLE_STMT, st->h);
    for (SQLSMALLINT i = 0; i < st->nparams; i++)
        dal__free(st->params[i].text);
    dal__free(st->params);
    dal__free(st->sql);
    dal__free(st->driver_sql);
    dal__free(st);
}

/* Times every execution for the pool's histogram; an event when observed. */
int dal__stmt_run(dal_stmt *st, const dal_value *params, size_t n, dal_result **out,
                  int64_t *rows_affected, dal_error *err)
{
    dal__conn *c = st->conn;
    double started = dal__now_precise();
    dal_error local;
    dal__error_empty(&local);
    int64_t rows = -1;
    bool observed = c->engine->observed; /* rows are counted only when someone looks */
    int rc = run_statement(st, params, n, out,
                           rows_affected ? rows_affected : observed ? &rows : NULL, &local);
    double took = dal__now_precise() - started;
    dal__stats_statement(c->pool, took);
    if (observed) {
        dal_event ev = {.kind = DAL_EVENT_STATEMENT, .read_only = c->read_only_now, .seconds = took,
                        .sql = st->sql, .rows = out ? -1 : rows_affected ? *rows_affected : rows,
                        .params = params, .nparams = n,
                        .queued = st->session ? st->session->queued : 0};
        if (st->session) st->session->queued = 0;
        dal__event_outcome(&ev, rc, &local);
        dal__event_emit(c->engine, &ev);
    }
    return rc ? dal__error_copy(err, &local) : DAL_OK;
}

int dal__stmt_reprepare(dal_stmt *st, dal_error *err)
{
    if (st->h) dal__odbc_free(SQL_HANDLE_STMT, st->h);
    st->h = NULL;
    for (SQLSMALLINT i = 0; i < st->nparams; i++)
        st->params[i].c_type = 0; /* bind again */
    st->result.ncols = 0;         /* describe again */
    SQLHSTMT h;
    if (!DAL__ODBC_OK(dal__odbc_alloc(SQL_HANDLE_STMT, st->conn->dbc, &h)))
        return dal__conn_error(st->conn, SQL_HANDLE_DBC, st->conn->dbc,
                               "cannot allocate a statement", err);
    if (!st->direct && !DAL__ODBC_OK(SQLPrepare(h, (SQLCHAR *)dal__stmt_driver_sql(st), SQL_NTS))) {
        int rc = dal__conn_error(st->conn, SQL_HANDLE_STMT, h, "prepare failed", err);
        dal__odbc_free(SQL_HANDLE_STMT, h);
        return rc;
    }
    st->h = h;
    return DAL_OK;
}

int64_t dal__stmt_rows_affected(dal_stmt *st, bool no_data)
{
    int64_t n;
    dal_error ignored;
    dal__error_empty(&ignored); /* every statement without a result */
    if (st->cte_write)
        return dal__conn_query_int64(st->conn, st->conn->engine->dialect->cte_rows_sql, &n,
                                     &ignored) == DAL_OK
                   ? n
                   : -1;
    SQLLEN count = 0;
    if (no_data) return 0;
    if (!DAL__ODBC_OK(SQLRowCount(st->h, &count))) return -1;
    return count < 0 ? -1 : (int64_t)count;
}

void dal__stmt_close_cursor(dal_stmt *st)
{
    dal_result *r = &st->result;
    if (!r->open) return;
    r->open = false;
    r->on_row = false;
    /* Only a streamed cursor has the quirk. */
    bool drain = st->streams && !r->done && r->ncols > 0;
    /* Usually one more fetch reaches the end (single-row queries); if not,
     * the statement is prepared again before its next execution. */
    if (drain && SQLFetch(st->h) != SQL_NO_DATA) {
        dal__stmt_forget_plan(st);
        return;
    }
    SQLFreeStmt(st->h, SQL_CLOSE);
}

void dal__stmt_forget_plan(dal_stmt *st)
{
    dal__odbc_free(SQL_HANDLE_STMT, st->h);
    st->h = NULL; /* run_statement prepares it again */
}

void dal__stmt_release(dal_stmt *st)
{
    dal__stmt_close_cursor(st);
    dal_session *s = st->session;
    st->session = NULL;
    st->implicit = false;
    if (s) s->held--;
    if (st->cached) return;
    if (s) { /* unlink from the session's uncached list */
        for (dal_stmt **pp = &s->uncached; *pp; pp = &(*pp)->next_uncached)
            if (*pp == st) {
                *pp = st->next_uncached;
                break;
            }
    }
    dal__stmt_free(st);
}
