/* MariaDB (and MySQL) through MariaDB Connector/ODBC 3.1 (Debian
 * odbc-mariadb), tested against MariaDB 10.11. MySQL Connector/ODBC is
 * accepted when it is the one installed, untested. */
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

static int classify(const char *sqlstate, long native)
{
    (void)sqlstate;
    switch (native) {
    case 1213: return DAL_ECONFLICT;     /* ER_LOCK_DEADLOCK */
    case 1205: return DAL_EBUSY;         /* ER_LOCK_WAIT_TIMEOUT */
    case 1461: return DAL_EBUSY;         /* ER_MAX_PREPARED_STMT_COUNT_REACHED */
    case 1792: return DAL_EREADONLY;     /* ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION */
    case 1290: return DAL_EREADONLY;     /* ER_OPTION_PREVENTS_STATEMENT (read_only) */
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
    .driver_keys = maodbc_keys,
    .defaults = defaults,
    .build_connstr = NULL,
    .setup_sql = NULL,
    .classify = classify,
    .ping_sql = "SELECT 1",
    /* The driver ignores SQL_ATTR_LOGIN_TIMEOUT; its own key bounds the connect. */
    .connect_timeout_key = "CONN_TIMEOUT",
    /* A session-level try-lock: held until the migrating session's
     * connection closes (GET_LOCK marks it for closing at check-in). */
    .migration_lock_sql = "SELECT GET_LOCK('dal_migrate', 0)",
    .migration_lock_is_advisory = true,
    .ddl_commits = true,
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
