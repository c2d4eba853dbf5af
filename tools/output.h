/* Writing query results for the `dal` command: jsonl, json, csv, table. */
#ifndef DAL_TOOL_OUTPUT_H
#define DAL_TOOL_OUTPUT_H

#include <dal.h>
#include <stdio.h>

typedef enum output_format { FORMAT_JSONL, FORMAT_JSON, FORMAT_CSV, FORMAT_TABLE } output_format;

/* 0 and sets *out for "jsonl", "json", "csv" or "table"; -1 otherwise. */
int output_format_parse(const char *name, output_format *out);
/* Writes every remaining row of r to f. */
int output_rows(dal_result *r, output_format format, FILE *f, dal_error *err);

#endif
