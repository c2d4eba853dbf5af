/* The user and password of one new connection, when they are not fixed in
 * the URL: read from password_file, or asked from the credentials callback
 * (dal_engine_options.credentials). See README "TLS and credentials". */
#ifndef DAL_CREDENTIALS_H
#define DAL_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>

#include "dal/engine.h"
#include "url.h"

typedef struct dal__credentials {
    bool user_set, password_set; /* what the connection string must get */
    char user[256];
    char password[4096];
} dal__credentials;

/* DAL_EURL when the options and the URL name two sources of one password. */
int dal__credentials_check(const dal__url *u, const dal_engine_options *opts, dal_error *err);

/* Fills c for a new connection of e to host:port (NULL: the URL's first
 * host; nothing set when the URL holds them). DAL_ECONNECT when the file
 * cannot be used or the callback fails; never with the password in the
 * message. Wipe c with dal__credentials_wipe. */
int dal__credentials_fetch(const struct dal_engine *e, const char *host, int port,
                           dal__credentials *c, dal_error *err);

void dal__credentials_wipe(dal__credentials *c);
#endif
