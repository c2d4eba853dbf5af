/* Block fetch: result columns bound to row arrays, so one SQLFetch brings
 * a rowset (up to DAL__BLOCK_ROWS rows) instead of one SQLGetData call per
 * value. Values longer than a column's bound width are read again whole
 * with SQLSetPos + SQLGetData: drivers under-report sizes (psqlODBC says
 * VARCHAR(255) for json), and nothing is ever truncated. */
#include <string.h>

#include "alloc.h"
#include "convert.h"
#include "engine_internal.h"
#include "error_internal.h"
#include "numeric_locale.h"

#define DAL__BLOCK_WIDTH_MIN 32
#define DAL__BLOCK_WIDTH_MAX 512

void dal__block_unbind(dal_result *r)
{
    if (!r->block) return;
    SQLFreeStmt(r->stmt->h, SQL_UNBIND);
    SQLSetStmtAttr(r->stmt->h, SQL_ATTR_ROW_ARRAY_SIZE, (SQLPOINTER)1, 0);
    r->block = false;
#ifdef DAL_CHECKED_ARRAYS
    dal__block_free_arrays(r);
#endif
}

/* How a column is bound: a SQLite DOUBLE as text (see next_row in result.c). */
static SQLSMALLINT bound_type(const dal_result *r, const dal__column *col)
{
    bool value_types = r->stmt->conn->engine->dialect->caps & DAL__CAP_VALUE_TYPES;
    return col->c_type == SQL_C_DOUBLE && value_types ? SQL_C_CHAR : col->c_type;
}

/* Rows a rowset holds: one where the driver cannot read a value again
 * inside a longer rowset (sqliteodbc's SQLSetPos refuses a streamed
 * statement); that still saves a driver call per column and row. */
static SQLULEN rowset_rows(const dal_result *r)
{
    const dal_engine *e = r->stmt->conn->engine;
    return e->dialect->caps & DAL__CAP_BLOCK_FETCH ? (SQLULEN)e->rowset_rows : 1;
}

/* Bytes a value takes in col's row array (col->bound is set). */
static size_t width_of(const dal__column *col)
{
    if (col->bound == SQL_C_DOUBLE) return sizeof(double);
    if (col->bound == SQL_C_SBIGINT) return sizeof(int64_t);
    size_t w = col->size + (col->bound == SQL_C_CHAR ? 1 : 0);
    if (col->size == 0 || w > DAL__BLOCK_WIDTH_MAX) w = DAL__BLOCK_WIDTH_MAX;
    return w < DAL__BLOCK_WIDTH_MIN ? DAL__BLOCK_WIDTH_MIN : w;
}

#ifdef DAL_CHECKED_ARRAYS
/* Sanitizer and valgrind builds: every array a block of its own, of its
 * exact size, so that a write past a column's values is caught (in the
 * arena it would land in the next column's indicators, or in a mapping no
 * checker watches). */
static bool place_arrays(dal_result *r, SQLULEN rows)
{
    for (size_t i = 0; i < r->ncols; i++) {
        dal__column *col = &r->cols[i];
        col->ind = dal__malloc(rows * sizeof(SQLLEN));
        col->block = dal__malloc(col->width * rows);
        if (!col->ind || !col->block) return false;
    }
    return true;
}

void dal__block_free_arrays(dal_result *r)
{
    for (size_t i = 0; i < r->cap; i++) {
        dal__free(r->cols[i].ind);
        dal__free(r->cols[i].block);
        r->cols[i].ind = NULL;
        r->cols[i].block = NULL;
    }
}
#else
/* Bytes a column takes in the arena: its indicators, then its values
 * (rounded up so that the next column's indicators stay aligned). */
static size_t arena_bytes(const dal__column *col, SQLULEN rows)
{
    size_t values = (col->width * rows + sizeof(SQLLEN) - 1) / sizeof(SQLLEN) * sizeof(SQLLEN);
    return rows * sizeof(SQLLEN) + values;
}

/* One arena for all columns, kept from execution to execution. Apart from
 * the malloc heap when large: psqlODBC and libpq allocate and free for
 * every row (libpq a 2 KiB block each), and row arrays in the middle of
 * that heap made glibc coalesce and split chunks for each (3% of a 100k-row
 * fetch's instructions, callgrind). */
static bool arena_reserve(dal_result *r, size_t need)
{
    if (need <= r->arena_size) return true;
    dal__free_apart(r->arena, r->arena_size);
    r->arena_size = 0;
    r->arena = dal__alloc_apart(need);
    if (!r->arena) return false;
    r->arena_size = need;
    return true;
}

static bool place_arrays(dal_result *r, SQLULEN rows)
{
    size_t need = 0;
    for (size_t i = 0; i < r->ncols; i++)
        need += arena_bytes(&r->cols[i], rows);
    if (!arena_reserve(r, need)) return false;
    char *at = r->arena;
    for (size_t i = 0; i < r->ncols; i++) {
        dal__column *col = &r->cols[i];
        col->ind = (SQLLEN *)(void *)at;
        col->block = at + rows * sizeof(SQLLEN);
        at += arena_bytes(col, rows);
    }
    return true;
}

void dal__block_free_arrays(dal_result *r)
{
    dal__free_apart(r->arena, r->arena_size);
    r->arena = NULL;
    r->arena_size = 0;
}
#endif

void dal__block_bind(dal_result *r)
{
    dal_stmt *st = r->stmt;
    dal__block_unbind(r);
    unsigned caps = st->conn->engine->dialect->caps;
    if (!(caps & (DAL__CAP_BLOCK_FETCH | DAL__CAP_BOUND_ROWS)) || r->ncols == 0) return;
    SQLHSTMT h = st->h;
    SQLULEN rows = rowset_rows(r);
    for (size_t i = 0; i < r->ncols; i++) {
        dal__column *col = &r->cols[i];
        col->bound = bound_type(r, col);
        col->width = width_of(col);
    }
    if (!place_arrays(r, rows)) goto fallback;
    for (size_t i = 0; i < r->ncols; i++) {
        dal__column *col = &r->cols[i];
        if (!DAL__ODBC_OK(SQLBindCol(h, (SQLUSMALLINT)(i + 1), col->bound, col->block,
                                     (SQLLEN)col->width, col->ind)))
            goto fallback;
    }
    if (!DAL__ODBC_OK(
            SQLSetStmtAttr(h, SQL_ATTR_ROW_BIND_TYPE, (SQLPOINTER)SQL_BIND_BY_COLUMN, 0)) ||
        !DAL__ODBC_OK(SQLSetStmtAttr(h, SQL_ATTR_ROW_ARRAY_SIZE, (SQLPOINTER)(uintptr_t)rows, 0)) ||
        !DAL__ODBC_OK(SQLSetStmtAttr(h, SQL_ATTR_ROWS_FETCHED_PTR, &r->fetched, 0)))
        goto fallback;
    r->block = true;
    return;
fallback: /* row by row with SQLGetData still works */
    r->block = true;
    dal__block_unbind(r);
}

static int fail(dal_result *r, dal_error *local, dal_error *err)
{
    r->on_row = false;
    return dal__error_copy(err, local);
}

int dal__block_next(dal_result *r, dal_error *err)
{
    dal_stmt *st = r->stmt;
    dal_error local;
    dal__error_empty(&local); /* once a row: no 536-byte DAL_ERROR_INIT */
    if (r->on_row && r->pos + 1 < r->fetched) {
        r->pos++;
    } else {
        r->fetched = 0;
        locale_t previous = dal__numeric_c_begin(); /* the driver writes numbers as text */
        SQLRETURN sr = SQLFetch(st->h);
        dal__numeric_c_end(previous);
        if (sr == SQL_NO_DATA || (DAL__ODBC_OK(sr) && r->fetched == 0)) {
            r->on_row = false;
            r->done = true;
            return DAL_DONE;
        }
        if (!DAL__ODBC_OK(sr)) {
            dal__conn_error(st->conn, SQL_HANDLE_STMT, st->h, "fetching rows failed", &local);
            return fail(r, &local, err);
        }
        r->pos = 0;
    }
    SQLULEN k = r->pos;
    bool positioned = false;
    for (size_t i = 0; i < r->ncols; i++) {
        dal__column *col = &r->cols[i];
        SQLLEN ind = col->ind[k];
        col->text_now = false;
        if ((col->null = ind == SQL_NULL_DATA)) continue;
        if (col->bound == SQL_C_DOUBLE) {
            memcpy(&col->d, col->block + k * sizeof(double), sizeof(double));
            continue;
        }
        if (col->bound == SQL_C_SBIGINT) {
            memcpy(&col->i, col->block + k * sizeof(int64_t), sizeof(int64_t));
            continue;
        }
        size_t room = col->width - (col->bound == SQL_C_CHAR);
        if (ind != SQL_NO_TOTAL && ind >= 0 && (size_t)ind <= room) {
            col->ptr = col->block + k * col->width;
            col->len = (size_t)ind;
        } else { /* longer than the bound width: read the whole value again */
            if (!positioned && rowset_rows(r) > 1 &&
                !DAL__ODBC_OK(
                    SQLSetPos(st->h, (SQLSETPOSIROW)(k + 1), SQL_POSITION, SQL_LOCK_NO_CHANGE))) {
                dal__conn_error(st->conn, SQL_HANDLE_STMT, st->h, "positioning in a rowset failed",
                                &local);
                return fail(r, &local, err);
            }
            positioned = true;
            locale_t previous = dal__numeric_c_begin();
            int rc = dal__result_read_var(r, (SQLUSMALLINT)(i + 1), col, col->bound, &local);
            dal__numeric_c_end(previous);
            if (rc) return fail(r, &local, err);
        }
        if (col->bound != col->c_type) /* a SQLite DOUBLE: a number only when all of it is one */
            col->text_now = dal__parse_double(col->ptr, &col->d) != 0;
    }
    r->on_row = true;
    return DAL_ROW;
}
