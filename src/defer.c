/* Deferred statements: a unit of work sent in one message.
 *
 * dal_session_defer queues a statement with a copy of its values; the queue
 * goes out with the session's next other statement or with its commit. On
 * PostgreSQL (the dialect's defer_in_one_message) it is one simple query,
 * BEGIN (psqlODBC's); <statement 1>; ...; <statement n>; COMMIT, with the
 * values written as literals (literal.c). Any error in it leaves the
 * transaction aborted: nothing of the unit committed (only a lost
 * connection leaves the outcome unknown).
 * When the session ran nothing but deferred statements, the check-in reset
 * rides in the same message, inside the transaction and after
 * SET CONSTRAINTS ALL IMMEDIATE (so that no deferred trigger runs after it,
 * at COMMIT): a request of deferred writes and a commit is one round trip.
 * psqlODBC reports no results of a message that failed, so the failing
 * statement is found by running the statements again one at a time in a
 * transaction that is rolled back (only on failure: sequences advance).
 * Elsewhere the queue runs statement by statement when it is sent. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "engine_internal.h"
#include "error_internal.h"
#include "literal.h"
#include "odbc.h"
#include "pooler.h"
#include "sqltext.h"

typedef struct deferred_stmt {
    char *sql;
    dal_value *params;
    size_t nparams;
    char *literal; /* defer_in_one_message: sql with the values written in */
} deferred_stmt;

typedef struct dal__deferred {
    deferred_stmt *items;
    size_t n, cap;
    bool session_changing; /* a queued statement may change the server session */
    int64_t *rows;         /* rows changed by each statement of the last queue sent */
    size_t nrows, rows_cap;
} dal__deferred;

static void free_values(dal_value *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i].type == DAL_TYPE_TEXT || v[i].type == DAL_TYPE_BLOB)
            dal__free((void *)v[i].u.bytes.ptr);
        else if (v[i].type == DAL_TYPE_JSON)
            json_decref((json_t *)v[i].u.json);
    }
    dal__free(v);
}

/* The queue emptied: what it held freed, the statements' rows kept. */
static void empty(dal__deferred *q)
{
    for (size_t i = 0; i < q->n; i++) {
        dal__free(q->items[i].sql);
        dal__free(q->items[i].literal);
        free_values(q->items[i].params, q->items[i].nparams);
    }
    q->n = 0;
    q->session_changing = false;
}

void dal__defer_free(dal_session *s)
{
    dal__deferred *q = s->deferred;
    if (!q) return;
    empty(q);
    dal__free(q->items);
    dal__free(q->rows);
    dal__free(q);
    s->deferred = NULL;
}

bool dal__defer_pending(const dal_session *s) { return s->deferred && s->deferred->n; }

/* Copies of the values: text and blobs duplicated, JSON referenced. */
static int copy_values(const dal_value *in, size_t n, dal_value **out, dal_error *err)
{
    *out = NULL;
    if (!n) return DAL_OK;
    dal_value *v = dal__calloc(n, sizeof *v);
    if (!v) return dal__error_nomem(err);
    for (size_t i = 0; i < n; i++) {
        v[i] = in[i];
        if (in[i].type == DAL_TYPE_TEXT || in[i].type == DAL_TYPE_BLOB) {
            if (!in[i].u.bytes.ptr && in[i].u.bytes.len) {
                free_values(v, i);
                return dal__error_set(err, DAL_EMISUSE, "parameter %zu: pointer is NULL", i + 1);
            }
            void *copy = dal__malloc(in[i].u.bytes.len + 1);
            if (!copy) {
                free_values(v, i);
                return dal__error_nomem(err);
            }
            if (in[i].u.bytes.len) memcpy(copy, in[i].u.bytes.ptr, in[i].u.bytes.len);
            v[i].u.bytes.ptr = copy;
        } else if (in[i].type == DAL_TYPE_JSON) {
            json_incref((json_t *)in[i].u.json);
        }
    }
    *out = v;
    return DAL_OK;
}

int dal_session_defer(dal_session *s, const char *sql, const dal_value *params, size_t nparams,
                      dal_error *err)
{
    if (!s || !s->conn) return dal__error_set(err, DAL_EMISUSE, "session is NULL or closed");
    if (!sql) return dal__error_set(err, DAL_EMISUSE, "SQL text is NULL");
    if (nparams && !params) return dal__error_set(err, DAL_EMISUSE, "params is NULL");
    if (s->read_only)
        return dal__error_set(err, DAL_EMISUSE, "a read-only session has nothing to defer");
    if (s->aborted) return dal__txn_check(s, err);
    if (!s->deferred && !(s->deferred = dal__calloc(1, sizeof *s->deferred)))
        return dal__error_nomem(err);
    dal__deferred *q = s->deferred;
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 8;
        deferred_stmt *items = dal__realloc(q->items, cap * sizeof *items);
        if (!items) return dal__error_nomem(err);
        q->items = items;
        q->cap = cap;
    }
    deferred_stmt *d = &q->items[q->n];
    if (!(d->sql = dal__strdup(sql))) return dal__error_nomem(err);
    int rc = copy_values(params, nparams, &d->params, err);
    if (rc) {
        dal__free(d->sql);
        return rc;
    }
    /* PostgreSQL sends the values written in: written now, so that what
     * cannot be is refused by this call, and only once */
    d->literal = NULL;
    if (s->engine->dialect->defer_in_one_message) {
        dal__buf text = {0};
        rc = dal__literal_statement(s->engine, sql, params, nparams, &text, err);
        if (rc) {
            dal__buf_free(&text);
            free_values(d->params, nparams);
            dal__free(d->sql);
            return rc;
        }
        d->literal = text.data;
    }
    d->nparams = nparams;
    if (s->engine->dialect->defer_in_one_message && !q->session_changing) { /* see send_in_one_message */
        dal_error ignored = DAL_ERROR_INIT;
        q->session_changing = dal__sql_changes_connection(sql) || dal__pooler_check_sql(sql, &ignored);
    }
    q->n++;
    return DAL_OK;
}

int dal_session_deferred_rows(dal_session *s, size_t i, int64_t *rows, dal_error *err)
{
    if (!s || !rows) return dal__error_set(err, DAL_EMISUSE, "session or rows is NULL");
    if (!s->deferred || i >= s->deferred->nrows)
        return dal__error_set(err, DAL_ERANGE, "the last deferred queue sent had %zu statements",
                              s->deferred ? s->deferred->nrows : 0);
    *rows = s->deferred->rows[i];
    return DAL_OK;
}

static int keep_rows(dal__deferred *q, dal_error *err)
{
    if (q->n > q->rows_cap) {
        int64_t *rows = dal__realloc(q->rows, q->n * sizeof *rows);
        if (!rows) return dal__error_nomem(err);
        q->rows = rows;
        q->rows_cap = q->n;
    }
    q->nrows = q->n;
    for (size_t i = 0; i < q->n; i++)
        q->rows[i] = -1;
    return DAL_OK;
}

/* "deferred statement 2 of 3 (INSERT ...) failed: <why>" */
static void name_statement(dal_error *e, size_t i, size_t n, const char *sql)
{
    dal__error_prefix(e, "deferred statement %zu of %zu (%.80s%s) failed: ", i + 1, n, sql,
                      strlen(sql) > 80 ? "..." : "");
}

static void statement_event(dal_session *s, const deferred_stmt *d, double seconds, int64_t rows,
                            int code, const dal_error *e)
{
    dal__conn *c = s->conn;
    if (!c->engine->observed) return;
    dal_event ev = {.kind = DAL_EVENT_STATEMENT, .read_only = c->read_only_now, .seconds = seconds,
                    .sql = d->sql, .rows = rows, .params = d->params, .nparams = d->nparams};
    dal__event_outcome(&ev, code, e);
    dal__event_emit(c->engine, &ev);
}

/* Statement by statement, as dal_session_exec runs them. */
static int send_each(dal_session *s, dal_error *err)
{
    dal__deferred *q = s->deferred;
    for (size_t i = 0; i < q->n; i++) {
        deferred_stmt *d = &q->items[i];
        dal_error local = DAL_ERROR_INIT;
        int rc = dal__session_run_now(s, d->sql, d->params, d->nparams, &q->rows[i], &local);
        if (rc) {
            name_statement(&local, i, q->n, d->sql);
            return dal__error_copy(err, &local);
        }
    }
    return DAL_OK;
}

/* The first value of the current result, or -1. */
static int64_t first_value(SQLHSTMT h)
{
    SQLSMALLINT cols = 0;
    SQLBIGINT v = -1;
    SQLLEN ind = 0;
    if (!DAL__ODBC_OK(SQLNumResultCols(h, &cols)) || cols != 1) return -1;
    if (!DAL__ODBC_OK(SQLFetch(h)) || !DAL__ODBC_OK(SQLGetData(h, 1, SQL_C_SBIGINT, &v, 0, &ind)))
        return -1;
    return ind == SQL_NULL_DATA ? -1 : v;
}

static int build_message(dal_session *s, bool commit, bool reset, dal__buf *text, dal_error *err)
{
    dal__deferred *q = s->deferred;
    for (size_t i = 0; i < q->n; i++) {
        if (i) dal__buf_putc(text, ';');
        dal__buf_puts(text, q->items[i].literal);
    }
    if (reset) {
        dal__buf_puts(text, ";SET CONSTRAINTS ALL IMMEDIATE;");
        dal__buf_puts(text, s->engine->dialect->reset_sql);
        if (s->conn->baseline && *s->conn->baseline) {
            dal__buf_putc(text, ';');
            dal__buf_puts(text, s->conn->baseline);
        }
    }
    if (commit) dal__buf_puts(text, ";COMMIT");
    return text->failed ? dal__error_nomem(err) : DAL_OK;
}

/* The results of a message that succeeded: each statement's rows; with the
 * reset, whether SQL PREPAREd statements are left (the full reset at
 * check-in deallocates them). */
static void read_results(dal_session *s, SQLHSTMT h, bool reset)
{
    dal__deferred *q = s->deferred;
    SQLRETURN sr = SQL_SUCCESS;
    for (size_t i = 0; i < q->n && DAL__ODBC_OK(sr); i++) {
        SQLLEN count = -1;
        if (DAL__ODBC_OK(SQLRowCount(h, &count)) && count >= 0) q->rows[i] = count;
        sr = SQLMoreResults(h);
    }
    if (!reset || !DAL__ODBC_OK(sr)) return;
    sr = SQLMoreResults(h); /* past SET CONSTRAINTS to the count */
    if (DAL__ODBC_OK(sr) && first_value(h) == 0)
        s->conn->used = s->conn->state_marked = false; /* reset: check-in sends none */
}

/* After a message failed: the statement that fails when they run again one
 * at a time (rolled back), n for the COMMIT's deferred checks, n + 1 when
 * none fails now (a concurrent change, or the COMMIT itself). */
static size_t find_failing(dal_session *s)
{
    dal__conn *c = s->conn;
    dal__deferred *q = s->deferred;
    dal_error ignored = DAL_ERROR_INIT;
    if (dal__conn_end_txn(c, false, &ignored)) return q->n + 1;
    size_t i = 0;
    for (; i < q->n; i++) {
        dal_error e = DAL_ERROR_INIT;
        if (dal__conn_exec_direct(c, q->items[i].literal, &e)) break;
    }
    if (i == q->n && dal__conn_exec_direct(c, "SET CONSTRAINTS ALL IMMEDIATE", &ignored) == DAL_OK)
        i = q->n + 1;
    dal_error_clear(&ignored);
    dal__conn_end_txn(c, false, &ignored);
    return i;
}

static int send_in_one_message(dal_session *s, bool commit, bool *committed, dal_error *err)
{
    dal__conn *c = s->conn;
    dal__deferred *q = s->deferred;
    /* The reset rides along when the session ran nothing but deferred
     * statements that cannot change the server session. */
    bool reset = commit && !s->ran_other && !q->session_changing && c->engine->dialect->reset_sql &&
                 c->engine->pooler != DAL__POOLER_TRANSACTION;
    dal__buf text = {0};
    int rc = build_message(s, commit, reset, &text, err);
    SQLHSTMT h = NULL;
    if (!rc && !DAL__ODBC_OK(dal__odbc_alloc(SQL_HANDLE_STMT, c->dbc, &h)))
        rc = dal__conn_error(c, SQL_HANDLE_DBC, c->dbc, "cannot allocate a statement", err);
    if (rc) {
        dal__buf_free(&text);
        return rc;
    }
    s->in_txn = true; /* psqlODBC begins it in this message */
    c->used = true;
    double started = dal__now_precise();
    dal__watch w;
    dal__conn_watch(c, &w);
    SQLRETURN sr = SQLExecDirect(h, (SQLCHAR *)text.data, SQL_NTS);
    bool fired = dal__conn_unwatch(c, &w);
    double took = dal__now_precise() - started;
    dal__buf_free(&text);
    dal_error local = DAL_ERROR_INIT;
    if (fired)
        rc = dal__conn_timed_out(c, "the deferred statements", commit, &local);
    else if (!DAL__ODBC_OK(sr) && sr != SQL_NO_DATA)
        rc = dal__conn_error(c, SQL_HANDLE_STMT, h, "sent", &local);
    else
        read_results(s, h, reset);
    dal__odbc_free(SQL_HANDLE_STMT, h);
    size_t failing = q->n + 1;
    if (rc && commit && (rc == DAL_EDISCONNECTED || fired)) {
        dal__error_prefix(&local, "the connection was lost or timed out during the unit of work's "
                                  "COMMIT: whether it committed is unknown: ");
        rc = local.code = DAL_EINDOUBT;
    } else if (rc && !fired && !c->broken) {
        failing = find_failing(s);
    }
    *committed = commit && !rc;
    for (size_t i = 0; i < q->n && (!rc || i <= failing); i++) {
        bool failed = rc && i == failing;
        statement_event(s, &q->items[i], took, q->rows[i], failed ? rc : DAL_OK, failed ? &local : NULL);
    }
    if (!rc) return DAL_OK;
    if (failing < q->n)
        name_statement(&local, failing, q->n, q->items[failing].sql);
    else if (failing == q->n)
        dal__error_prefix(&local, "the unit of work's COMMIT failed (its deferred checks): ");
    else if (rc != DAL_EINDOUBT)
        dal__error_prefix(&local, "the %zu deferred statements%s failed (run again one at a time "
                                  "they did not): ",
                          q->n, commit ? " and their COMMIT" : "");
    return dal__error_copy(err, &local);
}

int dal__defer_send(dal_session *s, bool commit, bool *committed, dal_error *err)
{
    *committed = false;
    dal__deferred *q = s->deferred;
    if (!q || !q->n) return DAL_OK;
    int rc = keep_rows(q, err);
    if (!rc && s->in_txn) rc = dal__txn_check(s, err); /* an aborted transaction sends nothing */
    if (!rc && !s->in_txn && !s->autocommit && s->engine->lazy_begin)
        rc = dal__conn_set_manual(s->conn, true, err);
    if (!rc)
        rc = s->engine->dialect->defer_in_one_message && !s->autocommit
                 ? send_in_one_message(s, commit, committed, err)
                 : send_each(s, err);
    empty(q);
    return rc;
}

void dal__defer_drop(dal_session *s)
{
    if (s->deferred) empty(s->deferred);
}
