/* The connection pool: bounded (pool_size + max_overflow), first come first
 * served, and no network call while the lock is held. The fast path of a
 * checkout is one lock, a pointer pop and one unlock: no allocation, no
 * system call. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "engine_internal.h"
#include "error_internal.h"
#include "hosts.h"

#define STAT_ADD(p, field) atomic_fetch_add_explicit(&(p)->field, 1, memory_order_relaxed)

int dal__pool_init(dal__pool *p, dal_engine *e, bool read_only, const char *connstr, int size,
                   int max_overflow)
{
    memset(p, 0, sizeof *p);
    p->engine = e;
    p->read_only = read_only;
    p->connstr = connstr;
    p->size = size;
    p->max_overflow = max_overflow;
    return pthread_mutex_init(&p->lock, NULL) == 0 ? DAL_OK : DAL_ENOMEM;
}

void dal__pool_destroy(dal__pool *p)
{
    while (p->free_sessions) {
        dal_session *s = p->free_sessions;
        p->free_sessions = s->next_free;
        dal__defer_free(s);
        dal__free(s);
    }
    pthread_mutex_destroy(&p->lock);
}

/* With the lock held: gives c (or, when c is NULL, the right to open a new
 * connection) to the longest waiting thread. False when nobody waits. */
static bool hand_to_waiter(dal__pool *p, dal__conn *c)
{
    dal__waiter *w = p->wait_head;
    if (!w) return false;
    p->wait_head = w->next;
    if (!p->wait_head) p->wait_tail = NULL;
    p->nwaiting--;
    w->granted = true;
    w->conn = c;
    pthread_cond_signal(&w->cond);
    return true;
}

static void remove_waiter(dal__pool *p, dal__waiter *w)
{
    dal__waiter **pp = &p->wait_head, *prev = NULL;
    while (*pp && *pp != w) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (!*pp) return;
    *pp = w->next;
    if (p->wait_tail == w) p->wait_tail = prev;
    p->nwaiting--;
}

static void record_wait(dal__pool *p, double seconds)
{
    uint_fast64_t ns = (uint_fast64_t)(seconds * 1e9);
    atomic_fetch_add_explicit(&p->wait_ns, ns, memory_order_relaxed);
    uint_fast64_t max = atomic_load_explicit(&p->wait_ns_max, memory_order_relaxed);
    while (ns > max && !atomic_compare_exchange_weak(&p->wait_ns_max, &max, ns)) {
    }
}

/* With the lock held: waits in line for a connection or a slot. */
static int wait_in_line(dal__pool *p, dal__conn **c, double *waited, dal_error *err)
{
    dal_engine *e = p->engine;
    double started = dal__now_precise();
    dal__waiter w = {.granted = false, .refused = false, .conn = NULL, .next = NULL};
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int init = pthread_cond_init(&w.cond, &attr);
    pthread_condattr_destroy(&attr);
    if (init != 0) return dal__error_nomem(err);
    if (p->wait_tail)
        p->wait_tail->next = &w;
    else
        p->wait_head = &w;
    p->wait_tail = &w;
    p->nwaiting++;
    p->inside++;
    STAT_ADD(p, waits);
    struct timespec deadline = dal__deadline(CLOCK_MONOTONIC, e->pool_timeout);
    while (!w.granted && !w.refused) {
        if (pthread_cond_timedwait(&w.cond, &p->lock, &deadline) == ETIMEDOUT && !w.granted &&
            !w.refused)
            break;
    }
    pthread_cond_destroy(&w.cond);
    p->inside--;
    *waited = dal__now_precise() - started;
    record_wait(p, *waited);
    if (w.refused) return dal__error_set(err, DAL_EMISUSE, "engine disposed");
    if (!w.granted) {
        remove_waiter(p, &w);
        STAT_ADD(p, timeouts);
        return dal__error_set(err, DAL_ETIMEOUT,
                              "no connection available within pool_timeout=%gs (%s=%d, "
                              "%s=%d, all %d checked out)",
                              e->pool_timeout, p->read_only ? "read_pool_size" : "pool_size",
                              p->size, p->read_only ? "read_max_overflow" : "max_overflow",
                              p->max_overflow, p->out);
    }
    *c = w.conn;
    return DAL_OK;
}

/* With the lock held: session objects are reused, never freed, while the
 * engine lives (no allocation on the fast path). */
static dal_session *take_session(dal__pool *p)
{
    dal_session *s = p->free_sessions;
    if (s) p->free_sessions = s->next_free;
    return s;
}

static void give_back_session(dal__pool *p, dal_session *s)
{
    if (!s) return;
    s->engine = NULL;
    s->conn = NULL;
    s->next_free = p->free_sessions;
    p->free_sessions = s;
}

/* Outside the lock: why a connection that is too old or may have died
 * while idle must be replaced, or NULL when it is good. */
static const char *not_good(dal__pool *p, dal__conn *c)
{
    dal_engine *e = p->engine;
    double now = dal__now();
    if (e->pool_recycle > 0 && now - c->created_at > e->pool_recycle) return "too old";
    const char *outdated = dal__hosts_conn_outdated(c); /* its host was marked down since */
    if (outdated) return outdated;
    if (e->ping_idle >= 0 && now - c->last_used >= e->ping_idle) {
        STAT_ADD(p, pings);
        return dal__conn_ping(c) ? NULL : "ping failed";
    }
    return NULL;
}

/* Outside the lock, while this thread still counts as out (the engine
 * cannot be freed meanwhile). */
void dal__pool_discarded(dal__pool *p, const char *reason)
{
    if (!p->engine->observed) return;
    dal_event ev = {.kind = DAL_EVENT_DISCARD, .read_only = p->read_only, .reason = reason,
                    .rows = -1};
    dal__event_emit(p->engine, &ev);
}


/* With the lock held: true once, when a disposed pool has nothing out
 * and no thread waits in it. */
static bool now_emptied(dal__pool *p)
{
    if (!p->disposed || p->out != 0 || p->inside != 0 || p->emptied) return false;
    p->emptied = true;
    return true;
}

/* After the lock: the engine goes when its last pool has emptied. */
static void free_if_done(dal_engine *e, bool emptied)
{
    if (emptied && atomic_fetch_add(&e->pools_emptied, 1) + 1 == e->npools) dal__engine_free(e);
}

/* Gives back a slot (and a checked-out count, and the session object)
 * after a failed open. May free a disposed engine. */
static void release_slot(dal__pool *p, dal_session *s)
{
    dal_engine *e = p->engine;
    pthread_mutex_lock(&p->lock);
    give_back_session(p, s);
    p->out--;
    if (!hand_to_waiter(p, NULL))
        p->open--;
    else
        p->out++;
    bool emptied = now_emptied(p);
    pthread_mutex_unlock(&p->lock);
    free_if_done(e, emptied);
}

static int checkout(dal__pool *p, dal__conn **out, dal_session **session, double *waited,
                    dal_error *err)
{
    dal_engine *e = p->engine;
    dal__conn *c = NULL;
    dal_session *s = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->disposed) {
        pthread_mutex_unlock(&p->lock);
        return dal__error_set(err, DAL_EMISUSE, "engine has been disposed");
    }
    if (session) s = take_session(p);
    if (p->idle && !p->wait_head) {
        c = p->idle;
        p->idle = c->next_idle;
        p->nidle--;
        p->out++;
    } else if (p->open < p->size + p->max_overflow && !p->wait_head) {
        p->open++;
        p->out++;
    } else {
        int rc = wait_in_line(p, &c, waited, err);
        if (rc) {
            give_back_session(p, s);
            bool emptied = now_emptied(p); /* the last waiter of a disposed pool */
            pthread_mutex_unlock(&p->lock);
            free_if_done(e, emptied);
            return rc;
        }
        /* The thread that handed us c (or a slot) counted us as out. */
    }
    pthread_mutex_unlock(&p->lock);

    if (session && !s && !(s = dal__calloc(1, sizeof *s))) {
        if (c)
            dal__pool_checkin(c, NULL, false);
        else
            release_slot(p, NULL);
        return dal__error_nomem(err);
    }
    const char *reason = c ? not_good(p, c) : NULL;
    if (reason) {
        STAT_ADD(p, discards);
        dal__conn_close(c);
        dal__pool_discarded(p, reason);
        c = NULL;
    }
    if (!c) {
        int rc = dal__conn_open(p, &c, err);
        if (rc) {
            if (rc == DAL_ETIMEOUT) STAT_ADD(p, timeouts); /* waited for other connects */
            release_slot(p, s);
            return rc;
        }
        STAT_ADD(p, connects);
    }
    STAT_ADD(p, checkouts);
    c->timeout = e->query_timeout; /* a session may have changed it */
    if (s) {
        /* Zeroed up to its text buffers, which are only emptied: 800 bytes
         * less to clear on every checkout. */
        memset(s, 0, offsetof(dal_session, aborted_by));
        s->aborted_by[0] = '\0';
        dal__error_empty(&s->last_error);
        s->engine = e;
        s->conn = c;
        *session = s;
    }
    *out = c;
    return DAL_OK;
}

int dal__pool_checkout(dal__pool *p, dal__conn **out, dal_session **session, dal_error *err)
{
    double waited = 0;
    dal_error local;
    dal__error_empty(&local); /* every checkout: no 536-byte DAL_ERROR_INIT */
    bool observed = p->engine->observed; /* a disposed pool may free the engine: not after */
    int rc = checkout(p, out, session, &waited, &local);
    if (!rc) (*out)->checked_out_at = dal__now();
    if (observed && rc != DAL_EMISUSE) {
        dal_event ev = {.kind = DAL_EVENT_CHECKOUT, .read_only = p->read_only, .seconds = waited,
                        .rows = -1};
        dal__event_outcome(&ev, rc, &local);
        dal__event_emit(p->engine, &ev);
    }
    return rc ? dal__error_copy(err, &local) : DAL_OK;
}

void dal__pool_checkin(dal__conn *c, dal_session *s, bool discard)
{
    dal__pool *p = c->pool;
    dal_engine *e = p->engine;
    if (dal__conn_inherited(c)) { /* the parent's connection: out of this pool's count */
        pthread_mutex_lock(&p->lock);
        give_back_session(p, s);
        p->out--;
        dal__conn_abandon(c);
        bool emptied = now_emptied(p);
        pthread_mutex_unlock(&p->lock);
        free_if_done(e, emptied);
        return;
    }
    discard = discard || c->broken;
    c->last_used = dal__now();
    double held = c->last_used - c->checked_out_at;
    dal__stats_add_ns(&p->held_ns, held > 0 ? held : 0);
    if (e->observed) { /* this thread still counts as out: e is alive */
        dal_event ev = {.kind = DAL_EVENT_CHECKIN, .read_only = p->read_only, .seconds = held,
                        .rows = -1};
        dal__event_emit(e, &ev);
        if (discard) dal__pool_discarded(p, c->discard_reason ? c->discard_reason : "reset failed");
    }
    pthread_mutex_lock(&p->lock);
    give_back_session(p, s);
    /* At most pool_size connections wait idle: the others (overflow) are
     * closed once the load that needed them has gone, not while it lasts. */
    bool keep = !discard && !p->disposed && p->nidle < p->size;
    if (!discard && hand_to_waiter(p, c)) {
        pthread_mutex_unlock(&p->lock);
        return;
    }
    if (keep) {
        c->next_idle = p->idle;
        p->idle = c;
        p->nidle++;
        p->out--;
        bool emptied = now_emptied(p);
        pthread_mutex_unlock(&p->lock);
        free_if_done(e, emptied);
        return;
    }
    /* Closed: a broken connection, an overflow one, or a disposed engine.
     * This thread counts as out until it has closed it, so the engine
     * outlives the close and the event. */
    bool disposed = p->disposed;
    pthread_mutex_unlock(&p->lock);
    if (discard) STAT_ADD(p, discards);
    if (!discard) dal__pool_discarded(p, disposed ? "disposed" : "overflow");
    dal__conn_close(c);
    pthread_mutex_lock(&p->lock);
    p->out--;
    p->open--;
    if (hand_to_waiter(p, NULL)) {
        p->open++;
        p->out++;
    }
    bool emptied = now_emptied(p);
    pthread_mutex_unlock(&p->lock);
    free_if_done(e, emptied);
}

static void dispose_pool(dal__pool *p)
{
    dal_engine *e = p->engine;
    pthread_mutex_lock(&p->lock);
    p->disposed = true;
    dal__conn *idle = p->idle;
    p->idle = NULL;
    p->open -= p->nidle;
    p->nidle = 0;
    /* Waiters get nothing more from this engine: they fail at once. */
    for (dal__waiter *w = p->wait_head; w; w = w->next) {
        w->refused = true;
        pthread_cond_signal(&w->cond);
    }
    p->wait_head = p->wait_tail = NULL;
    p->nwaiting = 0;
    bool emptied = now_emptied(p);
    pthread_mutex_unlock(&p->lock);
    while (idle) {
        dal__conn *next = idle->next_idle;
        dal__conn_close(idle);
        idle = next;
    }
    free_if_done(e, emptied);
}

void dal__pool_dispose(dal_engine *e)
{
    /* The read pool first: e may be freed by the last dispose_pool. */
    if (e->reads != &e->pool) dispose_pool(e->reads);
    dispose_pool(&e->pool);
}

int dal__pool_replace(dal__conn *c, dal__conn **fresh, dal_error *err)
{
    dal__pool *p = c->pool;
    double timeout = c->timeout;
    STAT_ADD(p, discards);
    dal__pool_discarded(p, c->discard_reason ? c->discard_reason : "dead");
    dal__conn_close(c);
    /* This thread still counts as out: the engine is alive until the slot
     * goes back. */
    pthread_mutex_lock(&p->lock);
    bool disposed = p->disposed;
    pthread_mutex_unlock(&p->lock);
    int rc = disposed ? dal__error_set(err, DAL_EMISUSE, "engine disposed")
                      : dal__conn_open(p, fresh, err);
    if (rc) {
        release_slot(p, NULL);
        return rc;
    }
    STAT_ADD(p, connects);
    (*fresh)->timeout = timeout; /* dal_session_set_query_timeout holds on */
    (*fresh)->checked_out_at = dal__now();
    return DAL_OK;
}
