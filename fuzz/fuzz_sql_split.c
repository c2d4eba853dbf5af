/* Fuzz target: splitting migration files into statements (dal__sql_split).
 * Oracle: the pieces are the input's own statements, in order and whole.
 * Each piece is the text at its place in the input, its line number is
 * that place's, it ends at a ';' or at the end of the input, and what lies
 * between two pieces is only ';', blanks and comments: no SQL is lost,
 * changed, or moved from one statement to another. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_split.h"

/* Past blanks, comments (-- to the line's end, nested slash-star) and ';'
 * from p, stopping at end. */
static const char *skip_separators(const char *p, const char *end)
{
    while (p < end) {
        if (isspace((unsigned char)*p) || *p == ';') {
            p++;
        } else if (p[0] == '-' && p + 1 < end && p[1] == '-') {
            while (p < end && *p != '\n')
                p++;
        } else if (p[0] == '/' && p + 1 < end && p[1] == '*') {
            int depth = 0;
            do {
                if (p + 1 < end && p[0] == '/' && p[1] == '*') depth++, p += 2;
                else if (p + 1 < end && p[0] == '*' && p[1] == '/') depth--, p += 2;
                else p++;
            } while (p < end && depth > 0);
        } else {
            break;
        }
    }
    return p;
}

static int line_of(const char *text, const char *p)
{
    int n = 1;
    for (; text < p; text++)
        n += *text == '\n';
    return n;
}

static void fail(const char *why, const char *text, size_t i)
{
    fprintf(stderr, "sql_split: %s (statement %zu) in:\n%s\n", why, i, text);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    const char *end = text + strlen(text);
    dal__sql_statement *st;
    size_t n;
    if (dal__sql_split(text, &st, &n) != 0) {
        free(text);
        return 0;
    }
    const char *at = text;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(st[i].sql);
        /* Only separators before it: the piece starts where the SQL does. */
        const char *place = skip_separators(at, end);
        if (!len) fail("an empty statement", text, i);
        if (strncmp(place, st[i].sql, len) != 0)
            fail("a statement that is not the input's text at its place (SQL lost or changed)",
                 text, i);
        if (st[i].line != line_of(text, place)) fail("a wrong line number", text, i);
        if (place[len] != ';' && place + len != end) fail("a statement cut short", text, i);
        at = place + len;
    }
    if (skip_separators(at, end) != end) fail("SQL lost after the last statement", text, n);
    dal__sql_statements_free(st, n);
    free(text);
    return 0;
}
