#include "sql_split.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"

static bool word_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* The keyword kw at p, standing alone. */
static bool keyword_at(const char *text, const char *p, const char *kw)
{
    size_t n = strlen(kw);
    return (p == text || !word_char(p[-1])) && !strncasecmp(p, kw, n) && !word_char(p[n]);
}

/* Length of a dollar-quote tag at p ($$ or $tag$), or 0. */
static size_t dollar_tag(const char *p)
{
    if (*p != '$') return 0;
    size_t i = 1;
    if (isdigit((unsigned char)p[1])) return 0; /* $1 is a parameter */
    while (word_char(p[i]))
        i++;
    return p[i] == '$' ? i + 1 : 0;
}

/* Length of what cannot hold a statement's end at p: a quoted string or
 * identifier, a dollar-quoted body, a comment; 0 for anything else. */
static size_t opaque_length(const char *p)
{
    if (*p == '\'' || *p == '"') {
        size_t i = 1;
        for (; p[i]; i++)
            if (p[i] == *p) {
                if (p[i + 1] != *p) return i + 1;
                i++; /* doubled: a literal quote */
            }
        return i;
    }
    if (p[0] == '-' && p[1] == '-') return strcspn(p, "\n");
    if (p[0] == '/' && p[1] == '*') { /* PostgreSQL nests them */
        size_t i = 2;
        int depth = 1;
        while (p[i] && depth) {
            if (p[i] == '/' && p[i + 1] == '*') depth++, i++;
            else if (p[i] == '*' && p[i + 1] == '/') depth--, i++;
            i++;
        }
        return i;
    }
    size_t tag = dollar_tag(p);
    if (tag) {
        const char *end = p + tag;
        while ((end = strchr(end, '$')) != NULL && strncmp(end, p, tag) != 0)
            end++;
        return end ? (size_t)(end + tag - p) : strlen(p);
    }
    return 0;
}

static int count_lines(const char *from, const char *to)
{
    int n = 0;
    for (; from < to; from++)
        n += *from == '\n';
    return n;
}

/* Adds text[start, end) unless it holds only blanks and comments. */
static int add(const char *text, const char *start, const char *end, dal__sql_statement **out,
               size_t *count, size_t *cap)
{
    const char *p = start;
    for (;;) {
        while (p < end && isspace((unsigned char)*p))
            p++;
        bool comment = p < end && ((p[0] == '-' && p[1] == '-') || (p[0] == '/' && p[1] == '*'));
        if (!comment) break;
        p += opaque_length(p);
    }
    if (p >= end) return 0;
    if (*count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        dal__sql_statement *grown = dal__realloc(*out, ncap * sizeof *grown);
        if (!grown) return -1;
        *out = grown;
        *cap = ncap;
    }
    char *sql = dal__strndup(p, (size_t)(end - p));
    if (!sql) return -1;
    (*out)[*count].sql = sql;
    (*out)[*count].line = 1 + count_lines(text, p);
    (*count)++;
    return 0;
}

int dal__sql_split(const char *text, dal__sql_statement **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    size_t cap = 0;
    const char *start = text, *p = text;
    bool trigger = false, body = false; /* in CREATE TRIGGER; in its BEGIN ... END */
    int cases = 0;
    while (*p) {
        size_t skip = opaque_length(p);
        if (skip) {
            p += skip;
            continue;
        }
        if (keyword_at(text, p, "TRIGGER")) trigger = true;
        if (trigger && !body && keyword_at(text, p, "BEGIN")) body = true;
        if (body && keyword_at(text, p, "CASE")) cases++;
        if (body && keyword_at(text, p, "END")) {
            if (cases)
                cases--;
            else
                body = false;
        }
        if (*p == ';' && !body) {
            if (add(text, start, p, out, count, &cap)) {
                dal__sql_statements_free(*out, *count);
                *out = NULL;
                *count = 0;
                return -1;
            }
            start = p + 1;
            trigger = false;
        }
        p++;
    }
    if (add(text, start, p, out, count, &cap)) {
        dal__sql_statements_free(*out, *count);
        *out = NULL;
        *count = 0;
        return -1;
    }
    return 0;
}

void dal__sql_statements_free(dal__sql_statement *s, size_t count)
{
    for (size_t i = 0; i < count; i++)
        dal__free(s[i].sql);
    dal__free(s);
}
