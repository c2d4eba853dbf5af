/* Read your own writes across sessions (PostgreSQL with standbys): after a
 * commit, a token names the primary's WAL position (pg_current_wal_lsn(),
 * at or past the commit's record); a read-only session opened with it is
 * served by a standby that has replayed that far, otherwise by the
 * primary. Backends whose reads always see the last commit (one SQLite
 * file, one MariaDB server) give the empty token, which asks nothing. */
#include <ctype.h>
#include <string.h>

#include "engine_internal.h"
#include "error_internal.h"

/* A WAL position as PostgreSQL writes it: hex digits, '/', hex digits. */
static bool is_position(const char *t)
{
    const char *slash = strchr(t, '/');
    if (!slash || slash == t || !slash[1] || strlen(t) > 17) return false;
    for (const char *p = t; *p; p++)
        if (p != slash && !isxdigit((unsigned char)*p)) return false;
    return true;
}

int dal_session_commit_token(dal_session *s, char *buf, size_t size, dal_error *err)
{
    if (!s || !s->engine || !buf || !size)
        return dal__error_set(err, DAL_EMISUSE, "dal_session_commit_token: NULL or empty argument");
    const dal__dialect *d = s->engine->dialect;
    if (s->read_only || s->in_txn || dal__defer_pending(s))
        return dal__error_set(err, DAL_EMISUSE,
                              "dal_session_commit_token: call it after dal_session_commit, in "
                              "a normal session");
    if (!d->commit_token_sql) {
        if (s->engine->url.nhosts > 1) /* MariaDB host lists: causal_reads is the way */
            return dal__error_set(err, DAL_EMISUSE,
                                  "commit tokens are for PostgreSQL standbys; a MariaDB cluster "
                                  "reads its own writes with causal_reads=true");
        buf[0] = '\0';
        return DAL_OK;
    }
    dal_result *r;
    int rc = dal_session_query(s, d->commit_token_sql, NULL, 0, &r, err);
    if (rc) return rc;
    const char *text = NULL;
    if ((rc = dal_result_next(r, err)) == DAL_ROW) rc = dal_result_text(r, 0, &text, NULL, err);
    if (rc == DAL_OK && strlen(text) >= size)
        rc = dal__error_set(err, DAL_ERANGE, "the commit token needs %zu bytes", strlen(text) + 1);
    if (rc == DAL_OK) memcpy(buf, text, strlen(text) + 1);
    dal_result_close(r);
    dal_error ignored;
    dal__error_empty(&ignored);
    dal__txn_end(s, false, &ignored); /* only the question ran in it */
    return rc == DAL_DONE ? dal__error_set(err, DAL_EODBC, "no WAL position returned") : rc;
}

int dal_session_open_read_only_after(dal_engine *e, const char *token, dal_session **out,
                                     dal_error *err)
{
    if (!out)
        return dal__error_set(err, DAL_EMISUSE, "dal_session_open_read_only_after: out is NULL");
    *out = NULL;
    if (!e || !token)
        return dal__error_set(err, DAL_EMISUSE,
                              "dal_session_open_read_only_after: engine or token is NULL");
    if (!*token) return dal_session_open_read_only(e, out, err);
    if (!e->dialect->caught_up_sql || !is_position(token))
        return dal__error_set(err, DAL_EMISUSE, "'%.40s' is not a commit token of this engine",
                              token);
    int rc = dal_session_open_read_only(e, out, err);
    if (rc || e->reads == &e->pool) return rc;
    dal_value v[1] = {dal_text(token)};
    dal_result *r;
    int64_t caught_up = 0;
    rc = dal_session_query(*out, e->dialect->caught_up_sql, v, 1, &r, err);
    if (!rc) {
        if ((rc = dal_result_next(r, err)) == DAL_ROW) rc = dal_result_int64(r, 0, &caught_up, err);
        dal_result_close(r);
    }
    if (rc == DAL_OK && caught_up) return DAL_OK;
    dal_session_close(*out); /* behind, or it could not tell: the primary serves */
    *out = NULL;
    return dal__session_open_read_only_in(&e->pool, out, err);
}
