/* PostgreSQL through psqlODBC (Debian odbc-postgresql). */
#include <string.h>

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

static const char *const setup[] = {"SET TIME ZONE 'UTC'", NULL};

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

const dal__dialect dal__dialect_postgresql = {
    .name = "postgresql",
    .schemes = schemes,
    .odbc_drivers = drivers,
    .package = "odbc-postgresql",
    .requires_database = true,
    .server_keys = {"Server", "Port", "Database", "UID", "PWD"},
    .defaults = defaults,
    .build_connstr = NULL,
    .setup_sql = setup_sql,
    .classify = classify,
    .ping_sql = "SELECT 1",
    .reset_sql = "RESET ALL",
    .caps = DAL__CAP_SAVEPOINTS | DAL__CAP_MULTIROW_INSERT | DAL__CAP_BLOCK_FETCH,
    .max_params = 32767,
    .json_type = "jsonb",
};
