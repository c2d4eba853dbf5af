/* Results: rows read into bound row arrays where the driver allows it
 * (block.c), else column by column with SQLGetData loops; either way no
 * value is ever truncated (drivers under-report sizes), and the buffers are
 * reused from row to row and from execution to execution. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "convert.h"
#include "dal/json.h"
#include "engine_internal.h"
#include "error_internal.h"
#include "numeric_locale.h"

static void classify_column(dal__column *col, const char *type_name, bool exact_integers)
{
    switch (col->sql_type) {
    case SQL_BIT: col->type = DAL_TYPE_BOOL, col->c_type = SQL_C_CHAR; break;
    case SQL_TINYINT:
    case SQL_SMALLINT:
    case SQL_INTEGER:
    case SQL_BIGINT:
        col->type = DAL_TYPE_INT64;
        col->c_type = exact_integers ? SQL_C_SBIGINT : SQL_C_CHAR; /* text stays exact */
        break;
    case SQL_REAL:
    case SQL_FLOAT:
    case SQL_DOUBLE: col->type = DAL_TYPE_DOUBLE, col->c_type = SQL_C_DOUBLE; break;
    case SQL_BINARY:
    case SQL_VARBINARY:
    case SQL_LONGVARBINARY: col->type = DAL_TYPE_BLOB, col->c_type = SQL_C_BINARY; break;
    case SQL_TYPE_TIMESTAMP:
    case SQL_TIMESTAMP:
    case SQL_TYPE_DATE:
    case SQL_DATE: col->type = DAL_TYPE_TIMESTAMP, col->c_type = SQL_C_CHAR; break;
    default: col->type = DAL_TYPE_TEXT, col->c_type = SQL_C_CHAR; break;
    }
    if (col->type == DAL_TYPE_TEXT &&
        (!strcasecmp(type_name, "json") || !strcasecmp(type_name, "jsonb")))
        col->type = DAL_TYPE_JSON;
    col->maybe_json = col->type == DAL_TYPE_JSON || !strcasecmp(type_name, "unknown");
}

static SQLLEN numeric_attribute(SQLHSTMT h, SQLUSMALLINT col, SQLUSMALLINT field)
{
    SQLLEN v = 0;
    return DAL__ODBC_OK(SQLColAttribute(h, col, field, NULL, 0, NULL, &v)) ? v : 0;
}

/* A column's concise SQL type and type name, asked so that psqlODBC need not
 * look the column's table up in the catalog (one more round trip and a large
 * query): it does for SQLDescribeCol's data type or nullability,
 * SQL_DESC_CONCISE_TYPE and SQL_DESC_TYPE_NAME, not for SQL_DESC_TYPE or
 * SQL_DESC_LOCAL_TYPE_NAME. SQL_DESC_TYPE is the verbose type: only for
 * datetime and interval types does the concise one say more (their subcode
 * is not a field SQLColAttribute gives). */
static SQLSMALLINT concise_type(SQLHSTMT h, SQLUSMALLINT col, char *type_name, SQLSMALLINT size)
{
    SQLSMALLINT type = (SQLSMALLINT)numeric_attribute(h, col, SQL_DESC_TYPE);
    if (type == SQL_DATETIME || type == SQL_INTERVAL)
        type = (SQLSMALLINT)numeric_attribute(h, col, SQL_DESC_CONCISE_TYPE);
    type_name[0] = '\0';
    SQLColAttribute(h, col, SQL_DESC_LOCAL_TYPE_NAME, type_name, size, NULL, NULL);
    if (!type_name[0]) SQLColAttribute(h, col, SQL_DESC_TYPE_NAME, type_name, size, NULL, NULL);
    return type;
}

static int describe(dal_result *r, SQLSMALLINT n, dal_error *err)
{
    dal_stmt *st = r->stmt;
    if ((size_t)n > r->cap) {
        dal__column *cols = dal__realloc(r->cols, (size_t)n * sizeof *cols);
        if (!cols) return dal__error_nomem(err);
        memset(cols + r->cap, 0, ((size_t)n - r->cap) * sizeof *cols);
        r->cols = cols;
        r->cap = (size_t)n;
    }
    for (SQLSMALLINT i = 0; i < n; i++) {
        dal__column *col = &r->cols[i];
        SQLSMALLINT nlen, digits;
        SQLRETURN sr = SQLDescribeCol(st->h, (SQLUSMALLINT)(i + 1), (SQLCHAR *)col->name,
                                      sizeof col->name, &nlen, NULL, &col->size, &digits, NULL);
        if (!DAL__ODBC_OK(sr))
            return dal__conn_error(st->conn, SQL_HANDLE_STMT, st->h, "describing a column failed",
                                   err);
        char type_name[64];
        col->sql_type = concise_type(st->h, (SQLUSMALLINT)(i + 1), type_name, sizeof type_name);
        classify_column(col, type_name, st->conn->engine->dialect->caps & DAL__CAP_EXACT_INTEGERS);
    }
    r->ncols = (size_t)n;
    if (st->conn->engine->dialect->column_kinds_sql) dal__column_kinds_apply(r);
    dal__block_bind(r);
    return DAL_OK;
}

int dal__result_open(dal_result *r, dal_stmt *st, dal_error *err)
{
    /* Described before, and its shape cannot have changed: nothing to ask. */
    bool known = r->stmt == st && r->ncols > 0 && dal__stmt_keeps_shape(st);
    SQLSMALLINT n = (SQLSMALLINT)r->ncols;
    if (!known) {
        if (!DAL__ODBC_OK(SQLNumResultCols(st->h, &n))) {
            int rc =
                dal__conn_error(st->conn, SQL_HANDLE_STMT, st->h, "reading the result failed", err);
            SQLFreeStmt(st->h, SQL_CLOSE);
            return rc;
        }
        r->stmt = st;
        int rc = describe(r, n, err);
        if (rc) {
            r->ncols = 0;
            SQLFreeStmt(st->h, SQL_CLOSE);
            return rc;
        }
    }
    r->rows_affected = n == 0 ? dal__stmt_rows_affected(st, false) : -1; /* rows, not a count */
    r->open = true;
    r->on_row = false;
    r->done = false;
    return DAL_OK;
}

int64_t dal_result_rows_affected(const dal_result *r) { return r ? r->rows_affected : 0; }

void dal__result_free(dal_result *r)
{
    for (size_t i = 0; i < r->cap; i++)
        dal__buf_free(&r->cols[i].data);
    if (r->cols) dal__block_free_arrays(r);
    dal__free(r->cols);
    memset(r, 0, sizeof *r);
}

/* Reads a text or binary column whole, growing the buffer as needed. */
int dal__result_read_var(dal_result *r, SQLUSMALLINT i, dal__column *col, SQLSMALLINT c_type,
                         dal_error *err)
{
    dal__buf *b = &col->data;
    SQLLEN term = c_type == SQL_C_CHAR ? 1 : 0;
    dal__buf_reset(b);
    if (dal__buf_reserve(b, b->cap > 256 ? b->cap - 1 : 256)) return dal__error_nomem(err);
    for (;;) {
        SQLLEN avail = (SQLLEN)(b->cap - b->len), ind = 0;
        SQLRETURN sr = SQLGetData(r->stmt->h, i, c_type, b->data + b->len, avail, &ind);
        if (sr == SQL_NO_DATA) break;
        if (!DAL__ODBC_OK(sr))
            return dal__conn_error(r->stmt->conn, SQL_HANDLE_STMT, r->stmt->h,
                                   "reading a column failed", err);
        if (ind == SQL_NULL_DATA) {
            col->null = true;
            return DAL_OK;
        }
        if (ind != SQL_NO_TOTAL && ind <= avail - term) { /* the last piece */
            b->len += (size_t)ind;
            break;
        }
        b->len += (size_t)(avail - term);
        size_t more = ind != SQL_NO_TOTAL ? (size_t)(ind - (avail - term)) : b->cap;
        if (dal__buf_reserve(b, more)) return dal__error_nomem(err);
    }
    b->data[b->len] = '\0';
    col->ptr = b->data;
    col->len = b->len;
    return DAL_OK;
}

/* The next row, read column by column. */
static int next_row(dal_result *r, dal_error *err)
{
    dal_stmt *st = r->stmt;
    SQLRETURN sr = SQLFetch(st->h);
    if (sr == SQL_NO_DATA) {
        r->on_row = false;
        r->done = true;
        return DAL_DONE;
    }
    if (!DAL__ODBC_OK(sr))
        return dal__conn_error(st->conn, SQL_HANDLE_STMT, st->h, "fetching a row failed", err);
    bool value_types = st->conn->engine->dialect->caps & DAL__CAP_VALUE_TYPES;
    for (size_t i = 0; i < r->ncols; i++) {
        dal__column *col = &r->cols[i];
        SQLUSMALLINT n = (SQLUSMALLINT)(i + 1);
        col->null = false;
        col->text_now = false;
        int rc;
        if (col->c_type == SQL_C_DOUBLE && value_types) {
            /* A SQLite DOUBLE column may hold text, which sqliteodbc reads as
             * NULL ('abc') or as a prefix ('1.5abc' as 1.5): read the text;
             * it is a number only when all of it is one. */
            rc = dal__result_read_var(r, n, col, SQL_C_CHAR, err);
            col->text_now = !rc && !col->null && dal__parse_double(col->ptr, &col->d) != 0;
        } else if (col->c_type == SQL_C_DOUBLE || col->c_type == SQL_C_SBIGINT) {
            SQLLEN ind = 0;
            void *to = col->c_type == SQL_C_DOUBLE ? (void *)&col->d : (void *)&col->i;
            sr = SQLGetData(st->h, n, col->c_type, to, 0, &ind);
            rc = DAL__ODBC_OK(sr) ? DAL_OK
                                  : dal__conn_error(st->conn, SQL_HANDLE_STMT, st->h,
                                                    "reading a column failed", err);
            col->null = ind == SQL_NULL_DATA;
        } else {
            rc = dal__result_read_var(r, n, col, col->c_type, err);
        }
        if (rc) return rc;
    }
    r->on_row = true;
    return DAL_ROW;
}

int dal_result_next(dal_result *r, dal_error *err)
{
    if (!r || !r->open) return dal__error_set(err, DAL_EMISUSE, "result is NULL or closed");
    if (r->ncols == 0 || r->done) return DAL_DONE;
    dal_stmt *st = r->stmt;
    dal__watch w;
    dal__conn_watch(st->conn, &w);
    dal_error local;
    dal__error_empty(&local);
    int rc;
    if (r->block) {
        rc = dal__block_next(r, &local);
    } else {
        locale_t previous = dal__numeric_c_begin(); /* the driver writes numbers as text */
        rc = next_row(r, &local);
        dal__numeric_c_end(previous);
    }
    if (dal__conn_unwatch(st->conn, &w) && rc != DAL_ROW && rc != DAL_DONE) {
        dal_error_clear(&local);
        rc = dal__conn_timed_out(st->conn, "fetching rows", false, &local);
    }
    if (rc == DAL_ROW || rc == DAL_DONE) return rc;
    r->on_row = false;
    return dal__session_fail(st->session, st->sql, &local, err);
}

void dal_result_close(dal_result *r)
{
    if (!r || !r->open) return;
    if (r->stmt->implicit)
        dal__stmt_release(r->stmt);
    else
        dal__stmt_close_cursor(r->stmt);
}

size_t dal_result_column_count(const dal_result *r) { return r ? r->ncols : 0; }

const char *dal_result_column_name(const dal_result *r, size_t col)
{
    return r && col < r->ncols ? r->cols[col].name : NULL;
}

dal_type dal_result_column_type(const dal_result *r, size_t col)
{
    return r && col < r->ncols ? r->cols[col].type : DAL_TYPE_NULL;
}

long dal_result_column_index(const dal_result *r, const char *name)
{
    if (!r || !name) return -1;
    for (size_t i = 0; i < r->ncols; i++)
        if (!strcasecmp(r->cols[i].name, name)) return (long)i;
    return -1;
}

bool dal_result_is_null(const dal_result *r, size_t col)
{
    return !r || !r->on_row || col >= r->ncols || r->cols[col].null;
}

/* Out of line: the getters' usual path then needs no stack frame. */
#define DAL__OUT_OF_LINE __attribute__((noinline))

/* The column a getter reads: a current row, a valid index, not NULL; else
 * NULL (column_error says which). */
static inline dal__column *column_at(dal_result *r, size_t i)
{
    return r && r->open && r->on_row && i < r->ncols && !r->cols[i].null ? &r->cols[i] : NULL;
}

static DAL__OUT_OF_LINE int column_error(const dal_result *r, size_t i, dal_error *err)
{
    if (!r || !r->open || !r->on_row)
        return dal__error_set(err, DAL_EMISUSE, "no current row (call dal_result_next first)");
    if (i >= r->ncols)
        return dal__error_set(err, DAL_ERANGE, "column index %zu out of range (%zu columns)", i,
                              r->ncols);
    return dal__error_set(err, DAL_ENULL, "column %zu (%s) is NULL", i, r->cols[i].name);
}

/* The column for a getter, or an error: no row, bad index, NULL value. */
static int column(dal_result *r, size_t i, dal__column **out, dal_error *err)
{
    *out = column_at(r, i);
    return *out ? DAL_OK : column_error(r, i, err);
}

/* An integer read as SQL_C_SBIGINT, as the text the other getters read. */
static int integer_as_text(dal__column *col, dal_error *err)
{
    if (col->c_type != SQL_C_SBIGINT) return DAL_OK;
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%lld", (long long)col->i);
    dal__buf_reset(&col->data);
    dal__buf_puts(&col->data, tmp);
    if (col->data.failed) return dal__error_nomem(err);
    col->ptr = col->data.data;
    col->len = col->data.len;
    return DAL_OK;
}

static int conversion_error(int code, const dal__column *col, const char *want, dal_error *err)
{
    if (code == DAL_ERANGE)
        return dal__error_set(err, DAL_ERANGE, "column %s: value out of range for %s", col->name,
                              want);
    return dal__error_set(err, DAL_ETYPE, "column %s: value is not %s", col->name, want);
}

/* dal_result_int64 of anything but a value read as an integer. */
static DAL__OUT_OF_LINE int int64_converted(dal_result *r, size_t i, int64_t *out, dal_error *err)
{
    dal__column *col = NULL;
    int rc = column(r, i, &col, err);
    if (rc) return rc;
    if (dal__column_read_as(col) == SQL_C_DOUBLE) {
        if (col->d != floor(col->d)) return conversion_error(DAL_ETYPE, col, "an integer", err);
        if (col->d < -9223372036854775808.0 || col->d >= 9223372036854775808.0)
            return conversion_error(DAL_ERANGE, col, "int64", err);
        *out = (int64_t)col->d;
        return DAL_OK;
    }
    if (dal__column_read_as(col) == SQL_C_BINARY)
        return conversion_error(DAL_ETYPE, col, "an integer", err);
    rc = dal__parse_int64(col->ptr, out);
    return rc ? conversion_error(rc, col, "an integer", err) : DAL_OK;
}

int dal_result_int64(dal_result *r, size_t i, int64_t *out, dal_error *err)
{
    dal__column *col = column_at(r, i);
    if (col && col->c_type == SQL_C_SBIGINT) return *out = col->i, DAL_OK;
    return int64_converted(r, i, out, err);
}

/* dal_result_double of anything but a value read as a double. */
static DAL__OUT_OF_LINE int double_converted(dal_result *r, size_t i, double *out, dal_error *err)
{
    dal__column *col = NULL;
    int rc = column(r, i, &col, err);
    if (!rc) rc = integer_as_text(col, err);
    if (rc) return rc;
    if (dal__column_read_as(col) == SQL_C_BINARY)
        return conversion_error(DAL_ETYPE, col, "a number", err);
    rc = dal__parse_double_exact_integers(col->ptr, out);
    return rc ? conversion_error(rc, col, "a number", err) : DAL_OK;
}

int dal_result_double(dal_result *r, size_t i, double *out, dal_error *err)
{
    dal__column *col = column_at(r, i);
    if (col && dal__column_read_as(col) == SQL_C_DOUBLE) return *out = col->d, DAL_OK;
    return double_converted(r, i, out, err);
}

int dal_result_bool(dal_result *r, size_t i, bool *out, dal_error *err)
{
    dal__column *col = NULL;
    int rc = column(r, i, &col, err);
    if (!rc) rc = integer_as_text(col, err);
    if (rc) return rc;
    if (dal__column_read_as(col) == SQL_C_DOUBLE) {
        if (col->d != 0 && col->d != 1) return conversion_error(DAL_ETYPE, col, "a boolean", err);
        return *out = col->d == 1, DAL_OK;
    }
    if (dal__column_read_as(col) == SQL_C_BINARY)
        return conversion_error(DAL_ETYPE, col, "a boolean", err);
    rc = dal__parse_bool(col->ptr, out);
    return rc ? conversion_error(rc, col, "a boolean", err) : DAL_OK;
}

/* dal_result_text of anything but a value read as text. */
static DAL__OUT_OF_LINE int text_converted(dal_result *r, size_t i, const char **out, size_t *len,
                                           dal_error *err)
{
    dal__column *col = NULL;
    int rc = column(r, i, &col, err);
    if (!rc) rc = integer_as_text(col, err);
    if (rc) return rc;
    if (dal__column_read_as(col) == SQL_C_BINARY)
        return conversion_error(DAL_ETYPE, col, "text", err);
    if (dal__column_read_as(col) == SQL_C_DOUBLE) {
        char tmp[40];
        dal__format_double(col->d, tmp, sizeof tmp);
        dal__buf_reset(&col->data);
        dal__buf_puts(&col->data, tmp);
        if (col->data.failed) return dal__error_nomem(err);
        col->ptr = col->data.data;
        col->len = col->data.len;
    }
    *out = col->ptr;
    if (len) *len = col->len;
    return DAL_OK;
}

int dal_result_text(dal_result *r, size_t i, const char **out, size_t *len, dal_error *err)
{
    dal__column *col = column_at(r, i);
    if (col && dal__column_read_as(col) == SQL_C_CHAR) { /* text as read: nothing to convert */
        *out = col->ptr;
        if (len) *len = col->len;
        return DAL_OK;
    }
    return text_converted(r, i, out, len, err);
}

int dal_result_blob(dal_result *r, size_t i, const void **out, size_t *len, dal_error *err)
{
    dal__column *col = NULL;
    int rc = column(r, i, &col, err);
    if (!rc) rc = integer_as_text(col, err);
    if (rc) return rc;
    if (dal__column_read_as(col) == SQL_C_DOUBLE)
        return conversion_error(DAL_ETYPE, col, "a blob", err);
    *out = col->ptr;
    *len = col->len;
    return DAL_OK;
}

int dal_result_timestamp_us(dal_result *r, size_t i, int64_t *out, dal_error *err)
{
    dal__column *col = NULL;
    int rc = column(r, i, &col, err);
    if (rc) return rc;
    if (dal__column_read_as(col) != SQL_C_CHAR)
        return conversion_error(DAL_ETYPE, col, "a timestamp", err);
    rc = dal__parse_timestamp(col->ptr, out);
    return rc ? conversion_error(rc, col, "a timestamp", err) : DAL_OK;
}

int dal_result_json(dal_result *r, size_t i, json_t **out, dal_error *err)
{
    const char *text;
    size_t len;
    int rc = dal_result_text(r, i, &text, &len, err);
    if (rc) return rc;
    dal_engine *e = r->stmt->conn->engine;
    dal_error local = DAL_ERROR_INIT;
    *out = e->json_deserialize(text, &local);
    if (!*out) {
        if (!local.code)
            dal__error_set(&local, DAL_EJSON, "column %s: invalid JSON", r->cols[i].name);
        return dal__error_copy(err, &local);
    }
    return DAL_OK;
}

/* The by-name getters: look the column up, then call the index getter. */
static int index_of(dal_result *r, const char *name, size_t *i, dal_error *err)
{
    long k = dal_result_column_index(r, name);
    if (k < 0) return dal__error_set(err, DAL_ERANGE, "no column named %s", name ? name : "(null)");
    *i = (size_t)k;
    return DAL_OK;
}

#define BY_NAME(getter, T)                                                                         \
    int getter##_by_name(dal_result *r, const char *name, T *out, dal_error *err)                  \
    {                                                                                              \
        size_t i = 0;                                                                              \
        int rc = index_of(r, name, &i, err);                                                       \
        return rc ? rc : getter(r, i, out, err);                                                   \
    }
BY_NAME(dal_result_int64, int64_t)
BY_NAME(dal_result_double, double)
BY_NAME(dal_result_bool, bool)
BY_NAME(dal_result_timestamp_us, int64_t)
BY_NAME(dal_result_json, json_t *)

int dal_result_text_by_name(dal_result *r, const char *name, const char **out, size_t *len,
                            dal_error *err)
{
    size_t i = 0;
    int rc = index_of(r, name, &i, err);
    return rc ? rc : dal_result_text(r, i, out, len, err);
}

int dal_result_blob_by_name(dal_result *r, const char *name, const void **out, size_t *len,
                            dal_error *err)
{
    size_t i = 0;
    int rc = index_of(r, name, &i, err);
    return rc ? rc : dal_result_blob(r, i, out, len, err);
}
