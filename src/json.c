/* JSON through jansson: any JSON value in, compact UTF-8 text out; rows as
 * JSON objects, one at a time or streamed. */
#include "dal/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "engine_internal.h"
#include "error_internal.h"
#include "json_write.h"

char *dal_json_serialize(const json_t *value, dal_error *err)
{
    if (!value) {
        dal__error_set(err, DAL_EJSON, "cannot serialize a NULL json_t");
        return NULL;
    }
    dal__buf b = {0};
    if (dal__json_write(&b, value) != 0) {
        dal__buf_free(&b);
        dal__error_set(err, DAL_EJSON,
                       "JSON value nests deeper than %d levels or holds invalid UTF-8",
                       DAL__JSON_MAX_DEPTH);
        return NULL;
    }
    if (b.failed || !b.data) {
        dal__buf_free(&b);
        dal__error_nomem(err);
        return NULL;
    }
    return b.data; /* plain malloc memory: free() it */
}

static bool fits_int64(const char *digits, size_t n)
{
    char copy[24];
    int64_t ignored;
    if (n >= sizeof copy) return false;
    memcpy(copy, digits, n);
    copy[n] = '\0';
    return dal__parse_int64(copy, &ignored) == 0;
}

/* A copy of JSON text in which every integer literal beyond int64 is
 * written as a real ("1e300" as jsonb prints it: 301 digits), so that only
 * those numbers become reals and every other integer stays exact. */
static char *widen_big_integers(const char *text)
{
    dal__buf b = {0};
    const char *p = text;
    while (*p) {
        if (*p == '"') { /* copy a string whole, escapes included */
            const char *q = p + 1;
            while (*q && *q != '"')
                q += q[0] == '\\' && q[1] ? 2 : 1;
            if (*q) q++;
            dal__buf_append(&b, p, (size_t)(q - p));
            p = q;
        } else if (*p == '-' || (*p >= '0' && *p <= '9')) {
            const char *q = p + (*p == '-');
            while (*q >= '0' && *q <= '9')
                q++;
            dal__buf_append(&b, p, (size_t)(q - p));
            bool integer = *q != '.' && *q != 'e' && *q != 'E';
            if (integer && !fits_int64(p, (size_t)(q - p))) dal__buf_puts(&b, ".0");
            p = q;
        } else {
            dal__buf_putc(&b, *p++);
        }
    }
    dal__buf_putc(&b, '\0');
    if (b.failed) {
        dal__buf_free(&b);
        return NULL;
    }
    return b.data;
}

json_t *dal_json_deserialize(const char *text, dal_error *err)
{
    if (!text) {
        dal__error_set(err, DAL_EJSON, "cannot parse NULL text as JSON");
        return NULL;
    }
    json_error_t je;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!v && json_error_code(&je) == json_error_numeric_overflow) {
        char *widened = widen_big_integers(text);
        if (!widened) {
            dal__error_nomem(err);
            return NULL;
        }
        v = json_loads(widened, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
        free(widened);
    }
    if (!v)
        dal__error_set(err, DAL_EJSON, "invalid JSON at line %d, column %d: %s", je.line, je.column,
                       je.text);
    return v;
}

/* A JSON column's text embedded as JSON; text that does not parse stays a
 * string (SQLite lets any text into a JSON column). */
static int write_embedded_json(dal_result *r, const dal__column *col, dal__buf *b)
{
    dal_engine *e = r->stmt->conn->engine;
    dal_error ignored = DAL_ERROR_INIT;
    json_t *v = e->json_deserialize(col->ptr, &ignored);
    size_t mark = b->len;
    int rc = v ? dal__json_write(b, v) : -1;
    json_decref(v);
    if (rc == 0) return 0;
    b->len = mark; /* drop a partial value */
    return dal__json_write_string(b, col->ptr, col->len);
}

/* Appends the current row as a JSON object. */
int dal__result_write_row_json(dal_result *r, dal__buf *b, dal_error *err)
{
    char tmp[48];
    dal__buf_putc(b, '{');
    for (size_t i = 0; i < r->ncols; i++) {
        dal__column *col = &r->cols[i];
        if (i) dal__buf_putc(b, ',');
        int bad = dal__json_write_string(b, col->name, strlen(col->name));
        dal__buf_putc(b, ':');
        int64_t iv;
        bool bv;
        if (col->null) {
            dal__buf_puts(b, "null");
        } else if (dal__column_read_as(col) == SQL_C_DOUBLE) {
            dal__json_write_real(b, col->d);
        } else if (dal__column_read_as(col) == SQL_C_BINARY) {
            dal__json_write_base64(b, (const unsigned char *)col->ptr, col->len);
        } else if (col->type == DAL_TYPE_BOOL && !dal__parse_bool(col->ptr, &bv)) {
            dal__buf_puts(b, bv ? "true" : "false");
        } else if (col->c_type == SQL_C_SBIGINT) {
            snprintf(tmp, sizeof tmp, "%lld", (long long)col->i);
            dal__buf_puts(b, tmp);
        } else if ((col->type == DAL_TYPE_INT64 || col->type == DAL_TYPE_BOOL) &&
                   !dal__parse_int64(col->ptr, &iv)) { /* a TINYINT(1) may hold 5: kept exact */
            snprintf(tmp, sizeof tmp, "%lld", (long long)iv);
            dal__buf_puts(b, tmp);
        } else if (col->type == DAL_TYPE_TIMESTAMP && !dal__parse_timestamp(col->ptr, &iv)) {
            dal__format_timestamp(iv, true, tmp, sizeof tmp);
            dal__json_write_string(b, tmp, strlen(tmp));
        } else if (col->maybe_json) {
            bad |= write_embedded_json(r, col, b);
        } else { /* text, and values a typed column could not parse (kept exact) */
            bad |= dal__json_write_string(b, col->ptr, col->len);
        }
        if (bad)
            return dal__error_set(err, DAL_EJSON,
                                  "column %s is not valid UTF-8: JSON cannot hold it (read it with "
                                  "dal_result_blob)",
                                  col->name);
    }
    dal__buf_putc(b, '}');
    return b->failed ? dal__error_nomem(err) : DAL_OK;
}

int dal_result_row_json(dal_result *r, json_t **out, dal_error *err)
{
    if (!out) return dal__error_set(err, DAL_EMISUSE, "out is NULL");
    *out = NULL;
    if (!r || !r->open || !r->on_row) return dal__error_set(err, DAL_EMISUSE, "no current row");
    dal__buf b = {0};
    int rc = dal__result_write_row_json(r, &b, err);
    if (!rc) {
        json_error_t je;
        *out = json_loadb(b.data, b.len, JSON_ALLOW_NUL, &je);
        if (!*out)
            rc = dal__error_set(err, DAL_EJSON, "row is not representable as JSON: %s", je.text);
    }
    dal__buf_free(&b);
    return rc;
}

int dal_result_export_json(dal_result *r, dal_json_format format, dal_write_fn write, void *ctx,
                           uint64_t *rows, dal_error *err)
{
    if (rows) *rows = 0;
    if (!r || !r->open || !write)
        return dal__error_set(err, DAL_EMISUSE, "result closed or no write function");
    dal__buf b = {0};
    uint64_t n = 0;
    int rc;
    if (format == DAL_JSON_ARRAY) dal__buf_putc(&b, '[');
    while ((rc = dal_result_next(r, err)) == DAL_ROW) {
        if (format == DAL_JSON_ARRAY && n) dal__buf_putc(&b, ',');
        if ((rc = dal__result_write_row_json(r, &b, err))) break;
        if (format == DAL_JSON_LINES) dal__buf_putc(&b, '\n');
        n++;
        if (b.len >= 64 * 1024) { /* constant memory: flush as we go */
            if (write(ctx, b.data, b.len)) {
                rc = dal__error_set(err, DAL_EODBC, "the write function failed");
                break;
            }
            dal__buf_reset(&b);
        }
    }
    if (rc == DAL_DONE) {
        rc = DAL_OK;
        if (format == DAL_JSON_ARRAY) dal__buf_puts(&b, "]\n");
        if (b.failed)
            rc = dal__error_nomem(err);
        else if (b.len && write(ctx, b.data, b.len))
            rc = dal__error_set(err, DAL_EODBC, "the write function failed");
    }
    dal__buf_free(&b);
    if (rows) *rows = n;
    return rc;
}
