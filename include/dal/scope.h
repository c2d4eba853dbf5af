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
