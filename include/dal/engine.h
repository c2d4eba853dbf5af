/** @file dal/engine.h
 * Engine: a database URL, resolved to an ODBC driver, plus its connection
 * pools. Thread safety: every function here may be called from any thread;
 * one engine is shared by all threads of a program. */
#ifndef DAL_ENGINE_H
#define DAL_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "export.h"

DAL_BEGIN_DECLS

/** An engine (dal_engine_create): opaque, shared by all threads. */
typedef struct dal_engine dal_engine;
struct json_t;
struct dal_value;

/** What an event reports (see dal_engine_options.on_event). */
typedef enum dal_event_kind {
    DAL_EVENT_CONNECT = 1,   /**< a connection was opened, or failed to open      */
    DAL_EVENT_CHECKOUT = 2,  /**< a session got a connection, or gave up waiting  */
    DAL_EVENT_CHECKIN = 3,   /**< a session gave its connection back              */
    DAL_EVENT_DISCARD = 4,   /**< a connection was closed, for a reason           */
    DAL_EVENT_STATEMENT = 5, /**< a statement ran (executed; rows fetched later)  */
    DAL_EVENT_COMMIT = 6,    /**< a transaction was committed, or failed to       */
    DAL_EVENT_ROLLBACK = 7,  /**< a transaction was rolled back                   */
    DAL_EVENT_RETRY = 8,     /**< dal_with_scope_retry runs the unit of work again */
} dal_event_kind;

/** One event. Every pointer is borrowed for the call only: copy what you keep.
 * No field ever holds a password. */
typedef struct dal_event {
    dal_event_kind kind; /**< what happened                               */
    dal_engine *engine;  /**< the engine it happened in                   */
    bool read_only;   /**< from the read-only pool                                  */
    double seconds;   /**< CONNECT: connecting; CHECKOUT: waiting for a connection
                         (0 when one was free); CHECKIN: time the session held
                         it (millisecond clock); STATEMENT, COMMIT, ROLLBACK:
                         the call; DISCARD: 0; RETRY: the wait before the next
                         attempt                                                   */
    int code;         /**< DAL_OK, or the failure's code                             */
    const char *sqlstate; /**< "" or the failure's SQLSTATE                          */
    const char *message;  /**< "" or the failure's message                           */
    const char *target;   /**< CONNECT: "postgresql://user@host:port/db" or the
                             SQLite file; else NULL                                */
    const char *sql;      /**< STATEMENT: its text; else NULL                        */
    int64_t rows;         /**< STATEMENT: rows changed, -1 when unknown or a query   */
    const char *reason;   /**< DISCARD: "dead", "timed out", "read-only server",
                             "reset failed", "session state", "too old",
                             "ping failed", "overflow",
                             "disposed", "stale" (a standby beyond
                             max_staleness_ms), "not ready" (a Galera node
                             that answered 1047 or is not Synced), "host
                             down" (its host was marked down since it
                             connected); CONNECT: NULL, or "socket not
                             identified: no call on it can be interrupted"
                             (query_timeout cannot hold on that connection:
                             /proc unreadable, or another socket to the same
                             server opened during the connect); else NULL  */
    const struct dal_value *params; /**< STATEMENT with event_parameters: its values */
    size_t nparams;                 /**< the number of params              */
    int attempt; /**< RETRY: the attempt that failed (1: the first), whose
                    code, sqlstate and message are the cause; else 0 */
    double queued; /**< STATEMENT, COMMIT: seconds this session waited in
                      the line of SQLite writers of its file since its last
                      event (included in seconds for a STATEMENT); else 0 */
} dal_event;

/** Options a program sets in code. The URL's query keys (pool_size=...) win over
 * these, so operators can tune a deployment without a rebuild. Fill it with
 * dal_engine_options_init first: the struct may grow at its end. */
typedef struct dal_engine_options {
    int pool_size;       /**< connections kept open (default 5; >= 1)            */
    int max_overflow;    /**< extra connections closed again at check-in (10)    */
    double pool_timeout; /**< seconds a checkout waits for a connection (30)     */
    double pool_recycle; /**< replace connections older than this; < 0 = never  */
    double ping_idle;    /**< ping before reuse when idle longer than this (1 s);
                            0 = always, < 0 = never                            */
    int statement_cache; /**< prepared statements cached per connection (32)     */
    const char *driver;  /**< ODBC driver name override (NULL = resolve)         */
    /** false (default): a transaction begins with the first statement, like
     * SQLAlchemy's autobegin. true: plain SELECTs before the first other
     * statement run in autocommit, so read-only requests need no BEGIN and
     * no ROLLBACK (one round trip instead of three on PostgreSQL) and SQLite
     * streams results. Reads before the first write then do not belong to
     * the write's transaction (no read-modify-write isolation for them). */
    bool lazy_begin;
    /** JSON to text everywhere dal converts JSON (NULL = dal_json_serialize). */
    char *(*json_serialize)(const struct json_t *value, dal_error *err);
    /** Text to JSON everywhere dal converts JSON (NULL = dal_json_deserialize). */
    struct json_t *(*json_deserialize)(const char *text, dal_error *err);
    /** Seconds a connect may take before it fails (10). */
    double connect_timeout;
    /** Seconds a statement, fetch or commit may take before it fails with
     * DAL_ETIMEOUT (DAL_EINDOUBT for a commit); 0 = no limit (the default). */
    double query_timeout;
    /** The read-only pool (dal_session_open_read_only): connections kept (5). */
    int read_pool_size;
    /** The read-only pool's extra connections under load (10). */
    int read_max_overflow;
    /** Called for every event (connect, checkout, check-in, discard,
     * statement, commit, rollback) on the thread that did the work, never
     * under a pool lock, with event_ctx. NULL (the default): no events and no
     * cost. It must not call back into the same session. */
    void (*on_event)(const dal_event *event, void *ctx);
    void *event_ctx; /**< passed to on_event as ctx */
    /** Also hand statements' parameter values to on_event (false). */
    bool event_parameters;
    /** Log statements, commits and rollbacks to stderr with their duration and
     * outcome: 1 (URL echo=true), 2 with parameter values (echo=parameters). */
    int echo;
    /** Called for every new connection, before it connects, with
     * credentials_ctx: for secrets that expire or rotate (a token valid for
     * 15 minutes, a vault). host and port are the URL's (its first host);
     * for a host list dal tries itself (MariaDB host lists, PostgreSQL
     * read routing), the host being tried.
     * user arrives holding the URL's user (or ""), password empty; write
     * NUL-terminated values that fit (user_size 256, password_size 4096).
     * Return 0, or nonzero with err set: the connect then fails with
     * DAL_ECONNECT carrying err's message. Called on the thread that opens
     * the connection, never under a pool lock; dal wipes the password buffer
     * after use. The URL may then hold no password and no password_file.
     * NULL (the default): the URL's password or password_file. */
    int (*credentials)(void *ctx, const char *host, int port, char *user, size_t user_size,
                       char *password, size_t password_size, dal_error *err);
    void *credentials_ctx; /**< passed to credentials as ctx */
} dal_engine_options;

/** Fills o with the defaults above (NULL: no-op). */
DAL_EXPORT void dal_engine_options_init(dal_engine_options *o);

/** Parses and validates url, resolves the ODBC driver; does not connect
 * (connections open lazily, on first checkout). opts may be NULL (the
 * defaults); it is copied, the caller keeps it.
 * Ownership: *out (NULL on failure) is the caller's until
 * dal_engine_dispose.
 * Errors: DAL_EURL (a malformed URL, an unknown or misspelt query key, a
 * value out of range: named in the message, never with the password),
 * DAL_EDRIVER (an unknown scheme, or the ODBC driver is not installed: the
 * message names the Debian package and the drivers that are installed),
 * (a NULL url is DAL_EURL), DAL_EMISUSE (out is NULL), DAL_ENOMEM. */
DAL_EXPORT int dal_engine_create(const char *url, const dal_engine_options *opts, dal_engine **out,
                                 dal_error *err);

/** Closes idle connections and releases the engine. With sessions still out
 * the release is deferred until the last of them is closed; new checkouts
 * fail with DAL_EMISUSE. NULL is a no-op. Always returns DAL_OK. */
DAL_EXPORT int dal_engine_dispose(dal_engine *engine);

/** The dialect's name: "sqlite", "postgresql", "mysql", "mssql" or "odbc"
 * (static text; "" for NULL). */
DAL_EXPORT const char *dal_engine_dialect(const dal_engine *engine);
/** The resolved ODBC driver name ("" for a DSN or a raw connection string);
 * borrowed, valid until dal_engine_dispose. */
DAL_EXPORT const char *dal_engine_driver(const dal_engine *engine);

/** Flag of dal_engine_connection_string: show the password. */
#define DAL_CONNSTR_UNMASKED 1u
/** Writes the ODBC connection string, NUL-terminated, into buf with the
 * password shown as *** (unless flags has DAL_CONNSTR_UNMASKED).
 * Returns DAL_OK, DAL_ERANGE when it does not fit in size bytes (buf is
 * then left alone), DAL_EMISUSE for NULL, DAL_ENOMEM. */
DAL_EXPORT int dal_engine_connection_string(const dal_engine *engine, char *buf, size_t size,
                                            unsigned flags);

/** The number of servers the URL names: 1 for one host, n for a host list, 0 for SQLite, a DSN and a raw connection string.
 * Thread safety: any thread. */
DAL_EXPORT size_t dal_engine_host_count(const dal_engine *engine);

/** Server i of the URL (0-based, in the URL's order): its host name or
 * address (borrowed, valid until dal_engine_dispose), and in *port (may be
 * NULL) its port, the dialect's default when the URL gave none (0 when the
 * dialect has none). NULL when i >= dal_engine_host_count(engine).
 * Thread safety: any thread. */
DAL_EXPORT const char *dal_engine_host(const dal_engine *engine, size_t i, int *port);

/** Why server i of a host list that dal routes itself (MariaDB host
 * lists; PostgreSQL read-only connections with load_balance_hosts or
 * max_staleness_ms) is skipped now: "host down" (a connect failed or a
 * call stopped answering), "not ready" (a Galera node outside the primary
 * component, joining, or answering 1047), "stale" (a standby beyond
 * max_staleness_ms); NULL when it is not skipped or the URL is not routed
 * by dal. *seconds (may be NULL) gets how long it stays skipped
 * (host_recheck after the mark). Thread safety: any thread. */
DAL_EXPORT const char *dal_engine_host_skipped(const dal_engine *engine, size_t i,
                                               double *seconds);

/** Connects once to every server of a host list that dal routes itself,
 * now, and closes those connections: afterwards dal_engine_host_skipped
 * tells which serve (for a health check, or `dal explain --hosts`).
 * *serving (may be NULL) gets how many do; 0 for a URL dal does not route.
 * Returns DAL_OK, or DAL_ECONNECT when credentials cannot be had,
 * DAL_EMISUSE for NULL. Thread safety: any thread; it takes no pool slot. */
DAL_EXPORT int dal_engine_check_hosts(dal_engine *engine, size_t *serving, dal_error *err);

/** Called by dal_odbc_drivers for each installed driver: its name in
 * odbcinst.ini, the dialect dal uses for it (NULL when dal has none: reach
 * it with an odbc:// URL), and whether dal's own test suite runs against it
 * (sqliteodbc, psqlODBC, MariaDB Connector/ODBC). The strings are borrowed
 * for the call. A non-zero return stops the listing. */
typedef int (*dal_driver_fn)(void *ctx, const char *driver, const char *dialect, bool tested);

/** Lists the ODBC drivers the driver manager knows, in its order, calling
 * fn(ctx, ...) for each. Returns DAL_OK (also when none is installed), or
 * DAL_ENOMEM, or DAL_EODBC when the driver manager cannot be asked.
 * Thread safety: any thread. */
DAL_EXPORT int dal_odbc_drivers(dal_driver_fn fn, void *ctx, dal_error *err);

/** A pool's limits and counters since the engine was created (see
 * dal_engine_pool_stats). The struct may grow at its end. */
typedef struct dal_pool_stats {
    int pool_size;       /**< the limit of kept connections in force       */
    int max_overflow;    /**< the limit of overflow connections in force   */
    int kept;            /**< open connections counted against pool_size     */
    int overflow;        /**< open connections beyond pool_size              */
    int checked_out;     /**< sessions out now                               */
    int idle;            /**< open connections waiting in the pool           */
    int waiting;         /**< threads waiting for a connection now           */
    uint64_t checkouts;  /**< successful checkouts                           */
    uint64_t waits;      /**< checkouts that had to wait                     */
    uint64_t timeouts;   /**< checkouts that gave up with DAL_ETIMEOUT       */
    uint64_t connects;   /**< connections opened                             */
    uint64_t discards;   /**< connections closed as dead, dirty or old       */
    uint64_t pings;      /**< liveness checks before reuse                   */
    uint64_t prepares;   /**< statements prepared (cache misses)             */
    uint64_t cache_hits; /**< statements reused from the per-connection cache */
    double wait_seconds_total;    /**< time checkouts spent waiting               */
    double wait_seconds_max;      /**< the longest wait                           */
    double held_seconds_total;    /**< time sessions held connections (ms clock)  */
    double connect_seconds_total; /**< time spent opening connections             */
    /** Statements executed, by duration: <= 100 us, 1 ms, 10 ms, 100 ms, 1 s,
     * 10 s, and longer (DAL_STATEMENT_BUCKET_LIMITS); and their total time. */
    uint64_t statements[7];
    double statement_seconds_total; /**< the time all statements took */
    uint64_t retries; /**< units of work dal_with_scope_retry ran again */
    double writer_wait_seconds_total; /**< SQLite: time writers waited in line
                                         for their file's write lock */
} dal_pool_stats;

/** The number of dal_pool_stats.statements buckets. */
#define DAL_STATEMENT_BUCKETS 7
/** The upper bounds of dal_pool_stats.statements' buckets, in seconds (the
 * last is INFINITY): DAL_STATEMENT_BUCKETS static values. */
DAL_EXPORT const double *dal_statement_bucket_limits(void);

/** Fills *out with the read-write pool's limits and counters, taken
 * consistently under the pool's lock. Returns DAL_OK, or DAL_EMISUSE for
 * NULL. */
DAL_EXPORT int dal_engine_pool_stats(dal_engine *engine, dal_pool_stats *out);
/** The same for the pool of read-only sessions (for an in-memory SQLite
 * database, which has one connection, the same pool). */
DAL_EXPORT int dal_engine_read_pool_stats(dal_engine *engine, dal_pool_stats *out);

DAL_END_DECLS

#endif
