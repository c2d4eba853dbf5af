/* Fuzz target: rows to JSON. The input describes one row: a column count,
 * then per column a kind byte and a length-prefixed value. Properties: no
 * crash, no leak, and the output is always valid JSON with one member per
 * column. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dal/json.h"
#include "engine_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const dal_type kinds[] = {DAL_TYPE_INT64,     DAL_TYPE_TEXT, DAL_TYPE_BOOL,
                                     DAL_TYPE_TIMESTAMP, DAL_TYPE_JSON, DAL_TYPE_DOUBLE,
                                     DAL_TYPE_BLOB,      DAL_TYPE_TEXT};
    if (size < 1) return 0;
    size_t ncols = data[0] % 8 + 1, pos = 1;
    dal_engine engine;
    dal__conn conn;
    dal_stmt stmt;
    dal__column cols[8];
    memset(&engine, 0, sizeof engine);
    memset(&conn, 0, sizeof conn);
    memset(&stmt, 0, sizeof stmt);
    memset(cols, 0, sizeof cols);
    engine.json_deserialize = dal_json_deserialize; /* as dal_engine_create sets it */
    conn.engine = &engine;
    stmt.conn = &conn;
    dal_result *r = &stmt.result;
    r->stmt = &stmt;
    r->cols = cols;
    r->ncols = ncols;
    r->open = r->on_row = true;
    char *values[8] = {0};
    for (size_t i = 0; i < ncols; i++) {
        dal__column *col = &cols[i];
        uint8_t kind = pos < size ? data[pos++] : 0;
        size_t len = pos < size ? data[pos++] : 0;
        if (len > size - pos) len = size - pos;
        snprintf(col->name, sizeof col->name, "c%zu%s", i, kind & 0x80 ? "\"\\\n" : "");
        col->type = kinds[kind & 7];
        col->maybe_json = (kind & 0x40) != 0;
        col->null = (kind & 0x20) != 0;
        col->c_type = col->type == DAL_TYPE_DOUBLE ? SQL_C_DOUBLE
                      : col->type == DAL_TYPE_BLOB ? SQL_C_BINARY
                                                   : SQL_C_CHAR;
        values[i] = malloc(len + 1);
        memcpy(values[i], data + pos, len);
        values[i][len] = '\0';
        pos += len;
        if (col->c_type == SQL_C_DOUBLE) {
            memset(&col->d, 0, sizeof col->d);
            memcpy(&col->d, values[i], len < sizeof col->d ? len : sizeof col->d);
        }
        /* text arrives NUL-terminated from the driver: cut at the first NUL */
        col->ptr = values[i];
        col->len = col->c_type == SQL_C_CHAR ? strlen(values[i]) : len;
    }
    dal__buf out = {0};
    dal_error err = DAL_ERROR_INIT;
    if (dal__result_write_row_json(r, &out, &err) == DAL_OK) {
        json_error_t je;
        json_t *v = json_loadb(out.data, out.len, JSON_ALLOW_NUL, &je);
        if (!v || !json_is_object(v) || json_object_size(v) != ncols) abort();
        json_decref(v);
    }
    dal__buf_free(&out);
    for (size_t i = 0; i < ncols; i++)
        free(values[i]);
    return 0;
}
