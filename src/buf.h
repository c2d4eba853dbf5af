/* A growable byte buffer, always NUL-terminated. */
#ifndef DAL_BUF_H
#define DAL_BUF_H

#include <stddef.h>

typedef struct dal__buf {
    char *data;
    size_t len;
    size_t cap;
    int failed; /* an allocation failed: the content is incomplete */
} dal__buf;

int dal__buf_reserve(dal__buf *b, size_t extra); /* 0 or -1 */
void dal__buf_append(dal__buf *b, const void *p, size_t n);
void dal__buf_puts(dal__buf *b, const char *s);
void dal__buf_putc(dal__buf *b, char c);
void dal__buf_reset(dal__buf *b);
void dal__buf_free(dal__buf *b); /* wipes the bytes first: they may hold a password */

#endif
