/* Reading SQL text without parsing it: comments, quoted strings and
 * identifiers, and the leading keywords that decide how dal runs a
 * statement (see txn.c and stmt.c). */
#include "sqltext.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"

size_t dal__sql_comment_length(const char *p)
{
    if (p[0] == '-' && p[1] == '-') return strcspn(p, "\n");
    if (p[0] == '/' && p[1] == '*') {
        const char *end = strstr(p + 2, "*/");
        return end ? (size_t)(end + 2 - p) : strlen(p);
    }
    return 0;
}

size_t dal__sql_quoted_length(const char *p)
{
    char close = *p == '\'' ? '\'' : *p == '"' ? '"' : *p == '`' ? '`' : *p == '[' ? ']' : 0;
    if (!close) return 0;
    size_t i = 1;
    for (; p[i]; i++) {
        if (p[i] != close) continue;
        if (close != ']' && p[i + 1] == close) { /* doubled: a literal quote */
            i++;
            continue;
        }
        return i + 1;
    }
    return i; /* unterminated: the rest */
}

/* Skips blanks, comments and opening parentheses. */
static const char *skip_noise(const char *p)
{
    for (;;) {
        while (isspace((unsigned char)*p) || *p == '(')
            p++;
        size_t n = dal__sql_comment_length(p);
        if (!n) return p;
        p += n;
    }
}

static bool is_word_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

static bool starts_with_keyword(const char *p, const char *kw)
{
    size_t n = strlen(kw);
    return strncasecmp(p, kw, n) == 0 && !is_word_char(p[n]);
}

/* Case-insensitive search for a keyword with non-identifier characters on
 * both sides. */
static bool has_keyword(const char *sql, const char *kw)
{
    for (const char *p = sql; *p; p++)
        if ((p == sql || !is_word_char(p[-1])) && starts_with_keyword(p, kw)) return true;
    return false;
}

bool dal__sql_is_plain_read(const char *sql)
{
    const char *p = skip_noise(sql);
    if (!starts_with_keyword(p, "SELECT")) return false;
    /* Locking reads must hold their locks; SELECT INTO creates a table. */
    static const char *const writes[] = {"FOR", "INTO", "NEXTVAL", "SETVAL"};
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++)
        if (has_keyword(p, writes[i])) return false;
    return true;
}

/* A user variable assigned in a query (MariaDB: SELECT @n := ...), outside
 * quotes and comments. */
static bool assigns_variable(const char *sql)
{
    for (const char *p = sql; *p;) {
        size_t n = dal__sql_comment_length(p);
        if (!n) n = dal__sql_quoted_length(p);
        if (n) {
            p += n;
            continue;
        }
        if (p[0] == ':' && p[1] == '=') return true;
        p++;
    }
    return false;
}

bool dal__sql_changes_connection(const char *sql)
{
    const char *p = skip_noise(sql);
    static const char *const verbs[] = {"PRAGMA", "ATTACH", "DETACH", "USE",    "CALL",
                                        "PREPARE", "LOCK",  "HANDLER", "DO"};
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (starts_with_keyword(p, verbs[i])) return true;
    if (starts_with_keyword(p, "SET")) { /* not SET TRANSACTION (the next one only) */
        const char *q = skip_noise(p + 3);
        return !starts_with_keyword(q, "TRANSACTION") && !starts_with_keyword(q, "LOCAL") &&
               !starts_with_keyword(q, "CONSTRAINTS");
    }
    /* CREATE TEMP ..., CREATE ... temp.name, "temp".name: the word anywhere
     * (in a string too: a reset too many costs little). */
    if (starts_with_keyword(p, "CREATE") && (has_keyword(p, "TEMP") || has_keyword(p, "TEMPORARY")))
        return true;
    return has_keyword(sql, "GET_LOCK") || assigns_variable(sql);
}

bool dal__sql_is_cte_write(const char *sql)
{
    const char *p = skip_noise(sql);
    if (!starts_with_keyword(p, "WITH")) return false;
    /* The common table expressions are parenthesised: the statement's own
     * verb is the first one outside every parenthesis. */
    int depth = 0;
    for (p += 4; *p;) {
        size_t n = dal__sql_comment_length(p);
        if (!n) n = dal__sql_quoted_length(p);
        if (n) {
            p += n;
            continue;
        }
        if (*p == '(') depth++;
        if (*p == ')') depth--;
        if (depth == 0 && (p == sql || !is_word_char(p[-1]))) {
            static const char *const writes[] = {"INSERT", "UPDATE", "DELETE", "REPLACE"};
            for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++)
                if (starts_with_keyword(p, writes[i])) return true;
            if (starts_with_keyword(p, "SELECT") || starts_with_keyword(p, "VALUES")) return false;
        }
        p++;
    }
    return false;
}

int dal__sql_strip_comments(const char *sql, char **stripped)
{
    *stripped = NULL;
    if (!strstr(sql, "--") && !strstr(sql, "/*")) return 0;
    char *out = dal__malloc(strlen(sql) + 1);
    if (!out) return -1;
    size_t k = 0;
    for (const char *p = sql; *p;) {
        size_t n = dal__sql_quoted_length(p);
        if (n) {
            memcpy(out + k, p, n);
            k += n;
            p += n;
        } else if ((n = dal__sql_comment_length(p)) != 0) {
            out[k++] = ' '; /* keeps the tokens on either side apart */
            p += n;
        } else {
            out[k++] = *p++;
        }
    }
    out[k] = '\0';
    *stripped = out;
    return 0;
}
