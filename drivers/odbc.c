/* Any ODBC data source: a DSN from odbc.ini or a raw connection string. */
#include <string.h>

#include "dialect.h"

static const char *const schemes[] = {"odbc", NULL};

static void build(const dal__url *u, bool read_only, dal__buf *out)
{
    (void)read_only; /* the same connections serve read-only sessions */
    if (u->odbc_connect) {
        /* Passed through as given; dal only appends the URL's other keys. */
        dal__buf_puts(out, u->odbc_connect);
        if (out->len && out->data[out->len - 1] != ';') dal__buf_putc(out, ';');
    } else {
        dal__connstr_put(out, "DSN", u->host);
        if (u->database) dal__connstr_put(out, "Database", u->database);
        if (u->user) dal__connstr_put(out, "UID", u->user);
        if (u->password) dal__connstr_put(out, "PWD", u->password);
    }
    dal__connstr_put_params(out, u, NULL);
}

const dal__dialect dal__dialect_odbc = {
    .name = "odbc",
    .schemes = schemes,
    .odbc_drivers = NULL,
    .package = "unixodbc",
    .requires_database = false,
    .server_keys = {"DSN", NULL, "Database", "UID", "PWD"},
    .defaults = NULL,
    .build_connstr = build,
    .setup_sql = NULL,
    .classify = NULL,
    .ping_sql = "SELECT 1",
    .caps = 0,
    .max_params = 999,
    .json_type = "TEXT",
};
