/* max_staleness_ms (PostgreSQL read routing): a read-only connection to a
 * standby serves a read only while the lag last measured, plus the age of
 * that measurement, is below the bound. */
#ifndef DAL_STALENESS_H
#define DAL_STALENESS_H

#include <stdbool.h>

#include "dal/error.h"

struct dal__conn;
struct dal_session;

/* True when c's server is a primary or its lag provably stays within the
 * engine's max_staleness (measured again, one round trip, when the last
 * measurement no longer proves it); false when it lags further (c->lag)
 * or could not be asked. */
bool dal__staleness_fresh(struct dal__conn *c);

/* Before a statement of a read-only session: DAL_EDISCONNECTED, with the
 * connection marked for discard and its host skipped, when its standby
 * lags too far (the session's first statement then moves to another
 * server by itself, as after a lost connection). */
int dal__staleness_before_read(struct dal_session *s, dal_error *err);

#endif
