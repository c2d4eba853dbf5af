#include "url.h"

#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../drivers/dialect.h"
#include "alloc.h"
#include "convert.h"
#include "error_internal.h"
#include "pooler.h"
#include "tls.h"

/* A piece of the URL text being parsed: [p, p + n), at offset off. */
typedef struct span {
    const char *p;
    size_t n;
    size_t off;
} span;

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes %XX escapes once; rejects %00, bad escapes and control characters.
 * The error names the part and an offset, never the text (it may be a
 * password). */
static int decode(span s, const char *part, char **out, dal_error *err)
{
    char *d = dal__malloc(s.n + 1);
    if (!d) return dal__error_nomem(err);
    size_t k = 0;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c == '%') {
            if (i + 2 >= s.n || hexval(s.p[i + 1]) < 0 || hexval(s.p[i + 2]) < 0) {
                dal__free(d);
                return dal__error_set(err, DAL_EURL,
                                      "malformed percent escape in the %s at offset %zu", part,
                                      s.off + i);
            }
            c = (unsigned char)(hexval(s.p[i + 1]) * 16 + hexval(s.p[i + 2]));
            if (c == 0) {
                dal__free(d);
                return dal__error_set(err, DAL_EURL, "%%00 (NUL byte) in the %s at offset %zu",
                                      part, s.off + i);
            }
            i += 2;
        }
        if (c < 0x20 || c == 0x7f) {
            dal__free(d);
            return dal__error_set(err, DAL_EURL, "control character in the %s at offset %zu", part,
                                  s.off + i);
        }
        d[k++] = (char)c;
    }
    d[k] = '\0';
    *out = d;
    return DAL_OK;
}

static const char *memchr_last(const char *p, size_t n, char c)
{
    for (size_t i = n; i > 0; i--)
        if (p[i - 1] == c) return p + i - 1;
    return NULL;
}

static span sub(span s, size_t from, size_t to)
{
    span r = {s.p + from, to - from, s.off + from};
    return r;
}

static int parse_port(span s, int *port, dal_error *err)
{
    if (s.n == 0) return DAL_OK; /* "host:" means the default port */
    long v = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (!isdigit((unsigned char)s.p[i]) || s.n > 5)
            return dal__error_set(err, DAL_EURL,
                                  "port must be a number from 1 to 65535 (offset %zu)", s.off);
        v = v * 10 + (s.p[i] - '0');
    }
    if (v < 1 || v > 65535)
        return dal__error_set(err, DAL_EURL, "port %ld out of range 1..65535", v);
    *port = (int)v;
    return DAL_OK;
}

static int parse_hostport(span s, char **host, int *port, dal_error *err)
{
    if (s.n > 0 && s.p[0] == '[') {
        const char *close = memchr(s.p, ']', s.n);
        if (!close) return dal__error_set(err, DAL_EURL, "unterminated IPv6 address '[' in host");
        size_t end = (size_t)(close - s.p);
        span h = sub(s, 1, end);
        for (size_t i = 0; i < h.n; i++)
            if (!isxdigit((unsigned char)h.p[i]) && h.p[i] != ':' && h.p[i] != '.')
                return dal__error_set(err, DAL_EURL, "invalid IPv6 address in host");
        if (h.n == 0) return dal__error_set(err, DAL_EURL, "empty IPv6 address in host");
        *host = dal__strndup(h.p, h.n);
        if (!*host) return dal__error_nomem(err);
        if (end + 1 == s.n) return DAL_OK;
        if (s.p[end + 1] != ':')
            return dal__error_set(err, DAL_EURL, "unexpected text after IPv6 address in host");
        return parse_port(sub(s, end + 2, s.n), port, err);
    }
    const char *colon = memchr(s.p, ':', s.n);
    size_t hn = colon ? (size_t)(colon - s.p) : s.n;
    if (hn > 0) {
        int rc = decode(sub(s, 0, hn), "host", host, err);
        if (rc) return rc;
    }
    return colon ? parse_port(sub(s, hn + 1, s.n), port, err) : DAL_OK;
}

/* The end of the host at s (a ',' outside [...] or the end). */
static size_t host_end(span s)
{
    bool bracket = false;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] == '[') bracket = true;
        if (s.p[i] == ']') bracket = false;
        if (s.p[i] == ',' && !bracket) return i;
    }
    return s.n;
}

/* h1:p1,h2:p2,[::1]:p3: a host list (PostgreSQL, MariaDB), each host its own port. */
static int parse_hosts(span s, dal__url *u, dal_error *err)
{
    size_t first = host_end(s);
    if (first == s.n) return parse_hostport(s, &u->host, &u->port, err);
    if (u->dialect != &dal__dialect_postgresql && u->dialect != &dal__dialect_mysql)
        return dal__error_set(err, DAL_EURL,
                              "host lists (h1,h2) are for postgresql and mysql/mariadb URLs");
    for (size_t at = 0; at <= s.n;) {
        size_t end = at + host_end(sub(s, at, s.n));
        dal__url_host *hosts = dal__realloc(u->hosts, (u->nhosts + 1) * sizeof *hosts);
        if (!hosts) return dal__error_nomem(err);
        u->hosts = hosts;
        dal__url_host *h = &u->hosts[u->nhosts++];
        h->host = NULL;
        h->port = 0;
        int rc = parse_hostport(sub(s, at, end), &h->host, &h->port, err);
        if (rc) return rc;
        if (!h->host)
            return dal__error_set(err, DAL_EURL, "host %zu of the host list is empty (offset %zu)",
                                  u->nhosts, s.off + at);
        at = end + 1;
    }
    u->host = dal__strdup(u->hosts[0].host);
    u->port = u->hosts[0].port;
    return u->host ? DAL_OK : dal__error_nomem(err);
}

static int parse_authority(span s, dal__url *u, dal_error *err)
{
    /* The last '@' ends the user info, so an unencoded '@' in a password works. */
    const char *at = memchr_last(s.p, s.n, '@');
    if (at) {
        span ui = sub(s, 0, (size_t)(at - s.p));
        const char *colon = memchr(ui.p, ':', ui.n);
        size_t un = colon ? (size_t)(colon - ui.p) : ui.n;
        int rc = decode(sub(ui, 0, un), "user name", &u->user, err);
        if (rc) return rc;
        if (colon && (rc = decode(sub(ui, un + 1, ui.n), "password", &u->password, err))) return rc;
        s = sub(s, (size_t)(at - s.p) + 1, s.n);
    }
    return parse_hosts(s, u, err);
}

static bool key_is_valid(const char *k)
{
    if (!*k || strlen(k) > 64) return false;
    for (; *k; k++)
        if (!isalnum((unsigned char)*k) && *k != '_' && *k != '-' && *k != '.') return false;
    return true;
}

static int parse_number(const char *key, const char *v, double lo, double hi, double *out,
                        dal_error *err)
{
    double d = 0;
    if (dal__parse_double(v, &d) || !isfinite(d) || d < lo || d > hi) /* '.' in any locale */
        return dal__error_set(err, DAL_EURL, "query key %s: '%s' is not a number in %g..%g", key, v,
                              lo, hi);
    *out = d;
    return DAL_OK;
}

static int parse_int(const char *key, const char *v, int lo, int hi, int *out, dal_error *err)
{
    double d = 0;
    int rc = parse_number(key, v, lo, hi, &d, err);
    if (rc) return rc;
    if (d != floor(d))
        return dal__error_set(err, DAL_EURL, "query key %s: '%s' is not an integer", key, v);
    *out = (int)d;
    return DAL_OK;
}

/* 1 for true/always/yes/on/1, 0 for false/never/no/off/0, -1 otherwise. */
static int parse_flag(const char *v)
{
    static const char *const yes[] = {"true", "always", "yes", "on", "1"};
    static const char *const no[] = {"false", "never", "no", "off", "0"};
    for (size_t i = 0; i < 5; i++) {
        if (!strcasecmp(v, yes[i])) return 1;
        if (!strcasecmp(v, no[i])) return 0;
    }
    return -1;
}

/* pool_pre_ping: true/always (ping every reuse), false/never, or seconds. */
static int parse_ping(const char *v, double *out, dal_error *err)
{
    int flag = parse_flag(v);
    if (flag >= 0) return *out = flag ? 0 : -1, DAL_OK;
    return parse_number("pool_pre_ping", v, 0.001, 1e6, out, err);
}

static int parse_bool_key(const char *key, const char *v, bool *out, dal_error *err)
{
    int flag = parse_flag(v);
    if (flag < 0)
        return dal__error_set(err, DAL_EURL, "query key %s: '%s' is not true or false", key, v);
    *out = flag;
    return DAL_OK;
}

/* Keys whose value is one of a few words: the word's index (from 1 for
 * isolation, where 0 is the engine's default). */
static const char *const isolation_words[] = {"", "read_committed", "repeatable_read",
                                              "serializable", NULL};
static const char *const pooler_words[] = {"none", "session", "transaction", NULL};
static const char *const balance_words[] = {"disable", "random", NULL};

static int parse_word(const char *key, const char *v, const char *const *words, int *out,
                      dal_error *err)
{
    for (int i = 0; words[i]; i++)
        if (*words[i] && !strcmp(v, words[i])) {
            *out = i;
            return DAL_OK;
        }
    char known[128] = "";
    for (int i = 0; words[i]; i++)
        if (*words[i])
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
                     known[0] ? ", " : "", words[i]);
    return dal__error_set(err, DAL_EURL, "query key %s: '%s' is not one of %s", key, v, known);
}

/* The numeric and boolean keys dal owns: one row each, parsed the same way. */
typedef enum {
    KEY_INT,
    KEY_NUMBER,
    KEY_BOOL,
    KEY_PING,
    KEY_ECHO,
    KEY_ISOLATION,
    KEY_POOLER,
    KEY_BALANCE
} key_kind;
static const struct owned_key {
    const char *name;
    key_kind kind;
    double lo, hi;
    size_t value, seen; /* offsets in dal__url */
} owned_keys[] = {
#define KEY(name, kind, lo, hi, field, seen)                                                       \
    {name, kind, lo, hi, offsetof(dal__url, field), offsetof(dal__url, seen)}
    KEY("pool_size", KEY_INT, 1, 10000, pool_size, has_pool_size),
    KEY("max_overflow", KEY_INT, 0, 10000, max_overflow, has_max_overflow),
    KEY("pool_timeout", KEY_NUMBER, 0, 1e6, pool_timeout, has_pool_timeout),
    KEY("pool_recycle", KEY_NUMBER, -1, 1e9, pool_recycle, has_pool_recycle),
    KEY("pool_pre_ping", KEY_PING, 0.001, 1e6, ping_idle, has_ping_idle),
    KEY("lazy_begin", KEY_BOOL, 0, 1, lazy_begin, has_lazy_begin),
    KEY("connect_timeout", KEY_NUMBER, 0.001, 1e6, connect_timeout, has_connect_timeout),
    KEY("query_timeout", KEY_NUMBER, 0, 1e6, query_timeout, has_query_timeout),
    KEY("read_pool_size", KEY_INT, 1, 10000, read_pool_size, has_read_pool_size),
    KEY("read_max_overflow", KEY_INT, 0, 10000, read_max_overflow, has_read_max_overflow),
    KEY("echo", KEY_ECHO, 0, 2, echo, has_echo),
    KEY("isolation", KEY_ISOLATION, 1, 3, isolation, has_isolation),
    KEY("pooler", KEY_POOLER, 0, 2, pooler, has_pooler),
    KEY("host_recheck", KEY_NUMBER, 0, 86400, host_recheck, has_host_recheck),
    KEY("load_balance_hosts", KEY_BALANCE, 0, 1, load_balance, has_load_balance),
    KEY("max_staleness_ms", KEY_INT, 1, 86400000, max_staleness_ms, has_max_staleness_ms),
    KEY("causal_reads", KEY_BOOL, 0, 1, causal_reads, has_causal_reads),
#undef KEY
};

const char *dal__url_owned_key(size_t i)
{
    static const char *const others[] = {"driver", "odbc_connect", "password_file"};
    size_t n = sizeof owned_keys / sizeof owned_keys[0];
    if (i < n) return owned_keys[i].name;
    return i - n < sizeof others / sizeof others[0] ? others[i - n] : NULL;
}

static int parse_owned(dal__url *u, const struct owned_key *k, const char *v, dal_error *err)
{
    bool *seen = (bool *)((char *)u + k->seen);
    if (*seen) return dal__error_set(err, DAL_EURL, "query key %s given twice", k->name);
    *seen = true;
    void *field = (char *)u + k->value;
    switch (k->kind) {
    case KEY_INT: return parse_int(k->name, v, (int)k->lo, (int)k->hi, field, err);
    case KEY_NUMBER: return parse_number(k->name, v, k->lo, k->hi, field, err);
    case KEY_BOOL: return parse_bool_key(k->name, v, field, err);
    case KEY_PING: return parse_ping(v, field, err);
    case KEY_ECHO: { /* true, false or parameters */
        int flag = parse_flag(v);
        *(int *)field = !strcasecmp(v, "parameters") ? 2 : flag;
        if (*(int *)field >= 0) return DAL_OK;
        return dal__error_set(err, DAL_EURL, "query key echo: '%s' is not true, false or "
                                             "parameters", v);
    }
    case KEY_ISOLATION: return parse_word(k->name, v, isolation_words, field, err);
    case KEY_POOLER: return parse_word(k->name, v, pooler_words, field, err);
    case KEY_BALANCE: return parse_word(k->name, v, balance_words, field, err);
    }
    return DAL_OK;
}

static int consume_owned_key(dal__url *u, const char *k, char *v, bool *owned, dal_error *err)
{
    *owned = true;
    if (!strcasecmp(k, "driver")) {
        if (!*v) {
            dal__free(v);
            return dal__error_set(err, DAL_EURL, "query key driver: empty driver name");
        }
        u->driver = v;
        return DAL_OK;
    }
    if (!strcasecmp(k, "password_file")) {
        if (u->password_file) {
            dal__free(v);
            return dal__error_set(err, DAL_EURL, "query key password_file given twice");
        }
        if (!*v) {
            dal__free(v);
            return dal__error_set(err, DAL_EURL, "query key password_file: empty path");
        }
        u->password_file = v;
        return DAL_OK;
    }
    if (!strcasecmp(k, "odbc_connect") && u->dialect == &dal__dialect_odbc) {
        u->odbc_connect = v;
        int bad = dal__connstr_check(v);
        if (bad) /* never echoed: it may hold a password */
            return dal__error_set(err, DAL_EURL,
                                  "odbc_connect: attribute %d is malformed (an unbalanced or stray "
                                  "brace, or no key); values with ; { } go in {...} with } doubled",
                                  bad);
        return DAL_OK;
    }
    for (size_t i = 0; i < sizeof owned_keys / sizeof owned_keys[0]; i++) {
        if (strcasecmp(k, owned_keys[i].name) != 0) continue;
        int rc = parse_owned(u, &owned_keys[i], v, err);
        dal__free(v);
        return rc;
    }
    *owned = false;
    return DAL_OK;
}

static int parse_query(span s, dal__url *u, dal_error *err)
{
    size_t i = 0;
    while (i < s.n) {
        const char *amp = memchr(s.p + i, '&', s.n - i);
        size_t end = amp ? (size_t)(amp - s.p) : s.n;
        span item = sub(s, i, end);
        i = end + 1;
        if (item.n == 0) continue;
        const char *eq = memchr(item.p, '=', item.n);
        size_t kn = eq ? (size_t)(eq - item.p) : item.n;
        char *k = NULL, *v = NULL;
        int rc = decode(sub(item, 0, kn), "query key", &k, err);
        if (!rc)
            rc = decode(eq ? sub(item, kn + 1, item.n) : sub(item, kn, kn), "query value", &v, err);
        if (!rc && !key_is_valid(k))
            rc = dal__error_set(err, DAL_EURL,
                                "query key at offset %zu: 1 to 64 letters, digits, '_', '-' or '.'",
                                item.off);
        for (size_t j = 0; !rc && j < u->nparams; j++)
            if (!strcasecmp(u->params[j].key, k))
                rc = dal__error_set(err, DAL_EURL, "query key %s given twice", k);
        if (!rc && ((!strcasecmp(k, "driver") && u->driver) ||
                    (!strcasecmp(k, "odbc_connect") && u->odbc_connect)))
            rc = dal__error_set(err, DAL_EURL, "query key %s given twice", k);
        bool owned = false;
        if (!rc) rc = consume_owned_key(u, k, v, &owned, err);
        if (rc) {
            dal__free(k);
            if (!owned) dal__free(v);
            return rc;
        }
        if (owned) {
            dal__free(k);
            continue;
        }
        dal__url_param *np = dal__realloc(u->params, (u->nparams + 1) * sizeof *np);
        if (!np) {
            dal__free(k);
            dal__free(v);
            return dal__error_nomem(err);
        }
        u->params = np;
        u->params[u->nparams].key = k;
        u->params[u->nparams].value = v;
        u->nparams++;
    }
    return DAL_OK;
}

static int parse_sqlite_path(span authority, span path, dal__url *u, dal_error *err)
{
    if (authority.n)
        return dal__error_set(err, DAL_EURL,
                              "sqlite URLs take no host: write sqlite:///relative.db, "
                              "sqlite:////absolute.db or sqlite:// for memory");
    int rc = decode(path, "database path", &u->database, err);
    if (rc) return rc;
    if (!*u->database || !strcmp(u->database, ":memory:")) u->memory = true;
    return DAL_OK;
}

static int check_required_parts(dal__url *u, dal_error *err)
{
    const dal__dialect *d = u->dialect;
    if (d == &dal__dialect_odbc) {
        if (!u->host && !u->odbc_connect)
            return dal__error_set(err, DAL_EURL,
                                  "odbc URLs need a DSN (odbc://DSN) or odbc_connect=<string>");
        if (u->host && u->odbc_connect)
            return dal__error_set(err, DAL_EURL, "odbc URL has both a DSN and odbc_connect");
        return DAL_OK;
    }
    if (d == &dal__dialect_sqlite) return DAL_OK;
    if (!u->host) return dal__error_set(err, DAL_EURL, "%s URL needs a host", d->name);
    if (d->requires_database && (!u->database || !*u->database))
        return dal__error_set(err, DAL_EURL, "%s URL needs a database name (…/dbname)", d->name);
    return DAL_OK;
}

/* Query keys may not name what the URL's own parts set, and must mean
 * something. */
static int check_param_keys(const dal__url *u, dal_error *err)
{
    static const char *const reserved[] = {"DRIVER", "DSN",  "FILEDSN", "SAVEFILE",
                                           "host",   "hostaddr", "dbname", "user"};
    for (size_t i = 0; i < u->nparams; i++) {
        const char *k = u->params[i].key;
        bool clash = false;
        for (size_t j = 0; j < sizeof reserved / sizeof reserved[0]; j++)
            clash |= !strcasecmp(k, reserved[j]);
        for (size_t j = 0; j < 5; j++)
            clash |= u->dialect->server_keys[j] && !strcasecmp(k, u->dialect->server_keys[j]);
        clash |= !strcasecmp(k, "Password") || !strcasecmp(k, "UID") || !strcasecmp(k, "PWD");
        if (clash)
            return dal__error_set(err, DAL_EURL,
                                  "query key %s: set it in the URL itself (user, password, host, "
                                  "port, database) or with driver=",
                                  k);
        int rc = dal__url_check_key(u->dialect, k, u->driver != NULL, err);
        if (rc) return rc;
    }
    return DAL_OK;
}

/* The keys of routing (hosts.c) belong to the backends that have it. */
static int check_routing_keys(const dal__url *u, dal_error *err)
{
    bool pg = u->dialect == &dal__dialect_postgresql, mysql = u->dialect == &dal__dialect_mysql;
    const char *wrong = NULL;
    if (u->has_host_recheck && !pg && !mysql) wrong = "host_recheck";
    if (u->has_load_balance && !pg) wrong = "load_balance_hosts";
    if (u->has_max_staleness_ms && !pg) wrong = "max_staleness_ms";
    if (u->has_causal_reads && !mysql) wrong = "causal_reads";
    if (wrong)
        return dal__error_set(err, DAL_EURL, "query key %s means nothing for %s URLs", wrong,
                              u->dialect->name);
    if (u->pooler == DAL__POOLER_TRANSACTION && (u->has_load_balance || u->has_max_staleness_ms))
        return dal__error_set(err, DAL_EURL,
                              "load_balance_hosts and max_staleness_ms cannot work behind "
                              "pooler=transaction: the pooler chooses the server");
    return DAL_OK;
}

int dal__url_parse(const char *text, dal__url *u, dal_error *err)
{
    memset(u, 0, sizeof *u);
    if (!text) return dal__error_set(err, DAL_EURL, "URL is NULL");
    size_t n = strnlen(text, DAL__URL_MAX + 1);
    if (n > DAL__URL_MAX)
        return dal__error_set(err, DAL_EURL, "URL longer than %d bytes", DAL__URL_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c == 0x7f)
            return dal__error_set(err, DAL_EURL, "control character at offset %zu", i);
        if (c == '#')
            return dal__error_set(err, DAL_EURL,
                                  "'#' at offset %zu: URLs take no fragment (write %%23 in a "
                                  "password)",
                                  i);
    }
    const char *sep = strstr(text, "://");
    if (!sep || sep == text)
        return dal__error_set(err, DAL_EURL,
                              "URL must start with scheme:// (e.g. sqlite:///app.db)");
    size_t sn = (size_t)(sep - text);
    char scheme[32];
    if (sn >= sizeof scheme)
        return dal__error_set(err, DAL_EDRIVER, "unknown URL scheme (too long)");
    for (size_t i = 0; i < sn; i++) {
        char c = text[i];
        if (!isalnum((unsigned char)c) && c != '+' && c != '-' && c != '.')
            return dal__error_set(err, DAL_EURL, "invalid character in URL scheme");
        scheme[i] = (char)tolower((unsigned char)c);
    }
    scheme[sn] = '\0';
    size_t base = strlen(scheme);
    if (base > 5 && !strcmp(scheme + base - 5, "+odbc")) scheme[base - 5] = '\0';
    u->dialect = dal__dialect_for_scheme(scheme);
    if (!u->dialect)
        return dal__error_set(err, DAL_EDRIVER,
                              "unknown URL scheme '%s' (known: sqlite, postgresql, postgres, "
                              "mysql, mariadb, mssql, odbc)",
                              scheme);

    span rest = {sep + 3, n - sn - 3, sn + 3};
    const char *q = memchr(rest.p, '?', rest.n);
    span query = {0};
    if (q) {
        query = sub(rest, (size_t)(q - rest.p) + 1, rest.n);
        rest = sub(rest, 0, (size_t)(q - rest.p));
    }
    const char *slash = memchr(rest.p, '/', rest.n);
    span authority = slash ? sub(rest, 0, (size_t)(slash - rest.p)) : rest;
    span path = slash ? sub(rest, (size_t)(slash - rest.p) + 1, rest.n) : sub(rest, rest.n, rest.n);

    int rc;
    if (u->dialect == &dal__dialect_sqlite)
        rc = parse_sqlite_path(authority, path, u, err);
    else {
        rc = parse_authority(authority, u, err);
        if (!rc && path.n) {
            if (memchr(path.p, '/', path.n))
                rc = dal__error_set(err, DAL_EURL, "database name contains '/' (write %%2F)");
            else
                rc = decode(path, "database name", &u->database, err);
        }
    }
    if (!rc) rc = parse_query(query, u, err);
    if (!rc) rc = check_required_parts(u, err);
    if (!rc) rc = check_param_keys(u, err);
    if (!rc && u->password && u->password_file)
        rc = dal__error_set(err, DAL_EURL,
                            "the URL has a password and password_file: give one of them");
    if (!rc && u->password_file && u->dialect == &dal__dialect_sqlite)
        rc = dal__error_set(err, DAL_EURL, "query key password_file: SQLite has no passwords");
    if (!rc) rc = dal__tls_check_url(u, err);
    if (!rc) rc = dal__pooler_check_url(u, err);
    if (!rc) rc = check_routing_keys(u, err);
    if (rc) dal__url_free(u);
    return rc;
}

void dal__url_free(dal__url *u)
{
    dal__free(u->user);
    dal__free_secret(u->password);
    dal__free(u->host);
    for (size_t i = 0; i < u->nhosts; i++)
        dal__free(u->hosts[i].host);
    dal__free(u->hosts);
    dal__free(u->database);
    dal__free_secret(u->odbc_connect);
    dal__free(u->driver);
    dal__free(u->password_file);
    for (size_t i = 0; i < u->nparams; i++) {
        dal__free(u->params[i].key);
        dal__free_secret(u->params[i].value);
    }
    dal__free(u->params);
    memset(u, 0, sizeof *u);
}

const char *dal__url_param_get(const dal__url *u, const char *key)
{
    for (size_t i = 0; i < u->nparams; i++)
        if (!strcasecmp(u->params[i].key, key)) return u->params[i].value;
    return NULL;
}
