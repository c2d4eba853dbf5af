/* ODBC diagnostic records -> dal_error: every record is read, the first one
 * decides the code, passwords are masked. */
#include <stdio.h>
#include <string.h>

#include "../drivers/dialect.h"
#include "error_internal.h"
#include "odbc.h"

int dal__odbc_classify(const dal__dialect *d, const char *st, long native)
{
    if (d && d->classify) {
        int code = d->classify(st, native);
        if (code) return code;
    }
    if (!strcmp(st, "40001") || !strcmp(st, "40P01")) return DAL_ECONFLICT;
    if (!strcmp(st, "40002")) return DAL_ECONSTRAINT;
    if (!strcmp(st, "25P02")) return DAL_EABORTED;
    if (!strcmp(st, "25006")) return DAL_EREADONLY;
    if (!strcmp(st, "08001") || !strcmp(st, "08004")) return DAL_ECONNECT;
    if (!strncmp(st, "57P0", 4)) return DAL_EDISCONNECTED;
    if (!strcmp(st, "HYT00") || !strcmp(st, "HYT01")) return DAL_ETIMEOUT;
    if (!strcmp(st, "HY001")) return DAL_ENOMEM;
    if (!strcmp(st, "IM002") || !strcmp(st, "IM003")) return DAL_EDRIVER;
    if (!strncmp(st, "08", 2)) return DAL_EDISCONNECTED;
    if (!strncmp(st, "23", 2)) return DAL_ECONSTRAINT;
    if (!strncmp(st, "42", 2)) return DAL_ESYNTAX;
    if (!strncmp(st, "22", 2)) return DAL_EDATA;
    if (!strncmp(st, "28", 2)) return DAL_ECONNECT;
    if (!strncmp(st, "40", 2)) return DAL_ECONFLICT;
    return DAL_EODBC;
}

/* Copies s to out (cap bytes) with every occurrence of secret as "***". */
static void mask_secret(const char *s, char *out, size_t cap, const char *secret)
{
    size_t n = secret ? strlen(secret) : 0, k = 0;
    while (*s && k + 1 < cap) {
        if (n && !strncmp(s, secret, n)) {
            for (const char *m = "***"; *m && k + 1 < cap; m++)
                out[k++] = *m;
            s += n;
        } else {
            char ch = *s++;
            out[k++] = ch == '\n' || ch == '\r' ? ' ' : ch; /* one line per error */
        }
    }
    out[k] = '\0';
}

int dal__odbc_error(SQLSMALLINT type, SQLHANDLE h, const dal__dialect *d, const char *context,
                    const char *secret, dal_error *err)
{
    char first_state[6] = "";
    SQLINTEGER first_native = 0;
    char text[2048];
    size_t len = (size_t)snprintf(text, sizeof text, "%s", context ? context : "ODBC call failed");
    for (SQLSMALLINT i = 1; i < 32; i++) {
        SQLCHAR state[6], msg[1024];
        SQLINTEGER native = 0;
        SQLSMALLINT mlen = 0;
        SQLRETURN rc = SQLGetDiagRec(type, h, i, state, &native, msg, sizeof msg, &mlen);
        if (!DAL__ODBC_OK(rc)) break;
        if (i == 1) {
            memcpy(first_state, state, 6);
            first_native = native;
        }
        if (len < sizeof text - 1)
            len += (size_t)snprintf(text + len, sizeof text - len, "%s [%s] %s", i == 1 ? ":" : ";",
                                    (char *)state, (char *)msg);
        if (len >= sizeof text) len = sizeof text - 1;
    }
    int code = first_state[0] ? dal__odbc_classify(d, first_state, first_native) : DAL_EODBC;
    if (!err || err->code != DAL_OK) return code;
    err->code = (dal_code)code;
    mask_secret(text, err->message, sizeof err->message, secret);
    memcpy(err->sqlstate, first_state, 6);
    err->native_code = first_native;
    return code;
}
