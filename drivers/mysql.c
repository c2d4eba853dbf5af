/* MySQL and MariaDB through MariaDB Connector/ODBC or MySQL Connector/ODBC. */
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
static const char *const defaults[] = {"CHARSET=utf8mb4", NULL};

static int classify(const char *sqlstate, long native)
{
    (void)sqlstate;
    switch (native) {
    case 1213: return DAL_ECONFLICT;     /* ER_LOCK_DEADLOCK */
    case 1205: return DAL_EBUSY;         /* ER_LOCK_WAIT_TIMEOUT */
    case 2006:                           /* CR_SERVER_GONE_ERROR */
    case 2013: return DAL_EDISCONNECTED; /* CR_SERVER_LOST */
    default: return 0;
    }
}

const dal__dialect dal__dialect_mysql = {
    .name = "mysql",
    .schemes = schemes,
    .odbc_drivers = drivers,
    .package = "odbc-mariadb",
    .requires_database = false,
    .server_keys = {"SERVER", "PORT", "DATABASE", "UID", "PWD"},
    .defaults = defaults,
    .build_connstr = NULL,
    .setup_sql = NULL,
    .classify = classify,
    .ping_sql = "SELECT 1",
    .default_port = 3306,
    .caps = DAL__CAP_SAVEPOINTS | DAL__CAP_MULTIROW_INSERT,
    .max_params = 65535,
    .json_type = "JSON",
};
