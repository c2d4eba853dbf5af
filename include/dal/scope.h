/* The global engine and per-thread scopes: configure once from a URL, open a
 * scope per request, ask for the scope's session anywhere below it.
 * All functions are thread-safe; scopes belong to the thread that opened them
 * (or attached them). */
#ifndef DAL_SCOPE_H
#define DAL_SCOPE_H

#include "engine.h"
#include "error.h"
#include "export.h"
#include "session.h"

DAL_BEGIN_DECLS

typedef struct dal_scope dal_scope;

/* Creates the global engine; called again it replaces it (the old engine is
 * released once its last session is returned). */
DAL_EXPORT int dal_configure(const char *url, const dal_engine_options *opts, dal_error *err);
/* Drops the global engine (deferred release as above). */
DAL_EXPORT void dal_unconfigure(void);
/* The global engine or NULL (borrowed; valid while configured). */
DAL_EXPORT dal_engine *dal_configured_engine(void);

/* Pushes a new scope on this thread (no connection is taken yet). */
DAL_EXPORT int dal_scope_begin(dal_error *err);
/* The same for a read-only scope: its session comes from
 * dal_session_open_read_only (a standby when one answers, no transaction,
 * writes fail with DAL_EREADONLY). */
DAL_EXPORT int dal_scope_begin_read_only(dal_error *err);
/* The current scope's session, checked out on the first call; the same one on
 * every later call in the scope. DAL_ENOTCONFIGURED, then DAL_ENOSCOPE. */
DAL_EXPORT int dal_scoped_session(dal_session **out, dal_error *err);
/* Rolls back what is uncommitted, returns the connection, pops the scope.
 * DAL_ENOSCOPE when no scope is open. */
DAL_EXPORT int dal_scope_end(void);
/* Middleware: begin, fn(arg, err), end (always); returns fn's status. */
DAL_EXPORT int dal_with_scope(int (*fn)(void *arg, dal_error *err), void *arg, dal_error *err);
/* The same with a read-only scope (for requests that only read). */
DAL_EXPORT int dal_with_read_only_scope(int (*fn)(void *arg, dal_error *err), void *arg,
                                        dal_error *err);

/* Moves this thread's innermost scope out (NULL if none) so that another
 * thread can attach it; attaching a scope that is attached is DAL_EMISUSE. */
DAL_EXPORT dal_scope *dal_scope_detach(void);
DAL_EXPORT int dal_scope_attach(dal_scope *scope, dal_error *err);
/* Number of scopes open on this thread. */
DAL_EXPORT int dal_scope_depth(void);

DAL_END_DECLS

#endif
