/* unixODBC loads and unloads driver libraries through libltdl, whose search
 * path is process-global and unguarded: two threads connecting (or
 * disconnecting) at once race on it (found by ThreadSanitizer). So connects
 * and disconnects are serialised by one lock, never held together with a
 * pool lock. A connect to a hung server holds it up to connect_timeout: a
 * disconnect never waits for it, it is handed to the lock's holder. */
#ifndef DAL_DRIVER_LOCK_H
#define DAL_DRIVER_LOCK_H

#include <stdbool.h>

#include "odbc.h"

/* Takes the lock, waiting at most seconds; false when that ran out. */
bool dal__driver_lock(double seconds);
/* Disconnects what was handed over meanwhile, then releases the lock. */
void dal__driver_unlock(void);
/* Disconnects and frees dbc now when the lock is free, else hands it to
 * the lock's holder: never waits. */
void dal__driver_disconnect(SQLHDBC dbc, bool connected);

/* fork.c: prepare takes the lock (no connect or disconnect of dal's is
 * under way in the child); parent releases it; child releases it and
 * forgets the parent's handed-over handles, which it must never close. */
void dal__driver_fork_prepare(void);
void dal__driver_fork_parent(void);
void dal__driver_fork_child(void);

#endif
