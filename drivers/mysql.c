/* MariaDB (and MySQL) through MariaDB Connector/ODBC 3.1 (Debian
 * odbc-mariadb), tested against MariaDB 10.11. MySQL Connector/ODBC is
 * accepted when it is the one installed, untested. */
#include <string.h>
#include <strings.h>

#include "dal/error.h"
#include "dialect.h"

static const char *const schemes[] = {"mysql", "mariadb", NULL};
static const char *const drivers[] = {"MariaDB Unicode",
                                      "MariaDB",
                                      "MariaDB ODBC 3.1 Driver",
                                      "MySQL ODBC 8.0 Unicode Driver",
                                      "MySQL ODBC 8.0 ANSI Driver",
                                      "MySQL",
                                      NULL};
/* utf8mb4: every Unicode character, 4-byte ones included (MariaDB's "utf8"
 * is 3 bytes). OPTION=2 (FOUND_ROWS): an UPDATE counts the rows it matched,
 * as PostgreSQL and SQLite do, not only those whose value changed. */
static const char *const defaults[] = {"CHARSET=utf8mb4", "OPTION=2", NULL};

/* MariaDB Connector/ODBC 3.1.15's keywords (ma_dsn.c, DsnKeys). */
static const char *const maodbc_keys[] = {
    "DESCRIPTION", "OPTIONS",     "OPTION",       "NamedPipe",     "TCPIP",      "INITSTMT",
    "CONN_TIMEOUT", "AUTO_RECONNECT", "NO_PROMPT", "CHARSET",      "TRACE",      "PLUGIN_DIR",
    "SSLKEY",      "SSLCERT",     "SSLCA",        "SSLCAPATH",     "SSLCIPHER",  "SSLVERIFY",
    "TLSPEERFP",   "TLSPEERFPLIST", "SSLCRL",     "SSLCRLPATH",    "SOCKET",     "USE_MYCNF",
    "TLSVERSION",  "FORCETLS",    "SERVERKEY",    "TLSKEYPWD",     "INTERACTIVE", "FORWARDONLY",
    "SCHEMANOERROR", "READ_TIMEOUT", "WRITE_TIMEOUT", "SERVERNAME", "DB",         "SSLFP",
    "SSLFPLIST",   NULL};

/* libpq's TLS keys, dal's spelling on every backend (src/tls.c), and what
 * they are to Connector/ODBC 3.1.15 (ma_connection.c, libmariadb 3.3):
 * sslrootcert SSLCA, sslcert SSLCERT, sslkey SSLKEY, sslcrl SSLCRL,
 * sslpassword TLSKEYPWD. */
static const char *const tls_keys[] = {"sslmode", "sslrootcert", "sslcert", "sslkey",
                                       "sslcrl",  "sslpassword", NULL};
static const struct {
    const char *dal, *driver;
} tls_files[] = {
    {"sslrootcert", "SSLCA"},
    {"sslcert", "SSLCERT"},
    {"sslkey", "SSLKEY"},
    {"sslcrl", "SSLCRL"},
    {"sslpassword", "TLSKEYPWD"},
};

/* sslmode for Connector/ODBC: any TLS option makes it use TLS when the
 * server offers it, and only SSLVERIFY (which checks the chain and the host
 * name) makes it refuse a server without TLS. So: prefer is FORCETLS, with
 * no check; require and verify-ca are FORCETLS (with SSLCA, which checks the
 * chain) and dal refuses an unencrypted connection after the handshake
 * (encrypted_sql); verify-full is SSLVERIFY. allow (clear first, TLS when
 * the server insists) has no equivalent: tls.c cannot pass it here. */
static void put_tls(const dal__url *u, dal__buf *out)
{
    const char *mode = u->sslmode ? u->sslmode : "disable";
    if (!strcmp(mode, "disable")) return;
    for (size_t i = 0; i < sizeof tls_files / sizeof tls_files[0]; i++) {
        const char *v = dal__url_param_get(u, tls_files[i].dal);
        if (v) dal__connstr_put(out, tls_files[i].driver, v);
    }
    dal__connstr_put(out, "FORCETLS", "1");
    if (!strcmp(mode, "verify-full")) dal__connstr_put(out, "SSLVERIFY", "1");
}

static void build(const dal__url *u, bool read_only, dal__buf *out)
{
    (void)read_only;
    dal__connstr_put_server(out, u, &dal__dialect_mysql);
    dal__connstr_put_defaults(out, u, defaults);
    put_tls(u, out);
    for (size_t i = 0; i < u->nparams; i++)
        if (!dal__url_key_is_native(&dal__dialect_mysql, u->params[i].key))
            dal__connstr_put(out, u->params[i].key, u->params[i].value);
}

/* causal_reads=true: every read waits until this node applied every
 * write set the cluster committed before it (wsrep_sync_wait bit 1). */
static const char *const causal_setup[] = {"SET SESSION wsrep_sync_wait = 1", NULL};

static const char *const *setup_sql(const dal__url *u)
{
    return u->causal_reads ? causal_setup : NULL;
}

static int classify(const char *sqlstate, long native)
{
    (void)sqlstate;
    switch (native) {
    case 1213: return DAL_ECONFLICT;     /* ER_LOCK_DEADLOCK */
    case 1205: return DAL_EBUSY;         /* ER_LOCK_WAIT_TIMEOUT */
    case 1461: return DAL_EBUSY;         /* ER_MAX_PREPARED_STMT_COUNT_REACHED */
    case 1792: return DAL_EREADONLY;     /* ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION */
    case 1290: return DAL_EREADONLY;     /* ER_OPTION_PREVENTS_STATEMENT (read_only) */
    case 1047:                           /* Galera: node not ready (non-primary, joining) */
    case 1927:                           /* ER_CONNECTION_KILLED */
    case 4031:                           /* ER_CLIENT_INTERACTION_TIMEOUT */
    case 2006:                           /* CR_SERVER_GONE_ERROR */
    case 2013: return DAL_EDISCONNECTED; /* CR_SERVER_LOST */
    default: return 0;
    }
}

const dal__dialect dal__dialect_mysql = {
    .name = "mysql",
    .schemes = schemes,
    .odbc_drivers = drivers,
    .tested_driver = "MariaDB Unicode",
    .package = "odbc-mariadb",
    .requires_database = false,
    .server_keys = {"SERVER", "PORT", "DATABASE", "UID", "PWD"},
    .native_keys = tls_keys,
    .driver_keys = maodbc_keys,
    .defaults = defaults,
    .build_connstr = build,
    .setup_sql = setup_sql,
    .classify = classify,
    .ping_sql = "SELECT 1",
    /* The driver ignores SQL_ATTR_LOGIN_TIMEOUT; its own key bounds the connect. */
    .connect_timeout_key = "CONN_TIMEOUT",
    .encrypted_sql = "SELECT VARIABLE_VALUE <> '' FROM information_schema.SESSION_STATUS "
                     "WHERE VARIABLE_NAME = 'SSL_CIPHER'",
    /* Galera: wsrep_ready ON and wsrep_local_state 4 (Synced); a server
     * without wsrep (wsrep_on 0) always serves. */
    .ready_sql = "SELECT @@wsrep_on = 0 OR (SELECT COUNT(*) FROM information_schema.GLOBAL_STATUS "
                 "WHERE (VARIABLE_NAME = 'WSREP_READY' AND VARIABLE_VALUE = 'ON') OR "
                 "(VARIABLE_NAME = 'WSREP_LOCAL_STATE' AND VARIABLE_VALUE = '4')) = 2",
    .not_ready_native = 1047,
    .tls_sql = "SELECT NULLIF(MAX(IF(VARIABLE_NAME = 'SSL_VERSION', VARIABLE_VALUE, NULL)), ''), "
               "NULLIF(MAX(IF(VARIABLE_NAME = 'SSL_CIPHER', VARIABLE_VALUE, NULL)), '') FROM "
               "information_schema.SESSION_STATUS WHERE VARIABLE_NAME IN ('SSL_VERSION', "
               "'SSL_CIPHER')",
    /* A session-level try-lock: held until the migrating session's
     * connection closes (GET_LOCK marks it for closing at check-in). */
    .migration_lock_sql = "SELECT GET_LOCK('dal_migrate', 0)",
    .migration_lock_is_advisory = true,
    .ddl_commits = true,
    /* There is no BEGIN message to carry a level (autocommit off begins
     * transactions implicitly): the connection keeps the last level set. */
    .isolation_session_sql = "SET SESSION TRANSACTION ISOLATION LEVEL %s",
    .isolation_default_sql = "SET SESSION tx_isolation = DEFAULT",
    .read_only_sql = "SET SESSION TRANSACTION READ ONLY",
    .read_write_sql = "SET SESSION TRANSACTION READ WRITE",
    .default_port = 3306,
    /* No reset statement (Connector/ODBC 3.1 has no COM_RESET_CONNECTION):
     * a connection a user changed (SET, USE, CALL, temporary tables, user
     * locks, PREPARE, user variables) is closed at check-in instead. The driver's queries
     * run as written: a timed-out call is ended by closing the socket.
     * Bound rows, not longer rowsets: Connector/ODBC 3.1's SQLSetPos only
     * seeks (MADB_StmtSetPos), so SQLGetData after it reads the rowset's
     * last row, and a long value could not be read again. */
    .caps = DAL__CAP_SAVEPOINTS | DAL__CAP_MULTIROW_INSERT | DAL__CAP_INTERRUPT_SOCKET |
            DAL__CAP_BOUND_ROWS,
    .max_params = 65535,
    .statement_limit_native = 1461, /* max_prepared_stmt_count */
    .json_type = "JSON",
    .column_kinds_sql =
        "SELECT c.COLUMN_NAME, IF(c.COLUMN_TYPE = 'tinyint(1)', 'b', 'j') "
        "FROM information_schema.COLUMNS c WHERE c.TABLE_SCHEMA = ? AND c.TABLE_NAME = ? AND "
        "(c.COLUMN_TYPE = 'tinyint(1)' OR (c.DATA_TYPE = 'longtext' AND EXISTS (SELECT 1 FROM "
        "information_schema.CHECK_CONSTRAINTS k WHERE k.CONSTRAINT_SCHEMA = c.TABLE_SCHEMA AND "
        "k.TABLE_NAME = c.TABLE_NAME AND k.CHECK_CLAUSE = CONCAT('json_valid(`', c.COLUMN_NAME, "
        "'`)'))))",
};
