/* Fuzz target: removing comments from SQL text before sqliteodbc sees it
 * (dal__sql_strip_comments). Oracle: a reference of its own, written apart
 * from the library's, with SQLite's rules: '...', "..." and `...` with
 * doubled quotes, [...], -- to the end of the line, slash-star comments
 * that do not nest. Everything outside a comment must come out byte for
 * byte, each comment as one blank, and nothing else may change. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "sqltext.h"

/* The reference: in (NUL-terminated) to out (as large as in + 1). */
static void reference(const char *in, char *out)
{
    size_t o = 0;
    const char *p = in;
    while (*p) {
        char c = *p;
        if (c == '\'' || c == '"' || c == '`' || c == '[') {
            char close = c == '[' ? ']' : c;
            out[o++] = *p++;
            while (*p) {
                char d = *p;
                out[o++] = *p++;
                if (d != close) continue;
                if (close != ']' && *p == close) { /* doubled: still inside */
                    out[o++] = *p++;
                    continue;
                }
                break;
            }
        } else if (c == '-' && p[1] == '-') {
            out[o++] = ' ';
            while (*p && *p != '\n')
                p++;
        } else if (c == '/' && p[1] == '*') {
            out[o++] = ' ';
            p += 2;
            while (*p && !(p[0] == '*' && p[1] == '/'))
                p++;
            if (*p) p += 2;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1);
    if (!in) return 0;
    memcpy(in, data, size);
    in[size] = '\0'; /* the SQL a program passes is NUL-terminated */
    char *want = malloc(strlen(in) + 1);
    char *got = NULL;
    if (want && dal__sql_strip_comments(in, &got) == 0) {
        reference(in, want);
        const char *have = got ? got : in;
        if (strcmp(have, want) != 0) {
            fprintf(stderr, "strip_comments:\n  in:   %s\n  got:  %s\n  want: %s\n", in, have, want);
            abort();
        }
    }
    dal__free(got);
    free(want);
    free(in);
    return 0;
}
