#include <pthread.h>

#include "error_internal.h"
#include "odbc.h"

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
