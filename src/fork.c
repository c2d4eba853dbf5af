/* fork() is safe. A child shares its parent's sockets: a statement, a ping
 * or a disconnect (a protocol Terminate) from the child would land on the
 * parent's server session. So a child never touches a connection it
 * inherited: its pools start empty, and a session it inherited (a scope of
 * the forking thread) fails with DAL_EMISUSE and, when it ends, gives its
 * connection up without a word to the server: the child closes only its
 * copy of the socket.
 *
 * Locks: prepare takes every lock that another thread could hold at the
 * fork (the engines' list, the driver lock, the ODBC handle guard, every
 * pool's lock), so the child finds each in a known state. None of those is
 * held across a network call except the driver lock, which a connect holds
 * up to connect_timeout: a fork waits for that connect to end. */
#include <pthread.h>
#include <unistd.h>

#include "driver_lock.h"
#include "driver_resolve.h"
#include "hosts.h"
#include "engine_internal.h"
#include "writers.h"
#include "error_internal.h"

atomic_uint dal__forks;

static pthread_mutex_t engines_lock = PTHREAD_MUTEX_INITIALIZER;
static dal_engine *engines;
static dal__conn *abandoned; /* inherited connections, kept reachable, never used */
static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

static void each_pool(void (*fn)(dal__pool *p))
{
    for (dal_engine *e = engines; e; e = e->next_engine) {
        fn(&e->pool);
        if (e->reads != &e->pool) fn(e->reads);
    }
}

static void lock_pool(dal__pool *p) { pthread_mutex_lock(&p->lock); }

static void unlock_pool(dal__pool *p) { pthread_mutex_unlock(&p->lock); }

int dal__conn_check_owned(const dal__conn *c, dal_error *err)
{
    if (!dal__conn_inherited(c)) return DAL_OK;
    return dal__error_set(
        err, DAL_EMISUSE,
        "this session's connection was inherited across fork(): it belongs to "
        "the parent process; end the scope or close the session and open another");
}

void dal__conn_abandon(dal__conn *c)
{
    if (c->socket >= 0) close(c->socket); /* the child's copy: the parent's stays open */
    c->socket = -1;
    c->next_idle = abandoned;
    abandoned = c;
}

/* In the child: the pool keeps its limits and the sessions the forking
 * thread holds (they come back through dal__pool_checkin); every other
 * connection belonged to the parent. */
static void empty_pool(dal__pool *p)
{
    for (dal__conn *c = p->idle, *next; c; c = next) {
        next = c->next_idle;
        dal__conn_abandon(c);
    }
    p->idle = NULL;
    p->nidle = 0;
    p->open = 0; /* connections, and slots of connects in other threads */
    p->wait_head = p->wait_tail = NULL;
    p->nwaiting = 0;
    p->inside = 0;
    pthread_mutex_init(&p->lock, NULL); /* made anew: parent threads may have queued on it */
}

/* The host lists' state (hosts.c) is locked like the pools. */
static void each_engine_hosts(void (*fn)(dal_engine *e))
{
    for (dal_engine *e = engines; e; e = e->next_engine)
        fn(e);
}

static void prepare(void)
{
    pthread_mutex_lock(&engines_lock);
    dal__drivers_fork_prepare();
    dal__driver_fork_prepare();
    dal__odbc_fork_prepare();
    each_pool(lock_pool);
    each_engine_hosts(dal__hosts_fork_prepare);
}

static void parent(void)
{
    each_engine_hosts(dal__hosts_fork_parent);
    each_pool(unlock_pool);
    dal__odbc_fork_parent();
    dal__driver_fork_parent();
    dal__drivers_fork_parent();
    pthread_mutex_unlock(&engines_lock);
}

static void child(void)
{
    atomic_fetch_add(&dal__forks, 1); /* every connection from before is inherited */
    each_pool(empty_pool);
    each_engine_hosts(dal__hosts_fork_child);
    dal__odbc_fork_child();
    dal__driver_fork_child();
    dal__drivers_fork_child();
    dal__scope_fork_child();
    dal__writers_fork_child();
    pthread_mutex_init(&engines_lock, NULL);
}

static void install_handlers(void) { pthread_atfork(prepare, parent, child); }

void dal__fork_track(dal_engine *e)
{
    pthread_once(&handlers_once, install_handlers);
    pthread_mutex_lock(&engines_lock);
    e->next_engine = engines;
    engines = e;
    pthread_mutex_unlock(&engines_lock);
}

void dal__fork_untrack(dal_engine *e)
{
    pthread_mutex_lock(&engines_lock);
    dal_engine **pp = &engines;
    while (*pp && *pp != e)
        pp = &(*pp)->next_engine;
    if (*pp) *pp = e->next_engine;
    pthread_mutex_unlock(&engines_lock);
}
