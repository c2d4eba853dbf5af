/* What a session is connected to: a ping, and the server's name, version,
 * address and role (for `dal ping` and for programs that log it). */
#include <jansson.h>
#include <string.h>

#include "dal/json.h"
#include "engine_internal.h"
#include "error_internal.h"
#include "odbc.h"

int dal_session_ping(dal_session *s, dal_error *err)
{
    if (!s) return dal__error_set(err, DAL_EMISUSE, "session is NULL");
    return dal_session_exec(s, s->engine->dialect->ping_sql, NULL, 0, NULL, err);
}

static int set_text(json_t *o, const char *key, const char *text)
{
    return json_object_set_new(o, key, text ? json_string(text) : json_null());
}

/* SQLGetInfo's text for what, or NULL when the driver does not say. */
static const char *info_text(SQLHDBC dbc, SQLUSMALLINT what, char *buf, SQLSMALLINT size)
{
    SQLSMALLINT len = 0;
    return DAL__ODBC_OK(SQLGetInfo(dbc, what, buf, size, &len)) && buf[0] ? buf : NULL;
}

/* The dialect's server_sql row: host, port, role. */
static int add_address(dal_session *s, json_t *o, dal_error *err)
{
    dal_result *r = NULL;
    int rc = dal_session_query(s, s->engine->dialect->server_sql, NULL, 0, &r, err);
    if (!rc && (rc = dal_result_next(r, err)) == DAL_ROW) {
        const char *host, *role;
        int64_t port;
        rc = dal_result_is_null(r, 0) ? (host = NULL, DAL_OK)
                                      : dal_result_text(r, 0, &host, NULL, err);
        if (!rc) rc = set_text(o, "host", host) ? DAL_ENOMEM : DAL_OK;
        if (!rc && !dal_result_is_null(r, 1) && !(rc = dal_result_int64(r, 1, &port, err)))
            rc = json_object_set_new(o, "port", json_integer(port)) ? DAL_ENOMEM : DAL_OK;
        if (!rc && !(rc = dal_result_text(r, 2, &role, NULL, err)))
            rc = set_text(o, "role", role) ? DAL_ENOMEM : DAL_OK;
        if (rc == DAL_ENOMEM) dal__error_nomem(err);
    } else if (rc == DAL_DONE) {
        rc = dal__error_set(err, DAL_EODBC, "the server's address query returned no row");
    }
    dal_result_close(r);
    return rc;
}

/* The dialect's tls_sql row: protocol and cipher, both NULL in clear text.
 * "tls" is then {"protocol": ..., "cipher": ...}, or false. */
static int add_tls(dal_session *s, json_t *o, dal_error *err)
{
    dal_result *r = NULL;
    int rc = dal_session_query(s, s->engine->dialect->tls_sql, NULL, 0, &r, err);
    json_t *tls = NULL;
    if (!rc && (rc = dal_result_next(r, err)) == DAL_ROW && !dal_result_is_null(r, 0)) {
        const char *protocol, *cipher = NULL;
        if (!(rc = dal_result_text(r, 0, &protocol, NULL, err)) &&
            (dal_result_is_null(r, 1) || !(rc = dal_result_text(r, 1, &cipher, NULL, err)))) {
            tls = json_object();
            if (!tls || set_text(tls, "protocol", protocol) || set_text(tls, "cipher", cipher))
                rc = DAL_ENOMEM;
        }
    } else if (rc == DAL_ROW || rc == DAL_DONE) {
        rc = DAL_OK; /* no row, or NULL: not encrypted */
    }
    if (!rc && json_object_set_new(o, "tls", tls ? tls : json_false())) rc = DAL_ENOMEM;
    else if (rc) json_decref(tls);
    if (rc == DAL_ENOMEM) dal__error_nomem(err);
    dal_result_close(r);
    return rc;
}

int dal_session_server_info(dal_session *s, json_t **out, dal_error *err)
{
    if (!out) return dal__error_set(err, DAL_EMISUSE, "dal_session_server_info: out is NULL");
    *out = NULL;
    if (!s) return dal__error_set(err, DAL_EMISUSE, "session is NULL");
    if (!s->conn)
        return dal__error_set(err, DAL_EDISCONNECTED,
                              "session lost its connection: close it and open another");
    char name[128], version[128];
    json_t *o = json_object();
    if (!o || set_text(o, "product", info_text(s->conn->dbc, SQL_DBMS_NAME, name, sizeof name)) ||
        set_text(o, "version", info_text(s->conn->dbc, SQL_DBMS_VER, version, sizeof version))) {
        json_decref(o);
        return dal__error_nomem(err);
    }
    int rc = s->engine->dialect->server_sql ? add_address(s, o, err) : DAL_OK;
    if (!rc && s->engine->dialect->tls_sql) rc = add_tls(s, o, err);
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return DAL_OK;
}
