/* ODBC diagnostic records -> dal_error: every record is read, the first one
 * decides the code, passwords are masked. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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
    if (!strcmp(st, "21S01") || !strcmp(st, "21S02")) return DAL_ESYNTAX; /* value/column count */
    if (!strncmp(st, "22", 2)) return DAL_EDATA;
    if (!strncmp(st, "28", 2)) return DAL_ECONNECT;
    if (!strncmp(st, "40", 2)) return DAL_ECONFLICT;
    return DAL_EODBC;
}

/* A password that cannot be a word of the driver's own text: masked
 * wherever it appears. A short or word-like one ("p", "failed") is masked
 * only where it stands as a password, or the message would be mangled
 * ("***ort 5432 failed" for password "p"). */
static bool masked_anywhere(const char *secret, size_t n)
{
    if (n >= 16) return true;
    if (n < 8) return false;
    for (size_t i = 0; i < n; i++)
        if (!isalpha((unsigned char)secret[i])) return true;
    return false;
}

/* Length of a password value at v: braced {...} (with }} inside), quoted
 * '...' or "...", or up to a separator. */
static size_t password_value_length(const char *v)
{
    char close = *v == '{' ? '}' : *v == '\'' || *v == '"' ? *v : 0;
    if (!close) return strcspn(v, "; \t\r\n,)");
    size_t i = 1;
    for (; v[i]; i++) {
        if (v[i] != close) continue;
        if (v[i + 1] != close) return i + 1; /* doubled: an escaped one */
        i++;
    }
    return i; /* unclosed: the rest is the value */
}

/* At p (a word start): "PWD=" or "PASSWORD=" (any case); their length. */
static size_t password_key_length(const char *p)
{
    static const char *const keys[] = {"pwd=", "password=", "sslpassword=", "tlskeypwd="};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        size_t n = strlen(keys[i]);
        if (!strncasecmp(p, keys[i], n)) return n;
    }
    return 0;
}

/* At p: "://user:password@": the offset and length of the password. */
static bool url_password(const char *p, size_t *at, size_t *len)
{
    if (strncmp(p, "://", 3) != 0) return false;
    size_t userinfo = strcspn(p + 3, "/@ \t\r\n");
    if (p[3 + userinfo] != '@') return false;
    const char *colon = memchr(p + 3, ':', userinfo);
    if (!colon) return false;
    *at = (size_t)(colon + 1 - p);
    *len = (size_t)(p + 3 + userinfo - (colon + 1));
    return true;
}

static void put(char *out, size_t cap, size_t *k, const char *s, size_t n)
{
    for (size_t i = 0; i < n && *k + 1 < cap; i++) {
        char ch = s[i];
        out[(*k)++] = ch == '\n' || ch == '\r' ? ' ' : ch; /* one line per error */
    }
}

void dal__mask_passwords(const char *s, char *out, size_t cap, const char *secret)
{
    size_t n = secret ? strlen(secret) : 0, k = 0;
    bool anywhere = n && masked_anywhere(secret, n);
    const char *p = s;
    while (*p && k + 1 < cap) {
        bool word_start = p == s || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
        size_t key = word_start ? password_key_length(p) : 0, at, len;
        if (anywhere && !strncmp(p, secret, n)) {
            put(out, cap, &k, "***", 3);
            p += n;
        } else if (key) {
            put(out, cap, &k, p, key);
            put(out, cap, &k, "***", 3);
            p += key + password_value_length(p + key);
        } else if (url_password(p, &at, &len)) {
            put(out, cap, &k, p, at);
            put(out, cap, &k, "***", 3);
            p += at + len;
        } else {
            put(out, cap, &k, p, 1);
            p++;
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
    dal__mask_passwords(text, err->message, sizeof err->message, secret);
    memcpy(err->sqlstate, first_state, 6);
    err->native_code = first_native;
    return code;
}
