/* The global engine and per-thread scope stacks. */
#define _GNU_SOURCE /* writer-preferring rwlocks (glibc) */
#include "dal/scope.h"

#include <pthread.h>

#include "rwlock.h"
#include <stdatomic.h>
#include <string.h>

#include "alloc.h"
#include "engine_internal.h"
#include "error_internal.h"

struct dal_scope {
    dal_session *session; /* checked out on first dal_scoped_session */
    bool read_only;       /* its session comes from the read-only pool */
    dal_scope *prev;
    atomic_bool attached;
};

/* One per thread, found fast through a thread-local pointer and handed to
 * the thread-exit destructor through a pthread key. */
typedef struct scope_stack {
    dal_scope *top;
    dal_scope *spare; /* one freed scope kept for the next begin */
    int depth;
} scope_stack;

/* Readers hold it across a checkout, which may wait: a writer (configure)
 * must not starve behind a stream of new readers, so writers go first. */
static pthread_rwlock_t config_lock = DAL__RWLOCK_WRITERS_FIRST;
static dal_engine *configured;

void dal__scope_fork_child(void)
{
    /* Another thread of the parent may have held it: the child has none. */
    config_lock = (pthread_rwlock_t)DAL__RWLOCK_WRITERS_FIRST;
}

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t stack_key;
static _Thread_local scope_stack *tls_stack;

static const char not_configured[] =
    "Database has not been configured, i.e. dal_configure() was not called.";
static const char no_scope[] = "No session is available in the current scope.";

static void end_scope(scope_stack *st);

static void thread_exit(void *arg)
{
    scope_stack *st = arg;
    while (st->top)
        end_scope(st);
    dal__free(st->spare);
    dal__free(st);
}

static void make_key(void) { pthread_key_create(&stack_key, thread_exit); }

static scope_stack *stack(bool create)
{
    if (tls_stack || !create) return tls_stack;
    pthread_once(&key_once, make_key);
    scope_stack *st = dal__calloc(1, sizeof *st);
    if (!st) return NULL;
    if (pthread_setspecific(stack_key, st) != 0) {
        dal__free(st);
        return NULL;
    }
    return tls_stack = st;
}

int dal_configure(const char *url, const dal_engine_options *opts, dal_error *err)
{
    dal_engine *e;
    int rc = dal_engine_create(url, opts, &e, err);
    if (rc) return rc;
    pthread_rwlock_wrlock(&config_lock);
    dal_engine *old = configured;
    configured = e;
    pthread_rwlock_unlock(&config_lock);
    dal_engine_dispose(old); /* released once its sessions are back */
    return DAL_OK;
}

void dal_unconfigure(void)
{
    pthread_rwlock_wrlock(&config_lock);
    dal_engine *old = configured;
    configured = NULL;
    pthread_rwlock_unlock(&config_lock);
    dal_engine_dispose(old);
}

dal_engine *dal_configured_engine(void)
{
    pthread_rwlock_rdlock(&config_lock);
    dal_engine *e = configured;
    pthread_rwlock_unlock(&config_lock);
    return e;
}

void dal__scope_note_retry(dal_event *ev)
{
    pthread_rwlock_rdlock(&config_lock);
    dal_engine *e = configured;
    if (e) {
        atomic_fetch_add(&e->pool.retries, 1);
        if (e->observed) dal__event_emit(e, ev);
    }
    pthread_rwlock_unlock(&config_lock);
}

static void push(scope_stack *st, dal_scope *s)
{
    s->prev = st->top;
    st->top = s;
    st->depth++;
}

static int begin(bool read_only, dal_error *err)
{
    if (!dal_configured_engine()) return dal__error_set(err, DAL_ENOTCONFIGURED, not_configured);
    scope_stack *st = stack(true);
    if (!st) return dal__error_nomem(err);
    dal_scope *s = st->spare;
    st->spare = NULL;
    if (!s && !(s = dal__malloc(sizeof *s))) return dal__error_nomem(err);
    s->session = NULL;
    s->read_only = read_only;
    atomic_init(&s->attached, true);
    push(st, s);
    return DAL_OK;
}

int dal_scope_begin(dal_error *err) { return begin(false, err); }

int dal_scope_begin_read_only(dal_error *err) { return begin(true, err); }

int dal_scoped_session(dal_session **out, dal_error *err)
{
    if (!out) return dal__error_set(err, DAL_EMISUSE, "dal_scoped_session: out is NULL");
    *out = NULL;
    /* The read lock keeps the engine alive until the checkout holds it. */
    pthread_rwlock_rdlock(&config_lock);
    if (!configured) {
        pthread_rwlock_unlock(&config_lock);
        return dal__error_set(err, DAL_ENOTCONFIGURED, not_configured);
    }
    scope_stack *st = stack(false);
    dal_scope *s = st ? st->top : NULL;
    int rc = DAL_OK;
    if (!s)
        rc = dal__error_set(err, DAL_ENOSCOPE, no_scope);
    else if (!s->session &&
             !(rc = s->read_only ? dal_session_open_read_only(configured, &s->session, err)
                                 : dal_session_open(configured, &s->session, err)))
        s->session->scoped = true;
    pthread_rwlock_unlock(&config_lock);
    if (!rc) *out = s->session;
    return rc;
}

static void end_scope(scope_stack *st)
{
    dal_scope *s = st->top;
    st->top = s->prev;
    st->depth--;
    dal__session_release(s->session); /* rolls back what is uncommitted */
    if (!st->spare)
        st->spare = s;
    else
        dal__free(s);
}

int dal_scope_end(void)
{
    scope_stack *st = stack(false);
    if (!st || !st->top) return DAL_ENOSCOPE;
    end_scope(st);
    return DAL_OK;
}

static int with_scope(bool read_only, int (*fn)(void *arg, dal_error *err), void *arg,
                      dal_error *err)
{
    if (!fn) return dal__error_set(err, DAL_EMISUSE, "dal_with_scope: fn is NULL");
    int rc = begin(read_only, err);
    if (rc) return rc;
    rc = fn(arg, err);
    dal_scope_end();
    return rc;
}

int dal_with_scope(int (*fn)(void *arg, dal_error *err), void *arg, dal_error *err)
{
    return with_scope(false, fn, arg, err);
}

int dal_with_read_only_scope(int (*fn)(void *arg, dal_error *err), void *arg, dal_error *err)
{
    return with_scope(true, fn, arg, err);
}

dal_scope *dal_scope_detach(void)
{
    scope_stack *st = stack(false);
    if (!st || !st->top) return NULL;
    dal_scope *s = st->top;
    st->top = s->prev;
    st->depth--;
    s->prev = NULL;
    atomic_store(&s->attached, false);
    return s;
}

int dal_scope_attach(dal_scope *s, dal_error *err)
{
    if (!s) return dal__error_set(err, DAL_EMISUSE, "dal_scope_attach: scope is NULL");
    if (atomic_exchange(&s->attached, true))
        return dal__error_set(err, DAL_EMISUSE, "scope is already attached to a thread");
    scope_stack *st = stack(true);
    if (!st) {
        atomic_store(&s->attached, false);
        return dal__error_nomem(err);
    }
    push(st, s);
    return DAL_OK;
}

int dal_scope_depth(void)
{
    scope_stack *st = stack(false);
    return st ? st->depth : 0;
}
