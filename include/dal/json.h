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

/* The current row as a new JSON object {column: value}. */
DAL_EXPORT int dal_result_row_json(dal_result *r, json_t **out, dal_error *err);

DAL_END_DECLS

#endif
