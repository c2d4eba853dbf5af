/* The watchdog thread: one per process, started by the first watched call.
 * Watched calls form a list under one mutex; the thread sleeps until the
 * earliest deadline. Interrupting happens under the mutex, so a call that
 * has ended (and may close its socket or free its handle) is never touched. */
#include "watchdog.h"

#include <math.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#include "clock.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake;
static dal__watch *watched;
static bool started;

static struct timespec as_timespec(double t)
{
    struct timespec ts;
    ts.tv_sec = (time_t)floor(t);
    ts.tv_nsec = (long)((t - floor(t)) * 1e9);
    return ts;
}

static void interrupt(dal__watch *w)
{
    w->fired = true;
    int socket = w->socket >= 0 ? w->socket : w->find_socket ? w->find_socket(w->find_arg) : -1;
    if (socket >= 0) shutdown(socket, SHUT_RDWR); /* the blocked read returns */
    if (w->cancel) SQLCancel(w->cancel);
}

static void *run(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;) {
        double t = dal__now_precise(), earliest = INFINITY;
        for (dal__watch *w = watched; w; w = w->next) {
            if (w->fired) continue;
            if (w->deadline <= t)
                interrupt(w);
            else if (w->deadline < earliest)
                earliest = w->deadline;
        }
        if (isinf(earliest)) {
            pthread_cond_wait(&wake, &lock);
        } else {
            struct timespec until = as_timespec(earliest);
            pthread_cond_timedwait(&wake, &lock, &until);
        }
    }
    return NULL;
}

/* A child of fork() has no watchdog thread: it starts its own. */
static void forget_in_child(void)
{
    pthread_mutex_init(&lock, NULL);
    watched = NULL;
    started = false;
}

/* With the lock held. */
static bool start(void)
{
    if (started) return true;
    static bool fork_handler;
    if (!fork_handler && pthread_atfork(NULL, NULL, forget_in_child) == 0) fork_handler = true;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&wake, &attr);
    pthread_condattr_destroy(&attr);
    if (rc) return false;
    pthread_t thread;
    pthread_attr_t tattr;
    pthread_attr_init(&tattr);
    pthread_attr_setdetachstate(&tattr, PTHREAD_CREATE_DETACHED);
    rc = pthread_create(&thread, &tattr, run, NULL);
    pthread_attr_destroy(&tattr);
    if (rc) {
        pthread_cond_destroy(&wake);
        return false;
    }
    started = true;
    return true;
}

bool dal__watchdog_ready(void)
{
    pthread_mutex_lock(&lock);
    bool ok = start();
    pthread_mutex_unlock(&lock);
    return ok;
}

static bool watch(dal__watch *w, double seconds, int socket, SQLHANDLE cancel,
                  int (*find_socket)(void *arg), void *arg)
{
    w->find_socket = find_socket;
    w->find_arg = arg;
    w->fired = false;
    w->prev = w->next = NULL;
    w->deadline = 0;
    if (seconds <= 0) return true;
    w->deadline = dal__now_precise() + seconds;
    w->socket = socket;
    w->cancel = cancel;
    pthread_mutex_lock(&lock);
    if (!start()) {
        pthread_mutex_unlock(&lock);
        w->deadline = 0;
        return false;
    }
    /* Deadlines mostly grow: the thread needs waking only for an earlier one. */
    bool earliest = true;
    for (dal__watch *o = watched; o && earliest; o = o->next)
        if (!o->fired && o->deadline <= w->deadline) earliest = false;
    w->next = watched;
    if (watched) watched->prev = w;
    watched = w;
    if (earliest) pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    return true;
}

bool dal__watch_begin(dal__watch *w, double seconds, int socket, SQLHANDLE cancel)
{
    return watch(w, seconds, socket, cancel, NULL, NULL);
}

bool dal__watch_begin_finding(dal__watch *w, double seconds, int (*find_socket)(void *arg),
                              void *arg)
{
    return watch(w, seconds, -1, NULL, find_socket, arg);
}

bool dal__watch_end(dal__watch *w)
{
    if (w->deadline == 0) return false;
    pthread_mutex_lock(&lock);
    if (w->prev)
        w->prev->next = w->next;
    else
        watched = w->next;
    if (w->next) w->next->prev = w->prev;
    bool fired = w->fired;
    pthread_mutex_unlock(&lock);
    w->deadline = 0;
    return fired;
}
