/* Host lists dal routes itself. Connector/ODBC 3.1.15 has no host lists,
 * and libpq 15 neither balances nor knows replication lag: for those uses
 * dal connects to one host at a time, in its own order, and remembers for
 * host_recheck seconds which hosts failed (so a dead host costs one
 * connect_timeout per interval, not one per checkout).
 *
 * Order: normal sessions try the hosts in the URL's order; read-only ones
 * in a random order per connection (MariaDB always, PostgreSQL with
 * load_balance_hosts=random). A PostgreSQL read-only connection first asks
 * for a standby (libpq's target_session_attrs=standby, checked without a
 * round trip), then takes any server; a host that refused to be a standby
 * is remembered as a primary and tried last. Hosts marked down are tried
 * only when every other host failed. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "credentials.h"
#include "engine_internal.h"
#include "error_internal.h"
#include "hosts.h"
#include "staleness.h"

/* What a host's connection strings are for. */
enum { USE_NORMAL, USE_READ_STANDBY, USE_READ_ANY, USES };

typedef struct host_state {
    const char *host;
    int port;
    char *connstr[USES];  /* unmasked; wiped when freed */
    double down_until;    /* dal__now_precise() until which it is skipped, 0: never marked */
    const char *why;      /* why it was marked down */
    double primary_until; /* PostgreSQL: it refused to be a standby, until then */
    atomic_uint epoch;    /* times marked down */
} host_state;

typedef struct dal__hosts {
    pthread_mutex_t lock;
    size_t n;
    uint64_t seed; /* xorshift64 state of the shuffles, under lock */
    host_state *h;
} dal__hosts;

static bool wants_routing(const dal__url *u)
{
    if (u->odbc_connect) return false;
    if (u->dialect == &dal__dialect_mysql) return u->nhosts > 1;
    return u->dialect == &dal__dialect_postgresql &&
           ((u->load_balance == 1 && u->nhosts > 1) || u->has_max_staleness_ms);
}

bool dal__hosts_routed(const dal_engine *e, bool read_only)
{
    return e->hosts && (read_only || e->dialect == &dal__dialect_mysql);
}

static int build_for(const dal_engine *e, const dal__url *one, int use, char **out, dal_error *err)
{
    dal__url copy = *one;
    copy.route_attrs = use == USE_READ_STANDBY ? "standby" : use == USE_READ_ANY ? "any" : NULL;
    return dal__build_connstr(&copy, e->driver, use != USE_NORMAL, out, err);
}

int dal__hosts_init(dal_engine *e, dal_error *err)
{
    const dal__url *u = &e->url;
    if (!wants_routing(u)) return DAL_OK;
    dal__hosts *hs = dal__calloc(1, sizeof *hs);
    size_t n = u->nhosts ? u->nhosts : 1;
    if (!hs || !(hs->h = dal__calloc(n, sizeof *hs->h)) || pthread_mutex_init(&hs->lock, NULL)) {
        if (hs) dal__free(hs->h);
        dal__free(hs);
        return dal__error_nomem(err);
    }
    hs->n = n;
    hs->seed = ((uint64_t)(uintptr_t)hs ^ (uint64_t)(dal__now_precise() * 1e9)) | 1;
    e->hosts = hs;
    for (size_t i = 0; i < n; i++) {
        host_state *h = &hs->h[i];
        h->host = dal_engine_host(e, i, &h->port);
        /* The URL of this host alone: the same keys, one server. */
        dal__url one = *u;
        one.nhosts = 0;
        one.hosts = NULL;
        one.host = (char *)h->host;
        one.port = h->port;
        for (int use = 0; use < USES; use++) {
            int rc = build_for(e, &one, use, &h->connstr[use], err);
            if (rc) return rc;
        }
    }
    return DAL_OK;
}

void dal__hosts_free(dal_engine *e)
{
    dal__hosts *hs = e->hosts;
    if (!hs) return;
    for (size_t i = 0; i < hs->n; i++)
        for (int use = 0; use < USES; use++)
            dal__free_secret(hs->h[i].connstr[use]);
    pthread_mutex_destroy(&hs->lock);
    dal__free(hs->h);
    dal__free(hs);
    e->hosts = NULL;
}

void dal__hosts_fork_prepare(dal_engine *e)
{
    if (e->hosts) pthread_mutex_lock(&e->hosts->lock);
}

void dal__hosts_fork_parent(dal_engine *e)
{
    if (e->hosts) pthread_mutex_unlock(&e->hosts->lock);
}

void dal__hosts_fork_child(dal_engine *e)
{
    if (e->hosts) pthread_mutex_init(&e->hosts->lock, NULL);
}

void dal__hosts_mark_down(dal_engine *e, int host, const char *why)
{
    dal__hosts *hs = e->hosts;
    if (!hs || host < 0 || (size_t)host >= hs->n) return;
    pthread_mutex_lock(&hs->lock);
    hs->h[host].down_until = dal__now_precise() + e->host_recheck;
    hs->h[host].why = why;
    atomic_fetch_add(&hs->h[host].epoch, 1);
    pthread_mutex_unlock(&hs->lock);
}

const char *dal__hosts_conn_outdated(const dal__conn *c)
{
    dal__hosts *hs = c->engine->hosts;
    if (!hs || c->host < 0) return NULL;
    host_state *h = &hs->h[c->host];
    if (atomic_load_explicit(&h->epoch, memory_order_relaxed) == c->host_epoch) return NULL;
    pthread_mutex_lock(&hs->lock);
    const char *why = h->why;
    pthread_mutex_unlock(&hs->lock);
    return why;
}

double dal__hosts_down_for(const dal_engine *e, size_t i, const char **why)
{
    dal__hosts *hs = e->hosts;
    *why = NULL;
    if (!hs || i >= hs->n) return 0;
    pthread_mutex_lock(&hs->lock);
    double left = hs->h[i].down_until - dal__now_precise();
    if (left > 0) *why = hs->h[i].why;
    pthread_mutex_unlock(&hs->lock);
    return left > 0 ? left : 0;
}

/* The order this connect tries the hosts in: the URL's, or (read-only, and
 * MariaDB or load_balance_hosts=random) shuffled. */
static void plan(dal_engine *e, bool read_only, size_t *order)
{
    dal__hosts *hs = e->hosts;
    for (size_t i = 0; i < hs->n; i++)
        order[i] = i;
    bool shuffle = read_only && (e->dialect == &dal__dialect_mysql || e->url.load_balance == 1);
    if (!shuffle) return;
    pthread_mutex_lock(&hs->lock);
    for (size_t i = hs->n - 1; i > 0; i--) { /* Fisher-Yates */
        hs->seed ^= hs->seed << 13;
        hs->seed ^= hs->seed >> 7;
        hs->seed ^= hs->seed << 17;
        size_t j = (size_t)(hs->seed % (i + 1));
        size_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    pthread_mutex_unlock(&hs->lock);
}

typedef enum { SKIP, TRY } verdict;

/* Whether pass (1: standbys, 2: any server, 3: hosts marked down) tries
 * host i now. */
static verdict in_pass(dal__hosts *hs, size_t i, int pass, const bool *tried)
{
    if (tried[i]) return SKIP;
    pthread_mutex_lock(&hs->lock);
    double now = dal__now_precise();
    bool down = hs->h[i].down_until > now, primary = hs->h[i].primary_until > now;
    pthread_mutex_unlock(&hs->lock);
    if (pass == 1) return !down && !primary ? TRY : SKIP;
    if (pass == 2) return !down ? TRY : SKIP;
    return TRY;
}

/* After a connection to one host opened: is it one this pool may use?
 * When not, *reason says why ("not ready", "stale"). */
static int accept_conn(dal__pool *p, dal__conn *c, const char **reason, dal_error *err)
{
    dal_engine *e = p->engine;
    host_state *h = &e->hosts->h[c->host];
    if (e->dialect->ready_sql) {
        int64_t ready = 0;
        dal_error local = DAL_ERROR_INIT;
        int rc = dal__conn_query_int64(c, e->dialect->ready_sql, &ready, &local);
        if (rc || !ready) {
            *reason = "not ready";
            dal__hosts_mark_down(e, c->host, *reason);
            return dal__error_set(err, DAL_ECONNECT,
                                  "%s:%d is not ready to serve (a Galera node not Synced, or "
                                  "outside the primary component)%s%s",
                                  h->host, h->port, rc ? ": " : "", rc ? local.message : "");
        }
    }
    if (p->read_only && e->max_staleness > 0 && !dal__staleness_fresh(c)) {
        *reason = isinf(c->lag) ? "host down" : "stale";
        dal__hosts_mark_down(e, c->host, *reason);
        if (isinf(c->lag))
            return dal__error_set(err, DAL_ECONNECT, "%s:%d could not be asked its replication lag",
                                  h->host, h->port);
        return dal__error_set(err, DAL_ECONNECT,
                              "%s:%d lags %.0f ms behind its primary, beyond max_staleness_ms=%.0f",
                              h->host, h->port, c->lag * 1000, e->max_staleness * 1000);
    }
    return DAL_OK;
}

/* One connect to host i for this use; *primary: it refused to be a
 * standby (it may serve in a later pass). */
static int try_host(dal__pool *p, size_t i, int use, dal__conn **out, bool *primary, dal_error *err)
{
    dal_engine *e = p->engine;
    host_state *h = &e->hosts->h[i];
    dal__connect_target t = {.connstr = h->connstr[use],
                             .host = h->host,
                             .port = h->port,
                             .index = (int)i,
                             .epoch = atomic_load(&h->epoch)};
    dal__conn *c = NULL;
    dal__credentials creds;
    int rc = dal__credentials_fetch(e, h->host, h->port, &creds, err);
    if (rc) return rc; /* the source of secrets failed, not the host */
    rc = dal__conn_connect(p, &creds, &t, &c, err);
    dal__credentials_wipe(&creds);
    if (rc) {
        /* libpq's refusal of a primary for target_session_attrs=standby */
        *primary = use == USE_READ_STANDBY && strstr(err->message, "not in hot standby mode");
        if (*primary) {
            pthread_mutex_lock(&e->hosts->lock);
            h->primary_until = dal__now_precise() + e->host_recheck;
            pthread_mutex_unlock(&e->hosts->lock);
        } else if (rc != DAL_ENOMEM) {
            dal__hosts_mark_down(e, (int)i, "host down");
        }
        return rc;
    }
    const char *reason = NULL;
    if ((rc = accept_conn(p, c, &reason, err)) != DAL_OK) {
        c->discard_reason = reason;
        dal__pool_discarded(p, reason);
        dal__conn_close(c);
        return rc;
    }
    pthread_mutex_lock(&e->hosts->lock);
    if (h->down_until > 0) h->down_until = 0; /* it answered: no longer skipped */
    pthread_mutex_unlock(&e->hosts->lock);
    *out = c;
    return DAL_OK;
}

int dal__hosts_connect(dal__pool *p, dal__conn **out, dal_error *err)
{
    dal_engine *e = p->engine;
    dal__hosts *hs = e->hosts;
    size_t *order = dal__calloc(hs->n, sizeof *order);
    bool *tried = dal__calloc(hs->n, sizeof *tried);
    if (!order || !tried) {
        dal__free(order);
        dal__free(tried);
        return dal__error_nomem(err);
    }
    plan(e, p->read_only, order);
    bool pg_read = p->read_only && e->dialect == &dal__dialect_postgresql;
    dal_error last = DAL_ERROR_INIT;
    int rc = DAL_ECONNECT;
    for (int pass = pg_read ? 1 : 2; pass <= 3 && rc && rc != DAL_ENOMEM; pass++) {
        int use = !pg_read ? USE_NORMAL : pass == 1 ? USE_READ_STANDBY : USE_READ_ANY;
        for (size_t k = 0; k < hs->n && rc; k++) {
            size_t i = order[k];
            if (in_pass(hs, i, pass, tried) == SKIP) continue;
            dal__error_empty(&last);
            bool primary = false;
            rc = try_host(p, i, use, out, &primary, &last);
            tried[i] = !primary; /* a primary refused as a standby serves in pass 2 */
            if (rc == DAL_ENOMEM) break;
        }
    }
    dal__free(order);
    dal__free(tried);
    if (!rc) return DAL_OK;
    if (hs->n > 1) dal__error_prefix(&last, "none of the %zu hosts could serve; the last: ", hs->n);
    return dal__error_copy(err, &last);
}

int dal__hosts_check(dal_engine *e, size_t *serving, dal_error *err)
{
    dal__hosts *hs = e->hosts;
    *serving = 0;
    if (!hs) return DAL_OK;
    dal__pool *p = e->dialect == &dal__dialect_mysql ? &e->pool : e->reads;
    int use = e->dialect == &dal__dialect_mysql ? USE_NORMAL : USE_READ_ANY;
    dal__credentials creds; /* without them no host could be asked */
    int rc = dal__credentials_fetch(e, NULL, 0, &creds, err);
    dal__credentials_wipe(&creds);
    for (size_t i = 0; !rc && i < hs->n; i++) {
        dal__conn *c = NULL;
        bool primary = false;
        dal_error ignored = DAL_ERROR_INIT; /* what dal_engine_host_skipped tells */
        if (try_host(p, i, use, &c, &primary, &ignored) == DAL_OK) {
            ++*serving;
            dal__conn_close(c);
        }
    }
    return rc;
}
