/* SQLite through sqliteodbc (Debian libsqliteodbc, driver "SQLite3"). */
#include "dal/error.h"
#include "dialect.h"

static const char *const schemes[] = {"sqlite", "sqlite3", NULL};
static const char *const drivers[] = {"SQLite3", NULL};

/* Timeout: busy wait in ms (the driver's default is 100 s). StepAPI: ~1.4x
 * faster fetch. FKSupport: foreign keys enforced. NoWCHAR: UTF-8 text stays
 * SQL_CHAR. BigInt: INTEGER columns are 64-bit. */
static const char *const defaults[] = {"Timeout=5000", "StepAPI=1", "FKSupport=1",
                                       "NoWCHAR=1",    "BigInt=1",  NULL};
static const char *const file_defaults[] = {"JournalMode=WAL", "SyncPragma=NORMAL", NULL};

/* sqliteodbc 0.9998's attributes (its source; read by getdsnattr). */
static const char *const sqliteodbc_keys[] = {
    "Timeout",  "StepAPI", "SyncPragma", "NoTXN",  "ShortNames", "LongNames", "NoCreat",
    "NoWCHAR",  "FKSupport", "JournalMode", "LoadExt", "BigInt", "JDConv",   "OEMCP",
    "Tracefile", "Attach",  "Description", NULL};

static void build(const dal__url *u, bool read_only, dal__buf *out)
{
    (void)read_only; /* the same connections serve read-only sessions */
    dal__connstr_put(out, "Database", u->memory ? ":memory:" : u->database);
    if (!u->memory) dal__connstr_put_defaults(out, u, file_defaults);
    dal__connstr_put_params(out, u, defaults);
}

/* sqliteodbc reports SQLSTATE HY000 for everything: classify by SQLite's
 * result code (the primary code is the low byte of an extended code). */
static int classify(const char *sqlstate, long native)
{
    (void)sqlstate;
    switch (native & 0xff) {
    case 19: return DAL_ECONSTRAINT; /* SQLITE_CONSTRAINT */
    case 5:                          /* SQLITE_BUSY */
    case 6: return DAL_EBUSY;        /* SQLITE_LOCKED */
    case 1: return DAL_ESYNTAX;      /* SQLITE_ERROR: syntax, missing table */
    case 20:                         /* SQLITE_MISMATCH */
    case 18:                         /* SQLITE_TOOBIG */
    case 25: return DAL_EDATA;       /* SQLITE_RANGE */
    case 14: return DAL_ECONNECT;    /* SQLITE_CANTOPEN */
    case 7: return DAL_ENOMEM;       /* SQLITE_NOMEM */
    case 8: return DAL_EREADONLY;    /* SQLITE_READONLY */
    default: return 0;
    }
}

const dal__dialect dal__dialect_sqlite = {
    .name = "sqlite",
    .schemes = schemes,
    .odbc_drivers = drivers,
    .tested_driver = "SQLite3",
    .package = "libsqliteodbc",
    .requires_database = false,
    .server_keys = {NULL, NULL, "Database", NULL, NULL},
    .driver_keys = sqliteodbc_keys,
    .defaults = defaults,
    .build_connstr = build,
    .setup_sql = NULL,
    .busy_later_is_conflict = true,
    .one_writer = true,
    .lock_wait_key = "Timeout",
    .classify = classify,
    .ping_sql = "SELECT 1",
    /* Any write takes the database's write lock until the transaction ends. */
    .migration_lock_sql = "DELETE FROM dal_schema_migrations WHERE version < 0",
    .read_only_sql = "PRAGMA query_only = 1",
    .read_write_sql = "PRAGMA query_only = 0",
    /* Attached databases and temporary objects go; the pragmas dal sets or
     * relies on come back (busy_timeout is the driver's own handler). */
    .reset_list_sql =
        "SELECT 'DETACH DATABASE \"' || replace(name, '\"', '\"\"') || '\"' AS s FROM pragma_database_list "
        "WHERE name NOT IN ('main', 'temp') UNION ALL SELECT 'DROP ' || type || ' IF EXISTS temp.\"' "
        "|| replace(name, '\"', '\"\"') || '\"' FROM temp.sqlite_master WHERE type IN ('table', "
        "'view', 'trigger') ORDER BY 1",
    .baseline_sql = "SELECT 'PRAGMA foreign_keys = ' || (SELECT foreign_keys FROM pragma_foreign_keys) "
                    "|| '; PRAGMA query_only = ' || (SELECT query_only FROM pragma_query_only) || "
                    "'; PRAGMA synchronous = ' || (SELECT synchronous FROM pragma_synchronous) || "
                    "'; PRAGMA recursive_triggers = ' || (SELECT recursive_triggers FROM "
                    "pragma_recursive_triggers) || '; PRAGMA temp_store = ' || (SELECT temp_store "
                    "FROM pragma_temp_store) || '; PRAGMA cache_size = ' || (SELECT cache_size FROM "
                    "pragma_cache_size)",
    .no_transaction_text = "no transaction is active",
    .no_transaction_fix = "BEGIN",
    .cte_rows_sql = "SELECT changes()", /* sqliteodbc counts no rows for WITH ... */
    .caps = DAL__CAP_SAVEPOINTS | DAL__CAP_MULTIROW_INSERT | DAL__CAP_DRAIN_CURSOR |
            DAL__CAP_STRIP_COMMENTS | DAL__CAP_INTERRUPT_CANCEL | DAL__CAP_VALUE_TYPES |
            DAL__CAP_BOUND_ROWS,
    .max_params = 32766, /* SQLITE_MAX_VARIABLE_NUMBER since 3.32 */
    .json_type = "JSON",
};
