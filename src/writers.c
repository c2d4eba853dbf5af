/* SQLite allows one writer at a time per database file. A writer that
 * finds the lock taken gets SQLITE_BUSY and sleeps in the busy handler in
 * steps of milliseconds, while the lock may already be free: under
 * concurrent writes the tail was 100 times the median. Writers of one file
 * in this process therefore wait in line, each on a condition variable of
 * its own, woken at once by the commit before. A thread that is running
 * may take a free lock before a woken one (handing every lock to a
 * sleeping thread cost 10-20% of the throughput on 2 cores: a context
 * switch per transaction); a writer that has waited HANDOFF_AFTER is handed
 * it, so no wait grows without bound. SQLite's own lock and busy timeout
 * remain for writers of other processes. The WAL checkpoint runs in a
 * thread of its own (checkpointer.c), not in the line.
 * A transaction takes its place in line at its first write. One that read
 * before holds a snapshot: if another writer of this process committed
 * since, SQLite would refuse it the write lock (SQLITE_BUSY_SNAPSHOT,
 * reported by sqliteodbc only after its busy timeout), so it fails at once
 * with DAL_ECONFLICT, to be run again (dal_with_scope_retry). */
#include "writers.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "checkpointer.h"
#include "clock.h"
#include "engine_internal.h"
#include "error_internal.h"

typedef struct writer_waiter {
    pthread_cond_t cond;
    bool granted;
    double since; /* dal__now_precise() when it queued */
    struct writer_waiter *next;
} writer_waiter;

/* A PASSIVE checkpoint is asked for every this many commits of the file in
 * this process (about 100 WAL pages with small transactions). Measured on
 * the HTTP example: every 16, 32, 64, 128 commits gave a p99 of 4.8, 5.2,
 * 9.6, 13.5 times the median at 4 connections (1,000 pages, SQLite's own
 * checkpoint alone: 17.7). */
#define CHECKPOINT_EVERY 32
/* Seconds a writer waits in line before the lock is handed to it rather
 * than left for a running thread to take (see release). */
#define HANDOFF_AFTER 0.001

struct dal__writers {
    char *path; /* the file's absolute path: the key */
    char *connstr; /* the first engine's, for the checkpointer's connection */
    dal__checkpointer *checkpointer; /* started at the first nudge (checkpointer.c) */
    bool no_checkpointer;            /* it could not start: SQLite checkpoints alone */
    int refs;
    pthread_mutex_t lock;
    bool held;
    _Atomic uint64_t commits; /* written under lock, read without it */
    writer_waiter *head, *tail;
    dal__writers *next;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static dal__writers *registry;

/* The file's absolute path, with its directory resolved (the file itself
 * may not exist yet). */
static char *absolute(const char *path)
{
    char *dir_copy = dal__strdup(path), *base_copy = dal__strdup(path);
    char resolved[PATH_MAX], *out = NULL;
    if (dir_copy && base_copy && realpath(dirname(dir_copy), resolved)) {
        const char *base = basename(base_copy);
        size_t n = strlen(resolved) + strlen(base) + 2;
        if ((out = dal__malloc(n))) {
            strcpy(out, resolved);
            if (strcmp(resolved, "/")) strcat(out, "/");
            strcat(out, base);
        }
    }
    dal__free(dir_copy);
    dal__free(base_copy);
    return out ? out : dal__strdup(path);
}

dal__writers *dal__writers_get(const char *path, const char *connstr)
{
    char *key = absolute(path);
    if (!key) return NULL;
    pthread_mutex_lock(&registry_lock);
    dal__writers *w = registry;
    while (w && strcmp(w->path, key))
        w = w->next;
    if (w) {
        w->refs++;
        dal__free(key);
    } else if ((w = dal__calloc(1, sizeof *w)) && (w->connstr = dal__strdup(connstr))) {
        w->path = key;
        w->refs = 1;
        pthread_mutex_init(&w->lock, NULL);
        w->next = registry;
        registry = w;
    } else {
        if (w) dal__free(w);
        w = NULL;
        dal__free(key);
    }
    pthread_mutex_unlock(&registry_lock);
    return w;
}

void dal__writers_put(dal__writers *w)
{
    if (!w) return;
    pthread_mutex_lock(&registry_lock);
    bool last = --w->refs == 0;
    if (last) {
        dal__writers **p = &registry;
        while (*p != w)
            p = &(*p)->next;
        *p = w->next;
    }
    pthread_mutex_unlock(&registry_lock);
    if (!last) return;
    dal__checkpointer_stop(w->checkpointer); /* joins its thread: not under a lock */
    pthread_mutex_destroy(&w->lock);
    dal__free(w->connstr);
    dal__free(w->path);
    dal__free(w);
}

/* Every CHECKPOINT_EVERY commits: the file's checkpointer copies the WAL
 * while the writers go on (started here the first time). */
static void nudge_checkpointer(dal__writers *w)
{
    pthread_mutex_lock(&w->lock);
    if (!w->checkpointer && !w->no_checkpointer) {
        w->checkpointer = dal__checkpointer_start(w->connstr);
        w->no_checkpointer = !w->checkpointer;
    }
    dal__checkpointer *c = w->checkpointer;
    pthread_mutex_unlock(&w->lock);
    if (c) dal__checkpointer_nudge(c);
}

uint64_t dal__writers_commits(dal__writers *w) { return atomic_load(&w->commits); }

static void remove_waiter(dal__writers *w, writer_waiter *me)
{
    writer_waiter **p = &w->head, *prev = NULL;
    while (*p && *p != me) {
        prev = *p;
        p = &(*p)->next;
    }
    if (!*p) return;
    *p = me->next;
    if (w->tail == me) w->tail = prev;
}

/* With the lock held: the lock to the first in line, or free. */
static void hand_on(dal__writers *w)
{
    writer_waiter *next = w->head;
    if (!next) {
        w->held = false;
        return;
    }
    w->head = next->next; /* handed over: held stays true */
    if (!w->head) w->tail = NULL;
    next->granted = true;
    pthread_cond_signal(&next->cond);
}

/* With the lock held: the lock is given up. A waiter that queued less than
 * HANDOFF_AFTER ago is only woken, and a thread that is running may take
 * the lock first (handing it to a thread that is not on a CPU stalls the
 * file for a context switch each time); one that waited longer gets it. */
static void release(dal__writers *w)
{
    writer_waiter *next = w->head;
    if (next && dal__now_precise() - next->since < HANDOFF_AFTER) {
        w->held = false;
        pthread_cond_signal(&next->cond);
        return;
    }
    hand_on(w);
}

/* With the lock held: waits for the lock until deadline. */
static bool wait_in_line(dal__writers *w, double seconds)
{
    writer_waiter me = {.granted = false, .since = dal__now_precise(), .next = NULL};
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int init = pthread_cond_init(&me.cond, &attr);
    pthread_condattr_destroy(&attr);
    if (init) return false;
    if (w->tail)
        w->tail->next = &me;
    else
        w->head = &me;
    w->tail = &me;
    struct timespec deadline = dal__deadline(CLOCK_MONOTONIC, seconds);
    while (!me.granted) {
        if (!w->held) { /* released without a hand-over: take it if still free */
            w->held = me.granted = true;
            break;
        }
        if (pthread_cond_timedwait(&me.cond, &w->lock, &deadline) == ETIMEDOUT && !me.granted &&
            w->held)
            break;
    }
    remove_waiter(w, &me); /* still in line unless handed the lock */
    pthread_cond_destroy(&me.cond);
    return me.granted;
}

int dal__writers_enter(dal_session *s, dal_error *err)
{
    dal__writers *w = s->engine->writers;
    if (!w || s->holds_writer) return DAL_OK;
    /* As long as the driver would have waited for SQLite's lock (its busy
     * timeout), or the session's query_timeout when shorter. */
    double query = s->conn->timeout, limit = s->engine->lock_wait;
    bool timed = query > 0 && (query < limit || limit <= 0);
    if (timed) limit = query;
    double started = dal__now_precise();
    pthread_mutex_lock(&w->lock);
    bool got = !w->held;
    if (got)
        w->held = true;
    else
        got = wait_in_line(w, limit);
    bool stale = got && s->txn_later && w->commits != s->commits_seen;
    if (stale) release(w); /* straight on: this transaction cannot write */
    pthread_mutex_unlock(&w->lock);
    double waited = dal__now_precise() - started;
    s->queued += waited;
    dal__stats_add_ns(&s->conn->pool->writer_wait_ns, waited);
    if (!got)
        return dal__error_set(err, timed ? DAL_ETIMEOUT : DAL_EBUSY,
                              "waited %gs (%s) for the write lock of %s, held by another session "
                              "of this process",
                              limit, timed ? "query_timeout" : "the busy timeout", w->path);
    if (stale)
        return dal__error_set(err, DAL_ECONFLICT,
                              "another writer committed after this transaction began reading: "
                              "SQLite cannot give it the write lock; roll back and run it again");
    s->holds_writer = true;
    s->writer_generation = atomic_load(&dal__forks);
    return DAL_OK;
}

void dal__writers_leave(dal_session *s, bool committed)
{
    dal__writers *w = s->engine->writers;
    if (!w || !s->holds_writer) return;
    s->holds_writer = false;
    if (s->writer_generation != atomic_load(&dal__forks)) return; /* the parent's line */
    pthread_mutex_lock(&w->lock);
    if (committed) w->commits++;
    bool nudge = committed && w->commits % CHECKPOINT_EVERY == 0;
    release(w);
    pthread_mutex_unlock(&w->lock);
    if (nudge) nudge_checkpointer(w);
}

void dal__writers_fork_child(void)
{
    pthread_mutex_init(&registry_lock, NULL);
    for (dal__writers *w = registry; w; w = w->next) {
        pthread_mutex_init(&w->lock, NULL);
        w->held = false;
        w->head = w->tail = NULL;
        dal__checkpointer_abandon(w->checkpointer); /* its thread stayed in the parent */
        w->checkpointer = NULL;
        w->no_checkpointer = false;
    }
}
