#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error_internal.h"

const char *dal_strerror(int code)
{
    switch (code) {
    case DAL_OK: return "success";
#define DAL__XX(name, value, text)                                                                 \
    case DAL_##name: return text;
        DAL_ERRNO_MAP(DAL__XX)
#undef DAL__XX
    default: return "unknown error";
    }
}

const char *dal_code_name(int code)
{
    switch (code) {
    case DAL_OK: return "OK";
#define DAL__XX(name, value, text)                                                                 \
    case DAL_##name: return #name;
        DAL_ERRNO_MAP(DAL__XX)
#undef DAL__XX
    default: return "EUNKNOWN";
    }
}

void dal_error_clear(dal_error *err)
{
    if (err) memset(err, 0, sizeof *err);
}

int dal__error_set(dal_error *err, dal_code code, const char *fmt, ...)
{
    if (!err || err->code != DAL_OK) return code;
    memset(err, 0, sizeof *err);
    err->code = code;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    } else {
        snprintf(err->message, sizeof err->message, "%s", dal_strerror(code));
    }
    return code;
}

int dal__error_copy(dal_error *err, const dal_error *src)
{
    if (err && err->code == DAL_OK && err != src) {
        err->code = src->code;
        memcpy(err->sqlstate, src->sqlstate, sizeof err->sqlstate);
        err->native_code = src->native_code;
        size_t n = strnlen(src->message, sizeof src->message - 1);
        memcpy(err->message, src->message, n);
        err->message[n] = '\0';
    }
    return src->code;
}

int dal__error_nomem(dal_error *err) { return dal__error_set(err, DAL_ENOMEM, "out of memory"); }

void dal__error_prefix(dal_error *e, const char *fmt, ...)
{
    char text[sizeof e->message];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    size_t used = (size_t)n < sizeof text ? (size_t)n : sizeof text - 1;
    size_t room = sizeof text - 1 - used;
    size_t keep = strnlen(e->message, room);
    memcpy(text + used, e->message, keep);
    text[used + keep] = '\0';
    memcpy(e->message, text, used + keep + 1);
}
