/** @file dal/scope.h
 * The global engine and per-thread scopes: configure once from a URL, open a
 * scope per request, ask for the scope's session anywhere below it.
 * Thread safety: every function may be called from any thread; a scope
 * belongs to the thread that opened (or attached) it, and the scope
 * functions act on the calling thread's scopes. A thread that exits with
 * scopes open has them ended (rolled back, connections returned). */
#ifndef DAL_SCOPE_H
#define DAL_SCOPE_H

#include "engine.h"
#include "error.h"
#include "export.h"
#include "session.h"

DAL_BEGIN_DECLS

/** A scope moved between threads (dal_scope_detach, dal_scope_attach). */
typedef struct dal_scope dal_scope;

/** Creates the global engine from url and opts as dal_engine_create does;
 * called again it replaces it (the old engine is released once its last
 * session is returned; scopes already holding a session keep it).
 * Errors: those of dal_engine_create; on failure the engine configured
 * before (if any) stays. */
DAL_EXPORT int dal_configure(const char *url, const dal_engine_options *opts, dal_error *err);
/** Drops the global engine (deferred release as above). Without one: no-op. */
DAL_EXPORT void dal_unconfigure(void);
/** The global engine or NULL. Ownership: borrowed, valid until
 * dal_unconfigure or the next dal_configure. */
DAL_EXPORT dal_engine *dal_configured_engine(void);

/** Pushes a new scope on this thread; no connection is taken until
 * dal_scoped_session asks for it. Scopes nest: the innermost one is
 * current. Errors: DAL_ENOTCONFIGURED, DAL_ENOMEM. */
DAL_EXPORT int dal_scope_begin(dal_error *err);
/** The same for a read-only scope: its session comes from
 * dal_session_open_read_only (a standby when one answers, no transaction,
 * writes fail with DAL_EREADONLY). Errors: as dal_scope_begin. */
DAL_EXPORT int dal_scope_begin_read_only(dal_error *err);
/** The current scope's session, checked out on the first call; the same one
 * on every later call in the scope. Ownership: borrowed from the scope,
 * valid until dal_scope_end (dal_session_close on it is a no-op).
 * Errors: DAL_ENOTCONFIGURED, then DAL_ENOSCOPE (no scope on this thread),
 * then those of dal_session_open. */
DAL_EXPORT int dal_scoped_session(dal_session **out, dal_error *err);
/** Rolls back what is uncommitted, returns the connection, pops the scope.
 * Returns DAL_OK, or DAL_ENOSCOPE when no scope is open on this thread. */
DAL_EXPORT int dal_scope_end(void);
/** Middleware: dal_scope_begin, fn(arg, err), dal_scope_end (always, also
 * when fn fails); returns fn's status. A scope never commits by itself: fn
 * commits what it wants kept. Errors: those of dal_scope_begin (fn is not
 * called), DAL_EMISUSE (fn is NULL), and fn's. */
DAL_EXPORT int dal_with_scope(int (*fn)(void *arg, dal_error *err), void *arg, dal_error *err);
/** The same with a read-only scope (for requests that only read). */
DAL_EXPORT int dal_with_read_only_scope(int (*fn)(void *arg, dal_error *err), void *arg,
                                        dal_error *err);

/** When dal_with_scope_retry runs a unit of work again. */
typedef struct dal_retry_policy {
    int max_attempts;  /**< attempts in all, the first included (5; >= 1) */
    int base_delay_ms; /**< the wait before the second attempt, doubled for each
                          next one, with full jitter (10) */
    int max_delay_ms;  /**< no wait longer than this (1000) */
    int deadline_ms;   /**< no attempt starts this long after the first began
                          (0: no deadline) */
    bool retry_unique_violation; /**< also retry a unique violation (23505,
                                    MariaDB 1062), for "insert if absent" races
                                    (false) */
} dal_retry_policy;

/** Fills *p with the defaults above. */
DAL_EXPORT void dal_retry_policy_init(dal_retry_policy *p);

/** Runs fn(arg, err) as dal_with_scope does, in a fresh scope each time, and
 * runs it again while it fails with DAL_ECONFLICT: a serialization failure
 * (40001, Galera's certification failure) or a deadlock (40P01, MariaDB
 * 1213), after which the server has rolled the transaction back, and the
 * scope's end rolls back whatever it had not. fn must do the whole unit of
 * work, reads and decisions included, and commit it; it must not have
 * effects outside the database that a second run would repeat.
 * Never retried: DAL_EINDOUBT (the commit may have happened: a second run
 * could do it twice) and every other code. Between attempts it waits a
 * random time up to base_delay_ms * 2^(attempt-1), at most max_delay_ms
 * (full jitter: concurrent retriers spread out instead of colliding again),
 * and starts no attempt after deadline_ms. Each retry is a DAL_EVENT_RETRY
 * event and counts in dal_pool_stats.retries. policy NULL: the defaults.
 * Returns DAL_OK, or the last attempt's error, whose message ends with the
 * number of attempts made.
 * Errors: DAL_ENOTCONFIGURED, DAL_EMISUSE (fn NULL, a policy out of range),
 * and fn's. */
DAL_EXPORT int dal_with_scope_retry(int (*fn)(void *arg, dal_error *err), void *arg,
                                    const dal_retry_policy *policy, dal_error *err);

/** Moves this thread's innermost scope out so that another thread can
 * attach it (a request handed to a worker). Returns NULL when this thread
 * has no scope. Ownership: the scope is the caller's until attached. */
DAL_EXPORT dal_scope *dal_scope_detach(void);
/** Pushes a detached scope on this thread; it becomes the current scope.
 * Errors: DAL_EMISUSE (NULL, or a scope that is attached), DAL_ENOMEM. */
DAL_EXPORT int dal_scope_attach(dal_scope *scope, dal_error *err);
/** The number of scopes open on this thread. */
DAL_EXPORT int dal_scope_depth(void);

DAL_END_DECLS

#endif
