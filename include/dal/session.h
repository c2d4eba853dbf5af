/** @file dal/session.h
 * Sessions, statements, values and results.
 *
 * A session is one pooled connection in manual-commit mode. Thread safety:
 * a session, its statements and its results are used by one thread at a
 * time (any thread, one after the other); different sessions run in
 * parallel. Statements and results belong to their session and are closed
 * with it.
 *
 * Every fallible call returns DAL_OK or a dal_code, and fills err (may be
 * NULL) and the session's last error. Errors that every call taking a
 * session can return, besides those listed: DAL_EMISUSE (NULL or closed
 * handle), DAL_EDISCONNECTED (the connection was lost: close the session),
 * DAL_ETIMEOUT (the query timeout passed), DAL_EABORTED (an earlier
 * statement of the transaction failed: roll back) and DAL_ENOMEM. */
#ifndef DAL_SESSION_H
#define DAL_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "error.h"
#include "export.h"

DAL_BEGIN_DECLS

/** A session: one pooled connection, used by one thread at a time. */
typedef struct dal_session dal_session;
/** A prepared statement, cached by its session's connection. */
typedef struct dal_stmt dal_stmt;
/** The rows of a query, read one at a time with dal_result_next. */
typedef struct dal_result dal_result;
struct json_t;

/** dal_result_next() returns DAL_ROW or DAL_DONE besides error codes (as
 * SQLite does). */
#define DAL_ROW  100 /**< a row is ready */
#define DAL_DONE 101 /**< no more rows   */

/** The type of a value or of a column. */
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

/** A parameter value. Text and blobs are borrowed for the duration of the call
 * that binds them; build values with the constructors below. */
typedef struct dal_value {
    dal_type type; /**< which member of u holds the value */
    /** The value: b, i, d, ts_us, json or bytes as type says. */
    union {
        bool b;
        int64_t i;
        double d;
        int64_t ts_us; /**< microseconds since 1970-01-01T00:00:00Z */
        const struct json_t *json;
        struct {
            const void *ptr;
            size_t len;
        } bytes; /**< text (UTF-8) or blob */
    } u;
} dal_value;

/** SQL NULL. */
static inline dal_value dal_null(void)
{
    dal_value v = {DAL_TYPE_NULL, {0}};
    return v;
}
/** A boolean (bound as the backend's boolean or 0/1). */
static inline dal_value dal_bool(bool b)
{
    dal_value v = {DAL_TYPE_BOOL, {0}};
    v.u.b = b;
    return v;
}
/** A 64-bit integer, bound exactly. */
static inline dal_value dal_int64(int64_t i)
{
    dal_value v = {DAL_TYPE_INT64, {0}};
    v.u.i = i;
    return v;
}
/** A double; NaN and infinities fail to bind with DAL_EDATA. */
static inline dal_value dal_double(double d)
{
    dal_value v = {DAL_TYPE_DOUBLE, {0}};
    v.u.d = d;
    return v;
}
/** UTF-8 text up to its NUL (borrowed until the binding call returns);
 * NULL gives dal_null(). Thread safety: any thread. */
DAL_EXPORT dal_value dal_text(const char *nul_terminated);
/** n bytes of UTF-8 text (may hold NUL bytes), borrowed like dal_text's. */
static inline dal_value dal_textn(const char *p, size_t n)
{
    dal_value v = {DAL_TYPE_TEXT, {0}};
    v.u.bytes.ptr = p;
    v.u.bytes.len = n;
    return v;
}
/** n bytes of binary data, borrowed until the binding call returns. */
static inline dal_value dal_blob(const void *p, size_t n)
{
    dal_value v = {DAL_TYPE_BLOB, {0}};
    v.u.bytes.ptr = p;
    v.u.bytes.len = n;
    return v;
}
/** A JSON document, bound as its serialized text (through the engine's
 * serializer); NULL binds SQL NULL. The reference is borrowed. */
static inline dal_value dal_json(const struct json_t *j)
{
    dal_value v = {DAL_TYPE_JSON, {0}};
    v.u.json = j;
    if (!j) v.type = DAL_TYPE_NULL;
    return v;
}
/** A UTC timestamp in microseconds since 1970-01-01T00:00:00Z. */
static inline dal_value dal_timestamp_us(int64_t us)
{
    dal_value v = {DAL_TYPE_TIMESTAMP, {0}};
    v.u.ts_us = us;
    return v;
}

/* ---- sessions ---------------------------------------------------------- */

/** Checks a connection out of the engine's pool, waiting up to the engine's
 * pool_timeout for a free one, and opens one when the pool has room. A
 * connection idle longer than ping_idle is pinged first; a dead one is
 * replaced without the caller noticing. The first statement begins a
 * transaction (lazy_begin changes this for plain reads).
 *
 * Ownership: *out is the caller's until dal_session_close.
 * Errors: DAL_ETIMEOUT (no connection came free in time), DAL_ECONNECT
 * (the server refused or did not answer within connect_timeout),
 * DAL_EMISUSE (the engine is being disposed), DAL_ENOMEM. */
DAL_EXPORT int dal_session_open(dal_engine *engine, dal_session **out, dal_error *err);

/** Checks a connection out of the engine's read-only pool (read_pool_size +
 * read_max_overflow). On PostgreSQL with several hosts it is connected to a
 * standby when one answers, else to the primary (target_session_attrs
 * prefer-standby). Its statements run without a transaction (autocommit:
 * one round trip a read, commit and rollback do nothing, no savepoints);
 * a write fails with DAL_EREADONLY on every backend.
 *
 * Ownership: *out is the caller's until dal_session_close.
 * Errors: as dal_session_open. */
DAL_EXPORT int dal_session_open_read_only(dal_engine *engine, dal_session **out, dal_error *err);

/** Read your own writes through standbys. Call after dal_session_commit in
 * a normal session: writes into buf (size bytes; 64 always suffice) a
 * token naming how far the primary's WAL had reached (PostgreSQL:
 * pg_current_wal_lsn(), one round trip). Pass it to
 * dal_session_open_read_only_after, in this process or another. On a
 * backend whose reads always see the last commit (SQLite, one MariaDB
 * server) the token is "" and costs nothing.
 * Errors: DAL_EMISUSE (NULL, a read-only session, a transaction still open,
 * a MariaDB host list: use causal_reads=true there), DAL_ERANGE (buf too
 * small), or the query's error. */
DAL_EXPORT int dal_session_commit_token(dal_session *session, char *buf, size_t size,
                                        dal_error *err);

/** As dal_session_open_read_only, served by a server that has the writes
 * token names: a standby that has replayed that far (asked once, one round
 * trip), otherwise the primary (its connection from the normal pool, lent
 * in read-only mode). "" opens a plain read-only session.
 * Errors: as dal_session_open_read_only; DAL_EMISUSE for a token that is
 * not one (never sent to the server). */
DAL_EXPORT int dal_session_open_read_only_after(dal_engine *engine, const char *token,
                                                dal_session **out, dal_error *err);

/** Rolls back anything uncommitted, closes the session's statements and
 * results, and returns the connection to the pool (or closes it when it is
 * broken, too old or overflow). NULL, a session already closed, or a
 * scope's session (dal_scope_end returns that one) is a no-op; the latter
 * sets the session's last error to DAL_EMISUSE. */
DAL_EXPORT void dal_session_close(dal_session *s);

/** Commits the transaction; the next statement begins a new one. After a
 * failed statement (an aborted transaction) it commits nothing, rolls back
 * and fails with DAL_EABORTED. Any failure leaves the session in a new,
 * empty transaction.
 * Errors: DAL_EABORTED, DAL_EINDOUBT (the connection was lost or timed out
 * during COMMIT: the outcome is unknown), DAL_ECONSTRAINT (a deferred
 * constraint), DAL_ECONFLICT (serialization failure: retry), DAL_EREADONLY. */
DAL_EXPORT int dal_session_commit(dal_session *s, dal_error *err);

/** Rolls back the transaction (also an aborted one) and every savepoint;
 * the next statement begins a new one. A read-only session: no-op.
 * Errors: DAL_EDISCONNECTED, DAL_ETIMEOUT. */
DAL_EXPORT int dal_session_rollback(dal_session *s, dal_error *err);

/** Begins a nested unit of work (a savepoint) and stores the new depth
 * (>= 1) in *depth (may be NULL).
 * Errors: DAL_EMISUSE (a read-only session, or a backend without
 * savepoints), DAL_EABORTED. */
DAL_EXPORT int dal_session_begin_nested(dal_session *s, int *depth, dal_error *err);

/** Ends the innermost nested unit of work, keeping its work in the outer
 * one. Errors: DAL_EMISUSE (no nested unit is open), DAL_EABORTED. */
DAL_EXPORT int dal_session_release_nested(dal_session *s, dal_error *err);

/** Undoes the innermost nested unit of work, also after a statement in it
 * failed: the outer work is kept and the transaction is no longer aborted.
 * Errors: DAL_EMISUSE (no nested unit is open). */
DAL_EXPORT int dal_session_rollback_nested(dal_session *s, dal_error *err);

/** Runs sql with params bound to its ? markers (nparams of them; params may
 * be NULL when 0). *rows_affected (may be NULL) receives the rows changed
 * (-1 when the driver does not say). The statement is prepared once per
 * connection and cached. A result set, if any, is discarded.
 * Errors: DAL_ESYNTAX, DAL_ECONSTRAINT, DAL_EDATA, DAL_ECONFLICT, DAL_EBUSY,
 * DAL_EREADONLY, DAL_EMISUSE (wrong parameter count), DAL_ETYPE and
 * DAL_ERANGE (a value the backend cannot take), and the common ones. */
DAL_EXPORT int dal_session_exec(dal_session *s, const char *sql, const dal_value *params,
                                size_t nparams, int64_t *rows_affected, dal_error *err);

/** Runs a query with params bound to its ? markers.
 * Ownership: *out (NULL on failure) belongs to the session: valid until
 * dal_result_close or dal_session_close; other statements may run
 * meanwhile. Errors: as dal_session_exec. */
DAL_EXPORT int dal_session_query(dal_session *s, const char *sql, const dal_value *params,
                                 size_t nparams, dal_result **out, dal_error *err);

/** Bounds every statement, fetch, commit and rollback of this session to
 * seconds (0: no bound) until the session is closed, overriding the
 * engine's query_timeout. A call that runs longer is interrupted and fails
 * with DAL_ETIMEOUT (a commit with DAL_EINDOUBT: its outcome is unknown).
 * On PostgreSQL the connection is closed (its socket is shut down: a server
 * that does not answer cannot be cancelled) and the session must be closed;
 * on SQLite the statement is interrupted and the connection stays usable.
 * Errors: DAL_EMISUSE (negative or not a number). */
DAL_EXPORT int dal_session_set_query_timeout(dal_session *s, double seconds, dal_error *err);

/** Transaction isolation levels (dal_session_set_isolation, URL key
 * isolation=read_committed|repeatable_read|serializable). */
typedef enum dal_isolation {
    DAL_ISOLATION_DEFAULT = 0,         /**< the engine's (URL isolation=, else the server's) */
    DAL_ISOLATION_READ_COMMITTED = 1,  /**< each statement sees what was committed before it */
    DAL_ISOLATION_REPEATABLE_READ = 2, /**< one snapshot for the whole transaction */
    DAL_ISOLATION_SERIALIZABLE = 3,    /**< as if transactions ran one after another */
} dal_isolation;

/** Runs this session's transactions at level from its next transaction on
 * (the one in progress keeps its level), until the session is closed.
 * DAL_ISOLATION_DEFAULT returns to the engine's level. It costs no round
 * trip per transaction: on PostgreSQL the level goes in BEGIN's message, on
 * MariaDB the connection keeps it (one statement when a connection changes
 * level). SQLite runs every transaction serializable whatever the level.
 * Read-only sessions run each statement alone in autocommit (one snapshot
 * a statement) and stay read-only: the level does not apply to them.
 * A conflict at REPEATABLE READ or SERIALIZABLE is DAL_ECONFLICT: retry the
 * whole unit of work (dal_with_scope_retry).
 * Errors: DAL_EMISUSE (NULL session, a level outside the enum). */
DAL_EXPORT int dal_session_set_isolation(dal_session *s, dal_isolation level, dal_error *err);

/** The session's last error (DAL_OK when none failed yet). Ownership:
 * borrowed from the session, overwritten by its next failing call, valid
 * until dal_session_close. NULL for a NULL session. */
DAL_EXPORT const dal_error *dal_session_last_error(const dal_session *s);

/** The engine the session came from (borrowed), or NULL for NULL. */
DAL_EXPORT dal_engine *dal_session_engine(const dal_session *s);

/** Asks the server for the dialect's cheapest answer ("SELECT 1"): one round
 * trip, under the session's query timeout. Inside a transaction it runs in
 * it (and fails with DAL_EABORTED, without a round trip, after an earlier
 * failure). Errors: the common ones. */
DAL_EXPORT int dal_session_ping(dal_session *s, dal_error *err);

/** Which server the session talks to, as a new JSON object: "product" and
 * "version" as the driver reports them (null when it does not), and where
 * the dialect can ask (PostgreSQL) "host" (null for a local socket), "port"
 * and "role" ("primary" or "standby"); on PostgreSQL and MariaDB "tls":
 * {"protocol": "TLSv1.3", "cipher": ...} for an encrypted connection, false
 * for clear text. Keys may be added in later
 * versions. The address query runs like dal_session_ping.
 * Ownership: *out is new (NULL on failure): release it with json_decref.
 * Errors: the common ones. */
DAL_EXPORT int dal_session_server_info(dal_session *s, struct json_t **out, dal_error *err);

/** Inserts nrows rows of ncols values (row-major: values[row * ncols + col])
 * into table(columns...), in batches the backend handles fastest (multi-row
 * INSERTs within its parameter limit, or parameter arrays). Table and column
 * names are quoted as identifiers; values are bound. *rows_affected (may
 * be NULL) receives the rows inserted. Nothing is committed by this call.
 * Errors: as dal_session_exec; err names the failed batch's row range. */
DAL_EXPORT int dal_session_insert_many(dal_session *s, const char *table,
                                       const char *const *columns, size_t ncols,
                                       const dal_value *values, size_t nrows,
                                       int64_t *rows_affected, dal_error *err);

/* ---- one round trip for a unit of work ---------------------------------- */

/** Queues a statement that returns no rows (INSERT, UPDATE, DELETE, DDL...)
 * with its parameters (copied: they need not outlive the call). The queue is
 * sent, in order, with the session's next statement that is not deferred,
 * or with dal_session_commit: on PostgreSQL a unit of work of deferred
 * statements and its commit costs one round trip (BEGIN, the statements and
 * COMMIT in one message, the values written as SQL literals; see README
 * "One round trip for a unit of work"). On SQLite and MariaDB the queue runs
 * statement by statement when it is sent.
 * A deferred statement's failure is reported by the call that sent the
 * queue (the next statement, or the commit), with the statement's position
 * and SQL in the message; it aborts the transaction as any failure does, no
 * later queued statement runs, and nothing of the unit commits.
 * dal_session_rollback, dal_session_close and the end of a scope drop the
 * queue unsent. Each deferred statement still makes its own STATEMENT event.
 * Errors: DAL_EDATA (a value that cannot be written safely as a literal on
 * PostgreSQL: text with a NUL byte, a NaN or infinite double, a timestamp
 * outside years 1-9999), DAL_EMISUSE (a read-only session, NULL sql, fewer
 * or more values than ? markers on PostgreSQL), and DAL_EABORTED in an
 * aborted transaction. A statement that returns rows is not refused here: it
 * runs when sent and its rows are dropped. */
DAL_EXPORT int dal_session_defer(dal_session *s, const char *sql, const dal_value *params,
                                 size_t nparams, dal_error *err);

/** The rows changed by the i-th statement (from 0) of the deferred queue
 * this session sent last, into *rows (-1 when the backend does not say).
 * Errors: DAL_ERANGE (no such statement in that queue), DAL_EMISUSE. */
DAL_EXPORT int dal_session_deferred_rows(dal_session *s, size_t i, int64_t *rows, dal_error *err);

/* ---- prepared statements (cached per connection) ----------------------- */

/** Prepares sql for repeated execution, or takes it from the connection's
 * statement cache (statement_cache entries, least recently used out).
 * Ownership: *out belongs to the session: give it back with dal_stmt_close
 * (it returns to the cache) before or at dal_session_close.
 * Errors: DAL_ESYNTAX (on backends that check at prepare time), and the
 * common ones. */
DAL_EXPORT int dal_session_prepare(dal_session *s, const char *sql, dal_stmt **out, dal_error *err);

/** Executes the prepared statement with params. *out (may be NULL for
 * statements without rows) receives the result, valid until
 * dal_result_close, the next dal_stmt_execute of st, or dal_stmt_close;
 * *rows_affected (may be NULL) the rows changed. Errors: as
 * dal_session_exec. */
DAL_EXPORT int dal_stmt_execute(dal_stmt *st, const dal_value *params, size_t nparams,
                                dal_result **out, int64_t *rows_affected, dal_error *err);

/** Closes the statement's result and gives the statement back to the
 * connection's cache. NULL: no-op. */
DAL_EXPORT void dal_stmt_close(dal_stmt *st);

/* ---- results ----------------------------------------------------------- */

/** Moves to the next row: DAL_ROW when one is ready, DAL_DONE at the end
 * (then the result stays open until dal_result_close), or an error code.
 * Rows arrive in blocks; values are read with the getters below.
 * Errors: DAL_EDATA (a value the driver cannot deliver), DAL_EMISUSE (a
 * closed result), and the common ones. */
DAL_EXPORT int dal_result_next(dal_result *r, dal_error *err);

/** Closes the result (its statement returns to the cache). NULL or a result
 * already closed: no-op. Pointers the getters returned become invalid. */
DAL_EXPORT void dal_result_close(dal_result *r);

/** The number of columns (0 for a statement without rows, or NULL). */
DAL_EXPORT size_t dal_result_column_count(const dal_result *r);

/** Rows changed by a statement that returns no columns (INSERT, UPDATE...);
 * -1 when the driver does not say, 0 for NULL. */
DAL_EXPORT int64_t dal_result_rows_affected(const dal_result *r);

/** Column col's name (0-based; borrowed, valid until dal_result_close), or
 * NULL when col is out of range. */
DAL_EXPORT const char *dal_result_column_name(const dal_result *r, size_t col);

/** The dal type column col's values read as best (DAL_TYPE_TEXT when the
 * driver's type is unknown; DAL_TYPE_NULL when col is out of range). */
DAL_EXPORT dal_type dal_result_column_type(const dal_result *r, size_t col);

/** Index of the column called name (case-insensitive; the first of
 * duplicates), or -1. */
DAL_EXPORT long dal_result_column_index(const dal_result *r, const char *name);

/* Getters for the current row, by 0-based column index. NULL values give
 * DAL_ENULL, values that do not convert DAL_ETYPE or DAL_ERANGE: never a
 * silent 0 or a rounded number. Text and blob pointers are borrowed: valid
 * until the next call to dal_result_next or dal_result_close. Text is
 * NUL-terminated. Errors of every getter: DAL_EMISUSE (no current row),
 * DAL_ERANGE (no such column, or a value out of the type's range),
 * DAL_ENULL, DAL_ETYPE. */

/** Whether column col of the current row is SQL NULL (true also when there
 * is no current row or no such column). */
DAL_EXPORT bool dal_result_is_null(const dal_result *r, size_t col);

/** The value as a 64-bit integer: integers exactly, decimal text exactly
 * when it is a whole number in range ("12.00" yes, "12.5" DAL_ETYPE),
 * booleans as 0/1. */
DAL_EXPORT int dal_result_int64(dal_result *r, size_t col, int64_t *out, dal_error *err);

/** The value as a double: fractions round to nearest; a whole number a
 * double cannot hold exactly (9007199254740993) is DAL_ERANGE. */
DAL_EXPORT int dal_result_double(dal_result *r, size_t col, double *out, dal_error *err);

/** The value as a boolean: booleans, 0/1 numbers, and the texts (any case)
 * true/false, t/f, 1/0, yes/no, y/n, on/off. Blobs: DAL_ETYPE. */
DAL_EXPORT int dal_result_bool(dal_result *r, size_t col, bool *out, dal_error *err);

/** The value as UTF-8 text (any type but a blob, which is DAL_ETYPE:
 * numbers in their shortest exact text form);
 * *len (may be NULL) receives its length in bytes. Ownership: borrowed
 * until the next dal_result_next or dal_result_close. */
DAL_EXPORT int dal_result_text(dal_result *r, size_t col, const char **out, size_t *len,
                               dal_error *err);

/** The value's bytes (a blob, or a text's bytes without its NUL) and their
 * length; a double column is DAL_ETYPE. Ownership:
 * borrowed until the next dal_result_next or dal_result_close. */
DAL_EXPORT int dal_result_blob(dal_result *r, size_t col, const void **out, size_t *len,
                               dal_error *err);

/** A timestamp (or date) as microseconds since 1970-01-01T00:00:00Z, read
 * as UTC. */
DAL_EXPORT int dal_result_timestamp_us(dal_result *r, size_t col, int64_t *out, dal_error *err);

/** The value parsed as JSON (through the engine's deserializer).
 * Ownership: *out is a new reference: json_decref it. Also DAL_EJSON. */
DAL_EXPORT int dal_result_json(dal_result *r, size_t col, struct json_t **out, dal_error *err);

/** dal_result_int64 by column name (case-insensitive; DAL_ERANGE when no
 * column has it). */
DAL_EXPORT int dal_result_int64_by_name(dal_result *r, const char *name, int64_t *out,
                                        dal_error *err);
/** dal_result_double by column name. */
DAL_EXPORT int dal_result_double_by_name(dal_result *r, const char *name, double *out,
                                         dal_error *err);
/** dal_result_bool by column name. */
DAL_EXPORT int dal_result_bool_by_name(dal_result *r, const char *name, bool *out, dal_error *err);
/** dal_result_text by column name (the same ownership). */
DAL_EXPORT int dal_result_text_by_name(dal_result *r, const char *name, const char **out,
                                       size_t *len, dal_error *err);
/** dal_result_blob by column name (the same ownership). */
DAL_EXPORT int dal_result_blob_by_name(dal_result *r, const char *name, const void **out,
                                       size_t *len, dal_error *err);
/** dal_result_timestamp_us by column name. */
DAL_EXPORT int dal_result_timestamp_us_by_name(dal_result *r, const char *name, int64_t *out,
                                               dal_error *err);
/** dal_result_json by column name (a new reference). */
DAL_EXPORT int dal_result_json_by_name(dal_result *r, const char *name, struct json_t **out,
                                       dal_error *err);

DAL_END_DECLS

#endif
