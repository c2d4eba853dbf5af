/* SQLite's WAL checkpoint, off the writers' line. SQLite checkpoints when a
 * commit leaves 1,000 pages in the WAL, in the committing writer: copying
 * those pages into the database file took 8-9 ms here, while every other
 * writer of the file waited in line (the p99 of concurrent writes was 16-18
 * times the median, and without checkpoints 2-4 times). So a thread of the
 * file's own, on a connection of its own, runs PASSIVE checkpoints as the
 * WAL grows (nudged every CHECKPOINT_EVERY commits of this process): they
 * copy pages while writers go on appending, never take the write lock and
 * never wait. The writer's own checkpoint at 1,000 pages then finds almost
 * everything copied (0.1 ms for a few frames), completes, and lets the next
 * writer start the WAL over, so it does not grow. When this thread cannot
 * connect, nothing changes: SQLite's own checkpoints go on as before. */
#include "checkpointer.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "alloc.h"
#include "driver_lock.h"
#include "odbc.h"

struct dal__checkpointer {
    dal__checkpointer *next_abandoned;
    char *connstr; /* the first engine's: the file, its driver and settings */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool pending, stop;
    SQLHDBC dbc; /* NULL until a checkpoint connects it (tried again at each nudge) */
};

/* The thread's connection, opened on first need; false when it cannot be. */
static bool connect_once(dal__checkpointer *c)
{
    if (c->dbc) return true;
    SQLHENV env;
    dal_error ignored = DAL_ERROR_INIT;
    if (dal__odbc_env(&env, &ignored)) return false;
    SQLHDBC dbc;
    if (!DAL__ODBC_OK(dal__odbc_alloc(SQL_HANDLE_DBC, env, &dbc))) return false;
    if (!dal__driver_lock(5)) {
        dal__odbc_free(SQL_HANDLE_DBC, dbc);
        return false;
    }
    SQLRETURN sr = SQLDriverConnect(dbc, NULL, (SQLCHAR *)c->connstr, SQL_NTS, NULL, 0, NULL,
                                    SQL_DRIVER_NOPROMPT);
    dal__driver_unlock();
    if (!DAL__ODBC_OK(sr)) {
        dal__driver_disconnect(dbc, false);
        return false;
    }
    c->dbc = dbc;
    return true;
}

/* One PASSIVE checkpoint: copies what it can, waits for nothing. */
static void checkpoint(dal__checkpointer *c)
{
    if (!connect_once(c)) return;
    SQLHSTMT h;
    if (!DAL__ODBC_OK(dal__odbc_alloc(SQL_HANDLE_STMT, c->dbc, &h))) return;
    SQLRETURN sr = SQLExecDirect(h, (SQLCHAR *)"PRAGMA wal_checkpoint(PASSIVE)", SQL_NTS);
    while (DAL__ODBC_OK(sr))
        sr = SQLFetch(h); /* the row (busy, WAL frames, copied): not needed */
    dal__odbc_free(SQL_HANDLE_STMT, h);
}

static void *run(void *arg)
{
    dal__checkpointer *c = arg;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->pending && !c->stop)
            pthread_cond_wait(&c->cond, &c->lock);
        if (c->stop) break;
        c->pending = false;
        pthread_mutex_unlock(&c->lock);
        checkpoint(c);
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

dal__checkpointer *dal__checkpointer_start(const char *connstr)
{
    dal__checkpointer *c = dal__calloc(1, sizeof *c);
    if (!c || !(c->connstr = dal__strdup(connstr))) {
        dal__free(c);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    if (pthread_create(&c->thread, NULL, run, c)) {
        pthread_cond_destroy(&c->cond);
        pthread_mutex_destroy(&c->lock);
        dal__free(c->connstr);
        dal__free(c);
        return NULL;
    }
    return c;
}

void dal__checkpointer_nudge(dal__checkpointer *c)
{
    pthread_mutex_lock(&c->lock);
    c->pending = true;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

void dal__checkpointer_stop(dal__checkpointer *c)
{
    if (!c) return;
    pthread_mutex_lock(&c->lock);
    c->stop = true;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    if (c->dbc) dal__driver_disconnect(c->dbc, true);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->lock);
    dal__free(c->connstr);
    dal__free(c);
}

/* A fork child's: its thread stayed in the parent, its connection is the
 * parent's. Kept reachable, never touched. */
static dal__checkpointer *abandoned;

void dal__checkpointer_abandon(dal__checkpointer *c)
{
    if (!c) return;
    c->next_abandoned = abandoned;
    abandoned = c;
}
