/* Reading SQL text: comments, quoted tokens and leading keywords. */
#ifndef DAL_SQLTEXT_H
#define DAL_SQLTEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the -- or slash-star comment at p, or 0 (unterminated: the rest). */
size_t dal__sql_comment_length(const char *p);
/* Length of the quoted token at p ('...' and "..." with doubled quotes,
 * `...`, [...]), or 0 (unterminated: the rest). */
size_t dal__sql_quoted_length(const char *p);
/* A plain SELECT (not FOR UPDATE/SHARE, INTO, nextval/setval). */
bool dal__sql_is_plain_read(const char *sql);
/* True for SET statements that outlive the transaction (not SET LOCAL,
 * SET TRANSACTION or SET CONSTRAINTS). */
bool dal__sql_changes_settings(const char *sql);
/* True for statements that leave state in the connection beyond the
 * transaction that no reset_sql undoes: temporary tables, session locks
 * (GET_LOCK, pg_advisory_lock), PREPARE, LOCK TABLES, user variables
 * assigned with :=. May say true of a statement that does not (the cost is
 * a new connection), never false of one that does among these forms. */
bool dal__sql_leaves_session_state(const char *sql);
/* WITH ... INSERT/UPDATE/DELETE/REPLACE. */
bool dal__sql_is_cte_write(const char *sql);
/* *stripped: a copy of sql (dal__free it) with every comment replaced by a
 * blank, quoted text untouched; NULL when sql has no comment. -1: no memory. */
int dal__sql_strip_comments(const char *sql, char **stripped);

#endif
