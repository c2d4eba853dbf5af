/* Engine: URL -> dialect -> ODBC driver -> connection string, plus the pool. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "hosts.h"
#include "credentials.h"
#include "writers.h"
#include "driver_resolve.h"
#include "dal/json.h"
#include "engine_internal.h"
#include "error_internal.h"

void dal_engine_options_init(dal_engine_options *o)
{
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->pool_size = 5;
    o->max_overflow = 10;
    o->pool_timeout = 30;
    o->pool_recycle = -1;
    o->ping_idle = 1;
    o->statement_cache = 32;
    o->connect_timeout = 10;
    o->read_pool_size = 5;
    o->read_max_overflow = 10;
}

/* The driver's lock wait in seconds: the URL's, else the dialect's default. */
static double lock_wait(const dal__url *u, const dal__dialect *d)
{
    if (!d->lock_wait_key) return 0;
    const char *ms = dal__url_param_get(u, d->lock_wait_key);
    size_t n = strlen(d->lock_wait_key);
    for (const char *const *def = d->defaults; !ms && def && *def; def++)
        if (!strncmp(*def, d->lock_wait_key, n) && (*def)[n] == '=') ms = *def + n + 1;
    return ms ? strtod(ms, NULL) / 1e3 : 0;
}

/* The URL's settings win over the options (operators retune without a
 * rebuild); the pools are made with the limits that result. */
static int apply_options(dal_engine *e, const dal_engine_options *opts, dal_error *err)
{
    dal_engine_options d;
    dal_engine_options_init(&d);
    if (!opts) opts = &d;
    const dal__url *u = &e->url;
    int pool_size = u->has_pool_size ? u->pool_size : opts->pool_size > 0 ? opts->pool_size : 1;
    int max_overflow = u->has_max_overflow ? u->max_overflow
                       : opts->max_overflow >= 0 ? opts->max_overflow
                                                 : 0;
    int read_pool_size = u->has_read_pool_size    ? u->read_pool_size
                         : opts->read_pool_size > 0 ? opts->read_pool_size
                                                    : 1;
    int read_max_overflow = u->has_read_max_overflow    ? u->read_max_overflow
                            : opts->read_max_overflow >= 0 ? opts->read_max_overflow
                                                           : 0;
    e->pool_timeout = u->has_pool_timeout       ? u->pool_timeout
                      : opts->pool_timeout >= 0 ? opts->pool_timeout
                                                : 0;
    e->pool_recycle = u->has_pool_recycle ? u->pool_recycle : opts->pool_recycle;
    e->ping_idle = u->has_ping_idle ? u->ping_idle : opts->ping_idle;
    e->statement_cache = opts->statement_cache >= 0 ? opts->statement_cache : 0;
    e->lazy_begin = u->has_lazy_begin ? u->lazy_begin : opts->lazy_begin;
    e->isolation = u->has_isolation ? u->isolation : DAL_ISOLATION_DEFAULT;
    e->pooler = u->pooler;
    e->host_recheck = u->has_host_recheck ? u->host_recheck : 10;
    e->max_staleness = u->max_staleness_ms / 1000.0;
    e->lock_wait = lock_wait(u, e->dialect);
    if (e->dialect->one_writer && !u->memory && !(e->writers = dal__writers_get(u->database, e->connstr)))
        return dal__error_nomem(err);
    e->rowset_rows = e->dialect->rowset_rows ? e->dialect->rowset_rows(u) : 0;
    if (e->rowset_rows <= 0 || e->rowset_rows > DAL__BLOCK_ROWS) e->rowset_rows = DAL__BLOCK_ROWS;
    e->connect_timeout = u->has_connect_timeout       ? u->connect_timeout
                         : opts->connect_timeout > 0 ? opts->connect_timeout
                                                     : 10;
    e->query_timeout = u->has_query_timeout ? u->query_timeout
                       : opts->query_timeout > 0 ? opts->query_timeout
                                                 : 0;
    e->on_event = opts->on_event;
    e->event_ctx = opts->event_ctx;
    e->credentials = opts->credentials;
    e->credentials_ctx = opts->credentials_ctx;
    e->event_parameters = opts->event_parameters;
    e->echo = u->has_echo ? u->echo : opts->echo;
    e->observed = e->on_event || e->echo;
    /* The engine's one JSON codec: every parameter, getter and row uses it. */
    e->json_serialize = opts->json_serialize ? opts->json_serialize : dal_json_serialize;
    e->json_deserialize = opts->json_deserialize ? opts->json_deserialize : dal_json_deserialize;
    if (u->memory) { /* one in-memory database: every session shares it */
        pool_size = 1;
        max_overflow = 0;
    }
    if (dal__pool_init(&e->pool, e, false, e->connstr, pool_size, max_overflow))
        return dal__error_nomem(err);
    e->npools = 1;
    e->reads = &e->pool;
    if (u->memory) return DAL_OK; /* a second connection would be another database */
    if (dal__pool_init(&e->read_pool, e, true, e->read_connstr, read_pool_size,
                       read_max_overflow)) {
        dal__pool_destroy(&e->pool);
        return dal__error_nomem(err);
    }
    e->npools = 2;
    e->reads = &e->read_pool;
    return DAL_OK;
}

int dal_engine_create(const char *url, const dal_engine_options *opts, dal_engine **out,
                      dal_error *err)
{
    if (!out) return dal__error_set(err, DAL_EMISUSE, "dal_engine_create: out is NULL");
    *out = NULL;
    dal_engine *e = dal__calloc(1, sizeof *e);
    if (!e) return dal__error_nomem(err);
    int rc = dal__url_parse(url, &e->url, err);
    if (rc) {
        dal__free(e);
        return rc;
    }
    e->dialect = e->url.dialect;
    const char *wanted = e->url.driver ? e->url.driver : opts ? opts->driver : NULL;
    /* With a credentials callback, each connect adds the user it returns:
     * the engine's strings hold none (the URL's is the callback's default). */
    char *url_user = e->url.user;
    if (opts && opts->credentials) e->url.user = NULL;
    if (!(rc = dal__credentials_check(&e->url, opts, err)) &&
        !(rc = dal__resolve_driver(e->dialect, wanted, &e->driver, err)) &&
        !(rc = dal__build_connstr(&e->url, e->driver, false, &e->connstr, err)) &&
        !(rc = dal__build_connstr(&e->url, e->driver, true, &e->read_connstr, err)) &&
        !(rc = dal__hosts_init(e, err)))
        rc = apply_options(e, opts, err);
    e->url.user = url_user;
    if (rc) {
        dal__hosts_free(e);
        dal__writers_put(e->writers);
        dal__url_free(&e->url);
        dal__free(e->driver);
        dal__free_secret(e->connstr);
        dal__free_secret(e->read_connstr);
        dal__free(e);
        return rc;
    }
    dal__fork_track(e);
    *out = e;
    return DAL_OK;
}

void dal__engine_free(dal_engine *e)
{
    dal__hosts_free(e);
    dal__writers_put(e->writers);
    dal__fork_untrack(e);
    dal__pool_destroy(&e->pool);
    if (e->reads != &e->pool) dal__pool_destroy(&e->read_pool);
    dal__free_secret(e->connstr);
    dal__free_secret(e->read_connstr);
    dal__free(e->driver);
    dal__url_free(&e->url);
    dal__free(e);
}

int dal_engine_dispose(dal_engine *e)
{
    if (e) dal__pool_dispose(e);
    return DAL_OK;
}

const char *dal_engine_dialect(const dal_engine *e) { return e ? e->dialect->name : ""; }

const char *dal_engine_driver(const dal_engine *e) { return e ? e->driver : ""; }

int dal_engine_connection_string(const dal_engine *e, char *buf, size_t size, unsigned flags)
{
    if (!e || !buf) return DAL_EMISUSE;
    dal__buf masked = {0};
    const char *s = e->connstr;
    if (!(flags & DAL_CONNSTR_UNMASKED)) {
        dal__connstr_mask(e->connstr, &masked);
        if (masked.failed) {
            dal__buf_free(&masked);
            return DAL_ENOMEM;
        }
        s = masked.data ? masked.data : "";
    }
    size_t n = strlen(s);
    int rc = DAL_OK;
    if (n + 1 > size)
        rc = DAL_ERANGE;
    else
        memcpy(buf, s, n + 1);
    dal__buf_free(&masked);
    return rc;
}

size_t dal_engine_host_count(const dal_engine *e)
{
    if (!e || !e->dialect->default_port || e->url.odbc_connect) return 0;
    return e->url.nhosts ? e->url.nhosts : e->url.host != NULL;
}

const char *dal_engine_host(const dal_engine *e, size_t i, int *port)
{
    if (i >= dal_engine_host_count(e)) return NULL;
    const dal__url *u = &e->url;
    const char *host = u->nhosts ? u->hosts[i].host : u->host;
    int given = u->nhosts ? u->hosts[i].port : u->port;
    if (port) *port = given ? given : e->dialect->default_port;
    return host;
}

const char *dal_engine_host_skipped(const dal_engine *e, size_t i, double *seconds)
{
    const char *why = NULL;
    double left = e ? dal__hosts_down_for(e, i, &why) : 0;
    if (seconds) *seconds = left;
    return why;
}

int dal_engine_check_hosts(dal_engine *e, size_t *serving, dal_error *err)
{
    size_t n = 0;
    if (!e) return dal__error_set(err, DAL_EMISUSE, "dal_engine_check_hosts: engine is NULL");
    int rc = dal__hosts_check(e, &n, err);
    if (serving) *serving = n;
    return rc;
}

void dal__engine_target(const dal_engine *e, char *buf, size_t n)
{
    const dal__url *u = &e->url;
    if (e->dialect == &dal__dialect_sqlite) {
        snprintf(buf, n, "sqlite database %s", u->memory ? ":memory:" : u->database);
    } else if (u->odbc_connect) {
        snprintf(buf, n, "odbc connection string");
    } else {
        char port[16] = "";
        if (u->port) snprintf(port, sizeof port, ":%d", u->port);
        snprintf(buf, n, "%s://%s%s%s%s/%s", e->dialect->name, u->user ? u->user : "",
                 u->user ? "@" : "", u->host ? u->host : "", port, u->database ? u->database : "");
    }
}

static void pool_stats(dal__pool *p, dal_pool_stats *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&p->lock);
    out->pool_size = p->size;
    out->max_overflow = p->max_overflow;
    int opened = p->open;
    out->kept = opened < p->size ? opened : p->size;
    out->overflow = opened > p->size ? opened - p->size : 0;
    out->checked_out = p->out;
    out->idle = p->nidle;
    out->waiting = p->nwaiting;
    pthread_mutex_unlock(&p->lock);
    out->checkouts = atomic_load(&p->checkouts);
    out->waits = atomic_load(&p->waits);
    out->timeouts = atomic_load(&p->timeouts);
    out->connects = atomic_load(&p->connects);
    out->discards = atomic_load(&p->discards);
    out->pings = atomic_load(&p->pings);
    out->prepares = atomic_load(&p->prepares);
    out->cache_hits = atomic_load(&p->hits);
    out->wait_seconds_total = (double)atomic_load(&p->wait_ns) / 1e9;
    out->wait_seconds_max = (double)atomic_load(&p->wait_ns_max) / 1e9;
    out->held_seconds_total = (double)atomic_load(&p->held_ns) / 1e9;
    out->connect_seconds_total = (double)atomic_load(&p->connect_ns) / 1e9;
    out->statement_seconds_total = (double)atomic_load(&p->statement_ns) / 1e9;
    out->retries = atomic_load(&p->retries);
    out->writer_wait_seconds_total = (double)atomic_load(&p->writer_wait_ns) / 1e9;
    for (size_t b = 0; b < DAL_STATEMENT_BUCKETS; b++)
        out->statements[b] = atomic_load(&p->statements[b]);
}

int dal_engine_pool_stats(dal_engine *e, dal_pool_stats *out)
{
    if (!e || !out) return DAL_EMISUSE;
    pool_stats(&e->pool, out);
    return DAL_OK;
}

int dal_engine_read_pool_stats(dal_engine *e, dal_pool_stats *out)
{
    if (!e || !out) return DAL_EMISUSE;
    pool_stats(e->reads, out);
    return DAL_OK;
}
