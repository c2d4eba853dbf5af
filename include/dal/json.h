/** @file dal/json.h
 * JSON through jansson: any JSON value, compact UTF-8 text. Thread safety:
 * the codec functions from any thread; the result functions on the
 * result's session's thread. */
#ifndef DAL_JSON_H
#define DAL_JSON_H

#include <jansson.h>

#include "error.h"
#include "export.h"
#include "session.h"

DAL_BEGIN_DECLS

/** Compact UTF-8 text for any JSON value (not only objects and arrays), with
 * reals in their shortest exact form. Ownership: new: free() it.
 * NULL on error: DAL_EJSON (NaN or infinity, invalid UTF-8, nesting
 * deeper than 2048), DAL_ENOMEM. */
DAL_EXPORT char *dal_json_serialize(const json_t *value, dal_error *err);
/** Parses any JSON value (also a bare number or string).
 * Ownership: a new reference: json_decref it. NULL on error: DAL_EJSON
 * with line and column, DAL_ENOMEM. */
DAL_EXPORT json_t *dal_json_deserialize(const char *text, dal_error *err);

/** The current row as a JSON object {column: value}: integers as integers,
 * reals in their shortest exact form, text as strings, NULL as null,
 * booleans as true/false, blobs as base64, timestamps as ISO-8601 UTC
 * ("2026-01-01T00:00:00.000000Z"), JSON columns embedded as JSON values.
 * Ownership: *out is a new reference: json_decref it.
 * Errors: DAL_EMISUSE (no current row), DAL_EJSON (a JSON column holding
 * invalid JSON), DAL_ENOMEM. */
DAL_EXPORT int dal_result_row_json(dal_result *r, json_t **out, dal_error *err);

/** How dal_result_export_json lays rows out. */
typedef enum dal_json_format {
    DAL_JSON_ARRAY = 0, /**< [ {...}, {...} ]  */
    DAL_JSON_LINES = 1, /**< one object a line */
} dal_json_format;

/** Receives n bytes of output; returns 0, or non-zero to stop the export. */
typedef int (*dal_write_fn)(void *ctx, const char *data, size_t n);

/** Streams the remaining rows of r, each laid out as dal_result_row_json
 * does, to write(ctx, ...) in constant memory; *rows (may be NULL)
 * receives how many were written.
 * Errors: DAL_EODBC ("the write function failed") when write returns
 * non-zero, DAL_EMISUSE (a closed result or no write function), and those
 * of dal_result_next and dal_result_row_json. */
DAL_EXPORT int dal_result_export_json(dal_result *r, dal_json_format format, dal_write_fn write,
                                      void *ctx, uint64_t *rows, dal_error *err);

DAL_END_DECLS

#endif
