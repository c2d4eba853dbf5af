/* The dialects dal knows, by URL scheme. */
#include <string.h>
#include <strings.h>

#include "dialect.h"

static const dal__dialect *const all[] = {&dal__dialect_sqlite, &dal__dialect_postgresql,
                                          &dal__dialect_mysql, &dal__dialect_mssql,
                                          &dal__dialect_odbc};

const dal__dialect *dal__dialect_for_scheme(const char *scheme)
{
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        for (const char *const *s = all[i]->schemes; *s; s++)
            if (!strcmp(*s, scheme)) return all[i];
    return NULL;
}

const dal__dialect *dal__dialect_for_driver(const char *driver)
{
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        for (const char *const *d = all[i]->odbc_drivers; d && *d; d++)
            if (!strcasecmp(*d, driver)) return all[i];
    return NULL;
}
