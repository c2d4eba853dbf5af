/* Microsoft SQL Server through Microsoft's ODBC driver or FreeTDS. */
#include <stdio.h>

#include "dal/error.h"
#include "dialect.h"

static const char *const schemes[] = {"mssql", "sqlserver", NULL};
static const char *const drivers[] = {"ODBC Driver 18 for SQL Server",
                                      "ODBC Driver 17 for SQL Server", "FreeTDS", NULL};

/* SQL Server writes the port after the host with a comma. */
static void build(const dal__url *u, bool read_only, dal__buf *out)
{
    (void)read_only; /* the same connections serve read-only sessions */
    char server[300];
    if (u->port)
        snprintf(server, sizeof server, "%s,%d", u->host, u->port);
    else
        snprintf(server, sizeof server, "%s", u->host);
    dal__connstr_put(out, "Server", server);
    if (u->database) dal__connstr_put(out, "Database", u->database);
    if (u->user) dal__connstr_put(out, "UID", u->user);
    if (u->password) dal__connstr_put(out, "PWD", u->password);
    dal__connstr_put_params(out, u, NULL);
}

static int classify(const char *sqlstate, long native)
{
    (void)sqlstate;
    if (native == 1205) return DAL_ECONFLICT; /* deadlock victim */
    if (native == 2627 || native == 2601 || native == 547) return DAL_ECONSTRAINT;
    return 0;
}

const dal__dialect dal__dialect_mssql = {
    .name = "mssql",
    .schemes = schemes,
    .odbc_drivers = drivers,
    .package = "tdsodbc (FreeTDS) or Microsoft's msodbcsql18",
    .requires_database = false,
    .server_keys = {"Server", NULL, "Database", "UID", "PWD"},
    .defaults = NULL,
    .build_connstr = build,
    .setup_sql = NULL,
    .classify = classify,
    .ping_sql = "SELECT 1",
    .default_port = 1433,
    .caps = DAL__CAP_SAVEPOINTS | DAL__CAP_MULTIROW_INSERT,
    .max_params = 2100,
    .json_type = "NVARCHAR(MAX)",
};
