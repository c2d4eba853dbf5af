/* Sessions, statements, values and results.
 * A session is one pooled connection in manual-commit mode; use it from one
 * thread at a time. Statements and results belong to their session and are
 * closed with it. */
#ifndef DAL_SESSION_H
#define DAL_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "error.h"
#include "export.h"

DAL_BEGIN_DECLS

typedef struct dal_session dal_session;
typedef struct dal_stmt dal_stmt;
typedef struct dal_result dal_result;
struct json_t;

/* dal_result_next() returns these besides error codes (as SQLite does). */
#define DAL_ROW  100
#define DAL_DONE 101

typedef enum dal_type {
    DAL_TYPE_NULL = 0,
    DAL_TYPE_BOOL = 1,
    DAL_TYPE_INT64 = 2,
    DAL_TYPE_DOUBLE = 3,
    DAL_TYPE_TEXT = 4,
    DAL_TYPE_BLOB = 5,
    DAL_TYPE_JSON = 6,
    DAL_TYPE_TIMESTAMP = 7,
} dal_type;

/* A parameter value. Text and blobs are borrowed for the duration of the call
 * that binds them; build values with the constructors below. */
typedef struct dal_value {
    dal_type type;
    union {
        bool b;
        int64_t i;
        double d;
        int64_t ts_us; /* microseconds since 1970-01-01T00:00:00Z */
        const struct json_t *json;
        struct {
            const void *ptr;
            size_t len;
        } bytes; /* text (UTF-8) or blob */
    } u;
} dal_value;

static inline dal_value dal_null(void)
{
    dal_value v = {DAL_TYPE_NULL, {0}};
    return v;
}
static inline dal_value dal_bool(bool b)
{
    dal_value v = {DAL_TYPE_BOOL, {0}};
    v.u.b = b;
    return v;
}
static inline dal_value dal_int64(int64_t i)
{
    dal_value v = {DAL_TYPE_INT64, {0}};
    v.u.i = i;
    return v;
}
static inline dal_value dal_double(double d)
{
    dal_value v = {DAL_TYPE_DOUBLE, {0}};
    v.u.d = d;
    return v;
}
DAL_EXPORT dal_value dal_text(const char *nul_terminated); /* NULL gives dal_null() */
static inline dal_value dal_textn(const char *p, size_t n)
{
    dal_value v = {DAL_TYPE_TEXT, {0}};
    v.u.bytes.ptr = p;
    v.u.bytes.len = n;
    return v;
}
static inline dal_value dal_blob(const void *p, size_t n)
{
    dal_value v = {DAL_TYPE_BLOB, {0}};
    v.u.bytes.ptr = p;
    v.u.bytes.len = n;
    return v;
}
/* A JSON document, bound as its serialized text; NULL binds SQL NULL. */
static inline dal_value dal_json(const struct json_t *j)
{
    dal_value v = {DAL_TYPE_JSON, {0}};
    v.u.json = j;
    if (!j) v.type = DAL_TYPE_NULL;
    return v;
}
static inline dal_value dal_timestamp_us(int64_t us)
{
    dal_value v = {DAL_TYPE_TIMESTAMP, {0}};
    v.u.ts_us = us;
    return v;
}

/* ---- sessions ---------------------------------------------------------- */

/* Checks a connection out of the engine's pool (waiting up to pool_timeout). */
DAL_EXPORT int dal_session_open(dal_engine *engine, dal_session **out, dal_error *err);
/* Checks a connection out of the engine's read-only pool (read_pool_size +
 * read_max_overflow). On PostgreSQL with several hosts it is connected to a
 * standby when one answers, else to the primary (target_session_attrs
 * prefer-standby). Its statements run without a transaction (autocommit:
 * one round trip a read, commit and rollback do nothing, no savepoints);
 * a write fails with DAL_EREADONLY on every backend. Close it with
 * dal_session_close.
 * Errors: as dal_session_open. */
DAL_EXPORT int dal_session_open_read_only(dal_engine *engine, dal_session **out, dal_error *err);
/* Rolls back anything uncommitted and returns the connection. NULL, a
 * session already closed, or a scope's session (dal_scope_end returns it):
 * no-op; the latter sets the session's last error to DAL_EMISUSE. */
DAL_EXPORT void dal_session_close(dal_session *s);
/* Commits. After a failed statement (an aborted transaction) commits
 * nothing and fails with DAL_EABORTED; any failure leaves the session in a
 * new, empty transaction. */
DAL_EXPORT int dal_session_commit(dal_session *s, dal_error *err);
DAL_EXPORT int dal_session_rollback(dal_session *s, dal_error *err);

/* Nested units of work (savepoints). begin stores the new depth (>= 1) in
 * *depth (may be NULL). rollback_nested undoes the innermost one's work,
 * also after a statement in it failed: the outer work is kept. */
DAL_EXPORT int dal_session_begin_nested(dal_session *s, int *depth, dal_error *err);
DAL_EXPORT int dal_session_release_nested(dal_session *s, dal_error *err);
DAL_EXPORT int dal_session_rollback_nested(dal_session *s, dal_error *err);

/* Runs sql with params bound to its ? markers; rows_affected may be NULL. */
DAL_EXPORT int dal_session_exec(dal_session *s, const char *sql, const dal_value *params,
                                size_t nparams, int64_t *rows_affected, dal_error *err);
/* Runs a query; the result stays valid until dal_result_close or
 * dal_session_close (other statements may run meanwhile). */
DAL_EXPORT int dal_session_query(dal_session *s, const char *sql, const dal_value *params,
                                 size_t nparams, dal_result **out, dal_error *err);
/* Bounds every statement, fetch, commit and rollback of this session to
 * seconds (0: no bound) until the session is closed, overriding the
 * engine's query_timeout. A call that runs longer is interrupted and fails
 * with DAL_ETIMEOUT (a commit with DAL_EINDOUBT: its outcome is unknown).
 * On PostgreSQL the connection is closed (its socket is shut down: a server
 * that does not answer cannot be cancelled) and the session must be closed;
 * on SQLite the statement is interrupted and the connection stays usable. */
DAL_EXPORT int dal_session_set_query_timeout(dal_session *s, double seconds, dal_error *err);
/* The session's last error (borrowed; overwritten by the next failing call). */
DAL_EXPORT const dal_error *dal_session_last_error(const dal_session *s);
DAL_EXPORT dal_engine *dal_session_engine(const dal_session *s);

/** Asks the server for the dialect's cheapest answer ("SELECT 1"): one round
 * trip, under the session's query timeout. Inside a transaction it runs in
 * it (and fails with DAL_EABORTED, without a round trip, after an earlier
 * failure). Returns DAL_OK or the failure's code (DAL_EDISCONNECTED,
 * DAL_ETIMEOUT, ...). Thread safety: the session's thread. */
DAL_EXPORT int dal_session_ping(dal_session *s, dal_error *err);

/** Which server the session talks to, as a new JSON object (*out; release it
 * with json_decref): "product" and "version" as the driver reports them
 * (null when it does not), and where the dialect can ask (PostgreSQL) "host"
 * (null for a local socket), "port" and "role" ("primary" or "standby").
 * Keys may be added in later versions. The address query runs like
 * dal_session_ping. Thread safety: the session's thread. */
DAL_EXPORT int dal_session_server_info(dal_session *s, struct json_t **out, dal_error *err);

/* Inserts nrows rows of ncols values (row-major: values[row * ncols + col])
 * into table(columns...), in batches the backend handles fastest. On failure
 * err names the failed row range; nothing is committed by this call. */
DAL_EXPORT int dal_session_insert_many(dal_session *s, const char *table,
                                       const char *const *columns, size_t ncols,
                                       const dal_value *values, size_t nrows,
                                       int64_t *rows_affected, dal_error *err);

/* ---- prepared statements (cached per connection) ----------------------- */

DAL_EXPORT int dal_session_prepare(dal_session *s, const char *sql, dal_stmt **out, dal_error *err);
/* Executes with params; out (may be NULL for statements without rows)
 * receives the result; rows_affected may be NULL. */
DAL_EXPORT int dal_stmt_execute(dal_stmt *st, const dal_value *params, size_t nparams,
                                dal_result **out, int64_t *rows_affected, dal_error *err);
/* Gives the statement back to the connection's cache. NULL: no-op. */
DAL_EXPORT void dal_stmt_close(dal_stmt *st);

/* ---- results ----------------------------------------------------------- */

/* DAL_ROW when a row is ready, DAL_DONE at the end, or an error code. */
DAL_EXPORT int dal_result_next(dal_result *r, dal_error *err);
DAL_EXPORT void dal_result_close(dal_result *r);
DAL_EXPORT size_t dal_result_column_count(const dal_result *r);
/* Rows changed by a statement that returns no columns (INSERT, UPDATE...). */
DAL_EXPORT int64_t dal_result_rows_affected(const dal_result *r);
DAL_EXPORT const char *dal_result_column_name(const dal_result *r, size_t col);
/* The dal type a column's values read as best (DAL_TYPE_TEXT if unknown). */
DAL_EXPORT dal_type dal_result_column_type(const dal_result *r, size_t col);
/* Index of the column called name (case-insensitive), or -1. */
DAL_EXPORT long dal_result_column_index(const dal_result *r, const char *name);

/* Getters for the current row, by 0-based column index. NULL values give
 * DAL_ENULL, values that do not convert DAL_ETYPE or DAL_ERANGE: never a
 * silent 0. Text and blob pointers are borrowed: valid until the next call
 * to dal_result_next or dal_result_close. Text is NUL-terminated. */
DAL_EXPORT bool dal_result_is_null(const dal_result *r, size_t col);
DAL_EXPORT int dal_result_int64(dal_result *r, size_t col, int64_t *out, dal_error *err);
DAL_EXPORT int dal_result_double(dal_result *r, size_t col, double *out, dal_error *err);
DAL_EXPORT int dal_result_bool(dal_result *r, size_t col, bool *out, dal_error *err);
DAL_EXPORT int dal_result_text(dal_result *r, size_t col, const char **out, size_t *len,
                               dal_error *err);
DAL_EXPORT int dal_result_blob(dal_result *r, size_t col, const void **out, size_t *len,
                               dal_error *err);
DAL_EXPORT int dal_result_timestamp_us(dal_result *r, size_t col, int64_t *out, dal_error *err);
/* A new reference to the column's value parsed as JSON. */
DAL_EXPORT int dal_result_json(dal_result *r, size_t col, struct json_t **out, dal_error *err);

/* The same getters by column name. */
DAL_EXPORT int dal_result_int64_by_name(dal_result *r, const char *name, int64_t *out,
                                        dal_error *err);
DAL_EXPORT int dal_result_double_by_name(dal_result *r, const char *name, double *out,
                                         dal_error *err);
DAL_EXPORT int dal_result_bool_by_name(dal_result *r, const char *name, bool *out, dal_error *err);
DAL_EXPORT int dal_result_text_by_name(dal_result *r, const char *name, const char **out,
                                       size_t *len, dal_error *err);
DAL_EXPORT int dal_result_blob_by_name(dal_result *r, const char *name, const void **out,
                                       size_t *len, dal_error *err);
DAL_EXPORT int dal_result_timestamp_us_by_name(dal_result *r, const char *name, int64_t *out,
                                               dal_error *err);
DAL_EXPORT int dal_result_json_by_name(dal_result *r, const char *name, struct json_t **out,
                                       dal_error *err);

DAL_END_DECLS

#endif
