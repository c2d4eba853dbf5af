#ifndef DAL_DRIVER_RESOLVE_H
#define DAL_DRIVER_RESOLVE_H

#include "../drivers/dialect.h"
#include "buf.h"

/* The installed driver names, each NUL-terminated, one after the other. */
int dal__installed_drivers(dal__buf *names, dal_error *err);
/* The driver to use: wanted (a name or a library path) when given, else the
 * first of the dialect's names that is installed; "" for DSNs. */
int dal__resolve_driver(const dal__dialect *d, const char *wanted, char **out, dal_error *err);

/* fork.c: the listing's lock around fork() (prepare: held; parent:
 * released; child: made anew). */
void dal__drivers_fork_prepare(void);
void dal__drivers_fork_parent(void);
void dal__drivers_fork_child(void);

#endif
