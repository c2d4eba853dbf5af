/* ODBC connection strings: KEY=VALUE;... with values braced when needed, so
 * that no value (a password, a query value) can add or replace an attribute. */
#include <stdio.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#include "../drivers/dialect.h"
#include "error_internal.h"

static bool needs_braces(const char *v)
{
    size_t n = strlen(v);
    if (n == 0) return false;
    if (v[0] == ' ' || v[n - 1] == ' ' || v[0] == '\t' || v[n - 1] == '\t') return true;
    return strpbrk(v, ";{}=") != NULL;
}

void dal__connstr_put(dal__buf *out, const char *key, const char *value)
{
    dal__buf_puts(out, key);
    dal__buf_putc(out, '=');
    if (needs_braces(value)) {
        dal__buf_putc(out, '{');
        for (const char *p = value; *p; p++) {
            if (*p == '}') dal__buf_putc(out, '}');
            dal__buf_putc(out, *p);
        }
        dal__buf_putc(out, '}');
    } else {
        dal__buf_puts(out, value);
    }
    dal__buf_putc(out, ';');
}

bool dal__connstr_is_secret_key(const char *key, size_t n)
{
    static const char *const secret_keys[] = {"PWD", "Password", "TLSKEYPWD"};
    for (size_t i = 0; i < sizeof secret_keys / sizeof secret_keys[0]; i++)
        if (n == strlen(secret_keys[i]) && !strncasecmp(key, secret_keys[i], n)) return true;
    return false;
}

/* A libpq conninfo (psqlODBC's pqopt value) with sslpassword's value, a
 * client key's passphrase, replaced by ***: quoted '...' with \ escapes, or
 * up to a blank. */
static void mask_conninfo(const char *v, size_t n, dal__buf *out)
{
    static const char key[] = "sslpassword=";
    const size_t kn = sizeof key - 1;
    size_t i = 0;
    while (i < n) {
        bool word_start = i == 0 || v[i - 1] == ' ' || v[i - 1] == '{';
        if (!(word_start && n - i > kn && !strncasecmp(v + i, key, kn))) {
            dal__buf_putc(out, v[i++]);
            continue;
        }
        dal__buf_append(out, v + i, kn);
        dal__buf_puts(out, "***");
        i += kn;
        if (i < n && v[i] == '\'') {
            for (i++; i < n && v[i] != '\''; i++)
                if (v[i] == '\\') i++;
            i++;
        } else {
            while (i < n && v[i] != ' ' && !(v[i] == '}' && i + 1 == n))
                i++;
        }
    }
}

void dal__connstr_put_defaults(dal__buf *out, const dal__url *u, const char *const *defaults)
{
    for (const char *const *d = defaults; d && *d; d++) {
        const char *eq = strchr(*d, '=');
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)(eq - *d), *d);
        if (!dal__url_param_get(u, key)) dal__connstr_put(out, key, eq + 1);
    }
}

void dal__connstr_put_params(dal__buf *out, const dal__url *u, const char *const *defaults)
{
    dal__connstr_put_defaults(out, u, defaults);
    for (size_t i = 0; i < u->nparams; i++)
        dal__connstr_put(out, u->params[i].key, u->params[i].value);
}

void dal__connstr_put_server(dal__buf *out, const dal__url *u, const dal__dialect *d)
{
    const char *const *keys = d->server_keys;
    if (keys[0] && u->host) dal__connstr_put(out, keys[0], u->host);
    if (keys[1] && u->port) {
        char port[16];
        snprintf(port, sizeof port, "%d", u->port);
        dal__connstr_put(out, keys[1], port);
    }
    if (keys[2] && u->database) dal__connstr_put(out, keys[2], u->database);
    if (keys[3] && u->user) dal__connstr_put(out, keys[3], u->user);
    if (keys[4] && u->password) dal__connstr_put(out, keys[4], u->password);
}

char *dal__connstr_for_connect(const char *connstr, const dal__url *u, const dal__dialect *d,
                               double seconds, const char *user, const char *password)
{
    dal__buf b = {0};
    /* Room for all of it at once: no copy of a password left in a block
     * that a growing buffer freed. */
    dal__buf_reserve(&b, strlen(connstr) + 64 + (user ? 2 * strlen(user) + 8 : 0) +
                             (password ? 2 * strlen(password) + 8 : 0));
    dal__buf_puts(&b, connstr);
    if (user && d->server_keys[3]) dal__connstr_put(&b, d->server_keys[3], user);
    if (password && d->server_keys[4]) dal__connstr_put(&b, d->server_keys[4], password);
    if (d->connect_timeout_key && !dal__url_param_get(u, d->connect_timeout_key)) {
        char value[32];
        snprintf(value, sizeof value, "%.0f", ceil(seconds));
        dal__connstr_put(&b, d->connect_timeout_key, value);
    }
    if (b.failed) dal__buf_free(&b);
    return b.data;
}

void dal__connstr_build(const dal__url *u, const dal__dialect *d, dal__buf *out)
{
    dal__connstr_put_server(out, u, d);
    dal__connstr_put_params(out, u, d->defaults);
}

/* Length of the value starting at v: up to ';' or, braced, up to the '}'
 * that is not doubled. *closed is false for a brace never closed. */
static size_t value_length(const char *v, bool *closed)
{
    *closed = true;
    if (*v != '{') return strcspn(v, ";");
    size_t i = 1;
    while (v[i]) {
        if (v[i] == '}') {
            if (v[i + 1] != '}') return i + 1;
            i++;
        }
        i++;
    }
    *closed = false;
    return i;
}

int dal__connstr_check(const char *in)
{
    const char *p = in;
    for (int attr = 1; *p; attr++) {
        size_t kn = strcspn(p, "=;{}");
        if (p[kn] == ';' || !p[kn]) { /* an attribute without value */
            p += kn + (p[kn] == ';');
            continue;
        }
        if (p[kn] != '=' || kn == 0) return attr;
        bool closed;
        const char *v = p + kn + 1;
        size_t vn = value_length(v, &closed);
        if (!closed || (*v != '{' && memchr(v, '}', vn))) return attr;
        p = v + vn;
        if (*p && *p != ';') return attr; /* text after a closing brace */
        if (*p) p++;
    }
    return 0;
}

void dal__connstr_mask(const char *in, dal__buf *out)
{
    const char *p = in;
    while (*p) {
        size_t kn = strcspn(p, "=;");
        dal__buf_append(out, p, kn);
        if (p[kn] != '=') { /* an attribute without value */
            if (p[kn] == ';') dal__buf_putc(out, ';');
            p += kn + (p[kn] == ';');
            continue;
        }
        const char *v = p + kn + 1;
        bool closed;
        size_t vn = value_length(v, &closed);
        dal__buf_putc(out, '=');
        if (dal__connstr_is_secret_key(p, kn) || !closed) /* unclosed: it may hide one */
            dal__buf_puts(out, "***");
        else if (kn == 5 && !strncasecmp(p, "pqopt", 5))
            mask_conninfo(v, vn, out);
        else
            dal__buf_append(out, v, vn);
        p = v + vn;
        if (*p == ';') {
            dal__buf_putc(out, ';');
            p++;
        }
    }
}

int dal__build_connstr(const dal__url *u, const char *driver, bool read_only, char **out,
                       dal_error *err)
{
    dal__buf b = {0};
    if (driver && *driver) dal__connstr_put(&b, "DRIVER", driver);
    if (u->dialect->build_connstr)
        u->dialect->build_connstr(u, read_only, &b);
    else
        dal__connstr_build(u, u->dialect, &b);
    if (b.failed || !b.data) {
        dal__buf_free(&b);
        return dal__error_nomem(err);
    }
    *out = b.data;
    return DAL_OK;
}
