/* Check-in leaves nothing behind: the next user of a pooled connection sees
 * what a new connection sees, whatever the previous user ran.
 *
 * Guessing from the SQL text cannot be complete where the server runs code
 * of its own (a PostgreSQL function can SET ROLE), so PostgreSQL undoes
 * everything after any statement, in the same message as the check-in's
 * ROLLBACK. SQLite runs no server code: it undoes what its grammar allows
 * (ATTACH, PRAGMA, temporary objects) when a statement of those kinds ran.
 * MariaDB has no reset statement: a connection whose user ran a statement
 * that changes session state (SET, USE, CALL, temporary tables, locks,
 * user variables) is closed. Measuring MariaDB's state instead (its status
 * counters) would also see stored functions and triggers, but costs about
 * 0.35 ms of server time a check-in: six times the request (README). */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "engine_internal.h"
#include "error_internal.h"

int dal__conn_take_baseline(dal__conn *c, dal_error *err)
{
    const dal__dialect *d = c->engine->dialect;
    if (!d->baseline_sql || c->engine->pooler == DAL__POOLER_TRANSACTION) return DAL_OK;
    return dal__conn_query_text(c, d->baseline_sql, &c->baseline, err);
}

/* Runs each row of the dialect's reset_list_sql as a statement. */
static int run_listed(dal__conn *c, dal_error *err)
{
    char *list = NULL;
    /* Rows joined: no row holds a newline (names are quoted identifiers). */
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT coalesce(group_concat(s, char(10)), '') FROM (%s)",
             c->engine->dialect->reset_list_sql);
    int rc = dal__conn_query_text(c, sql, &list, err);
    for (char *line = list, *next; !rc && line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        else
            next = line + strlen(line);
        rc = dal__conn_exec_direct(c, line, err);
    }
    dal__free(list);
    return rc;
}

/* Runs "a; b; c" one statement at a time (for drivers that run only the
 * first statement of a text); the texts hold no quoted ';'. */
static int run_each(dal__conn *c, const char *text, dal_error *err)
{
    char one[256];
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, ";");
        if (n >= sizeof one) return dal__error_set(err, DAL_EODBC, "reset statement too long");
        memcpy(one, p, n);
        one[n] = '\0';
        p += n + (p[n] == ';');
        while (*p == ' ')
            p++;
        if (n) {
            int rc = dal__conn_exec_direct(c, one, err);
            if (rc) return rc;
        }
    }
    return DAL_OK;
}

/* PostgreSQL: the rollback, the reset and the baseline in one message. */
static int reset_in_one_message(dal_session *s, dal_error *err)
{
    dal__conn *c = s->conn;
    const dal__dialect *d = c->engine->dialect;
    dal__buf text = {0};
    /* In manual mode the driver sends its BEGIN first when no transaction is
     * open; the text then ends idle, which the driver sees. */
    if (c->manual) dal__buf_puts(&text, "ROLLBACK; ");
    dal__buf_puts(&text, d->reset_sql);
    if (c->baseline && *c->baseline) {
        dal__buf_puts(&text, "; ");
        dal__buf_puts(&text, c->baseline);
    }
    int rc = text.failed ? dal__error_nomem(err) : DAL_OK;
    bool observed = s->in_txn && c->engine->observed;
    double started = observed ? dal__now_precise() : 0;
    int64_t more = 0;
    if (!rc) rc = dal__conn_query_first_int64(c, text.data, &more, err);
    dal__buf_free(&text);
    if (!rc && more > 0 && d->reset_extra_sql) { /* rare: a user ran SQL PREPARE */
        rc = dal__conn_exec_direct(c, d->reset_extra_sql, err);
        if (!rc && c->manual) rc = dal__conn_end_txn(c, true, err);
    }
    if (observed) {
        dal_event ev = {
            .kind = DAL_EVENT_ROLLBACK, .seconds = dal__now_precise() - started, .rows = -1};
        dal__event_outcome(&ev, rc, err);
        dal__event_emit(c->engine, &ev);
    }
    s->in_txn = false;
    s->aborted = false;
    s->nested = 0;
    if (!rc && c->engine->lazy_begin) rc = dal__conn_set_manual(c, false, err);
    return rc;
}

int dal__checkin_reset(dal_session *s, dal_error *err)
{
    dal__conn *c = s->conn;
    const dal__dialect *d = c->engine->dialect;
    bool used = c->used, marked = c->state_marked;
    c->used = c->state_marked = false;
    /* Behind a transaction pooler the server session is not this
     * connection's: a reset would land on another client's. Only the
     * transaction is ended (and nothing could change the session: see
     * pooler.c). */
    if (c->engine->pooler == DAL__POOLER_TRANSACTION) return dal__txn_end(s, false, err);
    if (used && d->reset_after_any) return reset_in_one_message(s, err);
    int rc = dal__txn_end(s, false, err);
    if (rc || !marked) return rc;
    if (!d->reset_sql && !d->reset_list_sql && !d->baseline_sql) { /* MariaDB: nothing resets */
        c->discard_reason = "session state";
        return dal__error_set(err, DAL_EMISUSE, "the session changed its connection's state");
    }
    /* Outside a transaction: SQLite refuses DETACH in one, and ignores
     * PRAGMA foreign_keys there. */
    bool manual = c->manual;
    rc = dal__conn_set_manual(c, false, err);
    if (!rc && d->reset_list_sql) rc = run_listed(c, err);
    if (!rc && d->reset_sql) rc = run_each(c, d->reset_sql, err);
    if (!rc && c->baseline) rc = run_each(c, c->baseline, err);
    if (!rc) rc = dal__conn_set_manual(c, manual, err);
    return rc;
}
