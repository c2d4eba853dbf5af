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
/* True for statements that change the connection beyond the transaction
 * where the server runs no code that could do it unseen (SQLite: PRAGMA,
 * ATTACH, DETACH, CREATE of a temporary object; MariaDB: SET, USE, CALL,
 * PREPARE, LOCK, HANDLER, DO, temporary tables, GET_LOCK, := ). May say
 * true of a statement that does not (the cost is a reset or a new
 * connection), never false of one of these forms. */
bool dal__sql_changes_connection(const char *sql);
/* WITH ... INSERT/UPDATE/DELETE/REPLACE. */
bool dal__sql_is_cte_write(const char *sql);
/* *stripped: a copy of sql (dal__free it) with every comment replaced by a
 * blank, quoted text untouched; NULL when sql has no comment. -1: no memory. */
int dal__sql_strip_comments(const char *sql, char **stripped);

#endif
