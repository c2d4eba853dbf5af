/* Transaction isolation levels at no round trip of their own: the engine's
 * level is each connection's default, set once at connect; a session's
 * other level goes in BEGIN's message on PostgreSQL (psqlODBC sends BEGIN
 * with the transaction's first statement that has no parameters), and on
 * MariaDB, which has no BEGIN message, becomes the connection's default,
 * kept for the next sessions (one statement when a connection changes
 * level). SQLite has one level: serializable. */
#include <stdio.h>

#include "engine_internal.h"
#include "error_internal.h"

static const char *const level_sql[] = {NULL, "READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"};

int dal_session_set_isolation(dal_session *s, dal_isolation level, dal_error *err)
{
    if (!s) return dal__error_set(err, DAL_EMISUSE, "session is NULL");
    if ((int)level < DAL_ISOLATION_DEFAULT || (int)level > DAL_ISOLATION_SERIALIZABLE)
        return dal__error_set(err, DAL_EMISUSE, "dal_session_set_isolation: %d is not a "
                                                "dal_isolation", (int)level);
    s->isolation = (int)level;
    return DAL_OK;
}

static int run(dal__conn *c, const char *format, int level, dal_error *err)
{
    char sql[128];
    snprintf(sql, sizeof sql, format, level_sql[level]);
    return dal__conn_exec_direct(c, sql, err);
}

int dal__isolation_setup(dal__conn *c, dal_error *err)
{
    const dal_engine *e = c->engine;
    /* Read-only connections run each statement alone in autocommit (and a
     * PostgreSQL standby refuses SERIALIZABLE). */
    c->isolation_now = c->pool->read_only ? DAL_ISOLATION_DEFAULT : e->isolation;
    /* Behind a transaction pooler, every transaction says its level. */
    if (e->pooler == DAL__POOLER_TRANSACTION) c->isolation_now = DAL_ISOLATION_DEFAULT;
    if (!c->isolation_now || !e->dialect->isolation_session_sql) return DAL_OK;
    return run(c, e->dialect->isolation_session_sql, c->isolation_now, err);
}

int dal__isolation_begin(dal_session *s, dal_error *err)
{
    dal__conn *c = s->conn;
    const dal__dialect *d = s->engine->dialect;
    int want = s->isolation ? s->isolation : s->engine->isolation;
    if (want == c->isolation_now || !d->isolation_session_sql) return DAL_OK;
    if (d->isolation_txn_sql) return run(c, d->isolation_txn_sql, want, err);
    int rc = want ? run(c, d->isolation_session_sql, want, err)
                  : dal__conn_exec_direct(c, d->isolation_default_sql, err);
    if (!rc) c->isolation_now = want;
    return rc;
}
