/* max_staleness_ms: how far behind its primary a standby may be and still
 * serve reads. The lag is measured on the connection (dialect lag_sql: 0
 * when the standby replayed all it received and streams, else the age of
 * the last transaction it replayed) and reused while lag + its age stays
 * below the bound: after replay stops, data can be no older than that.
 * A primary is never stale. */
#include <math.h>

#include "engine_internal.h"
#include "error_internal.h"
#include "hosts.h"
#include "staleness.h"

bool dal__staleness_fresh(dal__conn *c)
{
    dal_engine *e = c->engine;
    if (c->on_primary) return true;
    double now = dal__now_precise();
    if (c->lag_at > 0 && c->lag + (now - c->lag_at) < e->max_staleness) return true;
    int64_t ms = 0;
    dal_error ignored;
    dal__error_empty(&ignored);
    if (dal__conn_query_int64(c, e->dialect->lag_sql, &ms, &ignored)) {
        c->lag = INFINITY;
        return false;
    }
    if (ms < 0) {
        c->on_primary = true;
        return true;
    }
    c->lag = (double)ms / 1000;
    c->lag_at = now; /* taken before the server's clock read: errs on the old side */
    return c->lag < e->max_staleness;
}

int dal__staleness_before_read(dal_session *s, dal_error *err)
{
    dal__conn *c = s->conn;
    dal_engine *e = s->engine;
    if (dal__staleness_fresh(c)) return DAL_OK;
    if (c->broken) /* the question itself failed: the connection is gone */
        return dal__error_set(err, DAL_EDISCONNECTED,
                              "the standby could not be asked its replication lag "
                              "(max_staleness_ms=%.0f)",
                              e->max_staleness * 1000);
    c->broken = true;
    c->discard_reason = "stale";
    dal__hosts_mark_down(e, c->host, "stale");
    return dal__error_set(err, DAL_EDISCONNECTED,
                          "the standby lags %.0f ms behind its primary, beyond "
                          "max_staleness_ms=%.0f: its connection is discarded (run the read "
                          "again: another server serves it)",
                          c->lag * 1000, e->max_staleness * 1000);
}
