#define _GNU_SOURCE /* writer-preferring rwlocks (glibc) */
#include <pthread.h>

#include "rwlock.h"

#include "error_internal.h"
#include "odbc.h"

/* Readers: threads inside SQLAllocHandle / SQLFreeHandle; the writer:
 * fork()'s prepare handler. Writers first, so a stream of allocations
 * cannot hold a fork back. */
static pthread_rwlock_t fork_guard = DAL__RWLOCK_WRITERS_FIRST;

SQLRETURN dal__odbc_alloc(SQLSMALLINT type, SQLHANDLE parent, SQLHANDLE *out)
{
    pthread_rwlock_rdlock(&fork_guard);
    SQLRETURN sr = SQLAllocHandle(type, parent, out);
    pthread_rwlock_unlock(&fork_guard);
    return sr;
}

SQLRETURN dal__odbc_free(SQLSMALLINT type, SQLHANDLE h)
{
    pthread_rwlock_rdlock(&fork_guard);
    SQLRETURN sr = SQLFreeHandle(type, h);
    pthread_rwlock_unlock(&fork_guard);
    return sr;
}

void dal__odbc_fork_prepare(void) { pthread_rwlock_wrlock(&fork_guard); }

void dal__odbc_fork_parent(void) { pthread_rwlock_unlock(&fork_guard); }

void dal__odbc_fork_child(void)
{
    /* Made anew: other threads of the parent may have queued on it. */
    fork_guard = (pthread_rwlock_t)DAL__RWLOCK_WRITERS_FIRST;
}

static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static SQLHENV env = SQL_NULL_HENV;

static void env_init(void)
{
    SQLHENV h;
    if (!DAL__ODBC_OK(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &h))) return;
    if (!DAL__ODBC_OK(SQLSetEnvAttr(h, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3_80, 0)) &&
        !DAL__ODBC_OK(SQLSetEnvAttr(h, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0))) {
        SQLFreeHandle(SQL_HANDLE_ENV, h);
        return;
    }
    /* dal pools itself: the driver manager's pool does not reset connections. */
    SQLSetEnvAttr(h, SQL_ATTR_CONNECTION_POOLING, (SQLPOINTER)SQL_CP_OFF, 0);
    env = h;
}

int dal__odbc_env(SQLHENV *out, dal_error *err)
{
    pthread_once(&env_once, env_init);
    if (env == SQL_NULL_HENV)
        return dal__error_set(err, DAL_EODBC, "could not allocate the ODBC environment handle");
    *out = env;
    return DAL_OK;
}
