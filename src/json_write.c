#include "json_write.h"

#include "convert.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the UTF-8 sequence at s (at most n bytes), 0 when invalid. */
static size_t utf8_length(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0xC2 ? 0 : s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : s[0] < 0xF5 ? 4 : 0;
    if (len == 0 || len > n) return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    unsigned cp = len == 2   ? (s[0] & 0x1Fu) << 6 | (s[1] & 0x3Fu)
                  : len == 3 ? (s[0] & 0x0Fu) << 12 | (s[1] & 0x3Fu) << 6 | (s[2] & 0x3Fu)
                             : (s[0] & 0x07u) << 18 | (s[1] & 0x3Fu) << 12 | (s[2] & 0x3Fu) << 6 |
                                   (s[3] & 0x3Fu);
    /* no overlong forms, no surrogates, nothing past U+10FFFF */
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

int dal__json_write_string(dal__buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    dal__buf_putc(b, '"');
    size_t run = 0; /* bytes copied as they are, flushed in one append */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            size_t len = utf8_length((const unsigned char *)s + i, n - i);
            if (!len) return -1;
            run += len;
            i += len - 1;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\') {
            run++;
            continue;
        }
        dal__buf_append(b, s + i - run, run);
        run = 0;
        char esc[7] = {'\\', 0};
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
        }
        dal__buf_puts(b, esc);
    }
    dal__buf_append(b, s + n - run, run);
    dal__buf_putc(b, '"');
    return 0;
}

void dal__json_write_real(dal__buf *b, double d)
{
    char tmp[40];
    if (!isfinite(d)) { /* JSON has no NaN or Infinity */
        dal__buf_puts(b, "null");
        return;
    }
    dal__format_double(d, tmp, sizeof tmp);
    dal__buf_puts(b, tmp);
    if (!strpbrk(tmp, ".eEn")) dal__buf_puts(b, ".0"); /* stays a real when read back */
}

void dal__json_write_base64(dal__buf *b, const unsigned char *p, size_t n)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    dal__buf_putc(b, '"');
    if (dal__buf_reserve(b, (n + 2) / 3 * 4 + 1)) return;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        char q[4] = {alphabet[v >> 18 & 63], alphabet[v >> 12 & 63],
                     i + 1 < n ? alphabet[v >> 6 & 63] : '=', i + 2 < n ? alphabet[v & 63] : '='};
        dal__buf_append(b, q, 4);
    }
    dal__buf_putc(b, '"');
}

static int write_value(dal__buf *b, const json_t *v, int depth)
{
    if (depth > DAL__JSON_MAX_DEPTH) return -1;
    char tmp[32];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        dal__buf_putc(b, '{');
        const char *key;
        json_t *item;
        bool first = true;
        json_object_foreach((json_t *)v, key, item)
        {
            if (!first) dal__buf_putc(b, ',');
            first = false;
            if (dal__json_write_string(b, key, strlen(key))) return -1;
            dal__buf_putc(b, ':');
            if (write_value(b, item, depth + 1)) return -1;
        }
        dal__buf_putc(b, '}');
        return 0;
    }
    case JSON_ARRAY:
        dal__buf_putc(b, '[');
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i) dal__buf_putc(b, ',');
            if (write_value(b, json_array_get(v, i), depth + 1)) return -1;
        }
        dal__buf_putc(b, ']');
        return 0;
    case JSON_STRING: return dal__json_write_string(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        snprintf(tmp, sizeof tmp, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        dal__buf_puts(b, tmp);
        return 0;
    case JSON_REAL: dal__json_write_real(b, json_real_value(v)); return 0;
    case JSON_TRUE: dal__buf_puts(b, "true"); return 0;
    case JSON_FALSE: dal__buf_puts(b, "false"); return 0;
    case JSON_NULL: dal__buf_puts(b, "null"); return 0;
    }
    return -1;
}

int dal__json_write(dal__buf *b, const json_t *value) { return write_value(b, value, 0); }
