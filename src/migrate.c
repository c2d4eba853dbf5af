/* Running migrations: the history table, the lock between deployers, one
 * transaction per migration with its history row, and the checks that
 * refuse to go on when the files and the history disagree. */
#include "dal/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "engine_internal.h"
#include "error_internal.h"
#include "migrations_dir.h"
#include "sql_split.h"

static const char create_history[] =
    "CREATE TABLE IF NOT EXISTS dal_schema_migrations (version BIGINT PRIMARY KEY, "
    "name VARCHAR(200) NOT NULL, checksum VARCHAR(64) NOT NULL, applied_at TIMESTAMP NOT NULL, "
    "duration_ms BIGINT NOT NULL, failed INTEGER NOT NULL DEFAULT 0)";

typedef struct history_row {
    int64_t version;
    char name[200];
    char checksum[65];
    bool failed;
} history_row;

typedef struct history {
    history_row *rows;
    size_t count;
} history;

const char *dal_migration_state_name(dal_migration_state state)
{
    switch (state) {
    case DAL_MIGRATION_PENDING: return "pending";
    case DAL_MIGRATION_APPLIED: return "applied";
    case DAL_MIGRATION_CHANGED: return "changed";
    case DAL_MIGRATION_MISSING: return "missing";
    case DAL_MIGRATION_FAILED: return "failed";
    }
    return "unknown";
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Takes the lock between deployers for the current transaction: waits
 * while another holds it, no longer than pool_timeout. */
static int lock(dal_session *s, dal_error *err)
{
    const dal__dialect *d = s->engine->dialect;
    if (!d->migration_lock_sql) return DAL_OK; /* the backend offers none */
    double deadline = dal__now_precise() + s->engine->pool_timeout;
    for (;;) {
        dal_error local = DAL_ERROR_INIT;
        dal_result *r = NULL;
        bool got = true;
        int rc = dal_session_query(s, d->migration_lock_sql, NULL, 0, &r, &local);
        if (!rc && dal_result_column_count(r) > 0) { /* try-lock: true or false */
            rc = dal_result_next(r, &local);
            rc = rc == DAL_ROW ? dal_result_bool(r, 0, &got, &local) : (int)local.code;
        }
        dal_result_close(r);
        if (!rc && got) return DAL_OK;
        if (rc && rc != DAL_EBUSY) return dal__error_copy(err, &local);
        dal_session_rollback(s, NULL);
        if (dal__now_precise() > deadline)
            return dal__error_set(err, DAL_ETIMEOUT,
                                  "another deployer held the migration lock longer than "
                                  "pool_timeout=%gs",
                                  s->engine->pool_timeout);
        usleep(50000);
    }
}

static int ensure_history(dal_session *s, dal_error *err)
{
    /* An advisory lock needs no table: take it first, as two CREATE TABLE IF
     * NOT EXISTS at once can collide on PostgreSQL. SQLite serialises the
     * create itself; its lock is a write to the history. */
    bool advisory = s->engine->dialect->migration_lock_is_advisory;
    int rc = advisory ? lock(s, err) : DAL_OK;
    if (!rc) rc = dal_session_exec(s, create_history, NULL, 0, NULL, err);
    if (!rc) rc = dal_session_commit(s, err);
    if (rc) dal_session_rollback(s, NULL);
    return rc;
}

static void history_free(history *h)
{
    dal__free(h->rows);
    h->rows = NULL;
    h->count = 0;
}

/* The history as it is now (inside the caller's transaction). */
static int read_history(dal_session *s, history *h, dal_error *err)
{
    history_free(h);
    dal_result *r;
    int rc = dal_session_query(
        s, "SELECT version, name, checksum, failed FROM dal_schema_migrations ORDER BY version",
        NULL, 0, &r, err);
    if (rc) return rc;
    size_t cap = 0;
    while ((rc = dal_result_next(r, err)) == DAL_ROW) {
        if (h->count == cap) {
            cap = cap ? cap * 2 : 32;
            history_row *grown = dal__realloc(h->rows, cap * sizeof *grown);
            if (!grown) {
                rc = dal__error_nomem(err);
                break;
            }
            h->rows = grown;
        }
        history_row *row = &h->rows[h->count];
        const char *name, *sum;
        int64_t failed;
        if ((rc = dal_result_int64(r, 0, &row->version, err)) ||
            (rc = dal_result_text(r, 1, &name, NULL, err)) ||
            (rc = dal_result_text(r, 2, &sum, NULL, err)) ||
            (rc = dal_result_int64(r, 3, &failed, err)))
            break;
        snprintf(row->name, sizeof row->name, "%s", name);
        snprintf(row->checksum, sizeof row->checksum, "%s", sum);
        row->failed = failed != 0;
        h->count++;
    }
    dal_result_close(r);
    return rc == DAL_DONE ? DAL_OK : rc;
}

static const history_row *applied(const history *h, int64_t version)
{
    for (size_t i = 0; i < h->count; i++)
        if (h->rows[i].version == version) return &h->rows[i];
    return NULL;
}

static const dal__migration_file *file_of(const dal__migrations *m, int64_t version)
{
    for (size_t i = 0; i < m->count; i++)
        if (m->files[i].version == version) return &m->files[i];
    return NULL;
}

static dal_migration_state state_of(const dal__migrations *m, const history_row *row)
{
    const dal__migration_file *f = file_of(m, row->version);
    if (row->failed) return DAL_MIGRATION_FAILED;
    if (!f) return DAL_MIGRATION_MISSING;
    return strcmp(f->checksum, row->checksum) ? DAL_MIGRATION_CHANGED : DAL_MIGRATION_APPLIED;
}

/* A migration claimed in the history and not marked done: it runs outside
 * a transaction in another deployer now, or it failed there. */
static int unresolved(int64_t version, const char *what, dal_error *err)
{
    return dal__error_set(
        err, DAL_EMIGRATE,
        "migration %lld (%s) is claimed but not done: another deployer is still running it, or it "
        "failed outside a transaction and may be half applied. Nothing after it runs until it is "
        "done. If no deployer is running it: check the schema by hand, then DELETE FROM "
        "dal_schema_migrations WHERE version = %lld to run it again, or UPDATE "
        "dal_schema_migrations SET failed = 0 WHERE version = %lld to count it as applied",
        (long long)version, what, (long long)version, (long long)version);
}

/* Files and history must agree before anything runs. */
static int check_agreement(const dal__migrations *m, const history *h, dal_error *err)
{
    for (size_t i = 0; i < h->count; i++) {
        const history_row *row = &h->rows[i];
        const dal__migration_file *f = file_of(m, row->version);
        switch (state_of(m, row)) {
        case DAL_MIGRATION_FAILED: return unresolved(row->version, f ? f->path : row->name, err);
        case DAL_MIGRATION_MISSING:
            return dal__error_set(err, DAL_EMIGRATE,
                                  "migration %lld (%s) is applied but no longer in the directory",
                                  (long long)row->version, row->name);
        case DAL_MIGRATION_CHANGED:
            return dal__error_set(err, DAL_EMIGRATE,
                                  "%s changed after it was applied (checksum %.12s..., applied "
                                  "%.12s...): add a new migration instead",
                                  f->path, f->checksum, row->checksum);
        default: break;
        }
    }
    return DAL_OK;
}

/* Runs every statement of text; a failure names the file and the line. */
static int run_statements(dal_session *s, const char *path, const char *text, dal_error *err)
{
    dal__sql_statement *stmts;
    size_t n;
    if (dal__sql_split(text, &stmts, &n)) return dal__error_nomem(err);
    int rc = DAL_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        dal_error local = DAL_ERROR_INIT;
        rc = dal_session_exec(s, stmts[i].sql, NULL, 0, NULL, &local);
        if (rc) {
            char message[sizeof local.message + 64];
            snprintf(message, sizeof message, "%s:%d: %s", path, stmts[i].line, local.message);
            memcpy(local.message, message, sizeof local.message - 1);
            local.message[sizeof local.message - 1] = '\0';
            dal__error_copy(err, &local);
        }
    }
    dal__sql_statements_free(stmts, n);
    return rc;
}

/* Runs text statement by statement, each in autocommit (whatever the
 * engine's lazy_begin), and returns the connection to its mode. */
static int run_in_autocommit(dal_session *s, const char *path, const char *text, dal_error *err)
{
    int rc = dal__conn_set_manual(s->conn, false, err);
    s->autocommit = true;
    if (!rc) rc = run_statements(s, path, text, err);
    s->autocommit = false;
    dal_error ignored = DAL_ERROR_INIT;
    int back = dal__conn_set_manual(s->conn, !s->engine->lazy_begin, &ignored);
    return rc ? rc : back ? dal__error_copy(err, &ignored) : DAL_OK;
}

static int record(dal_session *s, const dal__migration_file *f, int64_t duration_ms, bool failed,
                  dal_error *err)
{
    dal_value v[] = {dal_int64(f->version), dal_text(f->name),          dal_text(f->checksum),
                     dal_timestamp_us(now_us()), dal_int64(duration_ms), dal_int64(failed)};
    return dal_session_exec(s,
                            "INSERT INTO dal_schema_migrations (version, name, checksum, "
                            "applied_at, duration_ms, failed) VALUES (?, ?, ?, ?, ?, ?)",
                            v, 6, NULL, err);
}

/* Locks, and tells whether version is in the history now (another deployer
 * may have applied it meanwhile). */
static int lock_and_look(dal_session *s, int64_t version, bool *present, dal_error *err)
{
    int rc = lock(s, err);
    if (rc) return rc;
    /* Read under the lock: the history may have moved since it was loaded,
     * and a claim another deployer made meanwhile stops this one here. */
    dal_value v = dal_int64(version);
    dal_result *r;
    rc = dal_session_query(s,
                           "SELECT COUNT(CASE WHEN version = ? THEN 1 END), "
                           "COALESCE(MIN(CASE WHEN failed <> 0 THEN version END), 0), "
                           "(SELECT name FROM dal_schema_migrations WHERE failed <> 0 ORDER BY "
                           "version LIMIT 1) FROM dal_schema_migrations",
                           &v, 1, &r, err);
    int64_t n = 0, claimed = 0;
    if (!rc) {
        int next = dal_result_next(r, err);
        rc = next == DAL_ROW ? dal_result_int64(r, 0, &n, err)
             : next == DAL_DONE
                 ? dal__error_set(err, DAL_EODBC, "the history query returned no row")
                 : next;
        if (!rc) rc = dal_result_int64(r, 1, &claimed, err);
        const char *name = NULL;
        if (!rc && claimed) rc = dal_result_text(r, 2, &name, NULL, err);
        if (!rc && claimed) rc = unresolved(claimed, name, err);
        dal_result_close(r);
    }
    *present = n > 0;
    return rc;
}

/* One migration and its history row in one transaction. */
static int apply_in_transaction(dal_session *s, const dal__migration_file *f, bool *ran,
                                dal_error *err)
{
    bool present;
    int rc = lock_and_look(s, f->version, &present, err);
    if (!rc && present) return dal_session_rollback(s, err); /* someone else did it */
    double started = dal__now_precise();
    if (!rc) rc = run_statements(s, f->path, f->up, err);
    if (!rc) rc = record(s, f, (int64_t)((dal__now_precise() - started) * 1000), false, err);
    if (!rc) rc = dal_session_commit(s, err);
    if (rc) dal_session_rollback(s, NULL);
    *ran = !rc;
    return rc;
}

/* A "-- dal:no-transaction" file: claimed in the history as failed first,
 * run statement by statement in autocommit, then marked done. A failure
 * leaves the claim: the next run refuses until a person resolves it. */
static int apply_outside_transaction(dal_session *s, const dal__migration_file *f, bool *ran,
                                     dal_error *err)
{
    bool present;
    int rc = lock_and_look(s, f->version, &present, err);
    if (!rc && present) return dal_session_rollback(s, err);
    if (!rc) rc = record(s, f, -1, true, err);
    if (!rc) rc = dal_session_commit(s, err);
    if (rc) {
        dal_session_rollback(s, NULL);
        return rc;
    }
    double started = dal__now_precise();
    rc = run_in_autocommit(s, f->path, f->up, err);
    if (rc) return rc;
    dal_value v[] = {dal_int64((int64_t)((dal__now_precise() - started) * 1000)),
                     dal_int64(f->version)};
    rc = dal_session_exec(s,
                          "UPDATE dal_schema_migrations SET failed = 0, duration_ms = ? WHERE "
                          "version = ?",
                          v, 2, NULL, err);
    if (!rc) rc = dal_session_commit(s, err);
    *ran = !rc;
    return rc;
}

static int revert(dal_session *s, const dal__migration_file *f, bool *ran, dal_error *err)
{
    bool present;
    int rc = lock_and_look(s, f->version, &present, err);
    if (!rc && !present) return dal_session_rollback(s, err); /* someone else did it */
    dal_value v = dal_int64(f->version);
    if (!rc && (f->no_transaction || s->engine->dialect->ddl_commits)) {
        /* Claimed first, as going up: a failure midway (DDL that committed
         * at once) stays recorded as failed, never as applied. */
        rc = dal_session_exec(s, "UPDATE dal_schema_migrations SET failed = 1 WHERE version = ?",
                              &v, 1, NULL, err);
        if (!rc) rc = dal_session_commit(s, err);
        if (!rc) rc = run_in_autocommit(s, f->down_path, f->down, err);
        if (rc) {
            dal_session_rollback(s, NULL);
            return rc;
        }
    } else if (!rc) {
        rc = run_statements(s, f->down_path, f->down, err);
    }
    if (!rc)
        rc = dal_session_exec(s, "DELETE FROM dal_schema_migrations WHERE version = ?", &v, 1,
                              NULL, err);
    if (!rc) rc = dal_session_commit(s, err);
    if (rc) dal_session_rollback(s, NULL);
    *ran = !rc;
    return rc;
}

/* Reads the directory and the history (creating the table if needed). */
static int load(dal_engine *e, const char *dir, dal_session **s, dal__migrations *m, history *h,
                dal_error *err)
{
    memset(h, 0, sizeof *h);
    if (!e) return dal__error_set(err, DAL_EMISUSE, "engine is NULL");
    int rc = dal__migrations_read(dir, m, err);
    if (rc) return rc;
    rc = dal_session_open(e, s, err);
    if (!rc) (*s)->eager = true; /* the lock is a read: it must hold a transaction */
    if (!rc) rc = ensure_history(*s, err);
    if (!rc) rc = read_history(*s, h, err);
    if (!rc) rc = dal_session_rollback(*s, err);
    if (rc) {
        dal_session_close(*s);
        *s = NULL;
        dal__migrations_free(m);
        history_free(h);
    }
    return rc;
}

int dal_migrate_to(dal_engine *e, const char *dir, int64_t target, size_t *ran, dal_error *err)
{
    if (ran) *ran = 0;
    dal_session *s;
    dal__migrations m;
    history h;
    int rc = load(e, dir, &s, &m, &h, err);
    if (rc) return rc;
    rc = check_agreement(&m, &h, err);
    /* Down first: the history's versions above target, newest first. */
    for (size_t i = h.count; !rc && i-- > 0;) {
        if (h.rows[i].version <= target) continue;
        const dal__migration_file *f = file_of(&m, h.rows[i].version);
        if (!f->down) {
            rc = dal__error_set(err, DAL_EMIGRATE,
                                "%s has no .down.sql: cannot go below version %lld", f->path,
                                (long long)f->version);
            break;
        }
        bool did = false;
        rc = revert(s, f, &did, err);
        if (did && ran) (*ran)++;
    }
    for (size_t i = 0; !rc && i < m.count; i++) {
        const dal__migration_file *f = &m.files[i];
        if (f->version > target || applied(&h, f->version)) continue;
        bool did = false;
        rc = f->no_transaction || e->dialect->ddl_commits
                 ? apply_outside_transaction(s, f, &did, err)
                 : apply_in_transaction(s, f, &did, err);
        if (did && ran) (*ran)++;
    }
    dal_session_close(s);
    dal__migrations_free(&m);
    history_free(&h);
    return rc;
}

static int by_version(const void *a, const void *b)
{
    int64_t x = ((const dal_migration_status *)a)->version;
    int64_t y = ((const dal_migration_status *)b)->version;
    return x < y ? -1 : x > y;
}

int dal_migrate_status(dal_engine *e, const char *dir, dal_migration_status **out, size_t *count,
                       dal_error *err)
{
    if (!out || !count) return dal__error_set(err, DAL_EMISUSE, "out or count is NULL");
    *out = NULL;
    *count = 0;
    dal_session *s;
    dal__migrations m;
    history h;
    int rc = load(e, dir, &s, &m, &h, err);
    if (rc) return rc;
    dal_migration_status *list = m.count + h.count ? calloc(m.count + h.count, sizeof *list) : NULL;
    if (m.count + h.count && !list) rc = dal__error_nomem(err);
    size_t n = 0;
    for (size_t i = 0; !rc && i < h.count; i++) {
        list[n].version = h.rows[i].version;
        snprintf(list[n].name, sizeof list[n].name, "%s", h.rows[i].name);
        list[n++].state = state_of(&m, &h.rows[i]);
    }
    for (size_t i = 0; !rc && i < m.count; i++) {
        if (applied(&h, m.files[i].version)) continue;
        list[n].version = m.files[i].version;
        snprintf(list[n].name, sizeof list[n].name, "%s", m.files[i].name);
        list[n++].state = DAL_MIGRATION_PENDING;
    }
    if (!rc && n) qsort(list, n, sizeof *list, by_version);
    dal_session_close(s);
    dal__migrations_free(&m);
    history_free(&h);
    if (rc) {
        free(list);
        return rc;
    }
    *out = list;
    *count = n;
    return DAL_OK;
}
