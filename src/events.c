/* Events and the timings of dal_pool_stats: what the pool and every
 * statement are doing, for a program's callback, for echo on stderr, and
 * for metrics. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "convert.h"
#include "engine_internal.h"

static const double bucket_limits[DAL_STATEMENT_BUCKETS] = {0.0001, 0.001, 0.01, 0.1,
                                                            1,      10,    INFINITY};

const double *dal_statement_bucket_limits(void) { return bucket_limits; }

void dal__stats_add_ns(atomic_uint_fast64_t *total, double seconds)
{
    atomic_fetch_add_explicit(total, (uint_fast64_t)(seconds * 1e9), memory_order_relaxed);
}

void dal__stats_statement(dal__pool *p, double seconds)
{
    size_t b = 0;
    while (seconds > bucket_limits[b])
        b++;
    atomic_fetch_add_explicit(&p->statements[b], 1, memory_order_relaxed);
    dal__stats_add_ns(&p->statement_ns, seconds);
}

void dal__event_outcome(dal_event *ev, int code, const dal_error *err)
{
    ev->code = code;
    ev->sqlstate = err && code ? err->sqlstate : "";
    ev->message = err && code ? err->message : "";
}

/* A parameter as echo shows it. */
static void echo_value(FILE *f, const dal_value *v)
{
    char tmp[48];
    switch (v->type) {
    case DAL_TYPE_NULL: fputs("NULL", f); break;
    case DAL_TYPE_BOOL: fputs(v->u.b ? "true" : "false", f); break;
    case DAL_TYPE_INT64: fprintf(f, "%lld", (long long)v->u.i); break;
    case DAL_TYPE_DOUBLE:
        dal__format_double(v->u.d, tmp, sizeof tmp);
        fputs(tmp, f);
        break;
    case DAL_TYPE_TIMESTAMP:
        dal__format_timestamp(v->u.ts_us, true, tmp, sizeof tmp);
        fputs(tmp, f);
        break;
    case DAL_TYPE_TEXT:
        fprintf(f, "'%.*s%s'", v->u.bytes.len > 60 ? 60 : (int)v->u.bytes.len,
                (const char *)v->u.bytes.ptr, v->u.bytes.len > 60 ? "..." : "");
        break;
    case DAL_TYPE_BLOB: fprintf(f, "<%zu bytes>", v->u.bytes.len); break;
    case DAL_TYPE_JSON: fputs("<json>", f); break;
    }
}

/* One line per statement, commit and rollback, as SQLAlchemy's echo. */
static void echo(const dal_engine *e, const dal_event *ev, const dal_value *params, size_t n)
{
    const char *what = ev->kind == DAL_EVENT_STATEMENT ? ev->sql
                       : ev->kind == DAL_EVENT_COMMIT  ? "COMMIT"
                       : ev->kind == DAL_EVENT_ROLLBACK ? "ROLLBACK"
                                                        : NULL;
    if (!what) return;
    flockfile(stderr);
    fprintf(stderr, "dal: %.3f ms %s", ev->seconds * 1e3, ev->code ? dal_code_name(ev->code) : "OK");
    if (ev->code && ev->sqlstate[0]) fprintf(stderr, " [%s]", ev->sqlstate);
    if (ev->kind == DAL_EVENT_STATEMENT && ev->rows >= 0) fprintf(stderr, " rows=%lld", (long long)ev->rows);
    fprintf(stderr, "%s: %s", ev->read_only ? " (read-only)" : "", what);
    if (e->echo > 1 && n) {
        fputs(" -- params: ", stderr);
        for (size_t i = 0; i < n; i++) {
            if (i) fputs(", ", stderr);
            echo_value(stderr, &params[i]);
        }
    }
    fputc('\n', stderr);
    funlockfile(stderr);
}

void dal__event_emit(dal_engine *e, dal_event *ev)
{
    const dal_value *params = ev->params;
    size_t n = ev->nparams;
    ev->engine = e;
    if (!ev->sqlstate) ev->sqlstate = "";
    if (!ev->message) ev->message = "";
    if (e->echo) echo(e, ev, params, n);
    if (!e->on_event) return;
    if (!e->event_parameters) { /* values only when the program asked */
        ev->params = NULL;
        ev->nparams = 0;
    }
    e->on_event(ev, e->event_ctx);
    ev->params = params;
    ev->nparams = n;
}
