/* Fuzz target: URL parser + connection-string builder. Properties: no crash,
 * no leak, and a built connection string never holds a key twice (no value
 * can add or replace an attribute). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../drivers/dialect.h"
#include "alloc.h"
#include "url.h"

/* Number of attributes, or -1 when a key repeats or quoting is broken. */
static int attributes(const char *s)
{
    char keys[64][64];
    int n = 0;
    while (*s) {
        size_t kn = strcspn(s, "=;");
        if (s[kn] != '=') return -1;
        if (n < 64) {
            size_t len = kn < 63 ? kn : 63;
            memcpy(keys[n], s, len);
            keys[n][len] = '\0';
            for (int k = 0; k < n; k++)
                if (!strcasecmp(keys[k], keys[n])) return -1;
        }
        s += kn + 1;
        if (*s == '{') {
            s++;
            while (*s && !(s[0] == '}' && s[1] != '}'))
                s += s[0] == '}' ? 2 : 1;
            if (*s != '}') return -1;
            s++;
        } else {
            while (*s && *s != ';')
                s++;
        }
        if (*s == ';') s++;
        n++;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    dal__url u;
    dal_error err = DAL_ERROR_INIT;
    if (dal__url_parse(text, &u, &err) == DAL_OK) {
        char *cs = NULL;
        if (dal__build_connstr(&u, "Driver X", false, &cs, &err) == DAL_OK) {
            /* odbc_connect strings are the caller's own: only dal's are checked */
            if (!u.odbc_connect && attributes(cs) < 0) abort();
            dal__buf masked = {0};
            dal__connstr_mask(cs, &masked);
            dal__buf_free(&masked);
            dal__free_secret(cs);
        }
        dal__url_free(&u);
    } else if (err.code == DAL_OK || !err.message[0]) {
        abort(); /* a failure always says why */
    }
    free(text);
    return 0;
}
