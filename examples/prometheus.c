#include "prometheus.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct text {
    char *data;
    size_t len, cap;
    int failed;
} text;

static void add(text *t, const char *fmt, ...)
{
    va_list ap;
    for (int attempt = 0; attempt < 2 && !t->failed; attempt++) {
        va_start(ap, fmt);
        int n = vsnprintf(t->data ? t->data + t->len : NULL, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) t->failed = 1;
        if (n < 0 || (size_t)n < t->cap - t->len) {
            if (n >= 0) t->len += (size_t)n;
            return;
        }
        size_t cap = (t->cap + (size_t)n + 1) * 2;
        char *grown = realloc(t->data, cap);
        if (!grown) t->failed = 1;
        else t->data = grown, t->cap = cap;
    }
}

/* A summary without quantiles: its _sum and _count. */
static void summary(text *t, const char *metric, const char *pool, double sum,
                    unsigned long long count)
{
    add(t, "%s_sum{pool=\"%s\"} %.6f\n", metric, pool, sum);
    add(t, "%s_count{pool=\"%s\"} %llu\n", metric, pool, count);
}

static void pool(text *t, const char *name, const dal_pool_stats *st)
{
    const char *p = name;
    add(t, "db_client_connection_count{pool=\"%s\",state=\"idle\"} %d\n", p, st->idle);
    add(t, "db_client_connection_count{pool=\"%s\",state=\"used\"} %d\n", p, st->checked_out);
    add(t, "db_client_connection_max{pool=\"%s\"} %d\n", p, st->pool_size + st->max_overflow);
    add(t, "db_client_connection_pending_requests{pool=\"%s\"} %d\n", p, st->waiting);
    add(t, "db_client_connection_timeouts_total{pool=\"%s\"} %llu\n", p,
        (unsigned long long)st->timeouts);
    summary(t, "db_client_connection_wait_time_seconds", p, st->wait_seconds_total, st->waits);
    add(t, "db_client_connection_wait_time_seconds_max{pool=\"%s\"} %.6f\n", p, st->wait_seconds_max);
    summary(t, "db_client_connection_use_time_seconds", p, st->held_seconds_total, st->checkouts);
    summary(t, "db_client_connection_create_time_seconds", p, st->connect_seconds_total,
            st->connects);
    const double *limits = dal_statement_bucket_limits();
    unsigned long long cumulative = 0;
    for (int b = 0; b < DAL_STATEMENT_BUCKETS; b++) {
        cumulative += st->statements[b];
        if (isinf(limits[b]))
            add(t, "db_client_operation_duration_seconds_bucket{pool=\"%s\",le=\"+Inf\"} %llu\n", p,
                cumulative);
        else
            add(t, "db_client_operation_duration_seconds_bucket{pool=\"%s\",le=\"%g\"} %llu\n", p,
                limits[b], cumulative);
    }
    add(t, "db_client_operation_duration_seconds_sum{pool=\"%s\"} %.6f\n", p,
        st->statement_seconds_total);
    add(t, "db_client_operation_duration_seconds_count{pool=\"%s\"} %llu\n", p, cumulative);
}

char *prometheus_metrics(dal_engine *engine)
{
    text t = {0};
    add(&t, "# TYPE db_client_connection_count gauge\n"
            "# TYPE db_client_connection_max gauge\n"
            "# TYPE db_client_connection_pending_requests gauge\n"
            "# TYPE db_client_connection_timeouts_total counter\n"
            "# TYPE db_client_connection_wait_time_seconds summary\n"
            "# TYPE db_client_connection_wait_time_seconds_max gauge\n"
            "# TYPE db_client_connection_use_time_seconds summary\n"
            "# TYPE db_client_connection_create_time_seconds summary\n"
            "# TYPE db_client_operation_duration_seconds histogram\n");
    dal_pool_stats st;
    dal_engine_pool_stats(engine, &st);
    pool(&t, "normal", &st);
    dal_engine_read_pool_stats(engine, &st);
    pool(&t, "read_only", &st);
    if (t.failed) {
        free(t.data);
        return NULL;
    }
    return t.data;
}
