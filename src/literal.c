/* PostgreSQL literals for bound values: exact (a value read back through
 * SELECT equals it: fuzz/fuzz_literal.c asks the server) and unable to end
 * the literal early (with standard_conforming_strings on, a quote doubled
 * is the only escape; a NUL byte, which would cut the text, is refused). */
#include "literal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "engine_internal.h"
#include "error_internal.h"
#include "sqltext.h"

static void put_quoted(dal__buf *out, const char *p, size_t n)
{
    dal__buf_putc(out, '\'');
    for (const char *end = p + n, *q; p < end; p = q + 1) {
        q = memchr(p, '\'', (size_t)(end - p));
        if (!q) {
            dal__buf_append(out, p, (size_t)(end - p));
            break;
        }
        dal__buf_append(out, p, (size_t)(q - p) + 1);
        dal__buf_putc(out, '\''); /* doubled */
    }
    dal__buf_putc(out, '\'');
}

static int put_text(dal__buf *out, const char *p, size_t n, const char *cast, dal_error *err)
{
    const char *nul = n ? memchr(p, '\0', n) : NULL;
    if (nul)
        return dal__error_set(err, DAL_EDATA, "text holds a NUL byte at offset %zu: bind it as a "
                                              "blob (dal_blob)",
                              (size_t)(nul - p));
    put_quoted(out, p, n);
    if (cast) dal__buf_puts(out, cast);
    return DAL_OK;
}

int dal__literal_put(const dal_engine *e, const dal_value *v, dal__buf *out, dal_error *err)
{
    char num[64];
    switch (v->type) {
    case DAL_TYPE_NULL: dal__buf_puts(out, "NULL"); return DAL_OK;
    case DAL_TYPE_BOOL: dal__buf_puts(out, v->u.b ? "true" : "false"); return DAL_OK;
    case DAL_TYPE_INT64:
        snprintf(num, sizeof num, "'%lld'::int8", (long long)v->u.i);
        dal__buf_puts(out, num);
        return DAL_OK;
    case DAL_TYPE_DOUBLE:
        if (!isfinite(v->u.d))
            return dal__error_set(err, DAL_EDATA, "a double that is NaN or infinite");
        dal__format_double(v->u.d, num, sizeof num); /* the shortest text that reads back exact */
        dal__buf_putc(out, '\'');
        dal__buf_puts(out, num);
        dal__buf_puts(out, "'::float8");
        return DAL_OK;
    case DAL_TYPE_TEXT: /* untyped, as psqlODBC sends bound text: the column decides */
        if (!v->u.bytes.ptr && v->u.bytes.len)
            return dal__error_set(err, DAL_EMISUSE, "text pointer is NULL");
        return put_text(out, v->u.bytes.ptr ? v->u.bytes.ptr : "", v->u.bytes.len, NULL, err);
    case DAL_TYPE_BLOB: {
        if (!v->u.bytes.ptr && v->u.bytes.len)
            return dal__error_set(err, DAL_EMISUSE, "blob pointer is NULL");
        static const char hex[] = "0123456789abcdef";
        const unsigned char *b = v->u.bytes.ptr;
        dal__buf_puts(out, "'\\x");
        if (dal__buf_reserve(out, 2 * v->u.bytes.len + 16)) return dal__error_nomem(err);
        for (size_t i = 0; i < v->u.bytes.len; i++) {
            char pair[2] = {hex[b[i] >> 4], hex[b[i] & 15]};
            dal__buf_append(out, pair, 2);
        }
        dal__buf_puts(out, "'::bytea");
        return DAL_OK;
    }
    case DAL_TYPE_JSON: {
        char *text = e->json_serialize(v->u.json, err);
        if (!text) return err && err->code ? err->code : DAL_EJSON;
        int rc = put_text(out, text, strlen(text), NULL, err);
        free(text);
        return rc;
    }
    case DAL_TYPE_TIMESTAMP: {
        /* years 1-9999: what the format writes and the server reads alike */
        if (v->u.ts_us < -62135596800000000LL || v->u.ts_us > 253402300799999999LL)
            return dal__error_set(err, DAL_EDATA, "a timestamp outside years 1-9999");
        dal__format_timestamp(v->u.ts_us, false, num, sizeof num);
        return put_text(out, num, strlen(num), "::timestamp", err);
    }
    }
    return dal__error_set(err, DAL_ETYPE, "unknown value type %d", (int)v->type);
}

/* Length of a '...' string or "..." identifier at p (doubled quotes
 * inside), or 0. PostgreSQL's own quotes only: [ and ` are not quotes there. */
static size_t quoted_length(const char *p)
{
    if (*p != '\'' && *p != '"') return 0;
    size_t i = 1;
    for (; p[i]; i++) {
        if (p[i] != *p) continue;
        if (p[i + 1] != *p) return i + 1;
        i++;
    }
    return i; /* unterminated: the rest */
}

/* Length of a dollar-quoted body at p ($tag$...$tag$), or 0. */
static size_t dollar_quoted_length(const char *p)
{
    if (*p != '$') return 0;
    size_t tag = 1;
    while (p[tag] == '_' || (p[tag] >= 'a' && p[tag] <= 'z') || (p[tag] >= 'A' && p[tag] <= 'Z') ||
           (tag > 1 && p[tag] >= '0' && p[tag] <= '9'))
        tag++;
    if (p[tag] != '$') return 0;
    tag++;
    for (const char *q = p + tag; (q = strchr(q, '$')) != NULL; q++)
        if (!strncmp(q, p, tag)) return (size_t)(q + tag - p);
    return strlen(p); /* unterminated: the rest */
}

/* Length of an E'...' string (backslash escapes) at p, or 0. */
static size_t escape_string_length(const char *p, const char *sql)
{
    if ((*p != 'E' && *p != 'e') || p[1] != '\'') return 0;
    if (p > sql && (p[-1] == '_' || (p[-1] >= '0' && p[-1] <= '9') ||
                    ((p[-1] | 32) >= 'a' && (p[-1] | 32) <= 'z')))
        return 0;
    size_t i = 2;
    for (; p[i]; i++) {
        if (p[i] == '\\' && p[i + 1]) {
            i++;
            continue;
        }
        if (p[i] == '\'') {
            if (p[i + 1] == '\'') {
                i++;
                continue;
            }
            return i + 1;
        }
    }
    return i;
}

int dal__literal_statement(const dal_engine *e, const char *sql, const dal_value *params,
                           size_t nparams, dal__buf *out, dal_error *err)
{
    size_t used = 0;
    for (const char *p = sql; *p;) {
        size_t n = dal__sql_comment_length(p);
        if (!n) n = escape_string_length(p, sql);
        if (!n) n = quoted_length(p);
        if (!n) n = dollar_quoted_length(p);
        if (n) {
            dal__buf_append(out, p, n);
            p += n;
            continue;
        }
        if (*p == '?') {
            if (used == nparams)
                return dal__error_set(err, DAL_EMISUSE, "more ? markers than the %zu values given",
                                      nparams);
            int rc = dal__literal_put(e, &params[used], out, err);
            if (rc) {
                dal__error_prefix(err, "parameter %zu: ", used + 1);
                return rc;
            }
            used++;
            p++;
            continue;
        }
        dal__buf_putc(out, *p++);
    }
    if (used != nparams)
        return dal__error_set(err, DAL_EMISUSE, "%zu values for %zu ? markers", nparams, used);
    return out->failed ? dal__error_nomem(err) : DAL_OK;
}
