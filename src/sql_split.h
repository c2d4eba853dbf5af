/* Splitting a file of SQL statements at the semicolons that end them. */
#ifndef DAL_SQL_SPLIT_H
#define DAL_SQL_SPLIT_H

#include <stddef.h>

typedef struct dal__sql_statement {
    char *sql; /* one statement without its ';' (dal__free it) */
    int line;  /* where it starts in the file (1-based) */
} dal__sql_statement;

/* Splits text around '...' (with ''), "...", $$...$$ and $tag$...$tag$
 * bodies, -- and (nested) slash-star comments, and the BEGIN ... END body of
 * CREATE TRIGGER (with CASE ... END inside). Statements holding only blanks
 * and comments are dropped. 0, or -1 when memory ran out. *out: free each
 * sql, then the array, with dal__sql_statements_free. */
int dal__sql_split(const char *text, dal__sql_statement **out, size_t *count);
void dal__sql_statements_free(dal__sql_statement *s, size_t count);

#endif
