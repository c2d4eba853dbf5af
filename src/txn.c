/* When a session's transaction begins and ends.
 *
 * By default every session runs in manual-commit mode: the first statement
 * begins a transaction, and commit, rollback or check-in ends it. With
 * lazy_begin, plain SELECTs that come before the first other statement run
 * in autocommit: a read-only request then costs no BEGIN and no ROLLBACK
 * round trip, and sqliteodbc streams results (inside a transaction it reads
 * the whole result into memory first). The first statement that is not a
 * plain SELECT (or a savepoint) turns autocommit off and begins the
 * transaction.
 *
 * Transactions never lie: a statement that fails inside one leaves it
 * aborted, on every backend (PostgreSQL does so itself; dal does it for the
 * others, so code tested on SQLite behaves the same on PostgreSQL). Until a
 * rollback, or a rollback to the savepoint the failure happened in, every
 * statement and the commit fail with DAL_EABORTED, without a round trip. */
#include <stdio.h>
#include <string.h>

#include "engine_internal.h"
#include "error_internal.h"
#include "staleness.h"
#include "writers.h"

int dal__txn_check(dal_session *s, dal_error *err)
{
    if (s->conn->broken)
        return dal__error_set(err, DAL_EDISCONNECTED,
                              "the session's connection was lost: close the session");
    if (s->aborted)
        return dal__error_set(err, DAL_EABORTED,
                              "the transaction is aborted: %s; roll back (dal_session_rollback, or "
                              "dal_session_rollback_nested to undo only the savepoint)",
                              s->aborted_by);
    return DAL_OK;
}

/* Errors dal finds before the driver sees the statement (a wrong parameter
 * count, a value that cannot be bound) leave the transaction as it was. */
static bool reached_the_driver(const dal_error *e)
{
    return e->sqlstate[0] || e->code == DAL_EDISCONNECTED || e->code == DAL_ETIMEOUT ||
           e->code == DAL_EODBC || e->code == DAL_EBUSY;
}

/* SQLite's refusal of the write lock to a transaction that already ran a
 * statement (see the dialect's busy_later_is_conflict). */
static void busy_later_is_conflict(dal_error *e)
{
    static const char note[] = " (this transaction ran statements before: it cannot get the write "
                               "lock any more; roll back and run it again)";
    e->code = DAL_ECONFLICT;
    size_t n = strlen(e->message), room = sizeof e->message - sizeof note;
    memcpy(e->message + (n < room ? n : room), note, sizeof note);
}

int dal__session_fail(dal_session *s, const char *sql, const dal_error *given, dal_error *err)
{
    if (!s) return dal__error_copy(err, given);
    dal_error reclassified;
    const dal_error *local = given;
    if (given->code == DAL_EBUSY && s->in_txn && s->txn_later &&
        s->engine->dialect->busy_later_is_conflict) {
        reclassified = *given;
        busy_later_is_conflict(&reclassified);
        local = &reclassified;
    }
    s->last_error = *local;
    if (sql && s->in_txn && !s->aborted && reached_the_driver(local) &&
        local->code != DAL_EABORTED) {
        s->aborted = true;
        snprintf(s->aborted_by, sizeof s->aborted_by, "%.80s failed with %s [%s]", sql,
                 dal_code_name(local->code), local->sqlstate);
    }
    return dal__error_copy(err, local);
}

int dal__txn_before(dal_session *s, bool plain_read, dal_error *err)
{
    if (s->in_txn) {
        s->txn_later = true;
        int rc = dal__txn_check(s, err);
        /* SQLite: the first write waits in the file's line (writers.c) */
        return rc || plain_read || s->holds_writer || !s->engine->writers ? rc
                                                                           : dal__writers_enter(s, err);
    }
    if (s->autocommit) return DAL_OK; /* one round trip a statement */
    if (s->read_only) {
        if (s->engine->max_staleness > 0 && s->conn->pool->read_only) {
            int rc = dal__staleness_before_read(s, err);
            if (rc) return rc;
        }
        return s->engine->pooler == DAL__POOLER_TRANSACTION ? dal__pooler_begin_read_only(s, err)
                                                             : DAL_OK;
    }
    if (s->engine->lazy_begin) {
        if (plain_read && !s->eager) return DAL_OK;
        int rc = dal__conn_set_manual(s->conn, true, err);
        if (rc) return rc;
    }
    s->in_txn = true; /* from here on, something may need rolling back */
    s->txn_later = false;
    int rc = dal__isolation_begin(s, err);
    if (!rc && s->engine->writers) { /* SQLite: writers wait in line (writers.c) */
        s->commits_seen = dal__writers_commits(s->engine->writers);
        if (!plain_read) rc = dal__writers_enter(s, err);
    }
    return rc;
}

int dal__txn_end(dal_session *s, bool commit, dal_error *err)
{
    if (!s->in_txn) return DAL_OK; /* nothing ran: nothing to end, no round trip */
    bool observed = s->engine->observed;
    double started = observed ? dal__now_precise() : 0;
    dal_error local;
    dal__error_empty(&local); /* every transaction: no 536-byte DAL_ERROR_INIT */
    int rc = dal__conn_end_txn(s->conn, commit, &local);
    dal__writers_leave(s, commit && !rc);
    if (observed) {
        dal_event ev = {.kind = commit ? DAL_EVENT_COMMIT : DAL_EVENT_ROLLBACK,
                        .seconds = dal__now_precise() - started, .rows = -1, .queued = s->queued};
        s->queued = 0;
        dal__event_outcome(&ev, rc, &local);
        dal__event_emit(s->engine, &ev);
    }
    if (rc) dal__error_copy(err, &local);
    if (!rc || !commit) {
        s->in_txn = false;
        s->aborted = false;
        s->nested = 0;
    }
    if (!s->in_txn && s->engine->lazy_begin && !s->conn->broken) {
        /* The transaction has ended either way: a failure to return to
         * autocommit is the connection's, never the commit's (reporting a
         * commit that succeeded as failed makes callers write twice). */
        dal_error ignored;
        dal__error_empty(&ignored);
        if (dal__conn_set_manual(s->conn, false, &ignored))
            s->conn->broken = true, s->conn->discard_reason = "autocommit could not be restored";
    }
    return rc;
}
