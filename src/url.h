/* Database URLs: scheme://user:password@host:port/database?key=value&...
 * Every part is percent-decoded exactly once; see README "URLs". */
#ifndef DAL_URL_H
#define DAL_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "dal/error.h"

struct dal__dialect;

#define DAL__URL_MAX 8192

/* URL key pooler=: what sits between dal and PostgreSQL (pooler.c). */
enum { DAL__POOLER_NONE = 0, DAL__POOLER_SESSION = 1, DAL__POOLER_TRANSACTION = 2 };

typedef struct dal__url_param {
    char *key;
    char *value;
} dal__url_param;

typedef struct dal__url_host {
    char *host; /* name, or IPv6 address without [] */
    int port;   /* 0: the dialect's default */
} dal__url_host;

typedef struct dal__url {
    const struct dal__dialect *dialect;
    char *user;             /* NULL when absent                               */
    char *password;         /* NULL when absent; wiped before it is freed     */
    char *host;             /* host name, IPv6 address without [], or DSN     */
    int port;               /* 0: the dialect's default                       */
    dal__url_host *hosts;   /* every host of h1:p1,h2:p2 (PostgreSQL, MariaDB), the
                               first also in host and port; NULL for one     */
    size_t nhosts;
    char *database;         /* database name, or SQLite file path             */
    bool memory;            /* sqlite in-memory database                      */
    char *odbc_connect;     /* odbc:///?odbc_connect=... raw string           */
    dal__url_param *params; /* query keys passed to the connection string */
    size_t nparams;

    /* Query keys dal owns; has_* says whether the URL set them. */
    char *driver;
    bool has_pool_size, has_max_overflow, has_pool_timeout, has_pool_recycle, has_ping_idle,
        has_lazy_begin, has_connect_timeout, has_query_timeout, has_read_pool_size,
        has_read_max_overflow, has_echo, has_isolation, has_pooler, has_host_recheck,
        has_load_balance, has_max_staleness_ms, has_causal_reads;
    bool causal_reads; /* MariaDB Galera: wsrep_sync_wait for reads */
    int load_balance;  /* PostgreSQL: 1 (random) spreads read-only connections */
    int max_staleness_ms; /* PostgreSQL: how far behind a standby may serve reads */
    double host_recheck;  /* seconds a host marked down is skipped (hosts.c) */
    const char *route_attrs; /* set on a copy for one host (hosts.c): the read-only
                                connection's target_session_attrs */
    bool lazy_begin;
    int pool_size, max_overflow, read_pool_size, read_max_overflow;
    int echo; /* 0, 1 (true), 2 (parameters) */
    int isolation; /* a dal_isolation (isolation.c) */
    int pooler;    /* DAL__POOLER_* (pooler.c) */
    char *password_file;    /* read at every connect (credentials.c)         */
    const char *sslmode;    /* PostgreSQL and MariaDB: the URL's or the default
                               (tls.c); NULL for other backends              */
    bool tls_required;      /* sslmode is require, verify-ca or verify-full  */
    double pool_timeout, pool_recycle, ping_idle, connect_timeout, query_timeout;
} dal__url;

int dal__url_parse(const char *text, dal__url *out, dal_error *err);
/* The i-th query key dal owns, or NULL past the last. */
const char *dal__url_owned_key(size_t i);
/* True when the dialect routes key itself (PostgreSQL: libpq's keys). */
bool dal__url_key_is_native(const struct dal__dialect *d, const char *key);
/* DAL_EURL, naming the closest known key, for a key that means nothing:
 * one in dal's spelling (lowercase with '_') that is neither dal's nor the
 * dialect's, and, for the driver dal tests the dialect with (no driver=
 * given), any key in none of dal's, the dialect's and that driver's
 * keyword lists. */
int dal__url_check_key(const struct dal__dialect *d, const char *key, bool other_driver,
                       dal_error *err);
void dal__url_free(dal__url *url);
/* The pass-through parameter called key (case-insensitive), or NULL. */
const char *dal__url_param_get(const dal__url *url, const char *key);
#endif
