#include "buf.h"

#include <string.h>

#include "alloc.h"

int dal__buf_reserve(dal__buf *b, size_t extra)
{
    if (b->failed) return -1;
    if (b->len + extra + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = dal__realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void dal__buf_append(dal__buf *b, const void *p, size_t n)
{
    if (dal__buf_reserve(b, n) != 0) return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void dal__buf_puts(dal__buf *b, const char *s) { dal__buf_append(b, s, strlen(s)); }

void dal__buf_putc(dal__buf *b, char c) { dal__buf_append(b, &c, 1); }

void dal__buf_reset(dal__buf *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->data) b->data[0] = '\0';
}

void dal__buf_free(dal__buf *b)
{
    if (b->data) {
        volatile char *p = b->data;
        for (size_t i = 0; i < b->cap; i++)
            p[i] = 0;
    }
    dal__free(b->data);
    memset(b, 0, sizeof *b);
}
