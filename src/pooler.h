/* Behind a connection pooler (URL key pooler=, PostgreSQL): what dal does
 * differently, and what it refuses. See README "Behind a connection pooler". */
#ifndef DAL_POOLER_H
#define DAL_POOLER_H

#include "dal/error.h"
#include "url.h"

/* DAL_EURL for pooler= on another backend, and for settings that cannot
 * work behind a transaction pooler (psqlODBC's UseDeclareFetch cursors). */
int dal__pooler_check_url(const dal__url *u, dal_error *err);

/* DAL_EMISUSE, naming the pooler, for a statement that needs the same
 * server session across transactions (LISTEN, SET without LOCAL, SQL
 * PREPARE, session advisory locks, temporary tables that outlive the
 * transaction, cursors WITH HOLD); DAL_OK for the others. */
int dal__pooler_check_sql(const char *sql, dal_error *err);
#endif
