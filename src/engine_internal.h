/* The engine and what it owns, as the library's files share them.
 *
 * What owns what: an engine owns its URL, connection strings and two pools
 * (normal sessions, read-only sessions; one for an in-memory SQLite
 * database). A pool owns its idle connections and free session objects. A
 * connection owns its ODBC handle and its statement cache; a statement owns
 * its bound parameters and its one result. A session borrows a connection
 * from checkout to check-in; statements and results it uses are the
 * connection's, lent to it meanwhile.
 *
 * Locks, never two at once, never across a network call: a pool's lock
 * (pool.c); the driver-manager lock around connect and disconnect
 * (driver_lock.c); the watchdog's list lock (watchdog.c), under which only
 * shutdown() and SQLCancel run; the configuration rwlock (scope.c), held
 * for reading across a checkout so the engine outlives it. */
#ifndef DAL_ENGINE_INTERNAL_H
#define DAL_ENGINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "../drivers/dialect.h"
#include "buf.h"
#include "clock.h"
#include "dal/engine.h"
#include "dal/session.h"
#include "odbc.h"
#include "sqltext.h"
#include "url.h"
#include "watchdog.h"

typedef struct dal__conn dal__conn;

/* One result column: its description and the current row's value. */
typedef struct dal__column {
    char name[128];
    SQLSMALLINT sql_type;
    dal_type type;
    SQLSMALLINT c_type; /* how it is read: SQL_C_CHAR, SQL_C_DOUBLE, SQL_C_SBIGINT, SQL_C_BINARY */
    bool text_now;      /* this row's value did not fit c_type and was read as text */
    bool maybe_json;    /* psqlODBC names json/jsonb (and arrays...) "unknown" */
    SQLULEN size;       /* the size the driver describes (not trusted) */
    bool null;
    double d;        /* SQL_C_DOUBLE value */
    int64_t i;       /* SQL_C_SBIGINT value (DAL__CAP_EXACT_INTEGERS) */
    const char *ptr; /* the current text (NUL-terminated) or blob bytes */
    size_t len;
    dal__buf data; /* where ptr points unless it points into block */
    char *block;   /* bound row array (block fetch), width bytes a row, in the result's arena */
    SQLLEN *ind;   /* its length/indicator array, in the arena too */
    size_t width;
    SQLSMALLINT bound; /* the C type block is bound as (block.c) */
} dal__column;

struct dal_result {
    dal_stmt *stmt;
    int64_t rows_affected; /* for statements without columns */
    dal__column *cols;
    size_t ncols, cap;
    bool open;
    bool on_row;
    bool done;       /* the driver said there are no more rows */
    bool block;      /* columns are bound to row arrays (block.c) */
    SQLULEN fetched; /* rows in the current rowset */
    SQLULEN pos;     /* the current row in it */
    char *arena;     /* every column's block and ind (dal__alloc_apart) */
    size_t arena_size;
};

/* Storage a bound parameter points at while the statement executes. */
typedef struct dal__param {
    SQLSMALLINT c_type, sql_type; /* what is bound now (0: nothing yet) */
    SQLLEN ind;
    union {
        int64_t i;
        double d;
        unsigned char b;
    } v;
    const void *ptr; /* text/blob bound by address */
    char *text;      /* owned text (JSON, timestamps) */
    size_t text_cap;
} dal__param;

/* A prepared statement, cached per connection and reused across checkouts. */
struct dal_stmt {
    dal__conn *conn;
    dal_session *session; /* the session using it now, NULL when idle */
    char *sql;
    uint64_t hash;
    SQLHSTMT h;
    SQLSMALLINT nparams;
    dal__param *params;
    uint64_t last_used;
    bool cached;             /* lives in conn->cache (else freed when closed) */
    bool plain_read;         /* a plain SELECT (see txn.c) */
    bool changes_connection; /* see dal__sql_changes_connection (reset.c) */
    bool implicit;           /* taken by dal_session_query: released with its result */
    bool cte_write;          /* WITH ... INSERT/UPDATE/DELETE: see cte_rows_sql */
    bool direct;             /* no markers: SQLExecDirect (DAL__CAP_DIRECT_WITHOUT_PARAMS) */
    bool streams;            /* its last execution's rows are streamed (see driver_streams) */
    char *driver_sql;        /* sql as the driver gets it (comments removed), or NULL */
    dal_stmt *next_uncached; /* the session's list of uncached statements */
    dal_result result;
};

/* The text the driver gets: comments removed where it needs that. */
static inline const char *dal__stmt_driver_sql(const dal_stmt *st)
{
    return st->driver_sql ? st->driver_sql : st->sql;
}

/* How the current value of col was read (see DAL__CAP_VALUE_TYPES). */
static inline SQLSMALLINT dal__column_read_as(const dal__column *col)
{
    return col->text_now ? SQL_C_CHAR : col->c_type;
}

typedef struct dal__pool dal__pool;
typedef struct dal__column_kind dal__column_kind;

struct dal__conn {
    dal_engine *engine;
    dal__pool *pool;       /* the pool it belongs to */
    SQLHDBC dbc;
    double created_at;
    double last_used;
    bool broken;           /* saw a disconnect-class error: never reused */
    bool manual;           /* autocommit is off */
    bool used;             /* a user statement ran since the last check-in */
    bool state_marked;     /* one of them changes connection state (reset.c) */
    char *baseline;        /* statements restoring the state after setup (reset.c) */
    double timeout;        /* seconds a call may take now (0: no bound) */
    bool read_only_now;    /* refuses writes now: a read pool's, or lent to a read-only session */
    double checked_out_at; /* dal__now() at checkout: the time held */
    const char *discard_reason; /* why it must not be reused (see dal_event.reason) */
    int socket;            /* the TCP socket the watchdog shuts down, or -1 */
    SQLHSTMT cancel;       /* a handle the watchdog SQLCancels (SQLite), or NULL */
    dal_stmt **cache;
    int ncache;
    uint64_t tick;
    struct dal__column_kind *kinds; /* what column_kinds_sql taught (column_kinds.c) */
    size_t nkinds;
    unsigned generation;   /* dal__forks when it connected (fork.c) */
    int isolation_now;     /* its sessions' default dal_isolation now (isolation.c) */
    int host;              /* the URL host it was opened to by dal (hosts.c), or -1 */
    unsigned host_epoch;   /* that host's times marked down when it connected */
    bool on_primary;       /* read routing: the server is not a standby (never stale) */
    double lag;            /* read routing: seconds its standby lagged when measured */
    double lag_at;         /* dal__now_precise() of that measurement, 0 for none */
    dal__conn *next_idle;
};

struct dal_session {
    dal_engine *engine;
    dal__conn *conn;
    bool in_txn;         /* a statement ran since the last commit/rollback */
    bool aborted;        /* a statement failed in the transaction: only a rollback helps */
    bool scoped;         /* belongs to a scope: dal_session_close leaves it alone */
    bool read_only;      /* no writes, no transactions (dal_session_open_read_only) */
    bool eager;          /* begins at its first statement whatever lazy_begin says (migrations) */
    bool autocommit;     /* runs every statement in autocommit (no-transaction migrations) */
    bool txn_later;      /* a statement of this transaction ran before the current one */
    bool holds_writer;   /* has the file's write lock in this process (writers.c) */
    unsigned writer_generation; /* dal__forks when it took it */
    uint64_t commits_seen; /* the file's commits in this process when the transaction began */
    double queued;       /* seconds waited in the writers' line since the last event */
    int nested;          /* savepoint depth */
    int isolation;       /* dal_isolation of its next transactions (0: the engine's) */
    bool ran_other;      /* a statement that was not deferred ran since checkout */
    int held;            /* statements this session holds (prepared or with a result) */
    dal_stmt *uncached;  /* held statements outside the cache (freed on release) */
    dal_session *next_free;
    /* The text buffers last: a checkout zeroes what comes before them and
     * only empties them (checkout in pool.c). */
    char aborted_by[256]; /* the first failure, named in DAL_EABORTED's message */
    dal_error last_error;
    /* defer.c: the queue, emptied at check-in and kept with the session
     * object (no allocation per request); freed with it. */
    struct dal__deferred *deferred;
};

typedef struct dal__waiter {
    pthread_cond_t cond;
    bool granted;
    bool refused; /* the engine was disposed: no connection will come */
    dal__conn *conn; /* NULL with granted: a slot to open a new connection in */
    struct dal__waiter *next;
} dal__waiter;

struct dal__pool {
    dal_engine *engine;
    int size, max_overflow; /* limits */
    bool read_only;         /* its connections serve read-only sessions */
    const char *connstr;    /* what its connections connect with (the engine's) */
    pthread_mutex_t lock;
    dal__conn *idle; /* most recently returned first: its caches are warm */
    int nidle;
    int open; /* connections open or being opened */
    int out;  /* checked out */
    int nwaiting;
    int inside; /* threads in wait_in_line, woken or not: the pool outlives them */
    dal__waiter *wait_head, *wait_tail;
    dal_session *free_sessions;
    bool disposed;
    bool emptied; /* disposed with nothing out: counted in engine->pools_emptied */
    atomic_uint_fast64_t checkouts, waits, timeouts, connects, discards, pings, prepares, hits;
    atomic_uint_fast64_t retries; /* dal_with_scope_retry's (the engine's read-write pool) */
    /* Timings in nanoseconds, always on (events.c). */
    atomic_uint_fast64_t wait_ns, wait_ns_max, held_ns, connect_ns, statement_ns;
    atomic_uint_fast64_t writer_wait_ns; /* in SQLite's writers' line (writers.c) */
    atomic_uint_fast64_t statements[DAL_STATEMENT_BUCKETS];
};

/* Rows a block fetch brings at most (block.c); a dialect may ask fewer. */
#define DAL__BLOCK_ROWS 128

struct dal_engine {
    const dal__dialect *dialect;
    dal__url url;
    char *driver;  /* resolved ODBC driver name, "" for DSN / raw strings */
    char *connstr; /* unmasked; wiped when freed */
    int statement_cache;
    bool lazy_begin; /* plain SELECTs before the first write run in autocommit */
    int isolation;   /* dal_isolation of its sessions' transactions (URL isolation=) */
    int pooler;      /* DAL__POOLER_*: behind a transaction pooler, nothing relies on the server session */
    struct dal__writers *writers; /* SQLite file: its writers' line in this process (writers.c) */
    double lock_wait; /* seconds a writer waits in that line at most (the driver's busy timeout) */
    int rowset_rows; /* rows a block fetch brings (block.c) */
    double pool_timeout, pool_recycle, ping_idle;
    double connect_timeout, query_timeout; /* seconds; query_timeout 0 = none */
    void (*on_event)(const dal_event *event, void *ctx);
    void *event_ctx;
    /* dal_engine_options.credentials (credentials.c), or NULL. */
    int (*credentials)(void *ctx, const char *host, int port, char *user, size_t user_size,
                       char *password, size_t password_size, dal_error *err);
    void *credentials_ctx;
    bool event_parameters;
    int echo;      /* 1: statements to stderr; 2: with parameter values */
    bool observed; /* on_event or echo: events are made (else no cost) */
    char *(*json_serialize)(const struct json_t *value, dal_error *err);
    struct json_t *(*json_deserialize)(const char *text, dal_error *err);
    dal__pool pool;        /* normal sessions */
    dal__pool read_pool;   /* read-only sessions, unless reads is &pool */
    dal__pool *reads;      /* where read-only sessions come from */
    char *read_connstr;    /* unmasked; wiped when freed */
    atomic_int pools_emptied; /* the engine is freed when it reaches npools */
    int npools;
    dal_engine *next_engine; /* every live engine (fork.c) */
    struct dal__hosts *hosts; /* the host list dal routes itself (hosts.c), or NULL */
    double host_recheck;      /* seconds a host marked down is skipped */
    double max_staleness;     /* PostgreSQL: seconds a standby may lag for reads, 0: any */
};

/* fork.c */
/* How many times this process's line forked: a connection made before the
 * last fork belongs to the parent. */
extern atomic_uint dal__forks;
static inline bool dal__conn_inherited(const dal__conn *c)
{
    return c->generation != atomic_load_explicit(&dal__forks, memory_order_relaxed);
}
/* DAL_EMISUSE for a connection this process inherited, else DAL_OK. */
int dal__conn_check_owned(const dal__conn *c, dal_error *err);
/* Keeps an inherited connection reachable and untouched; closes only this
 * process's copy of its socket. */
void dal__conn_abandon(dal__conn *c);
/* Engines are listed so that a child can empty their pools. */
void dal__fork_track(dal_engine *e);
void dal__fork_untrack(dal_engine *e);
/* scope.c: the child's configuration lock, which a parent's thread may hold. */
void dal__scope_fork_child(void);


/* pool.c */
int dal__pool_init(dal__pool *p, dal_engine *e, bool read_only, const char *connstr, int size,
                   int max_overflow);
void dal__pool_destroy(dal__pool *p);
/* A connection, and (when session is not NULL) a session object for it. */
int dal__pool_checkout(dal__pool *p, dal__conn **out, dal_session **session, dal_error *err);
/* Returns c to its pool, and s (may be NULL) to the free list; discard
 * closes c whatever its state. May free a disposed engine: do not touch it
 * after. */
void dal__pool_checkin(dal__conn *c, dal_session *s, bool discard);
void dal__pool_dispose(dal_engine *e); /* frees e now or when the last session returns */
/* Closes c, which died, and opens a new connection in its slot for the
 * session that holds it (its query timeout kept). On failure the slot goes
 * back (a disposed engine: DAL_EMISUSE) and may free the engine. */
int dal__pool_replace(dal__conn *c, dal__conn **fresh, dal_error *err);
/* The DISCARD event of a connection closed for reason (no lock held). */
void dal__pool_discarded(dal__pool *p, const char *reason);

/* conn.c */
int dal__conn_open(dal__pool *p, dal__conn **out, dal_error *err);
/* What one connect tries: a connection string, and the host it names
 * (index: its place in the URL's host list, -1 for the pool's own string,
 * which may name them all; epoch: the host's times marked down). */
typedef struct dal__connect_target {
    const char *connstr;
    const char *host;
    int port;
    int index;
    unsigned epoch;
} dal__connect_target;
struct dal__credentials;
int dal__conn_connect(dal__pool *p, const struct dal__credentials *creds,
                      const dal__connect_target *t, dal__conn **out, dal_error *err);
/* Autocommit off (manual) or on; no driver call when already so. */
int dal__conn_set_manual(dal__conn *c, bool manual, dal_error *err);
void dal__conn_close(dal__conn *c);
bool dal__conn_ping(dal__conn *c);
int dal__conn_end_txn(dal__conn *c, bool commit, dal_error *err);
/* reset.c: what check-in returns a connection to, taken after setup. */
int dal__conn_take_baseline(dal__conn *c, dal_error *err);
/* Ends the session's transaction and undoes whatever its user left on the
 * connection; an error means the connection must be closed. */
int dal__checkin_reset(dal_session *s, dal_error *err);
/* column_kinds.c: the boolean and JSON columns a driver describes as
 * integers and text, learned from the server once per table and connection. */
void dal__column_kinds_apply(dal_result *r);
void dal__column_kinds_free(dal__conn *c);
/* Watching calls that talk to the server (watchdog.c), bounded by
 * c->timeout. unwatch returns true when the call was interrupted. Inline:
 * without a timeout they cost a compare on the hot path. */
void dal__conn_watch_slow(dal__conn *c, dal__watch *w);
bool dal__conn_unwatch_slow(dal__conn *c, dal__watch *w);
static inline void dal__conn_watch(dal__conn *c, dal__watch *w)
{
    w->deadline = 0;
    if (c->timeout > 0) dal__conn_watch_slow(c, w);
}
static inline bool dal__conn_unwatch(dal__conn *c, dal__watch *w)
{
    return w->deadline != 0 && dal__conn_unwatch_slow(c, w);
}
/* The error for an interrupted call: DAL_ETIMEOUT, or DAL_EINDOUBT for a
 * commit. A connection whose socket was shut down is marked broken. */
int dal__conn_timed_out(dal__conn *c, const char *what, bool commit, dal_error *err);
/* The single text value sql returns, malloc'd ("" for NULL). */
int dal__conn_query_text(dal__conn *c, const char *sql, char **out, dal_error *err);
/* The first integer the statements of sql return (results without columns
 * before it are skipped). */
int dal__conn_query_first_int64(dal__conn *c, const char *sql, int64_t *out, dal_error *err);
/* The single integer sql returns. */
int dal__conn_query_int64(dal__conn *c, const char *sql, int64_t *out, dal_error *err);
/* Runs sql once, without a result (setup, savepoints, pings). */
int dal__conn_exec_direct(dal__conn *c, const char *sql, dal_error *err);
/* The cached statement for sql, prepared on a miss (LRU eviction). */
int dal__conn_statement(dal__conn *c, const char *sql, dal_stmt **out, dal_error *err);
int dal__conn_error(dal__conn *c, SQLSMALLINT type, SQLHANDLE h, const char *context,
                    dal_error *err);

/* stmt.c */
void dal__stmt_free(dal_stmt *st);
/* Executes st with params; out (may be NULL) receives the open result. */
int dal__stmt_run(dal_stmt *st, const dal_value *params, size_t n, dal_result **out,
                  int64_t *rows_affected, dal_error *err);
void dal__stmt_release(dal_stmt *st); /* closes its cursor, gives it back */
/* Whether every execution of st has the result shape it was described with
 * (see DAL__CAP_SHAPE_KEPT): a prepared statement the server refuses to run
 * with another shape, or one sqliteodbc runs whole (a streamed one takes the
 * shape of its first row: SELECT * after ALTER TABLE). */
bool dal__stmt_keeps_shape(const dal_stmt *st);
/* Drops the driver's statement: the next execution prepares it again. */
void dal__stmt_forget_plan(dal_stmt *st);
/* Closes the statement's open cursor, if any (see the sqliteodbc quirk). */
void dal__stmt_close_cursor(dal_stmt *st);
/* The statement's handle, prepared again from its SQL. */
int dal__stmt_reprepare(dal_stmt *st, dal_error *err);
/* After a successful execution without result columns: the rows changed,
 * -1 when the driver cannot know (never a guess). */
int64_t dal__stmt_rows_affected(dal_stmt *st, bool no_data);

/* txn.c */
/* Before a statement runs: begins the transaction unless a lazy session
 * runs a plain read. */
int dal__txn_before(dal_session *s, bool plain_read, dal_error *err);
/* Commits or rolls back what the session began (nothing ran: no-op). */
int dal__txn_end(dal_session *s, bool commit, dal_error *err);
/* DAL_EDISCONNECTED or DAL_EABORTED when no statement may run now. */
int dal__txn_check(dal_session *s, dal_error *err);
/* Records a failure of sql (NULL: not a statement) as the session's last
 * error; a statement the driver saw aborts the transaction it ran in.
 * Returns local's code, copied to err. */
int dal__session_fail(dal_session *s, const char *sql, const dal_error *local, dal_error *err);

/* session.c: rolls back and returns the session, scoped or not (the scope
 * ends it with this; NULL or a session already returned: no-op). */
void dal__session_release(dal_session *s);
/* A read-only session from pool (the read pool, or the normal pool's
 * connection lent in read-only mode). */
int dal__session_open_read_only_in(dal__pool *pool, dal_session **out, dal_error *err);

/* result.c */
int dal__result_open(dal_result *r, dal_stmt *st, dal_error *err);
void dal__result_free(dal_result *r);
/* Reads column i (1-based) of the current row whole with SQLGetData. */
int dal__result_read_var(dal_result *r, SQLUSMALLINT i, dal__column *col, SQLSMALLINT c_type,
                         dal_error *err);

/* json.c: appends the current row as a JSON object. */
int dal__result_write_row_json(dal_result *r, dal__buf *b, dal_error *err);

/* block.c */
/* Binds the described columns to row arrays when the driver benefits. */
void dal__block_bind(dal_result *r);
void dal__block_unbind(dal_result *r);
/* Frees the row arrays (the arena; each column's own arrays in a
 * DAL_CHECKED_ARRAYS build, see block.c). */
void dal__block_free_arrays(dal_result *r);
/* The next row of a block-bound result: DAL_ROW, DAL_DONE or an error. */
int dal__block_next(dal_result *r, dal_error *err);

/* defer.c */
/* Sends the deferred queue (commit: with the COMMIT, in the same message on
 * PostgreSQL; *committed says whether it did). DAL_OK when empty. */
int dal__defer_send(dal_session *s, bool commit, bool *committed, dal_error *err);
bool dal__defer_pending(const dal_session *s);
/* Drops the queue unsent (a rollback). */
void dal__defer_drop(dal_session *s);
/* Frees the queue (the session object is freed). */
void dal__defer_free(dal_session *s);

/* session.c */
/* A statement now, as dal_session_exec runs it, without sending the
 * deferred queue first. */
int dal__session_run_now(dal_session *s, const char *sql, const dal_value *params, size_t n,
                         int64_t *rows_affected, dal_error *err);

/* pooler.c */
/* A read-only session's transaction behind a transaction pooler, where no
 * connection keeps READ ONLY: SET TRANSACTION READ ONLY in BEGIN's message. */
int dal__pooler_begin_read_only(dal_session *s, dal_error *err);

/* isolation.c */
/* The connection's level after setup: the engine's, set once (run_setup). */
int dal__isolation_setup(dal__conn *c, dal_error *err);
/* Just before the session's transaction begins: its level, in BEGIN's
 * message or as the connection's default (no round trip of its own). */
int dal__isolation_begin(dal_session *s, dal_error *err);

/* scope.c */
/* Counts a retry in the configured engine's stats and hands ev to its
 * on_event, under the configuration lock (the engine cannot go meanwhile). */
void dal__scope_note_retry(dal_event *ev);

/* events.c */
/* Hands ev (engine and pool filled in here) to on_event and echo. Call it
 * only when e->observed, never under a pool lock. */
void dal__event_emit(dal_engine *e, dal_event *ev);
/* A failure's code, SQLSTATE and message into ev (err may be NULL: OK). */
void dal__event_outcome(dal_event *ev, int code, const dal_error *err);
/* Counts a statement's duration in the pool's histogram. */
void dal__stats_statement(dal__pool *p, double seconds);
void dal__stats_add_ns(atomic_uint_fast64_t *total, double seconds);

/* engine.c */
void dal__engine_free(dal_engine *e);
/* "postgresql://user@host:port/db" or the SQLite path: never the password. */
void dal__engine_target(const dal_engine *e, char *buf, size_t n);

#endif
