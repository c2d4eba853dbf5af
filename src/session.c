/* Sessions: a checked-out connection and its transaction (see txn.c). */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "engine_internal.h"
#include "error_internal.h"
#include "writers.h"


#define CHECK_SESSION(s, err)                                                                      \
    do {                                                                                           \
        if (!(s)) return dal__error_set(err, DAL_EMISUSE, "session is NULL");                      \
        if (!(s)->conn)                                                                            \
            return dal__error_set(err, DAL_EDISCONNECTED,                                          \
                                  "session lost its connection: close it and open another");       \
        if (dal__conn_inherited((s)->conn)) return dal__conn_check_owned((s)->conn, err);          \
    } while (0)

int dal_session_open(dal_engine *e, dal_session **out, dal_error *err)
{
    if (!out) return dal__error_set(err, DAL_EMISUSE, "dal_session_open: out is NULL");
    *out = NULL;
    if (!e) return dal__error_set(err, DAL_EMISUSE, "dal_session_open: engine is NULL");
    dal__conn *c;
    return dal__pool_checkout(&e->pool, &c, out, err);
}

/* A read-only session on a connection of the normal pool (an in-memory
 * SQLite database has just one): the connection refuses writes and runs in
 * autocommit while the session has it. */
static int lend_read_only(dal_session *s, dal_error *err)
{
    dal__conn *c = s->conn;
    const char *sql = c->engine->dialect->read_only_sql;
    int rc = sql ? dal__conn_exec_direct(c, sql, err) : DAL_OK;
    if (!rc) rc = dal__conn_set_manual(c, false, err);
    if (!rc) c->read_only_now = true;
    return rc;
}

/* Undoes lend_read_only; false when the connection must be discarded. */
static bool take_back_read_only(dal__conn *c)
{
    dal_error ignored = DAL_ERROR_INIT;
    const char *sql = c->engine->dialect->read_write_sql;
    if ((sql && dal__conn_exec_direct(c, sql, &ignored)) ||
        dal__conn_set_manual(c, !c->engine->lazy_begin, &ignored))
        return false;
    c->read_only_now = false;
    return true;
}

int dal_session_open_read_only(dal_engine *e, dal_session **out, dal_error *err)
{
    if (!out) return dal__error_set(err, DAL_EMISUSE, "dal_session_open_read_only: out is NULL");
    *out = NULL;
    if (!e) return dal__error_set(err, DAL_EMISUSE, "dal_session_open_read_only: engine is NULL");
    return dal__session_open_read_only_in(e->reads, out, err);
}

int dal__session_open_read_only_in(dal__pool *pool, dal_session **out, dal_error *err)
{
    dal__conn *c;
    int rc = dal__pool_checkout(pool, &c, out, err);
    if (rc) return rc;
    (*out)->read_only = true;
    if (!c->read_only_now && (rc = lend_read_only(*out, err)) != DAL_OK) {
        c->broken = true; /* in an unknown state: discarded */
        dal__session_release(*out);
        *out = NULL;
    }
    return rc;
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

void dal__session_release(dal_session *s)
{
    if (!s || !s->engine) return; /* NULL, or already back in the pool */
    if (!s->conn) { /* its connection died and no new one could be had: its
                       engine may be gone (disposed), with its writers' line */
        dal__defer_free(s);
        dal__free(s);
        return;
    }
    dal__defer_drop(s);           /* unsent: as a rollback */
    dal__writers_leave(s, false); /* a broken connection's session too */
    dal__conn *c = s->conn;
    if (dal__conn_inherited(c)) { /* across fork(): not a word to the parent's server */
        dal__pool_checkin(c, s, true);
        return;
    }
    release_statements(s);
    dal_error ignored;
    dal__error_empty(&ignored); /* every check-in: no 536-byte DAL_ERROR_INIT */
    /* The next user gets the connection as a new one is (reset.c). */
    bool discard = c->broken || dal__checkin_reset(s, &ignored) != DAL_OK;
    if (!discard && c->read_only_now && !c->pool->read_only) discard = !take_back_read_only(c);
    dal__pool_checkin(c, s, discard);
}

void dal_session_close(dal_session *s)
{
    if (s && s->scoped) { /* the scope gives it back when it ends */
        dal_error misuse = DAL_ERROR_INIT;
        dal__error_set(&misuse, DAL_EMISUSE,
                       "dal_session_close on a scope's session: dal_scope_end returns it");
        s->last_error = misuse;
        return;
    }
    dal__session_release(s);
}

int dal_session_set_query_timeout(dal_session *s, double seconds, dal_error *err)
{
    CHECK_SESSION(s, err);
    if (!(seconds >= 0))
        return dal__error_set(err, DAL_EMISUSE, "query timeout must be >= 0 seconds (0: none)");
    s->conn->timeout = seconds;
    return DAL_OK;
}

const dal_error *dal_session_last_error(const dal_session *s)
{
    static const dal_error none = DAL_ERROR_INIT;
    return s ? &s->last_error : &none;
}

dal_engine *dal_session_engine(const dal_session *s) { return s ? s->engine : NULL; }

/* Whatever a failed commit did, nothing is left open: roll back so the
 * session is in a new, empty transaction. */
static void after_failed_commit(dal_session *s)
{
    dal_error ignored = DAL_ERROR_INIT;
    if (!s->conn->broken) dal__txn_end(s, false, &ignored);
    s->in_txn = false;
    s->aborted = false;
    s->nested = 0;
}

int dal_session_commit(dal_session *s, dal_error *err)
{
    CHECK_SESSION(s, err);
    dal_error local = DAL_ERROR_INIT;
    bool committed = false; /* by the deferred queue's message */
    if (!s->aborted && dal__defer_send(s, true, &committed, &local)) {
        after_failed_commit(s);
        return dal__session_fail(s, NULL, &local, err);
    }
    if (s->aborted) { /* commit nothing: the server would not either */
        dal__txn_check(s, &local);
        dal_error ignored = DAL_ERROR_INIT;
        if (dal__txn_end(s, false, &ignored) != DAL_OK) s->conn->broken = true;
        return dal__session_fail(s, NULL, &local, err);
    }
    int rc = dal__txn_end(s, true, &local);
    if (rc) after_failed_commit(s);
    return rc ? dal__session_fail(s, NULL, &local, err) : DAL_OK;
}

int dal_session_rollback(dal_session *s, dal_error *err)
{
    CHECK_SESSION(s, err);
    dal__defer_drop(s); /* nothing of it was sent */
    dal_error local = DAL_ERROR_INIT;
    int rc = dal__txn_end(s, false, &local);
    return rc ? dal__session_fail(s, NULL, &local, err) : DAL_OK;
}

/* Runs "VERB dal_sp_<depth>"; a failure aborts the transaction. check is
 * false only for the rollback that recovers from an aborted state. */
static int savepoint(dal_session *s, const char *verb, int depth, bool check, dal_error *err)
{
    if (s->read_only)
        return dal__error_set(err, DAL_EMISUSE,
                              "read-only sessions run without transactions: no savepoints");
    if (!(s->engine->dialect->caps & DAL__CAP_SAVEPOINTS))
        return dal__error_set(err, DAL_EMISUSE, "%s does not support savepoints",
                              s->engine->dialect->name);
    dal_error local = DAL_ERROR_INIT;
    char sql[64];
    snprintf(sql, sizeof sql, "%s dal_sp_%d", verb, depth);
    bool committed;
    int rc = dal__defer_send(s, false, &committed, &local);
    if (rc) return dal__session_fail(s, "the deferred statements", &local, err);
    if (check) rc = dal__txn_before(s, false, &local);
    if (!rc) rc = dal__conn_exec_direct(s->conn, sql, &local);
    return rc ? dal__session_fail(s, rc == DAL_EABORTED ? NULL : sql, &local, err) : DAL_OK;
}

int dal_session_begin_nested(dal_session *s, int *depth, dal_error *err)
{
    if (depth) *depth = 0;
    CHECK_SESSION(s, err);
    int rc = savepoint(s, "SAVEPOINT", s->nested + 1, true, err);
    if (rc) return rc;
    s->nested++;
    if (depth) *depth = s->nested;
    return DAL_OK;
}

int dal_session_release_nested(dal_session *s, dal_error *err)
{
    CHECK_SESSION(s, err);
    if (s->nested == 0) return dal__error_set(err, DAL_EMISUSE, "no nested transaction is open");
    int rc = savepoint(s, "RELEASE SAVEPOINT", s->nested, true, err);
    if (rc) return rc;
    s->nested--;
    return DAL_OK;
}

/* Undoes the innermost savepoint's work, and an aborted state with it: a
 * failure can only have happened at the innermost depth, since nothing (no
 * new savepoint either) runs in an aborted transaction. */
int dal_session_rollback_nested(dal_session *s, dal_error *err)
{
    CHECK_SESSION(s, err);
    if (s->nested == 0) return dal__error_set(err, DAL_EMISUSE, "no nested transaction is open");
    if (s->conn->broken) return dal__txn_check(s, err);
    bool was_aborted = s->aborted;
    s->aborted = false; /* so that a failure of the rollback itself aborts again */
    int rc = savepoint(s, "ROLLBACK TO SAVEPOINT", s->nested, false, err);
    if (!rc) rc = savepoint(s, "RELEASE SAVEPOINT", s->nested, false, err);
    if (rc) {
        s->aborted = s->aborted || was_aborted;
        return rc;
    }
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
    dal__conn *fresh;
    dal_error ignored;
    dal__error_empty(&ignored);
    dal__conn *dead = s->conn;
    s->conn = NULL; /* on failure the session has none: closing it frees only it */
    if (dal__pool_replace(dead, &fresh, &ignored) != DAL_OK) return false;
    s->conn = fresh;
    return true;
}

static int run(dal_session *s, const char *sql, const dal_value *params, size_t n, dal_result **out,
               int64_t *rows_affected, dal_error *err)
{
    CHECK_SESSION(s, err);
    dal_error local;
    dal__error_empty(&local);
    if (dal__defer_pending(s)) { /* the queue goes first */
        bool committed;
        if (dal__defer_send(s, false, &committed, &local))
            return dal__session_fail(s, "the deferred statements", &local, err);
    }
    s->ran_other = true;
    if (s->in_txn && dal__txn_check(s, &local)) return dal__session_fail(s, NULL, &local, err);
    for (int attempt = 0;; attempt++) {
        bool fresh = !s->in_txn && !s->nested && !s->held;
        dal__error_empty(&local);
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
        return dal__session_fail(s, sql, &local, err);
    }
}

int dal__session_run_now(dal_session *s, const char *sql, const dal_value *params, size_t n,
                         int64_t *rows_affected, dal_error *err)
{
    struct dal__deferred *held = s->deferred; /* run() sends no queue for it */
    s->deferred = NULL;
    bool ran_other = s->ran_other;
    int rc = run(s, sql, params, n, NULL, rows_affected, err);
    s->ran_other = ran_other;
    s->deferred = held;
    return rc;
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
    bool committed;
    if (dal__defer_send(s, false, &committed, &local))
        return dal__session_fail(s, "the deferred statements", &local, err);
    s->ran_other = true;
    int rc = s->in_txn ? dal__txn_check(s, &local) : DAL_OK;
    if (!rc) rc = acquire(s, sql, out, &local);
    return rc ? dal__session_fail(s, sql, &local, err) : DAL_OK;
}

int dal_stmt_execute(dal_stmt *st, const dal_value *params, size_t nparams, dal_result **out,
                     int64_t *rows_affected, dal_error *err)
{
    if (!st || !st->session) return dal__error_set(err, DAL_EMISUSE, "statement is NULL or closed");
    if (out) *out = NULL;
    if (rows_affected) *rows_affected = 0;
    dal_session *s = st->session;
    dal_error local;
    dal__error_empty(&local);
    bool committed;
    if (dal__defer_send(s, false, &committed, &local))
        return dal__session_fail(s, "the deferred statements", &local, err);
    int rc = dal__stmt_run(st, params, nparams, out, rows_affected, &local);
    return rc ? dal__session_fail(s, st->sql, &local, err) : DAL_OK;
}

void dal_stmt_close(dal_stmt *st)
{
    if (st && st->session) dal__stmt_release(st);
}

dal_value dal_text(const char *s) { return s ? dal_textn(s, strlen(s)) : dal_null(); }
