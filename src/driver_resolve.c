/* Finds the ODBC driver a dialect uses among those the driver manager knows
 * (odbcinst.ini), so a missing one is reported before any connect. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../drivers/dialect.h"
#include "alloc.h"
#include "dal/engine.h"
#include "buf.h"
#include "driver_resolve.h"
#include "error_internal.h"
#include "odbc.h"

/* SQLDrivers keeps its place in the list in the environment handle, which
 * every thread shares: two engines created at once each saw part of the
 * list ("no ODBC driver for sqlite is installed (installed: PostgreSQL
 * Unicode)", once in a few hundred runs of four threads). One listing at a
 * time. */
static pthread_mutex_t listing = PTHREAD_MUTEX_INITIALIZER;

int dal__installed_drivers(dal__buf *names, dal_error *err)
{
    SQLHENV env;
    int rc = dal__odbc_env(&env, err);
    if (rc) return rc;
    SQLCHAR name[256], attrs[1024];
    SQLSMALLINT nlen, alen;
    SQLUSMALLINT dir = SQL_FETCH_FIRST;
    pthread_mutex_lock(&listing);
    while (
        DAL__ODBC_OK(SQLDrivers(env, dir, name, sizeof name, &nlen, attrs, sizeof attrs, &alen))) {
        dal__buf_append(names, name, strlen((char *)name) + 1);
        dir = SQL_FETCH_NEXT;
    }
    pthread_mutex_unlock(&listing);
    return names->failed ? dal__error_nomem(err) : DAL_OK;
}

void dal__drivers_fork_prepare(void) { pthread_mutex_lock(&listing); }

void dal__drivers_fork_parent(void) { pthread_mutex_unlock(&listing); }

void dal__drivers_fork_child(void) { pthread_mutex_init(&listing, NULL); }

static bool listed(const dal__buf *names, const char *want)
{
    for (size_t i = 0; i < names->len; i += strlen(names->data + i) + 1)
        if (!strcasecmp(names->data + i, want)) return true;
    return false;
}

static void describe(const dal__buf *names, char *out, size_t n)
{
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < names->len && k < n; i += strlen(names->data + i) + 1)
        k += (size_t)snprintf(out + k, n - k, "%s%s", k ? ", " : "", names->data + i);
    if (!names->len) snprintf(out, n, "none");
}

int dal__resolve_driver(const dal__dialect *d, const char *wanted, char **out, dal_error *err)
{
    if (wanted && strchr(wanted, '/')) { /* a driver library given by path */
        if (access(wanted, R_OK) != 0)
            return dal__error_set(err, DAL_EDRIVER, "ODBC driver library %s not found", wanted);
        return (*out = dal__strdup(wanted)) ? DAL_OK : dal__error_nomem(err);
    }
    if (!wanted && !d->odbc_drivers)
        return (*out = dal__strdup("")) ? DAL_OK : dal__error_nomem(err);
    dal__buf names = {0};
    int rc = dal__installed_drivers(&names, err);
    if (rc) return rc;
    const char *found = NULL;
    if (wanted) {
        if (listed(&names, wanted)) found = wanted;
    } else {
        for (const char *const *n = d->odbc_drivers; *n && !found; n++)
            if (listed(&names, *n)) found = *n;
    }
    if (found) {
        dal__buf_free(&names);
        return (*out = dal__strdup(found)) ? DAL_OK : dal__error_nomem(err);
    }
    char installed[256], tried[256] = "";
    describe(&names, installed, sizeof installed);
    dal__buf_free(&names);
    if (wanted)
        return dal__error_set(err, DAL_EDRIVER, "ODBC driver '%s' is not installed (installed: %s)",
                              wanted, installed);
    size_t k = 0;
    for (const char *const *n = d->odbc_drivers; *n && k < sizeof tried; n++)
        k += (size_t)snprintf(tried + k, sizeof tried - k, "%s%s", k ? ", " : "", *n);
    return dal__error_set(err, DAL_EDRIVER,
                          "no ODBC driver for %s is installed (looked for: %s; installed: %s); "
                          "install the Debian package %s",
                          d->name, tried, installed, d->package);
}

int dal_odbc_drivers(dal_driver_fn fn, void *ctx, dal_error *err)
{
    if (!fn) return dal__error_set(err, DAL_EMISUSE, "dal_odbc_drivers: no callback");
    dal__buf names = {0};
    int rc = dal__installed_drivers(&names, err);
    for (size_t i = 0; !rc && i < names.len; i += strlen(names.data + i) + 1) {
        const dal__dialect *d = dal__dialect_for_driver(names.data + i);
        bool tested = d && d->tested_driver && !strcasecmp(d->tested_driver, names.data + i);
        if (fn(ctx, names.data + i, d ? d->name : NULL, tested)) break;
    }
    dal__buf_free(&names);
    return rc;
}
