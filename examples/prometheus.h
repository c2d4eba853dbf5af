/* The engine's pool numbers in Prometheus text format, named after
 * OpenTelemetry's database-client conventions. */
#ifndef DAL_EXAMPLE_PROMETHEUS_H
#define DAL_EXAMPLE_PROMETHEUS_H

#include <dal.h>

/* New text (free() it), or NULL when memory ran out. */
char *prometheus_metrics(dal_engine *engine);

#endif
