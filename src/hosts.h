/* Host lists dal routes itself (MariaDB host lists, PostgreSQL read
 * routing): the order hosts are tried in, and which are skipped for
 * host_recheck seconds (down, not ready, lagging) or known to be a primary. */
#ifndef DAL_HOSTS_H
#define DAL_HOSTS_H

#include <stdbool.h>
#include <stddef.h>

#include "dal/error.h"

struct dal_engine;
struct dal__conn;
struct dal__pool;

/* Sets up e's host state when its URL asks dal to route (see
 * dal__hosts_routed): one connection string per host and use. */
int dal__hosts_init(struct dal_engine *e, dal_error *err);
void dal__hosts_free(struct dal_engine *e);

/* True when connections of this pool are opened host by host by dal (not
 * by the driver): MariaDB with a host list; PostgreSQL read-only
 * connections with load_balance_hosts=random or max_staleness_ms. */
bool dal__hosts_routed(const struct dal_engine *e, bool read_only);

/* Opens a connection of p host by host (p's pool is routed), with each
 * host's credentials. */
int dal__hosts_connect(struct dal__pool *p, struct dal__conn **out, dal_error *err);

/* The host stops being tried for host_recheck seconds; connections
 * opened to it before are discarded at their next checkout. why is a
 * string literal ("down", "not ready", "stale", "timed out"). */
void dal__hosts_mark_down(struct dal_engine *e, int host, const char *why);

/* Why c's host was marked down after c connected (c must go), or NULL. */
const char *dal__hosts_conn_outdated(const struct dal__conn *c);

/* What dal explain shows of host i: seconds it is still skipped (0: it
 * is not) and why. */
double dal__hosts_down_for(const struct dal_engine *e, size_t i, const char **why);

/* Connects to every host once now (marking and clearing marks as a
 * checkout's connect does) and counts those that serve. */
int dal__hosts_check(struct dal_engine *e, size_t *serving, dal_error *err);

/* fork(): the state's lock taken before, released after in the parent,
 * made anew in the child (fork.c). */
void dal__hosts_fork_prepare(struct dal_engine *e);
void dal__hosts_fork_parent(struct dal_engine *e);
void dal__hosts_fork_child(struct dal_engine *e);

#endif
