/* Behind PgBouncer in transaction mode, each transaction may run on another
 * server connection: nothing may rely on the server session. dal then
 * executes every statement unprepared (no named server-side statement
 * outlives its transaction), sends no reset at check-in, and refuses the
 * statements that would need the same server session later. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "../drivers/dialect.h"
#include "engine_internal.h"
#include "error_internal.h"
#include "pooler.h"
#include "sqltext.h"

int dal__pooler_check_url(const dal__url *u, dal_error *err)
{
    if (!u->has_pooler || u->pooler == DAL__POOLER_NONE) return DAL_OK;
    if (u->dialect != &dal__dialect_postgresql)
        return dal__error_set(err, DAL_EURL, "query key pooler: for PostgreSQL behind PgBouncer "
                                             "(%s URLs connect to the server itself)",
                              u->dialect->name);
    const char *declare = dal__url_param_get(u, "UseDeclareFetch");
    if (!declare) declare = dal__url_param_get(u, "B6"); /* psqlODBC's short key */
    if (u->pooler == DAL__POOLER_TRANSACTION && declare && strcmp(declare, "0") != 0)
        return dal__error_set(err, DAL_EURL,
                              "UseDeclareFetch with pooler=transaction: psqlODBC's cursors would "
                              "outlive the transaction, on a server connection the pooler has "
                              "given to another client");
    return DAL_OK;
}

/* The next word of sql after p (blanks and comments skipped), upper-cased
 * into word; returns where it ends. */
static const char *next_word(const char *p, char *word, size_t size)
{
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        size_t n = dal__sql_comment_length(p);
        if (!n) break;
        p += n;
    }
    size_t k = 0;
    while ((isalnum((unsigned char)*p) || *p == '_') && k + 1 < size)
        word[k++] = (char)toupper((unsigned char)*p++);
    word[k] = '\0';
    return p;
}

/* Calls the next word of sql from p into word (upper-cased), skipping
 * blanks, comments, quoted text and punctuation; NULL at the end. */
static const char *next_token(const char *p, char *word, size_t size)
{
    while (*p) {
        size_t skip = dal__sql_comment_length(p);
        if (!skip) skip = dal__sql_quoted_length(p);
        if (skip) {
            p += skip;
            continue;
        }
        if (isalnum((unsigned char)*p) || *p == '_') return next_word(p, word, size);
        p++;
    }
    return NULL;
}

/* The words of phrase ("ON COMMIT DROP"), one after the other, outside
 * quotes and comments. */
static bool has_phrase(const char *sql, const char *phrase)
{
    char words[4][32], token[32];
    int n = 0;
    for (const char *w = phrase; *w && n < 4; n++)
        w = next_word(w, words[n], sizeof words[n]);
    int matched = 0;
    for (const char *p = next_token(sql, token, sizeof token); p;
         p = next_token(p, token, sizeof token)) {
        matched = !strcmp(token, words[matched]) ? matched + 1 : !strcmp(token, words[0]);
        if (matched == n) return true;
    }
    return false;
}

/* A call of function outside quotes and comments. */
static bool calls(const char *sql, const char *function)
{
    char token[64];
    for (const char *p = next_token(sql, token, sizeof token); p;
         p = next_token(p, token, sizeof token)) {
        if (strcasecmp(token, function)) continue;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '(') return true;
    }
    return false;
}

static bool contains_advisory(const char *sql)
{
    for (const char *p = sql; *p; p++)
        if ((*p | 32) == 'a' && !strncasecmp(p, "advisory", 8)) return true;
    return false;
}

static int refuse(dal_error *err, const char *what, const char *instead)
{
    return dal__error_set(err, DAL_EMISUSE,
                          "%s cannot work behind pooler=transaction (PgBouncer transaction "
                          "pooling): the next transaction may run on another server connection; "
                          "%s",
                          what, instead);
}

int dal__pooler_check_sql(const char *sql, dal_error *err)
{
    char verb[32], second[32], third[32];
    const char *p = next_word(sql, verb, sizeof verb);
    p = next_word(p, second, sizeof second);
    next_word(p, third, sizeof third);
    if (!strcmp(verb, "LISTEN"))
        return refuse(err, "LISTEN", "notifications need a connection of their own, not pooled");
    if (!strcmp(verb, "SET") && strcmp(second, "LOCAL") && strcmp(second, "TRANSACTION") &&
        strcmp(second, "CONSTRAINTS"))
        return refuse(err, "SET without LOCAL", "use SET LOCAL inside the transaction");
    if (!strcmp(verb, "RESET") || !strcmp(verb, "DISCARD"))
        return refuse(err, verb, "settings made with SET LOCAL end with their transaction");
    if (!strcmp(verb, "PREPARE") || !strcmp(verb, "EXECUTE") || !strcmp(verb, "DEALLOCATE"))
        return refuse(err, "SQL PREPARE, EXECUTE and DEALLOCATE",
                      "dal prepares statements itself (dal_session_prepare)");
    if (!strcmp(verb, "DECLARE") && has_phrase(sql, "WITH HOLD"))
        return refuse(err, "a cursor WITH HOLD", "read the result inside its transaction");
    bool temporary = !strcmp(second, "TEMP") || !strcmp(second, "TEMPORARY") ||
                     ((!strcmp(second, "GLOBAL") || !strcmp(second, "LOCAL")) &&
                      (!strcmp(third, "TEMP") || !strcmp(third, "TEMPORARY")));
    if (!strcmp(verb, "CREATE") && temporary && !has_phrase(sql, "ON COMMIT DROP"))
        return refuse(err, "a temporary table that outlives its transaction",
                      "create it with ON COMMIT DROP");
    if (!contains_advisory(sql)) return DAL_OK; /* most statements: one pass */
    static const char *const session_locks[] = {"pg_advisory_lock",  "pg_advisory_lock_shared",
                                                "pg_try_advisory_lock",
                                                "pg_try_advisory_lock_shared",
                                                "pg_advisory_unlock", "pg_advisory_unlock_shared",
                                                "pg_advisory_unlock_all"};
    for (size_t i = 0; i < sizeof session_locks / sizeof session_locks[0]; i++)
        if (calls(sql, session_locks[i]))
            return refuse(err, "a session advisory lock",
                          "use pg_advisory_xact_lock, released at the transaction's end");
    return DAL_OK;
}

int dal__pooler_begin_read_only(dal_session *s, dal_error *err)
{
    int rc = dal__conn_set_manual(s->conn, true, err);
    if (rc) return rc;
    s->in_txn = true;
    s->txn_later = false;
    /* psqlODBC sends it in BEGIN's message */
    return dal__conn_exec_direct(s->conn, "SET TRANSACTION READ ONLY", err);
}
