/* Per-connection credentials: a password file a vault rotates, or a
 * callback handing out tokens that expire. Both are read at every new
 * connection, so a rotated secret takes effect without a restart. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../drivers/dialect.h"
#include "credentials.h"
#include "engine_internal.h"
#include "error_internal.h"

int dal__credentials_check(const dal__url *u, const dal_engine_options *opts, dal_error *err)
{
    if (!opts || !opts->credentials) return DAL_OK;
    if (u->dialect == &dal__dialect_sqlite)
        return dal__error_set(err, DAL_EURL, "a credentials callback for SQLite, which has no "
                                             "passwords");
    if (u->password || u->password_file)
        return dal__error_set(err, DAL_EURL,
                              "the URL has a %s and the options a credentials callback: give one "
                              "of them",
                              u->password ? "password" : "password_file");
    return DAL_OK;
}

/* The first line of path, into buf. The file must be a regular file that
 * neither group nor others can read or write, as libpq asks of .pgpass. */
static int read_password_file(const char *path, char *buf, size_t size, dal_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return dal__error_set(err, DAL_ECONNECT, "password_file %s: %s", path, strerror(errno));
    struct stat st;
    int rc = DAL_OK;
    if (fstat(fd, &st) != 0)
        rc = dal__error_set(err, DAL_ECONNECT, "password_file %s: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = dal__error_set(err, DAL_ECONNECT, "password_file %s is not a regular file", path);
    else if (st.st_mode & (S_IRWXG | S_IRWXO))
        rc = dal__error_set(err, DAL_ECONNECT,
                            "password_file %s is open to group or others (mode %04o): dal "
                            "refuses it, as libpq refuses such a .pgpass; chmod 600 it",
                            path, (unsigned)(st.st_mode & 07777));
    size_t n = 0;
    while (!rc && n < size) {
        ssize_t got = read(fd, buf + n, size - n);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0)
            rc = dal__error_set(err, DAL_ECONNECT, "password_file %s: %s", path, strerror(errno));
        if (got <= 0) break;
        n += (size_t)got;
    }
    close(fd);
    if (rc) return rc;
    char *eol = memchr(buf, '\n', n);
    if (!eol && n == size)
        return dal__error_set(err, DAL_ECONNECT, "password_file %s: the password is longer than "
                                                 "%zu bytes",
                              path, size - 1);
    if (eol) n = (size_t)(eol - buf);
    if (n && buf[n - 1] == '\r') n--;
    buf[n] = '\0';
    if (memchr(buf, '\0', n))
        return dal__error_set(err, DAL_ECONNECT, "password_file %s: the password holds a NUL byte",
                              path);
    if (!n) return dal__error_set(err, DAL_ECONNECT, "password_file %s: empty first line", path);
    return DAL_OK;
}

static int ask_callback(const dal_engine *e, const char *host, int port, dal__credentials *c,
                        dal_error *err)
{
    const dal__url *u = &e->url;
    if (!host) { /* the URL's (a list's first host: url.c) */
        host = u->host;
        port = u->port;
    }
    if (!port) port = e->dialect->default_port;
    if (u->user && strlen(u->user) < sizeof c->user) strcpy(c->user, u->user);
    dal_error mine = DAL_ERROR_INIT;
    int rc = e->credentials(e->credentials_ctx, host ? host : "", port, c->user, sizeof c->user,
                            c->password, sizeof c->password, &mine);
    if (rc)
        return dal__error_set(err, DAL_ECONNECT, "the credentials callback failed: %s",
                              mine.message[0] ? mine.message : "(it gave no message)");
    if (!memchr(c->user, '\0', sizeof c->user) || !memchr(c->password, '\0', sizeof c->password))
        return dal__error_set(err, DAL_ECONNECT,
                              "the credentials callback wrote a user or password without its "
                              "terminating NUL");
    c->user_set = c->user[0] != '\0';
    c->password_set = true;
    return DAL_OK;
}

int dal__credentials_fetch(const dal_engine *e, const char *host, int port, dal__credentials *c,
                           dal_error *err)
{
    memset(c, 0, sizeof *c);
    int rc = DAL_OK;
    if (e->credentials)
        rc = ask_callback(e, host, port, c, err);
    else if (e->url.password_file)
        rc = read_password_file(e->url.password_file, c->password, sizeof c->password, err);
    else
        return DAL_OK;
    if (!rc && !e->credentials) c->password_set = true;
    if (rc) dal__credentials_wipe(c);
    return rc;
}

void dal__credentials_wipe(dal__credentials *c)
{
    explicit_bzero(c->password, sizeof c->password);
    explicit_bzero(c->user, sizeof c->user);
    c->user_set = c->password_set = false;
}
