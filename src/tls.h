/* TLS keys in one spelling on every backend (libpq's): sslmode, sslrootcert,
 * sslcert, sslkey, sslcrl, sslpassword, and channel_binding on PostgreSQL.
 * See README "TLS and credentials". */
#ifndef DAL_TLS_H
#define DAL_TLS_H

#include <stdbool.h>

#include "dal/error.h"
#include "url.h"

/* Checks the URL's TLS keys and sets u->sslmode (the URL's, or the
 * default: prefer on loopback and Unix sockets, require elsewhere) and
 * u->tls_required. DAL_EURL for an unknown value, and for a mode that would
 * send the password in clear to a host that is not loopback. */
int dal__tls_check_url(dal__url *u, dal_error *err);

/* True for a host whose traffic never leaves the machine: a Unix socket
 * path, localhost, 127.0.0.0/8 and ::1. */
bool dal__tls_host_is_local(const char *host);
#endif
