/* The line of writers of one SQLite database file in this process
 * (writers.c). */
#ifndef DAL_WRITERS_H
#define DAL_WRITERS_H

#include <stdbool.h>
#include <stdint.h>

#include "dal/error.h"

typedef struct dal__writers dal__writers;
struct dal_session;

/* The line for the database file at path (relative to the working
 * directory or absolute), shared by every engine of this process on that
 * file; NULL when out of memory. Give it back with dal__writers_put. */
dal__writers *dal__writers_get(const char *path, const char *connstr);
void dal__writers_put(dal__writers *w);

/* Before a transaction's first write: waits in line (FIFO) for the file's
 * write lock, as long as the driver's busy timeout (DAL_EBUSY after it) or
 * the session's query_timeout when shorter (DAL_ETIMEOUT); DAL_ECONFLICT, without waiting
 * longer than needed, when the transaction read before and another writer
 * of this process committed since it began (its snapshot is stale: SQLite
 * would refuse it the lock). */
int dal__writers_enter(struct dal_session *s, dal_error *err);
/* At the transaction's end (committed says whether it committed): the
 * next in line gets the lock at once. A no-op when not held. */
void dal__writers_leave(struct dal_session *s, bool committed);
/* The commits of the file's writers in this process so far. */
uint64_t dal__writers_commits(dal__writers *w);
/* In a forked child: every line empty and free (the parent's threads are
 * not there). */
void dal__writers_fork_child(void);
#endif
