/* PostgreSQL through psqlODBC (Debian odbc-postgresql). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dal/error.h"
#include "dialect.h"

static const char *const schemes[] = {"postgresql", "postgres", "psql", NULL};
static const char *const drivers[] = {"PostgreSQL Unicode", "PostgreSQL ANSI", "PostgreSQL", NULL};

/* Protocol=7.4-0: the driver does nothing on an error, so the transaction
 * stays aborted as PostgreSQL leaves it (dal tracks that state and refuses
 * the commit). 7.4-1 rolls the whole transaction back and carries on in a
 * new one (a partial commit reported as success); 7.4-2, the default, adds
 * a SAVEPOINT round trip per statement (halves throughput).
 * BoolsAsChar=0: booleans are SQL_BIT, not '1'/'0' text. CommLog/Debug off:
 * Debian's odbcinst.ini turns logging on for every process. */
static const char *const defaults[] = {"Protocol=7.4-0",
                                       "BoolsAsChar=0",
                                       "UseServerSidePrepare=1",
                                       "ByteaAsLongVarBinary=1",
                                       "CommLog=0",
                                       "Debug=0",
                                       NULL};

/* Behind a transaction pooler (pooler=transaction): no named server-side
 * statement (every statement is executed directly, see src/pooler.c), and
 * the driver's own parameter substitution: the simple protocol lets
 * psqlODBC send BEGIN in the first statement's message (two round trips a
 * write request instead of three; 1.4x the requests/s through PgBouncer,
 * measured). */
static const char *const pooled_defaults[] = {"Protocol=7.4-0",
                                              "BoolsAsChar=0",
                                              "UseServerSidePrepare=0",
                                              "ByteaAsLongVarBinary=1",
                                              "CommLog=0",
                                              "Debug=0",
                                              NULL};

/* libpq's connection parameters (PostgreSQL 15) that a URL may set, as in
 * libpq and SQLAlchemy URLs. The URL's own parts (host, port, dbname, user,
 * password) and dal's connect_timeout are not among them. */
static const char *const libpq_keys[] = {"application_name",
                                         "fallback_application_name",
                                         "options",
                                         "client_encoding",
                                         "sslmode",
                                         "sslrootcert",
                                         "sslcert",
                                         "sslkey",
                                         "sslpassword",
                                         "sslcrl",
                                         "sslcrldir",
                                         "sslsni",
                                         "sslcompression",
                                         "ssl_min_protocol_version",
                                         "ssl_max_protocol_version",
                                         "requiressl",
                                         "requirepeer",
                                         "channel_binding",
                                         "gssencmode",
                                         "krbsrvname",
                                         "gsslib",
                                         "passfile",
                                         "service",
                                         "keepalives",
                                         "keepalives_idle",
                                         "keepalives_interval",
                                         "keepalives_count",
                                         "tcp_user_timeout",
                                         "target_session_attrs",
                                         NULL};

/* psqlODBC 13.02's keywords and their abbreviations (dlg_specific.h). */
static const char *const psqlodbc_keys[] = {
    "A0", "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A9", "AB", "B0", "B1", "B2", "B3", "B4", "B5",
    "B6", "B7", "B8", "B9", "C0", "C1", "C2", "C3", "C4", "C5", "C7", "C8", "C9", "CA", "CX", "D1",
    "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D9", "DA", "DX", "BatchSize", "BoolsAsChar",
    "ByteaAsLongVarBinary", "CancelAsFreeStmt", "CommLog", "ConnSettings", "Database", "Debug",
    "Description", "DisallowPremature", "Dtclog", "ExtraSysTablePrefixes", "FakeOidIndex",
    "Fetch", "FetchRefcursors", "IgnoreTimeout", "KeepaliveInterval", "KeepaliveTime", "Ksqo",
    "LFConversion", "Lie", "Logdir", "LowerCaseIdentifier", "MaxLongVarcharSize",
    "MaxVarcharSize", "NumericAs", "Optimizer", "OptionalErrors", "Parse", "PostgreSQL30",
    "PostgreSQL35W", "PreferLibpq", "Protocol", "ReadOnly", "RowVersioning", "SSLmode",
    "ShowOidColumn", "ShowSystemTables", "TextAsLongVarchar", "TranslationDLL",
    "TranslationName", "TranslationOption", "UniqueIndex", "UnknownSizes",
    "UnknownsAsLongVarchar", "UpdatableCursors", "UseDeclareFetch", "UseServerSidePrepare",
    "XaOpt", "pqopt", NULL};

/* A libpq conninfo value: quoted, with ' and \ escaped. */
static void put_conninfo_value(dal__buf *out, const char *v)
{
    dal__buf_putc(out, '\'');
    for (; *v; v++) {
        if (*v == '\'' || *v == '\\') dal__buf_putc(out, '\\');
        dal__buf_putc(out, *v);
    }
    dal__buf_putc(out, '\'');
}

/* libpq keys psqlODBC sets itself: in pqopt they conflict with its own
 * value, so they go as its attribute. */
static const char *attribute_for(const char *libpq_key)
{
    return !strcasecmp(libpq_key, "sslmode") ? "SSLMode" : NULL;
}

/* Dead peers are found between statements too: an idle connection whose
 * peer vanished fails within about a minute (keepalives: 30 s idle, then 3
 * probes 10 s apart), and data unacknowledged for 30 s ends the
 * connection. Each is skipped when the URL sets it (or psqlODBC's own
 * KeepaliveTime / KeepaliveInterval, which would conflict). */
static const struct {
    const char *key, *value, *unless;
} libpq_defaults[] = {
    {"keepalives_idle", "30", "KeepaliveTime"},
    {"keepalives_interval", "10", "KeepaliveInterval"},
    {"keepalives_count", "3", NULL},
    {"tcp_user_timeout", "30000", NULL},
};

static void put_libpq(dal__buf *pqopt, const char *key, const char *value)
{
    if (pqopt->len) dal__buf_putc(pqopt, ' ');
    dal__buf_puts(pqopt, key);
    dal__buf_putc(pqopt, '=');
    put_conninfo_value(pqopt, value);
}

/* libpq's keys go to libpq through psqlODBC's pqopt (dal's defaults, the
 * URL's libpq keys, then any pqopt the URL gives in psqlODBC's spelling);
 * everything else is an attribute. */
/* A host list: psqlODBC hands Server to libpq, which reads h1,h2; its Port
 * field is 10 characters, so the ports go to libpq through pqopt. */
static void put_hosts(const dal__url *u, dal__buf *out, dal__buf *pqopt)
{
    dal__buf hosts = {0}, ports = {0};
    for (size_t i = 0; i < u->nhosts; i++) {
        char port[16];
        snprintf(port, sizeof port, "%s%d", i ? "," : "", u->hosts[i].port ? u->hosts[i].port : 5432);
        if (i) dal__buf_putc(&hosts, ',');
        dal__buf_puts(&hosts, u->hosts[i].host);
        dal__buf_puts(&ports, port);
    }
    if (hosts.failed || ports.failed) out->failed = true;
    if (!out->failed) {
        dal__connstr_put(out, "Server", hosts.data);
        if (u->database) dal__connstr_put(out, "Database", u->database);
        if (u->user) dal__connstr_put(out, "UID", u->user);
        if (u->password) dal__connstr_put(out, "PWD", u->password);
        put_libpq(pqopt, "port", ports.data);
    }
    dal__buf_free(&hosts);
    dal__buf_free(&ports);
}

static void build(const dal__url *u, bool read_only, dal__buf *out)
{
    dal__buf pqopt = {0};
    if (u->nhosts > 1)
        put_hosts(u, out, &pqopt);
    else
        dal__connstr_put_server(out, u, &dal__dialect_postgresql);
    dal__connstr_put_defaults(out, u, u->pooler == DAL__POOLER_TRANSACTION ? pooled_defaults : defaults);
    /* Normal sessions need a server that takes writes when there is a
     * choice; read-only ones prefer a standby, else take the primary. */
    const char *attrs = dal__url_param_get(u, "target_session_attrs");
    if (read_only) /* one host of a list dal routes itself: what hosts.c asks */
        put_libpq(&pqopt, "target_session_attrs", u->route_attrs ? u->route_attrs : "prefer-standby");
    else if (!attrs && u->nhosts > 1)
        put_libpq(&pqopt, "target_session_attrs", "read-write");
    for (size_t i = 0; i < sizeof libpq_defaults / sizeof libpq_defaults[0]; i++)
        if (!dal__url_param_get(u, libpq_defaults[i].key) &&
            !(libpq_defaults[i].unless && dal__url_param_get(u, libpq_defaults[i].unless)))
            put_libpq(&pqopt, libpq_defaults[i].key, libpq_defaults[i].value);
    for (size_t i = 0; i < u->nparams; i++) {
        const dal__url_param *p = &u->params[i];
        bool replaced = read_only && !strcasecmp(p->key, "target_session_attrs");
        if (dal__url_key_is_native(&dal__dialect_postgresql, p->key) && !attribute_for(p->key) &&
            !replaced)
            put_libpq(&pqopt, p->key, p->value);
    }
    const char *own = dal__url_param_get(u, "pqopt");
    if (own && *own) {
        if (pqopt.len) dal__buf_putc(&pqopt, ' ');
        dal__buf_puts(&pqopt, own);
    }
    if (pqopt.len && !pqopt.failed) dal__connstr_put(out, "pqopt", pqopt.data);
    if (pqopt.failed) out->failed = true;
    dal__buf_free(&pqopt);
    /* psqlODBC's default is disable; dal's is in u->sslmode (tls.c). */
    if (!dal__url_param_get(u, "sslmode") && u->sslmode) dal__connstr_put(out, "SSLMode", u->sslmode);
    for (size_t i = 0; i < u->nparams; i++) {
        const dal__url_param *p = &u->params[i];
        const char *attribute = attribute_for(p->key);
        if (strcasecmp(p->key, "pqopt") &&
            (attribute || !dal__url_key_is_native(&dal__dialect_postgresql, p->key)))
            dal__connstr_put(out, attribute ? attribute : p->key, p->value);
    }
}

/* standard_conforming_strings: deferred statements' literals (literal.c)
 * rely on it (the server's default since 9.1; set, so a server whose
 * configuration says otherwise cannot turn a backslash into an escape). */
static const char *const setup[] = {"SET TIME ZONE 'UTC'", "SET standard_conforming_strings = on",
                                    NULL};

static const char *const *setup_sql(const dal__url *u)
{
    (void)u;
    return setup;
}

static int classify(const char *sqlstate, long native)
{
    (void)native;
    if (!strncmp(sqlstate, "57P0", 4)) return DAL_EDISCONNECTED; /* admin shutdown etc. */
    if (!strcmp(sqlstate, "55P03")) return DAL_EBUSY;            /* lock_not_available */
    if (!strcmp(sqlstate, "57014")) return DAL_ETIMEOUT;         /* query_canceled */
    return 0;
}

/* With UseDeclareFetch, psqlODBC FETCHes `Fetch` rows (default 100) a round
 * trip, or a rowset when that is more; a rowset that crosses the end of
 * those rows costs one more FETCH for its rest, every time: with Fetch=2000
 * and rowsets of 128, twice the round trips. The rowset is therefore the
 * largest divisor of Fetch up to 128, unless that is too small to be worth
 * it (a prime Fetch), or Fetch is at most 128 (the rowset is fetched whole). */
static int rowset_rows(const dal__url *u)
{
    const char *fetch = dal__url_param_get(u, "Fetch");
    if (!fetch) fetch = dal__url_param_get(u, "A7"); /* psqlODBC's short key */
    long rows = fetch ? strtol(fetch, NULL, 10) : 0;
    if (rows <= 128) return 0;
    for (long d = 128; d >= 16; d--)
        if (rows % d == 0) return (int)d;
    return 0;
}

const dal__dialect dal__dialect_postgresql = {
    .name = "postgresql",
    .schemes = schemes,
    .odbc_drivers = drivers,
    .tested_driver = "PostgreSQL Unicode",
    .package = "odbc-postgresql",
    .requires_database = true,
    .server_keys = {"Server", "Port", "Database", "UID", "PWD"},
    .native_keys = libpq_keys,
    .driver_keys = psqlodbc_keys,
    .defaults = defaults,
    .build_connstr = build,
    .setup_sql = setup_sql,
    .classify = classify,
    .ping_sql = "SELECT 1",
    .server_sql = "SELECT host(inet_server_addr()), inet_server_port(), CASE WHEN "
                  "pg_is_in_recovery() THEN 'standby' ELSE 'primary' END",
    /* A standby's lag is the age of the last transaction it replayed while
     * WAL it has not replayed waits; none when it replayed all it received
     * and its WAL receiver streams (an idle primary sends nothing, and its
     * last transaction may be hours old). */
    .lag_sql = "SELECT CASE WHEN NOT pg_is_in_recovery() THEN -1 WHEN pg_last_wal_receive_lsn() = "
               "pg_last_wal_replay_lsn() AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE "
               "status = 'streaming') THEN 0 ELSE coalesce(ceil(1000 * extract(epoch FROM now() - "
               "pg_last_xact_replay_timestamp()))::bigint, 1000000000) END",
    .commit_token_sql = "SELECT pg_current_wal_lsn()::text",
    .caught_up_sql = "SELECT CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= "
                     "CAST(? AS pg_lsn) THEN 1 ELSE 0 END",
    .tls_sql = "SELECT CASE WHEN ssl THEN version END, CASE WHEN ssl THEN cipher END FROM "
               "pg_stat_ssl WHERE pid = pg_backend_pid()",
    /* DISCARD ALL without DEALLOCATE ALL, which would drop the driver's
     * prepared statements; its first statement counts the ones a user made
     * with SQL PREPARE (reset.c deallocates those, rarely any). */
    .reset_sql = "SELECT count(*) FROM pg_prepared_statements WHERE from_sql; CLOSE ALL; SET "
                 "SESSION AUTHORIZATION DEFAULT; RESET ALL; UNLISTEN *; SELECT "
                 "pg_advisory_unlock_all(); DISCARD TEMP; DISCARD SEQUENCES",
    .reset_extra_sql = "DO $dal$DECLARE n text; BEGIN FOR n IN SELECT name FROM "
                       "pg_prepared_statements WHERE from_sql LOOP EXECUTE format('DEALLOCATE "
                       "%I', n); END LOOP; END$dal$",
    .reset_after_any = true,
    .defer_in_one_message = true,
    /* What the driver (DateStyle, extra_float_digits) and dal's setup set:
     * RESET ALL returns to the server's defaults, this to the connection's. */
    .baseline_sql = "SELECT coalesce(string_agg(format('SET %I = %L', name, setting), '; '), '') "
                    "FROM pg_settings WHERE source = 'session'",
    .migration_lock_sql = "SELECT pg_try_advisory_xact_lock(8243106175)", /* "dal migrate" */
    .migration_lock_is_advisory = true,
    .isolation_session_sql = "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL %s",
    /* psqlODBC sends BEGIN in the message of the transaction's first
     * statement without parameters: this one. */
    .isolation_txn_sql = "SET TRANSACTION ISOLATION LEVEL %s",
    .read_only_sql = "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
    .read_write_sql = "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
    .caps = DAL__CAP_SAVEPOINTS | DAL__CAP_MULTIROW_INSERT | DAL__CAP_BLOCK_FETCH |
            DAL__CAP_INTERRUPT_SOCKET | DAL__CAP_SERVER_ROLES | DAL__CAP_DIRECT_WITHOUT_PARAMS |
            DAL__CAP_SHAPE_KEPT | DAL__CAP_EXACT_INTEGERS,
    .rowset_rows = rowset_rows,
    .max_params = 32767,
    .default_port = 5432,
    .json_type = "jsonb",
};
