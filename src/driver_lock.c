#include "driver_lock.h"

#include <pthread.h>

#include "alloc.h"
#include "clock.h"

typedef struct handed_over {
    SQLHDBC dbc;
    bool connected;
    struct handed_over *next;
} handed_over;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER; /* held only briefly */
static handed_over *queue;

bool dal__driver_lock(double seconds)
{
    /* Measured on the monotonic clock, waited in slices of at most 0.1 s
     * (pthread_mutex_timedlock counts on the wall clock, which may step;
     * pthread_mutex_clocklock is unknown to ThreadSanitizer): a step of the
     * wall clock changes the wait by one slice at most. */
    double until = dal__now_precise() + seconds;
    for (;;) {
        double left = until - dal__now_precise();
        if (left <= 0) return pthread_mutex_trylock(&lock) == 0;
        struct timespec slice = dal__deadline(CLOCK_REALTIME, left < 0.1 ? left : 0.1);
        if (pthread_mutex_timedlock(&lock, &slice) == 0) return true;
    }
}

static void close_handle(SQLHDBC dbc, bool connected)
{
    if (connected) SQLDisconnect(dbc);
    dal__odbc_free(SQL_HANDLE_DBC, dbc);
}

/* With the lock held: disconnects every handle handed over. */
static void drain(void)
{
    for (;;) {
        pthread_mutex_lock(&queue_lock);
        handed_over *h = queue;
        if (h) queue = h->next;
        pthread_mutex_unlock(&queue_lock);
        if (!h) return;
        close_handle(h->dbc, h->connected);
        dal__free(h);
    }
}

static bool queue_empty(void)
{
    pthread_mutex_lock(&queue_lock);
    bool empty = queue == NULL;
    pthread_mutex_unlock(&queue_lock);
    return empty;
}

void dal__driver_unlock(void)
{
    drain();
    pthread_mutex_unlock(&lock);
    /* A handle handed over after the drain: whoever gets the lock now
     * disconnects it (this thread, or the next holder when it unlocks). */
    while (!queue_empty() && pthread_mutex_trylock(&lock) == 0) {
        drain();
        pthread_mutex_unlock(&lock);
    }
}

void dal__driver_disconnect(SQLHDBC dbc, bool connected)
{
    if (pthread_mutex_trylock(&lock) == 0) {
        close_handle(dbc, connected);
        dal__driver_unlock();
        return;
    }
    handed_over *h = dal__malloc(sizeof *h);
    if (!h) { /* no memory to hand it over: wait for the lock instead */
        pthread_mutex_lock(&lock);
        close_handle(dbc, connected);
        dal__driver_unlock();
        return;
    }
    h->dbc = dbc;
    h->connected = connected;
    pthread_mutex_lock(&queue_lock);
    h->next = queue;
    queue = h;
    pthread_mutex_unlock(&queue_lock);
    while (!queue_empty() && pthread_mutex_trylock(&lock) == 0) {
        drain();
        pthread_mutex_unlock(&lock);
    }
}

static handed_over *parents; /* kept reachable in a child, never closed */

void dal__driver_fork_prepare(void)
{
    pthread_mutex_lock(&lock);
    pthread_mutex_lock(&queue_lock);
}

void dal__driver_fork_parent(void)
{
    pthread_mutex_unlock(&queue_lock);
    pthread_mutex_unlock(&lock);
}

void dal__driver_fork_child(void)
{
    parents = queue; /* the parent's connections: a disconnect would end them */
    queue = NULL;
    /* Made anew: other threads of the parent may have queued on them. */
    pthread_mutex_init(&queue_lock, NULL);
    pthread_mutex_init(&lock, NULL);
}
