/* JSON through jansson: any JSON value, compact UTF-8 text. Thread-safe. */
#ifndef DAL_JSON_H
#define DAL_JSON_H

#include <jansson.h>

#include "error.h"
#include "export.h"
#include "session.h"

DAL_BEGIN_DECLS

/* Compact text for any JSON value; free() it. NULL on error (DAL_EJSON). */
DAL_EXPORT char *dal_json_serialize(const json_t *value, dal_error *err);
/* A new reference to any JSON value; DAL_EJSON with line and column. */
DAL_EXPORT json_t *dal_json_deserialize(const char *text, dal_error *err);

/* Rows as JSON: integers as integers, reals in their shortest exact form,
 * text as strings, NULL as null, booleans as true/false, blobs as base64,
 * timestamps as ISO-8601 UTC ("2026-01-01T00:00:00.000000Z"), JSON columns
 * embedded as JSON values. */

/* The current row as a new JSON object {column: value}. */
DAL_EXPORT int dal_result_row_json(dal_result *r, json_t **out, dal_error *err);

typedef enum dal_json_format {
    DAL_JSON_ARRAY = 0, /* [ {...}, {...} ]  */
    DAL_JSON_LINES = 1, /* one object a line */
} dal_json_format;

/* Receives n bytes of output; returns 0, or non-zero to stop the export. */
typedef int (*dal_write_fn)(void *ctx, const char *data, size_t n);

/* Streams the remaining rows of r to write in constant memory; rows (may be
 * NULL) receives how many were written. */
DAL_EXPORT int dal_result_export_json(dal_result *r, dal_json_format format, dal_write_fn write,
                                      void *ctx, uint64_t *rows, dal_error *err);

DAL_END_DECLS

#endif
