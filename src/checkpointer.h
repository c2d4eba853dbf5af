/* SQLite WAL checkpoints in a thread of their own, so the committing writer
 * (and the writers in line behind it) need not copy the WAL into the
 * database file (see checkpointer.c). */
#ifndef DAL_CHECKPOINTER_H
#define DAL_CHECKPOINTER_H

typedef struct dal__checkpointer dal__checkpointer;

/* Starts the thread for the file connstr opens (it connects on its first
 * checkpoint); NULL when it cannot start. */
dal__checkpointer *dal__checkpointer_start(const char *connstr);
/* Asks for a PASSIVE checkpoint soon (several asks may make one). */
void dal__checkpointer_nudge(dal__checkpointer *c);
/* Ends the thread, closes its connection, frees c (NULL: nothing). */
void dal__checkpointer_stop(dal__checkpointer *c);
/* In a fork child: c belongs to the parent; forgotten, never touched. */
void dal__checkpointer_abandon(dal__checkpointer *c);

#endif
