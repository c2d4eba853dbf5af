/* A dialect: what dal knows about one kind of database, behind one const
 * table chosen by URL scheme. Optional operations may be NULL. */
#ifndef DAL_DIALECT_H
#define DAL_DIALECT_H

#include <stdbool.h>

#include "../src/buf.h"
#include "../src/url.h"

enum {
    DAL__CAP_SAVEPOINTS = 1u << 0,
    DAL__CAP_MULTIROW_INSERT = 1u << 1, /* INSERT ... VALUES (...),(...) */
    /* A cursor closed before its end breaks the statement's next execution
     * (sqliteodbc with StepAPI returns no rows): read to the end first. */
    DAL__CAP_DRAIN_CURSOR = 1u << 2,
    /* Row arrays with bound columns, and SQLGetData inside a rowset
     * (SQL_GD_BLOCK) for values longer than the bound width. */
    DAL__CAP_BLOCK_FETCH = 1u << 3,
    /* The driver looks for ';' without understanding comments (sqliteodbc
     * refuses "SELECT 1 /" "* ; *" "/"): comments are removed before prepare. */
    DAL__CAP_STRIP_COMMENTS = 1u << 4,
    /* How a call that ran out of time is interrupted (see watchdog.h):
     * shutdown() of the connection's TCP socket, or SQLCancel. */
    DAL__CAP_INTERRUPT_SOCKET = 1u << 5,
    DAL__CAP_INTERRUPT_CANCEL = 1u << 6,
    /* A server can be a read-only standby: a normal session that meets one
     * (a write refused as read-only) has its connection discarded. */
    DAL__CAP_SERVER_ROLES = 1u << 7,
    /* A statement without parameter markers runs with SQLExecDirect, not
     * prepared: psqlODBC then sends one simple query (an implicit BEGIN in
     * the same message, results read as raw ODBC reads them) instead of
     * BEGIN and Bind/Execute round trips. */
    DAL__CAP_DIRECT_WITHOUT_PARAMS = 1u << 8,
    /* Types belong to values, not columns (SQLite): a DOUBLE column may hold
     * text, and the driver describes a statement as it was at prepare. */
    DAL__CAP_VALUE_TYPES = 1u << 9,
    /* A prepared statement never runs with another result shape than the
     * one described: PostgreSQL refuses it (0A000, "cached plan must not
     * change result type"; dal prepares it again for the next run). Without
     * this, every execution is described anew. */
    DAL__CAP_SHAPE_KEPT = 1u << 10,
    /* Integer columns hold only integers in range (no unsigned BIGINT, no
     * text in them): read as SQL_C_SBIGINT, which costs psqlODBC a tenth of
     * what a conversion to text does. */
    DAL__CAP_EXACT_INTEGERS = 1u << 11,
    /* Result columns bound, one row a fetch: one driver call a row instead
     * of one a value, where longer rowsets cannot be (a long value could
     * not be read again: sqliteodbc refuses SQLSetPos on a streamed
     * statement, Connector/ODBC's only seeks). */
    DAL__CAP_BOUND_ROWS = 1u << 12,
};

typedef struct dal__dialect {
    const char *name;
    const char *const *schemes;      /* NULL-terminated                      */
    const char *const *odbc_drivers; /* odbcinst names to try, in order      */
    const char *tested_driver;       /* the one of them dal's tests run      */
    const char *package;             /* Debian package providing the driver  */
    bool requires_database;
    /* Connection-string keys for server, port, database, user, password
     * (NULL: the dialect does not use that part). URL query keys may not
     * name them: those parts are set in the URL itself. */
    const char *server_keys[5];
    /* Lowercase query keys the dialect routes itself (PostgreSQL: libpq's
     * parameters, passed through psqlODBC's pqopt), or NULL. */
    const char *const *native_keys;
    /* The keywords tested_driver knows (from its source), compared without
     * case; NULL: unknown. With a list, a URL key in none of dal's, the
     * dialect's and this one is DAL_EURL (the driver would ignore it). */
    const char *const *driver_keys;
    /* "Key=Value" defaults written unless the URL's query sets Key. */
    const char *const *defaults;
    /* Writes the connection string for u (without DRIVER=, added by the
     * caller), for normal sessions or (read_only) the read-only pool;
     * NULL: server keys, then defaults and query keys. */
    void (*build_connstr)(const dal__url *u, bool read_only, dal__buf *out);
    /* Statements run once on every new connection, or NULL. */
    const char *const *(*setup_sql)(const dal__url *u);
    /* Maps a driver error to a dal_code, or returns 0 to classify by SQLSTATE. */
    int (*classify)(const char *sqlstate, long native_code);
    const char *ping_sql;
    /* The connection-string key that bounds a connect in whole seconds, for
     * drivers that ignore SQL_ATTR_LOGIN_TIMEOUT (NULL: the attribute). */
    const char *connect_timeout_key;
    /* A lock refused to a statement that is not its transaction's first is
     * a conflict to retry (DAL_ECONFLICT), not a lock wait that ran out
     * (DAL_EBUSY): SQLite refuses the write lock to a transaction that
     * already read (its snapshot is held; waiting cannot help: a deadlock
     * or SQLITE_BUSY_SNAPSHOT), and sqliteodbc reports it only after its
     * busy timeout, as "database is locked". */
    bool busy_later_is_conflict;
    /* One writer at a time per database file: writers of a file in this
     * process wait in line (src/writers.c). */
    bool one_writer;
    /* The driver's lock wait in ms (SQLite's busy timeout: "Timeout"), its
     * value among defaults: how long a writer waits in line at most. */
    const char *lock_wait_key;
    /* One row naming the server that answered: host (NULL for a local
     * socket), port, role ("primary" or "standby"); or NULL. */
    const char *server_sql;
    /* One row, 1 when the connection is encrypted with TLS, for drivers
     * that do not refuse a server without TLS themselves whatever sslmode
     * asks (NULL: the driver enforces sslmode). */
    const char *encrypted_sql;
    /* One row, 1 when the server may serve (a Galera node that is Synced,
     * or a server outside a cluster); asked of every connection dal opens
     * to one host of a list (hosts.c). NULL: every server that answers may. */
    const char *ready_sql;
    /* The native code of "this node is not ready" (Galera's 1047): the
     * connection is lost to it and its host is skipped (hosts.c). */
    long not_ready_native;
    /* One value: how many milliseconds behind its primary a standby's data
     * is, -1 on a primary; for max_staleness_ms (staleness.c). */
    const char *lag_sql;
    /* After a commit, one text value naming how far the writes reached
     * (commit_token.c); and one value, 1 when a server has them, for a
     * token bound as the one parameter. NULL: reads see every commit. */
    const char *commit_token_sql;
    const char *caught_up_sql;
    /* One row: the TLS protocol and cipher of this connection, both NULL
     * (or no row) in clear text; NULL: the dialect cannot tell. */
    const char *tls_sql;
    /* Driver text of a ROLLBACK that found no transaction: the database
     * ended it itself (SQLite on an interrupt) and the driver did not see
     * it. The rollback then runs again after no_transaction_fix, so the
     * driver's own state is right again (sqliteodbc would otherwise run the
     * next statements without BEGIN, in autocommit). */
    const char *no_transaction_text;
    const char *no_transaction_fix;
    /* The rows the last WITH ... INSERT/UPDATE/DELETE changed, when the
     * driver does not count them itself (NULL: it does). */
    const char *cte_rows_sql;
    /* The lock between deployers of migrations, taken in each migration's
     * transaction (NULL: none). A query returning a boolean is a try-lock;
     * a statement waits itself (DAL_EBUSY when it gave up). Advisory: it
     * needs no table, so it also guards creating the history. */
    const char *migration_lock_sql;
    bool migration_lock_is_advisory;
    /* DDL ends the transaction (MariaDB commits it at once): a migration
     * cannot be undone, so each runs as a no-transaction file does. */
    bool ddl_commits;
    /* Deferred statements go out in one message with their values as
     * literals (src/defer.c, src/literal.c: PostgreSQL); false: one by one. */
    bool defer_in_one_message;
    /* Isolation levels (src/isolation.c); each takes the level's SQL name
     * (printf %s). isolation_session_sql sets the connection's default
     * (once per connection for the engine's level); isolation_txn_sql the
     * level of the transaction about to begin, sent in BEGIN's message
     * (NULL: the connection's default is changed instead and kept;
     * isolation_default_sql then returns to the server's). NULL
     * isolation_session_sql: one level only (SQLite: serializable). */
    const char *isolation_session_sql;
    const char *isolation_txn_sql;
    const char *isolation_default_sql;
    /* Makes a connection refuse writes (read-only sessions), and undoes it. */
    const char *read_only_sql;
    const char *read_write_sql;
    /* Check-in gives the next user the connection as it was after setup
     * (src/reset.c). reset_sql undoes what a user may have left (roles,
     * settings, temporary objects, locks...); run after any user statement
     * when reset_after_any (server code such as a PostgreSQL function can
     * change anything), else after one that dal__sql_changes_connection
     * marks. reset_list_sql: a query whose rows (column s) are statements
     * run before it (SQLite: DETACH, DROP of temporary objects).
     * baseline_sql: a query run after setup whose one text value restores
     * what setup left (settings the driver and dal made); it ends every
     * reset. A dialect with none of them closes a marked connection. */
    const char *reset_sql;
    /* With reset_after_any: reset_sql's first result counts what
     * reset_extra_sql must still undo (0: nothing, no second message). */
    const char *reset_extra_sql;
    bool reset_after_any;
    const char *reset_list_sql;
    const char *baseline_sql;
    unsigned caps;
    /* Rows a block fetch brings (DAL__CAP_BLOCK_FETCH) for the URL, where the
     * driver's own fetch size should be a multiple of it; NULL or 0: dal's
     * default. */
    int (*rowset_rows)(const dal__url *u);
    int max_params;        /* bound parameters per statement             */
    /* The native code of "the server holds too many prepared statements"
     * (a limit across all its clients), or 0: the connection then frees the
     * cached statements no session holds and prepares once more. */
    long statement_limit_native;
    int default_port;      /* the server's port when the URL has none (0) */
    const char *json_type; /* column type for JSON documents             */
    /* For drivers that describe booleans and JSON as plain integers and
     * text: a query with ? for a catalog and a table, returning each of its
     * boolean ('b') and JSON ('j') columns: name, kind. NULL: none. */
    const char *column_kinds_sql;
} dal__dialect;

extern const dal__dialect dal__dialect_sqlite;
extern const dal__dialect dal__dialect_postgresql;
extern const dal__dialect dal__dialect_mysql;
extern const dal__dialect dal__dialect_mssql;
extern const dal__dialect dal__dialect_odbc;

/* The dialect for a lower-case scheme without "+odbc", or NULL. */
const dal__dialect *dal__dialect_for_scheme(const char *scheme);
/* The dialect that uses an ODBC driver name, or NULL. */
const dal__dialect *dal__dialect_for_driver(const char *driver);

/* Connection-string helpers shared by the dialects (src/connstr.c). */
/* Appends KEY=VALUE; with VALUE in {} (} doubled) when it needs quoting. */
void dal__connstr_put(dal__buf *out, const char *key, const char *value);
/* Appends the "Key=Value" defaults the URL's query does not override. */
void dal__connstr_put_defaults(dal__buf *out, const dal__url *u, const char *const *defaults);
/* Appends "Key=Value" defaults the URL does not override, then the URL's
 * own pass-through keys. */
void dal__connstr_put_params(dal__buf *out, const dal__url *u, const char *const *defaults);
/* Server/port/database/user/password under the dialect's key names. */
void dal__connstr_put_server(dal__buf *out, const dal__url *u, const dal__dialect *d);
/* The ODBC connection string for u with DRIVER=driver first (when not empty),
 * for normal sessions or (read_only) for read-only ones; malloc'd (free
 * with dal__free_secret). */
int dal__build_connstr(const dal__url *u, const char *driver, bool read_only, char **out,
                       dal_error *err);
/* What one connect uses: connstr, then the user and password of this
 * connection (each NULL: the URL's, already in connstr), then the
 * dialect's connect_timeout_key set to seconds (rounded up) unless the URL
 * sets it; malloc'd (dal__free_secret), NULL on ENOMEM. */
char *dal__connstr_for_connect(const char *connstr, const dal__url *u, const dal__dialect *d,
                               double seconds, const char *user, const char *password);
/* The generic builder: server keys, then defaults and query keys. */
void dal__connstr_build(const dal__url *u, const dal__dialect *d, dal__buf *out);
/* Copies a connection string with the values of PWD and Password replaced
 * by ***, whatever their quoting. */
void dal__connstr_mask(const char *in, dal__buf *out);
/* 0 for a well-formed connection string, else the 1-based number of the
 * first malformed attribute (a brace never closed, a stray brace, no key). */
int dal__connstr_check(const char *in);
/* True when key is a password attribute (PWD, Password). */
bool dal__connstr_is_secret_key(const char *key, size_t n);

#endif
