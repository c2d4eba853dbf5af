/* One pooled ODBC connection and its cache of prepared statements. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "conn_socket.h"
#include "credentials.h"
#include "pooler.h"
#include "driver_lock.h"
#include "engine_internal.h"
#include "error_internal.h"
#include "hosts.h"

int dal__conn_error(dal__conn *c, SQLSMALLINT type, SQLHANDLE h, const char *context,
                    dal_error *err)
{
    dal_engine *e = c->engine;
    dal_error local = DAL_ERROR_INIT;
    int code = dal__odbc_error(type, h, e->dialect, context, e->url.password, &local);
    SQLUINTEGER dead = SQL_CD_FALSE;
    if (code != DAL_EDISCONNECTED) {
        dal__watch w; /* Connector/ODBC answers it with mysql_ping: a round trip */
        dal__conn_watch(c, &w);
        SQLRETURN sr = SQLGetConnectAttr(c->dbc, SQL_ATTR_CONNECTION_DEAD, &dead, 0, NULL);
        if (dal__conn_unwatch(c, &w) || (DAL__ODBC_OK(sr) && dead == SQL_CD_TRUE))
            code = local.code = DAL_EDISCONNECTED;
    }
    if (code == DAL_EDISCONNECTED) c->broken = true, c->discard_reason = "dead";
    /* A Galera node out of the primary component: none of its connections
     * serve until host_recheck has passed (hosts.c). */
    if (e->dialect->not_ready_native && local.native_code == e->dialect->not_ready_native &&
        c->host >= 0) {
        c->discard_reason = "not ready";
        dal__hosts_mark_down(e, c->host, "not ready");
    }
    /* A server that turned read-only (a standby) never serves normal sessions. */
    if (code == DAL_EREADONLY && !c->read_only_now && (e->dialect->caps & DAL__CAP_SERVER_ROLES))
        c->broken = true, c->discard_reason = "read-only server";
    return dal__error_copy(err, &local);
}

/* sslmode require or verify-ca where the driver cannot refuse a server
 * without TLS itself (Connector/ODBC 3.1 connects in clear then): the
 * connection is closed before any statement of the program runs on it. */
static int check_encrypted(dal__conn *c, dal_error *err)
{
    const dal_engine *e = c->engine;
    if (!e->url.tls_required || !e->dialect->encrypted_sql) return DAL_OK;
    int64_t encrypted = 0;
    int rc = dal__conn_query_first_int64(c, e->dialect->encrypted_sql, &encrypted, err);
    if (rc || encrypted) return rc;
    char target[300];
    dal__engine_target(e, target, sizeof target);
    return dal__error_set(err, DAL_ECONNECT,
                          "cannot connect to %s: sslmode=%s, and the server does not use TLS",
                          target, e->url.sslmode);
}

static int run_setup(dal__conn *c, dal_error *err)
{
    const dal__dialect *d = c->engine->dialect;
    const char *const *sql = d->setup_sql ? d->setup_sql(&c->engine->url) : NULL;
    for (; sql && *sql; sql++) {
        int rc = dal__conn_exec_direct(c, *sql, err);
        if (rc) return rc;
    }
    /* Behind a transaction pooler a session setting would land on one
     * server connection of many: read-only sessions say so per transaction. */
    bool pooled = c->engine->pooler == DAL__POOLER_TRANSACTION;
    if (c->pool->read_only && d->read_only_sql && !pooled) {
        int rc = dal__conn_exec_direct(c, d->read_only_sql, err);
        if (rc) return rc;
    }
    int rc = check_encrypted(c, err);
    if (!rc) rc = dal__isolation_setup(c, err);
    if (rc) return rc;
    rc = c->manual ? dal__conn_end_txn(c, true, err) : DAL_OK;
    if (!rc) rc = dal__conn_take_baseline(c, err); /* what check-in returns to */
    return !rc && c->manual ? dal__conn_end_txn(c, false, err) : rc;
}

/* Where the target names a Unix-domain socket: the start of its path
 * (libpq takes a host starting with '/' as the socket's directory;
 * Connector/ODBC takes SOCKET=, or the default socket for localhost); NULL
 * for TCP. */
static const char *unix_socket_path(const dal_engine *e, const dal__connect_target *t)
{
    const dal__url *u = &e->url;
    const char *host = t->host;
    if (host && host[0] == '/') return host;
    const char *socket = dal__url_param_get(u, "SOCKET");
    if (socket && socket[0] == '/') return socket;
    if (host && !strcmp(host, "localhost") && !strcmp(e->dialect->name, "mysql")) return "/";
    return NULL;
}

/* What a connect's socket is found by: the sockets open before it, and
 * the server's ports or socket path. */
typedef struct server_sockets {
    dal__socket_set before;
    int ports[16];
    size_t nports;
    const char *unix_path;
} server_sockets;

static void server_ports(const dal_engine *e, const dal__connect_target *t, server_sockets *s)
{
    dal__sockets_list(&s->before);
    const dal__url *u = &e->url;
    if (t->index >= 0 || !u->nhosts) s->ports[s->nports++] = t->port ? t->port : e->dialect->default_port;
    for (size_t i = 0; t->index < 0 && i < u->nhosts && s->nports < 16; i++)
        s->ports[s->nports++] = u->hosts[i].port ? u->hosts[i].port : e->dialect->default_port;
    if (!s->ports[0]) s->nports = 0; /* no port known: any */
}

static int find_connect_socket(void *arg)
{
    server_sockets *s = arg;
    return dal__socket_new_since(&s->before, s->ports, s->nports, s->unix_path);
}

/* The whole URL's target for the pool's own connection string. */
static void whole_target(const dal__pool *p, dal__connect_target *t)
{
    const dal__url *u = &p->engine->url;
    t->connstr = p->connstr;
    t->host = u->host; /* a list's first host (url.c) */
    t->port = u->port;
    t->index = -1;
}

/* What messages name as the server: the whole URL's, or the one host tried. */
static void target_name(const dal_engine *e, const dal__connect_target *t, char *buf, size_t n)
{
    if (t->index < 0) {
        dal__engine_target(e, buf, n);
        return;
    }
    char port[16] = "";
    if (t->port) snprintf(port, sizeof port, ":%d", t->port);
    const dal__url *u = &e->url;
    snprintf(buf, n, "%s://%s%s%s%s/%s", e->dialect->name, u->user ? u->user : "",
             u->user ? "@" : "", t->host, port, u->database ? u->database : "");
}

int dal__conn_connect(dal__pool *p, const dal__credentials *creds, const dal__connect_target *t,
                      dal__conn **out, dal_error *err)
{
    dal_engine *e = p->engine;
    SQLHENV env;
    int rc = dal__odbc_env(&env, err);
    if (rc) return rc;
    dal__conn *c = dal__calloc(1, sizeof *c);
    if (!c) return dal__error_nomem(err);
    c->engine = e;
    c->pool = p;
    c->generation = atomic_load(&dal__forks);
    c->read_only_now = p->read_only;
    c->host = t->index;
    c->host_epoch = t->epoch;
    c->cache = dal__calloc((size_t)e->statement_cache + 1, sizeof *c->cache);
    if (!c->cache || !DAL__ODBC_OK(dal__odbc_alloc(SQL_HANDLE_DBC, env, &c->dbc))) {
        dal__free(c->cache);
        dal__free(c);
        return dal__error_nomem(err);
    }
    /* Whole seconds; psqlODBC hands it to libpq as connect_timeout. */
    SQLSetConnectAttr(c->dbc, SQL_ATTR_LOGIN_TIMEOUT,
                      (SQLPOINTER)(intptr_t)(SQLUINTEGER)ceil(e->connect_timeout), 0);
    char *connstr = dal__connstr_for_connect(t->connstr, &e->url, e->dialect, e->connect_timeout,
                                             creds->user_set ? creds->user : NULL,
                                             creds->password_set ? creds->password : NULL);
    /* What the driver's messages must never show: this connect's password. */
    const char *secret = creds->password_set ? creds->password : e->url.password;
    bool locked = connstr && dal__driver_lock(e->pool_timeout);
    if (!locked) { /* other connects hold it: wait as a checkout does */
        dal__odbc_free(SQL_HANDLE_DBC, c->dbc); /* never connected: no driver to unload */
        dal__free(c->cache);
        dal__free(c);
        if (!connstr) return dal__error_nomem(err);
        dal__free_secret(connstr);
        return dal__error_set(err, DAL_ETIMEOUT,
                              "other connection attempts took longer than pool_timeout=%gs",
                              e->pool_timeout);
    }
    /* The whole connect is bounded: libpq's connect_timeout ends at
     * authentication, and the driver's queries after it (psqlODBC's
     * DateStyle and large-object lookups) would wait on a hung server. */
    bool find_socket = e->dialect->caps & DAL__CAP_INTERRUPT_SOCKET;
    server_sockets sockets = {.unix_path = unix_socket_path(e, t)};
    if (find_socket) server_ports(e, t, &sockets);
    dal__watch w;
    /* libpq gives each host of a list connect_timeout; the driver's setup
     * queries after it get one more. */
    size_t hosts = t->index < 0 && e->url.nhosts > 1 ? e->url.nhosts : 1;
    double limit = e->connect_timeout * (double)(hosts + 1);
    bool watched =
        !find_socket || dal__watch_begin_finding(&w, limit, find_connect_socket, &sockets);
    SQLRETURN sr = watched ? SQLDriverConnect(c->dbc, NULL, (SQLCHAR *)connstr, SQL_NTS, NULL, 0,
                                              NULL, SQL_DRIVER_NOPROMPT)
                           : SQL_ERROR;
    bool fired = find_socket && watched && dal__watch_end(&w);
    dal__free_secret(connstr);
    c->socket = -1;
    if (find_socket && DAL__ODBC_OK(sr) && !fired) c->socket = find_connect_socket(&sockets);
    dal__sockets_free(&sockets.before);
    dal__driver_unlock();
    if (!watched) {
        dal__driver_disconnect(c->dbc, false);
        dal__free(c->cache);
        dal__free(c);
        return dal__error_set(err, DAL_ENOMEM, "the watchdog thread could not be started");
    }
    if (fired) { /* whatever the driver says after its socket was shut down */
        char target[300];
        target_name(e, t, target, sizeof target);
        dal__driver_disconnect(c->dbc, DAL__ODBC_OK(sr)); /* under the driver lock */
        dal__free(c->cache);
        dal__free(c);
        return dal__error_set(err, DAL_ECONNECT,
                              "cannot connect to %s: the connect took longer than %gs "
                              "(connect_timeout=%gs a host, and as much for the driver's setup)",
                              target, limit, e->connect_timeout);
    }
    if (!DAL__ODBC_OK(sr)) {
        char context[400];
        char target[300];
        target_name(e, t, target, sizeof target);
        snprintf(context, sizeof context, "cannot connect to %s", target);
        dal_error local = DAL_ERROR_INIT;
        int code = dal__odbc_error(SQL_HANDLE_DBC, c->dbc, e->dialect, context, secret, &local);
        if (code != DAL_EDRIVER && code != DAL_ENOMEM) local.code = DAL_ECONNECT;
        dal__driver_disconnect(c->dbc, false);
        dal__free(c->cache);
        dal__free(c);
        return dal__error_copy(err, &local);
    }
    c->manual = false; /* ODBC's default */
    if ((e->dialect->caps & DAL__CAP_INTERRUPT_CANCEL) &&
        !DAL__ODBC_OK(dal__odbc_alloc(SQL_HANDLE_STMT, c->dbc, &c->cancel)))
        c->cancel = NULL;
    /* The watchdog thread runs before the first call that may need it: a
     * call is never left unbounded because the thread could not start. */
    if ((c->socket >= 0 || c->cancel) && !dal__watchdog_ready()) {
        dal__conn_close(c);
        return dal__error_set(err, DAL_ENOMEM, "the watchdog thread could not be started");
    }
    c->timeout = e->connect_timeout; /* the setup is part of connecting */
    /* Read-only connections stay in autocommit: one round trip a read
     * (turning it off is one on MariaDB, watched as the setup is). */
    if (!e->lazy_begin && !p->read_only && (rc = dal__conn_set_manual(c, true, err)) != DAL_OK) {
        dal__conn_close(c);
        return rc;
    }
    if ((rc = run_setup(c, err)) != DAL_OK) {
        dal__conn_close(c);
        return rc;
    }
    c->timeout = e->query_timeout;
    c->created_at = c->last_used = dal__now();
    *out = c;
    return DAL_OK;
}

static int open_connection(dal__pool *p, dal__conn **out, dal_error *err)
{
    /* A host list dal routes itself asks for credentials host by host. */
    if (dal__hosts_routed(p->engine, p->read_only)) return dal__hosts_connect(p, out, err);
    dal__credentials creds;
    int rc = dal__credentials_fetch(p->engine, NULL, 0, &creds, err);
    dal__connect_target whole;
    whole_target(p, &whole);
    if (!rc) rc = dal__conn_connect(p, &creds, &whole, out, err);
    dal__credentials_wipe(&creds);
    return rc;
}

int dal__conn_open(dal__pool *p, dal__conn **out, dal_error *err)
{
    dal_engine *e = p->engine;
    double started = dal__now_precise();
    dal_error local = DAL_ERROR_INIT;
    int rc = open_connection(p, out, &local);
    double took = dal__now_precise() - started;
    dal__stats_add_ns(&p->connect_ns, took);
    if (e->observed) {
        char target[300];
        dal__engine_target(e, target, sizeof target);
        if (!rc && (*out)->host >= 0) { /* the host dal chose (one of a list, or the one) */
            dal__connect_target t = {.index = (*out)->host};
            t.host = dal_engine_host(e, (size_t)t.index, &t.port);
            target_name(e, &t, target, sizeof target);
        }
        dal_event ev = {.kind = DAL_EVENT_CONNECT, .read_only = p->read_only, .seconds = took,
                        .target = target, .rows = -1};
        /* /proc unreadable, another client's socket to the same server
         * opened meanwhile...: nothing can interrupt this connection's calls. */
        if (!rc && (e->dialect->caps & DAL__CAP_INTERRUPT_SOCKET) && (*out)->socket < 0)
            ev.reason = "socket not identified: no call on it can be interrupted";
        dal__event_outcome(&ev, rc, &local);
        dal__event_emit(e, &ev);
    }
    return rc ? dal__error_copy(err, &local) : DAL_OK;
}

void dal__conn_close(dal__conn *c)
{
    if (!c) return;
    if (dal__conn_inherited(c)) { /* the parent's: no rollback, no Terminate */
        dal__conn_abandon(c);
        return;
    }
    for (int i = 0; i < c->ncache; i++)
        dal__stmt_free(c->cache[i]);
    dal__free(c->cache);
    dal__column_kinds_free(c);
    dal__free(c->baseline);
    if (!c->broken && c->manual) {
        dal__watch w;
        dal__conn_watch(c, &w); /* may SQLCancel c->cancel: freed only after */
        SQLEndTran(SQL_HANDLE_DBC, c->dbc, SQL_ROLLBACK);
        dal__conn_unwatch(c, &w);
    }
    if (c->cancel) dal__odbc_free(SQL_HANDLE_STMT, c->cancel);
    dal__driver_disconnect(c->dbc, true);
    dal__free(c);
}

void dal__conn_watch_slow(dal__conn *c, dal__watch *w)
{
    /* Without a way to interrupt, a deadline would change nothing. */
    bool can = c->socket >= 0 || c->cancel;
    dal__watch_begin(w, can ? c->timeout : 0, c->socket, c->cancel);
}

bool dal__conn_unwatch_slow(dal__conn *c, dal__watch *w)
{
    bool fired = dal__watch_end(w);
    if (fired && c->socket >= 0) /* its socket is shut down */
        c->broken = true, c->discard_reason = "timed out";
    return fired;
}

int dal__conn_timed_out(dal__conn *c, const char *what, bool commit, dal_error *err)
{
    const char *after = c->broken ? "the connection is closed" : "the statement was interrupted";
    /* A host of a list that stopped answering is skipped for host_recheck. */
    if (c->broken && c->host >= 0) dal__hosts_mark_down(c->engine, c->host, "host down");
    if (commit)
        return dal__error_set(err, DAL_EINDOUBT,
                              "COMMIT took longer than %gs (%s): whether it committed is unknown",
                              c->timeout, after);
    return dal__error_set(err, DAL_ETIMEOUT, "%s took longer than %gs (%s)", what, c->timeout,
                          after);
}

int dal__conn_set_manual(dal__conn *c, bool manual, dal_error *err)
{
    if (c->manual == manual) return DAL_OK;
    dal__watch w; /* Connector/ODBC sends SET autocommit: a round trip */
    dal__conn_watch(c, &w);
    SQLRETURN sr = SQLSetConnectAttr(
        c->dbc, SQL_ATTR_AUTOCOMMIT,
        (SQLPOINTER)(uintptr_t)(manual ? SQL_AUTOCOMMIT_OFF : SQL_AUTOCOMMIT_ON), 0);
    if (dal__conn_unwatch(c, &w))
        return dal__conn_timed_out(c, manual ? "turning autocommit off" : "turning autocommit on",
                                   false, err);
    if (!DAL__ODBC_OK(sr))
        return dal__conn_error(c, SQL_HANDLE_DBC, c->dbc,
                               manual ? "cannot turn autocommit off" : "cannot turn autocommit on",
                               err);
    c->manual = manual;
    return DAL_OK;
}

int dal__conn_end_txn(dal__conn *c, bool commit, dal_error *err)
{
    if (dal__conn_inherited(c)) return dal__conn_check_owned(c, err);
    dal__watch w;
    dal__conn_watch(c, &w);
    SQLRETURN sr = SQLEndTran(SQL_HANDLE_DBC, c->dbc, commit ? SQL_COMMIT : SQL_ROLLBACK);
    bool fired = dal__conn_unwatch(c, &w);
    if (fired && (!commit || !DAL__ODBC_OK(sr)))
        return dal__conn_timed_out(c, commit ? "COMMIT" : "ROLLBACK", commit, err);
    if (DAL__ODBC_OK(sr)) return DAL_OK;
    dal_error local = DAL_ERROR_INIT;
    int rc = dal__conn_error(c, SQL_HANDLE_DBC, c->dbc, commit ? "commit failed" : "rollback failed",
                             &local);
    const dal__dialect *d = c->engine->dialect;
    if (!commit && d->no_transaction_text && strstr(local.message, d->no_transaction_text)) {
        dal_error again = DAL_ERROR_INIT;
        rc = dal__conn_exec_direct(c, d->no_transaction_fix, &again);
        if (!rc && !DAL__ODBC_OK(SQLEndTran(SQL_HANDLE_DBC, c->dbc, SQL_ROLLBACK)))
            rc = dal__conn_error(c, SQL_HANDLE_DBC, c->dbc, "rollback failed", &again);
        return rc ? dal__error_copy(err, &again) : DAL_OK;
    }
    if (commit && rc == DAL_EDISCONNECTED) { /* it may have committed before the loss */
        char message[sizeof local.message + 80];
        snprintf(message, sizeof message,
                 "the connection was lost during COMMIT: whether it committed is unknown (%s)",
                 local.message);
        memcpy(local.message, message, sizeof local.message - 1);
        local.message[sizeof local.message - 1] = '\0';
        rc = local.code = DAL_EINDOUBT;
    }
    return dal__error_copy(err, &local);
}

int dal__conn_exec_direct(dal__conn *c, const char *sql, dal_error *err)
{
    if (dal__conn_inherited(c)) return dal__conn_check_owned(c, err);
    SQLHSTMT h;
    if (!DAL__ODBC_OK(dal__odbc_alloc(SQL_HANDLE_STMT, c->dbc, &h)))
        return dal__conn_error(c, SQL_HANDLE_DBC, c->dbc, "cannot allocate a statement", err);
    dal__watch w;
    dal__conn_watch(c, &w);
    SQLRETURN sr = SQLExecDirect(h, (SQLCHAR *)sql, SQL_NTS);
    int rc = DAL_OK;
    if (dal__conn_unwatch(c, &w)) {
        rc = dal__conn_timed_out(c, sql, false, err);
    } else if (!DAL__ODBC_OK(sr) && sr != SQL_NO_DATA) {
        char context[160];
        snprintf(context, sizeof context, "%.120s failed", sql);
        rc = dal__conn_error(c, SQL_HANDLE_STMT, h, context, err);
    }
    dal__odbc_free(SQL_HANDLE_STMT, h);
    return rc;
}

int dal__conn_query_text(dal__conn *c, const char *sql, char **out, dal_error *err)
{
    *out = NULL;
    SQLHSTMT h;
    if (!DAL__ODBC_OK(dal__odbc_alloc(SQL_HANDLE_STMT, c->dbc, &h)))
        return dal__conn_error(c, SQL_HANDLE_DBC, c->dbc, "cannot allocate a statement", err);
    dal__buf text = {0};
    int rc = DAL_OK;
    dal__watch w;
    dal__conn_watch(c, &w);
    SQLRETURN sr = SQLExecDirect(h, (SQLCHAR *)sql, SQL_NTS);
    if (DAL__ODBC_OK(sr)) sr = SQLFetch(h);
    for (char part[512]; DAL__ODBC_OK(sr);) { /* the value in parts, however long */
        SQLLEN ind = 0;
        sr = SQLGetData(h, 1, SQL_C_CHAR, part, sizeof part, &ind);
        if (!DAL__ODBC_OK(sr) || ind == SQL_NULL_DATA) break;
        dal__buf_puts(&text, part);
    }
    if (dal__conn_unwatch(c, &w))
        rc = dal__conn_timed_out(c, sql, false, err);
    else if (sr != SQL_NO_DATA)
        rc = dal__conn_error(c, SQL_HANDLE_STMT, h, sql, err);
    else if (text.failed)
        rc = dal__error_nomem(err);
    dal__odbc_free(SQL_HANDLE_STMT, h);
    if (!rc && !(*out = dal__strdup(text.data ? text.data : ""))) rc = dal__error_nomem(err);
    dal__buf_free(&text);
    return rc;
}

int dal__conn_query_first_int64(dal__conn *c, const char *sql, int64_t *out, dal_error *err)
{
    if (dal__conn_inherited(c)) return dal__conn_check_owned(c, err);
    SQLHSTMT h;
    if (!DAL__ODBC_OK(dal__odbc_alloc(SQL_HANDLE_STMT, c->dbc, &h)))
        return dal__conn_error(c, SQL_HANDLE_DBC, c->dbc, "cannot allocate a statement", err);
    SQLLEN ind = 0;
    SQLBIGINT v = 0;
    SQLSMALLINT ncols = 0;
    int rc = DAL_OK;
    dal__watch w;
    dal__conn_watch(c, &w);
    SQLRETURN sr = SQLExecDirect(h, (SQLCHAR *)sql, SQL_NTS);
    /* Past the results without columns (a ROLLBACK first) to the first row. */
    while (DAL__ODBC_OK(sr) && DAL__ODBC_OK(sr = SQLNumResultCols(h, &ncols)) && ncols == 0)
        sr = SQLMoreResults(h);
    if (DAL__ODBC_OK(sr)) sr = SQLFetch(h);
    if (DAL__ODBC_OK(sr)) sr = SQLGetData(h, 1, SQL_C_SBIGINT, &v, 0, &ind);
    if (dal__conn_unwatch(c, &w))
        rc = dal__conn_timed_out(c, "the check-in reset", false, err);
    else if (!DAL__ODBC_OK(sr))
        rc = dal__conn_error(c, SQL_HANDLE_STMT, h, "the check-in reset failed", err);
    dal__odbc_free(SQL_HANDLE_STMT, h);
    *out = ind == SQL_NULL_DATA ? 0 : (int64_t)v;
    return rc;
}

int dal__conn_query_int64(dal__conn *c, const char *sql, int64_t *out, dal_error *err)
{
    SQLHSTMT h;
    if (!DAL__ODBC_OK(dal__odbc_alloc(SQL_HANDLE_STMT, c->dbc, &h)))
        return dal__conn_error(c, SQL_HANDLE_DBC, c->dbc, "cannot allocate a statement", err);
    SQLLEN ind = 0;
    SQLBIGINT v = 0;
    int rc = DAL_OK;
    dal__watch w;
    dal__conn_watch(c, &w);
    bool ok = DAL__ODBC_OK(SQLExecDirect(h, (SQLCHAR *)sql, SQL_NTS)) &&
              DAL__ODBC_OK(SQLFetch(h)) && DAL__ODBC_OK(SQLGetData(h, 1, SQL_C_SBIGINT, &v, 0, &ind));
    if (dal__conn_unwatch(c, &w))
        rc = dal__conn_timed_out(c, sql, false, err);
    else if (!ok)
        rc = dal__conn_error(c, SQL_HANDLE_STMT, h, sql, err);
    else if (ind == SQL_NULL_DATA)
        rc = dal__error_set(err, DAL_ENULL, "%s returned NULL", sql);
    dal__odbc_free(SQL_HANDLE_STMT, h);
    if (!rc) *out = (int64_t)v;
    return rc;
}

bool dal__conn_ping(dal__conn *c)
{
    dal_error ignored = DAL_ERROR_INIT;
    c->timeout = c->engine->connect_timeout; /* a ping gives up as a connect does */
    bool alive = dal__conn_exec_direct(c, c->engine->dialect->ping_sql, &ignored) == DAL_OK &&
                 (!c->manual || dal__conn_end_txn(c, false, &ignored) == DAL_OK);
    c->timeout = c->engine->query_timeout;
    return alive;
}

/* ---- statement cache ---------------------------------------------------- */

static uint64_t hash_sql(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int prepare(dal__conn *c, const char *sql, uint64_t hash, dal_stmt **out, dal_error *err)
{
    if (c->engine->pooler == DAL__POOLER_TRANSACTION) { /* refused before it is sent */
        int rc = dal__pooler_check_sql(sql, err);
        if (rc) return rc;
    }
    dal_stmt *st = dal__calloc(1, sizeof *st);
    if (!st) return dal__error_nomem(err);
    st->conn = c;
    st->hash = hash;
    st->sql = dal__strdup(sql);
    st->plain_read = dal__sql_is_plain_read(sql);
    st->changes_connection = !c->engine->dialect->reset_after_any && dal__sql_changes_connection(sql);
    st->cte_write = c->engine->dialect->cte_rows_sql && dal__sql_is_cte_write(sql);
    if (!st->sql || ((c->engine->dialect->caps & DAL__CAP_STRIP_COMMENTS) &&
                     dal__sql_strip_comments(sql, &st->driver_sql) != 0)) {
        dal__free(st->sql);
        dal__free(st);
        return dal__error_nomem(err);
    }
    if (!DAL__ODBC_OK(dal__odbc_alloc(SQL_HANDLE_STMT, c->dbc, &st->h))) {
        st->h = NULL;
        dal__stmt_free(st);
        return dal__conn_error(c, SQL_HANDLE_DBC, c->dbc, "cannot allocate a statement", err);
    }
    /* Without a '?' there is no marker, whatever the driver's parser says.
     * Behind a transaction pooler every statement is executed directly: a
     * named server-side statement would be missing on the next transaction's
     * server connection (SQLPrepare still counts the markers, client-side). */
    bool pooled = c->engine->pooler == DAL__POOLER_TRANSACTION;
    bool markers = strchr(sql, '?') != NULL;
    st->direct = (c->engine->dialect->caps & DAL__CAP_DIRECT_WITHOUT_PARAMS) && (!markers || pooled);
    if (!st->direct || markers) {
        dal__watch w;
        dal__conn_watch(c, &w);
        SQLRETURN sr = SQLPrepare(st->h, (SQLCHAR *)dal__stmt_driver_sql(st), SQL_NTS);
        if (DAL__ODBC_OK(sr)) sr = SQLNumParams(st->h, &st->nparams);
        bool fired = dal__conn_unwatch(c, &w);
        if (fired || !DAL__ODBC_OK(sr)) {
            int rc = fired ? dal__conn_timed_out(c, "prepare", false, err)
                           : dal__conn_error(c, SQL_HANDLE_STMT, st->h, "prepare failed", err);
            dal__stmt_free(st);
            return rc;
        }
    }
    if (st->nparams > 0 && !(st->params = dal__calloc((size_t)st->nparams, sizeof *st->params))) {
        st->nparams = 0;
        dal__stmt_free(st);
        return dal__error_nomem(err);
    }
    atomic_fetch_add_explicit(&c->pool->prepares, 1, memory_order_relaxed);
    *out = st;
    return DAL_OK;
}

/* Frees the cached statements no session holds; returns how many. */
static int drop_idle_statements(dal__conn *c)
{
    int kept = 0, dropped = 0;
    for (int i = 0; i < c->ncache; i++) {
        if (c->cache[i]->session) {
            c->cache[kept++] = c->cache[i];
        } else {
            dal__stmt_free(c->cache[i]);
            dropped++;
        }
    }
    c->ncache = kept;
    return dropped;
}

int dal__conn_statement(dal__conn *c, const char *sql, dal_stmt **out, dal_error *err)
{
    if (dal__conn_inherited(c)) return dal__conn_check_owned(c, err);
    uint64_t hash = hash_sql(sql);
    int victim = -1;
    for (int i = 0; i < c->ncache; i++) {
        dal_stmt *st = c->cache[i];
        if (st->session) continue;
        if (st->hash == hash && !strcmp(st->sql, sql)) {
            st->last_used = ++c->tick;
            atomic_fetch_add_explicit(&c->pool->hits, 1, memory_order_relaxed);
            *out = st;
            return DAL_OK;
        }
        if (victim < 0 || st->last_used < c->cache[victim]->last_used) victim = i;
    }
    dal_stmt *st = NULL;
    dal_error local = DAL_ERROR_INIT;
    int rc = prepare(c, sql, hash, &st, &local);
    long limit = c->engine->dialect->statement_limit_native;
    if (rc && limit && local.native_code == limit && drop_idle_statements(c) > 0) {
        victim = -1; /* the server's limit, not ours: make room from our cache */
        dal_error_clear(&local);
        rc = prepare(c, sql, hash, &st, &local);
    }
    if (rc) return dal__error_copy(err, &local);
    st->last_used = ++c->tick;
    if (c->ncache < c->engine->statement_cache) {
        c->cache[c->ncache++] = st;
        st->cached = true;
    } else if (victim >= 0) {
        dal__stmt_free(c->cache[victim]);
        c->cache[victim] = st;
        st->cached = true;
    }
    *out = st;
    return DAL_OK;
}
