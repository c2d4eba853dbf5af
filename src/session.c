/* Sessions: a checked-out connection and its transaction (see txn.c). */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "engine_internal.h"
#include "error_internal.h"

/* Records a failure as the session's last error and passes it to err. */
static int fail(dal_session *s, const dal_error *local, dal_error *err)
{
    s->last_error = *local;
    return dal__error_copy(err, local);
}

#define CHECK_SESSION(s, err)                                                                      \
    do {                                                                                           \
        if (!(s)) return dal__error_set(err, DAL_EMISUSE, "session is NULL");                      \
        if (!(s)->conn)                                                                            \
            return dal__error_set(err, DAL_EDISCONNECTED,                                          \
                                  "session lost its connection: close it and open another");       \
    } while (0)

int dal_session_open(dal_engine *e, dal_session **out, dal_error *err)
{
    if (!out) return dal__error_set(err, DAL_EMISUSE, "dal_session_open: out is NULL");
    *out = NULL;
    if (!e) return dal__error_set(err, DAL_EMISUSE, "dal_session_open: engine is NULL");
    dal__conn *c;
    return dal__pool_checkout(e, &c, out, err);
}

/* Gives back every statement the session still holds. */
static void release_statements(dal_session *s)
{
    dal__conn *c = s->conn;
    for (int i = 0; i < c->ncache && s->held; i++)
        if (c->cache[i]->session == s) dal__stmt_release(c->cache[i]);
    while (s->uncached)
        dal__stmt_release(s->uncached);
}

void dal_session_close(dal_session *s)
{
    if (!s) return;
    if (!s->conn) { /* its connection died and no new one could be had */
        dal__free(s);
        return;
    }
    release_statements(s);
    dal__conn *c = s->conn;
    dal_error ignored = DAL_ERROR_INIT;
    bool discard = c->broken || dal__txn_end(s, false, &ignored) != DAL_OK;
    /* The next user gets the settings dal made, not the ones this user SET. */
    if (!discard && c->settings_changed) discard = dal__conn_reset_settings(c, &ignored) != DAL_OK;
    dal__pool_checkin(s->engine, c, s, discard);
}

const dal_error *dal_session_last_error(const dal_session *s)
{
    static const dal_error none = DAL_ERROR_INIT;
    return s ? &s->last_error : &none;
}

dal_engine *dal_session_engine(const dal_session *s) { return s ? s->engine : NULL; }

int dal_session_commit(dal_session *s, dal_error *err)
{
    CHECK_SESSION(s, err);
    dal_error local = DAL_ERROR_INIT;
    int rc = dal__txn_end(s, true, &local);
    if (rc) {
        /* Whatever the commit did, nothing is left open: roll back so the
         * session is in a new, empty transaction. */
        dal_error ignored = DAL_ERROR_INIT;
        if (!s->conn->broken) dal__txn_end(s, false, &ignored);
        s->in_txn = false;
        s->nested = 0;
    }
    return rc ? fail(s, &local, err) : DAL_OK;
}

int dal_session_rollback(dal_session *s, dal_error *err)
{
    CHECK_SESSION(s, err);
    dal_error local = DAL_ERROR_INIT;
    int rc = dal__txn_end(s, false, &local);
    return rc ? fail(s, &local, err) : DAL_OK;
}

static int savepoint(dal_session *s, const char *verb, int depth, dal_error *err)
{
    if (!(s->engine->dialect->caps & DAL__CAP_SAVEPOINTS))
        return dal__error_set(err, DAL_EMISUSE, "%s does not support savepoints",
                              s->engine->dialect->name);
    char sql[64];
    snprintf(sql, sizeof sql, "%s dal_sp_%d", verb, depth);
    int rc = dal__txn_before(s, false, err);
    return rc ? rc : dal__conn_exec_direct(s->conn, sql, err);
}

int dal_session_begin_nested(dal_session *s, dal_error *err)
{
    CHECK_SESSION(s, err);
    dal_error local = DAL_ERROR_INIT;
    int rc = savepoint(s, "SAVEPOINT", s->nested + 1, &local);
    if (rc) return fail(s, &local, err);
    return ++s->nested;
}

int dal_session_release_nested(dal_session *s, dal_error *err)
{
    CHECK_SESSION(s, err);
    if (s->nested == 0) return dal__error_set(err, DAL_EMISUSE, "no nested transaction is open");
    dal_error local = DAL_ERROR_INIT;
    int rc = savepoint(s, "RELEASE SAVEPOINT", s->nested, &local);
    if (rc) return fail(s, &local, err);
    s->nested--;
    return DAL_OK;
}

int dal_session_rollback_nested(dal_session *s, dal_error *err)
{
    CHECK_SESSION(s, err);
    if (s->nested == 0) return dal__error_set(err, DAL_EMISUSE, "no nested transaction is open");
    dal_error local = DAL_ERROR_INIT;
    int rc = savepoint(s, "ROLLBACK TO SAVEPOINT", s->nested, &local);
    if (!rc) rc = savepoint(s, "RELEASE SAVEPOINT", s->nested, &local);
    if (rc) return fail(s, &local, err);
    s->nested--;
    return DAL_OK;
}

/* Takes the statement for sql out of the connection's cache for s. */
static int acquire(dal_session *s, const char *sql, dal_stmt **out, dal_error *err)
{
    if (!sql) return dal__error_set(err, DAL_EMISUSE, "SQL text is NULL");
    dal_stmt *st;
    int rc = dal__conn_statement(s->conn, sql, &st, err);
    if (rc) return rc;
    st->session = s;
    s->held++;
    if (!st->cached) {
        st->next_uncached = s->uncached;
        s->uncached = st;
    }
    *out = st;
    return DAL_OK;
}

/* The connection died before this transaction did anything: nothing can be
 * lost, so the session moves to a fresh connection. */
static bool move_to_fresh_connection(dal_session *s)
{
    if (s->held) return false;
    s->in_txn = false; /* the failed statement was the transaction's first */
    dal_engine *e = s->engine;
    dal__conn *fresh;
    dal_error ignored = DAL_ERROR_INIT;
    dal__pool_checkin(e, s->conn, NULL, true);
    s->conn = NULL;
    if (dal__pool_checkout(e, &fresh, NULL, &ignored) != DAL_OK) return false;
    s->conn = fresh;
    return true;
}

static int run(dal_session *s, const char *sql, const dal_value *params, size_t n, dal_result **out,
               int64_t *rows_affected, dal_error *err)
{
    CHECK_SESSION(s, err);
    for (int attempt = 0;; attempt++) {
        bool fresh = !s->in_txn && !s->nested && !s->held;
        dal_error local = DAL_ERROR_INIT;
        dal_stmt *st = NULL;
        int rc = acquire(s, sql, &st, &local);
        if (!rc) {
            rc = dal__stmt_run(st, params, n, out, rows_affected, &local);
            if (rc || !out)
                dal__stmt_release(st);
            else
                st->implicit = true;
        }
        if (!rc) return DAL_OK;
        if (rc == DAL_EDISCONNECTED && fresh && attempt == 0 && move_to_fresh_connection(s))
            continue;
        return fail(s, &local, err);
    }
}

int dal_session_exec(dal_session *s, const char *sql, const dal_value *params, size_t nparams,
                     int64_t *rows_affected, dal_error *err)
{
    if (rows_affected) *rows_affected = 0;
    return run(s, sql, params, nparams, NULL, rows_affected, err);
}

int dal_session_query(dal_session *s, const char *sql, const dal_value *params, size_t nparams,
                      dal_result **out, dal_error *err)
{
    if (!out) return dal__error_set(err, DAL_EMISUSE, "dal_session_query: out is NULL");
    *out = NULL;
    return run(s, sql, params, nparams, out, NULL, err);
}

int dal_session_prepare(dal_session *s, const char *sql, dal_stmt **out, dal_error *err)
{
    CHECK_SESSION(s, err);
    if (!out) return dal__error_set(err, DAL_EMISUSE, "dal_session_prepare: out is NULL");
    dal_error local = DAL_ERROR_INIT;
    int rc = acquire(s, sql, out, &local);
    return rc ? fail(s, &local, err) : DAL_OK;
}

int dal_stmt_execute(dal_stmt *st, const dal_value *params, size_t nparams, dal_result **out,
                     int64_t *rows_affected, dal_error *err)
{
    if (!st || !st->session) return dal__error_set(err, DAL_EMISUSE, "statement is NULL or closed");
    if (out) *out = NULL;
    if (rows_affected) *rows_affected = 0;
    dal_session *s = st->session;
    dal_error local = DAL_ERROR_INIT;
    int rc = dal__stmt_run(st, params, nparams, out, rows_affected, &local);
    return rc ? fail(s, &local, err) : DAL_OK;
}

void dal_stmt_close(dal_stmt *st)
{
    if (st && st->session) dal__stmt_release(st);
}

dal_value dal_text(const char *s) { return s ? dal_textn(s, strlen(s)) : dal_null(); }
