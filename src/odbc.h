/* ODBC plumbing shared by the library: the environment handle and turning
 * diagnostic records into dal_error. */
#ifndef DAL_ODBC_H
#define DAL_ODBC_H

#include <stddef.h>
#include <sql.h>
#include <sqlext.h>

#include "dal/error.h"

struct dal__dialect;

/* A function, not a macro of (rc) == ... || (rc) == ...: rc is often the
 * driver call itself, which must run once. */
static inline int dal__odbc_ok(SQLRETURN rc)
{
    return rc == SQL_SUCCESS || rc == SQL_SUCCESS_WITH_INFO;
}
#define DAL__ODBC_OK(rc) dal__odbc_ok(rc)

/* SQLAllocHandle and SQLFreeHandle, never under way while fork() runs:
 * unixODBC holds a mutex of its own in them, which a child forked meanwhile
 * would find locked forever (see fork.c). */
SQLRETURN dal__odbc_alloc(SQLSMALLINT type, SQLHANDLE parent, SQLHANDLE *out);
SQLRETURN dal__odbc_free(SQLSMALLINT type, SQLHANDLE h);
/* fork.c: around fork(), the guard those take (prepare: held; parent:
 * released; child: made anew). */
void dal__odbc_fork_prepare(void);
void dal__odbc_fork_parent(void);
void dal__odbc_fork_child(void);

/* The process-wide ODBC environment (ODBC 3.80, no driver-manager pooling). */
int dal__odbc_env(SQLHENV *out, dal_error *err);

/* Reads all diagnostic records of handle into err (first error wins),
 * classifies them by the first record, and returns the dal_code. context says
 * what dal was doing; passwords are masked as dal__mask_passwords does. */
int dal__odbc_error(SQLSMALLINT handle_type, SQLHANDLE handle, const struct dal__dialect *d,
                    const char *context, const char *secret, dal_error *err);

/* Copies s into out (cap bytes, one line) with passwords masked where they
 * stand as passwords: values of PWD= and PASSWORD= attributes, URL
 * passwords (://user:***@), and secret (the engine's password) anywhere
 * when it cannot be a word of the text (8+ characters with a non-letter, or
 * 16+). */
void dal__mask_passwords(const char *s, char *out, size_t cap, const char *secret);

/* The dal_code for a SQLSTATE and native code. */
int dal__odbc_classify(const struct dal__dialect *d, const char *sqlstate, long native);

#endif
