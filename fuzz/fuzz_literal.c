/* Fuzz target: PostgreSQL literals for deferred statements
 * (dal__literal_put). Oracle: the server. The value, taken from the input,
 * is sent twice in one query, written as the literal and bound as a
 * parameter, and the server must find their texts equal:
 *   SELECT CASE WHEN (<literal>)::T::text IS NOT DISTINCT FROM (?::T)::text ...
 * (T the type dal binds the value as).
 * A literal that ended early (an injection) would fail the query or the
 * comparison; a value that cannot be written must be refused with
 * DAL_EDATA (a NUL byte in text, a NaN or infinite double, a timestamp
 * outside years 1-9999), and only then.
 * Needs the test server: DAL_TEST_PG_URL (scripts/pg url). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal.h>
#include <jansson.h>

#include "buf.h"
#include "engine_internal.h"
#include "literal.h"

static dal_session *session(dal_engine **engine)
{
    static dal_engine *e;
    static dal_session *s;
    if (!s) {
        const char *url = getenv("DAL_TEST_PG_URL");
        dal_error err = DAL_ERROR_INIT;
        if (!url || !*url) {
            fprintf(stderr, "fuzz_literal: DAL_TEST_PG_URL is not set (scripts/pg url)\n");
            abort();
        }
        if (dal_engine_create(url, NULL, &e, &err) || dal_session_open(e, &s, &err)) {
            fprintf(stderr, "fuzz_literal: %s\n", err.message);
            abort();
        }
    }
    *engine = e;
    return s;
}

/* The value the input describes: its first byte the type, the rest the
 * payload. *json is set when it holds a JSON document (json_decref it). */
static bool value_of(const uint8_t *data, size_t size, dal_value *v, json_t **json)
{
    *json = NULL;
    if (size < 1) return false;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    uint64_t bits = 0;
    memcpy(&bits, p, n < 8 ? n : 8);
    switch (data[0] % 8) {
    case 0: *v = dal_null(); return true;
    case 1: *v = dal_bool(n && (p[0] & 1)); return true;
    case 2: *v = dal_int64((int64_t)bits); return true;
    case 3: {
        double d;
        memcpy(&d, &bits, sizeof d);
        *v = dal_double(d);
        return true;
    }
    case 4: *v = dal_textn((const char *)p, n); return true;
    case 5: *v = dal_blob(p, n); return true;
    case 6: /* microseconds within years 0-10000, so both ends are reached */
        *v = dal_timestamp_us((int64_t)(bits % 316000000000000000ULL) - 62200000000000000LL);
        return true;
    default:
        *json = json_loadb((const char *)p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        if (!*json) return false;
        *v = dal_json(*json);
        return true;
    }
}

/* The type dal binds v as on PostgreSQL. */
static const char *pg_type(const dal_value *v)
{
    switch (v->type) {
    case DAL_TYPE_BOOL: return "boolean";
    case DAL_TYPE_INT64: return "int8";
    case DAL_TYPE_DOUBLE: return "float8";
    case DAL_TYPE_BLOB: return "bytea";
    case DAL_TYPE_TIMESTAMP: return "timestamp";
    default: return "text";
    }
}

static bool must_refuse(const dal_value *v)
{
    switch (v->type) {
    case DAL_TYPE_DOUBLE: return !isfinite(v->u.d);
    case DAL_TYPE_TEXT: return memchr(v->u.bytes.ptr, '\0', v->u.bytes.len) != NULL;
    case DAL_TYPE_TIMESTAMP:
        return v->u.ts_us < -62135596800000000LL || v->u.ts_us > 253402300799999999LL;
    default: return false;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dal_value v;
    json_t *json;
    if (size > 4096 || !value_of(data, size, &v, &json)) return 0;
    dal_engine *e;
    dal_session *s = session(&e);
    dal__buf sql = {0};
    dal_error err = DAL_ERROR_INIT;
    dal__buf_puts(&sql, "SELECT CASE WHEN (");
    int rc = dal__literal_put(e, &v, &sql, &err);
    if (rc) {
        if (rc != DAL_EDATA || !must_refuse(&v)) {
            fprintf(stderr, "fuzz_literal: refused %s: %s\n", dal_code_name(rc), err.message);
            abort();
        }
        goto done;
    }
    if (must_refuse(&v)) {
        fprintf(stderr, "fuzz_literal: wrote a value it must refuse: %s\n", sql.data);
        abort();
    }
    char tail[128];
    snprintf(tail, sizeof tail, ")::%s::text IS NOT DISTINCT FROM (?::%s)::text THEN 1 ELSE 0 END",
             pg_type(&v), pg_type(&v));
    dal__buf_puts(&sql, tail);
    dal_result *r;
    int64_t same = -1;
    rc = dal_session_query(s, sql.data, &v, 1, &r, &err);
    if (!rc && (rc = dal_result_next(r, &err)) == DAL_ROW) rc = dal_result_int64(r, 0, &same, &err);
    if (!rc) dal_result_close(r);
    /* text that is not UTF-8 is refused by the server either way */
    bool invalid_text = rc == DAL_EDATA && (v.type == DAL_TYPE_TEXT || v.type == DAL_TYPE_JSON);
    if ((rc && !invalid_text) || (!rc && same != 1)) {
        fprintf(stderr, "fuzz_literal: %s (%s): %s\n", sql.data, dal_code_name(rc), err.message);
        abort();
    }
    dal_error ignored = DAL_ERROR_INIT;
    dal_session_rollback(s, &ignored);
done:
    dal__buf_free(&sql);
    json_decref(json);
    return 0;
}
