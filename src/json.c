/* JSON through jansson: any JSON value, compact, UTF-8; rows as objects. */
#include "dal/json.h"

#include <math.h>
#include <string.h>

#include "convert.h"
#include "engine_internal.h"
#include "error_internal.h"

char *dal_json_serialize(const json_t *value, dal_error *err)
{
    if (!value) {
        dal__error_set(err, DAL_EJSON, "cannot serialize a NULL json_t");
        return NULL;
    }
    char *s = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    if (!s) dal__error_set(err, DAL_EJSON, "cannot serialize the JSON value (invalid UTF-8, NaN or out of memory)");
    return s;
}

json_t *dal_json_deserialize(const char *text, dal_error *err)
{
    if (!text) {
        dal__error_set(err, DAL_EJSON, "cannot parse NULL text as JSON");
        return NULL;
    }
    json_error_t je;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!v) dal__error_set(err, DAL_EJSON, "invalid JSON at line %d, column %d: %s", je.line, je.column, je.text);
    return v;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static json_t *base64(const unsigned char *p, size_t n)
{
    dal__buf b = {0};
    if (dal__buf_reserve(&b, (n + 2) / 3 * 4)) return NULL;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        char q[4] = {b64[v >> 18 & 63], b64[v >> 12 & 63], i + 1 < n ? b64[v >> 6 & 63] : '=',
                     i + 2 < n ? b64[v & 63] : '='};
        dal__buf_append(&b, q, 4);
    }
    json_t *s = json_stringn(b.data ? b.data : "", b.len);
    dal__buf_free(&b);
    return s;
}

/* One column of the current row as a new JSON value. */
static int column_json(dal_result *r, size_t i, json_t **out, dal_error *err)
{
    if (dal_result_is_null(r, i)) return (*out = json_null()) ? DAL_OK : dal__error_nomem(err);
    const char *text;
    size_t len;
    int64_t iv;
    double d;
    bool b;
    int rc = DAL_OK;
    switch (dal_result_column_type(r, i)) {
    case DAL_TYPE_INT64:
        if (!(rc = dal_result_int64(r, i, &iv, err))) *out = json_integer(iv);
        break;
    case DAL_TYPE_DOUBLE:
        if ((rc = dal_result_double(r, i, &d, err))) break;
        *out = isfinite(d) ? json_real(d) : json_null(); /* JSON has no NaN/Infinity */
        break;
    case DAL_TYPE_BOOL:
        if (!(rc = dal_result_bool(r, i, &b, err))) *out = json_boolean(b);
        break;
    case DAL_TYPE_BLOB: {
        const void *p;
        if (!(rc = dal_result_blob(r, i, &p, &len, err))) *out = base64(p, len);
        break;
    }
    case DAL_TYPE_TIMESTAMP: {
        char iso[48];
        if ((rc = dal_result_timestamp_us(r, i, &iv, err))) {
            /* a date or time the parser does not know: keep the text */
            dal_error_clear(err);
            if (!(rc = dal_result_text(r, i, &text, &len, err))) *out = json_stringn(text, len);
            break;
        }
        dal__format_timestamp(iv, true, iso, sizeof iso);
        *out = json_string(iso);
        break;
    }
    case DAL_TYPE_JSON:
        rc = dal_result_json(r, i, out, err);
        break;
    default:
        if (!(rc = dal_result_text(r, i, &text, &len, err))) *out = json_stringn(text, len);
        break;
    }
    if (!rc && !*out) rc = dal__error_set(err, DAL_EJSON, "column %s cannot be represented as JSON (invalid UTF-8?)",
                                          dal_result_column_name(r, i));
    return rc;
}

int dal_result_row_json(dal_result *r, json_t **out, dal_error *err)
{
    if (!out) return dal__error_set(err, DAL_EMISUSE, "out is NULL");
    *out = NULL;
    if (!r || !r->on_row) return dal__error_set(err, DAL_EMISUSE, "no current row");
    json_t *obj = json_object();
    if (!obj) return dal__error_nomem(err);
    for (size_t i = 0; i < r->ncols; i++) {
        json_t *v = NULL;
        int rc = column_json(r, i, &v, err);
        if (rc || json_object_set_new(obj, r->cols[i].name, v) != 0) {
            json_decref(obj);
            return rc ? rc : dal__error_nomem(err);
        }
    }
    *out = obj;
    return DAL_OK;
}
