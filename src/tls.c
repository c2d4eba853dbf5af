/* The URL's TLS keys: values checked once, at engine creation, so that a
 * typo is an error and never a silent downgrade (psqlODBC turns an unknown
 * SSLMode into disable). drivers/postgresql.c and drivers/mysql.c map the
 * keys to their drivers. */
#include <string.h>
#include <strings.h>

#include "../drivers/dialect.h"
#include "error_internal.h"
#include "tls.h"

static const char *const modes[] = {"disable", "allow", "prefer", "require", "verify-ca",
                                    "verify-full", NULL};
static const char *const channel_bindings[] = {"disable", "prefer", "require", NULL};

static const char *find(const char *const *list, const char *value)
{
    for (const char *const *v = list; *v; v++)
        if (!strcmp(*v, value)) return *v;
    return NULL;
}

bool dal__tls_host_is_local(const char *host)
{
    if (!host || !*host || host[0] == '/') return true; /* no host: a Unix socket */
    return !strcasecmp(host, "localhost") || !strncmp(host, "127.", 4) || !strcmp(host, "::1");
}

static const char *first_remote_host(const dal__url *u)
{
    if (!u->nhosts) return dal__tls_host_is_local(u->host) ? NULL : u->host;
    for (size_t i = 0; i < u->nhosts; i++)
        if (!dal__tls_host_is_local(u->hosts[i].host)) return u->hosts[i].host;
    return NULL;
}

int dal__tls_check_url(dal__url *u, dal_error *err)
{
    const char *mode = dal__url_param_get(u, "sslmode");
    const char *binding = dal__url_param_get(u, "channel_binding");
    if (mode && !(u->sslmode = find(modes, mode)))
        return dal__error_set(err, DAL_EURL,
                              "query key sslmode: '%s' is not disable, allow, prefer, require, "
                              "verify-ca or verify-full",
                              mode);
    if (binding && !find(channel_bindings, binding))
        return dal__error_set(err, DAL_EURL,
                              "query key channel_binding: '%s' is not disable, prefer or require",
                              binding);
    if (u->dialect != &dal__dialect_postgresql && u->dialect != &dal__dialect_mysql) return DAL_OK;
    if (u->dialect == &dal__dialect_mysql && u->sslmode && !strcmp(u->sslmode, "allow"))
        return dal__error_set(err, DAL_EURL,
                              "sslmode=allow cannot be honoured on MariaDB: Connector/ODBC never "
                              "starts in clear text and switches to TLS; say prefer or disable");
    const char *remote = first_remote_host(u);
    /* A password must never cross a network in clear unless the URL says
     * so: allow and prefer fall back to clear text on a server without TLS. */
    if (remote && u->sslmode && (!strcmp(u->sslmode, "allow") || !strcmp(u->sslmode, "prefer")))
        return dal__error_set(err, DAL_EURL,
                              "sslmode=%s would talk in clear text to %s if its server had no "
                              "TLS: say require, verify-ca or verify-full (or disable, to mean "
                              "clear text)",
                              u->sslmode, remote);
    if (!u->sslmode) u->sslmode = remote ? "require" : "prefer";
    u->tls_required = strcmp(u->sslmode, "disable") && strcmp(u->sslmode, "allow") &&
                      strcmp(u->sslmode, "prefer");
    return DAL_OK;
}
