/* Deferred statements (dal_session_defer) on every backend: units of 1, 2
 * and 50 statements, a failure at the first, a middle and the last one (and
 * at COMMIT), a query that must see what was queued, a rollback or a close
 * with a queue (nothing sent), values of every type written exactly, and the
 * events. The round trips are counted in RELIABILITY.md (strace). */
#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "backends.h"

static bool is_pg(const char *backend) { return !strcmp(backend, "postgresql"); }
static bool is_maria(const char *backend) { return !strcmp(backend, "mariadb"); }

static atomic_int statements; /* STATEMENT events */
static void count_statements(const dal_event *ev, void *ctx)
{
    (void)ctx;
    if (ev->kind == DAL_EVENT_STATEMENT) atomic_fetch_add(&statements, 1);
}

static dal_engine *engine(const char *url)
{
    dal_engine_options o;
    dal_engine_options_init(&o);
    o.on_event = count_statements;
    dal_engine *e;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_engine_create(url, &o, &e, &err), err);
    return e;
}

static void fresh_table(dal_engine *e)
{
    dal_session *s = dal_test_session(e);
    dal_error err = DAL_ERROR_INIT;
    dal_test_exec(s, "DROP TABLE IF EXISTS defer_t");
    dal_test_exec(s, "CREATE TABLE defer_t (k INTEGER PRIMARY KEY, v TEXT)");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    dal_session_close(s);
}

static int64_t count_rows(dal_engine *e)
{
    dal_session *s = dal_test_session(e);
    int64_t n = dal_test_scalar(s, "SELECT COUNT(*) FROM defer_t");
    dal_session_close(s);
    return n;
}

DAL_TEST_EACH(defer, units_of_1_2_and_50_statements_commit_whole)
{
    dal_engine *e = engine(url);
    fresh_table(e);
    dal_error err = DAL_ERROR_INIT;
    const size_t sizes[] = {1, 2, 50};
    int key = 0;
    for (size_t u = 0; u < 3; u++) {
        dal_session *s = dal_test_session(e);
        for (size_t i = 0; i < sizes[u]; i++) {
            dal_value p[2] = {dal_int64(++key), dal_text("x")};
            DAL_OK_OR_FAIL(dal_session_defer(s, "INSERT INTO defer_t (k, v) VALUES (?, ?)", p, 2, &err),
                           err);
        }
        int before = atomic_load(&statements);
        DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
        cr_expect_eq(atomic_load(&statements) - before, (int)sizes[u], "one event per statement");
        for (size_t i = 0; i < sizes[u]; i++) {
            int64_t rows = -5;
            DAL_OK_OR_FAIL(dal_session_deferred_rows(s, i, &rows, &err), err);
            cr_expect_eq(rows, 1, "statement %zu of %zu", i, sizes[u]);
        }
        cr_expect_eq(dal_session_deferred_rows(s, sizes[u], &(int64_t){0}, &err), DAL_ERANGE);
        dal_session_close(s);
        cr_expect_eq(count_rows(e), key);
    }
    /* an UPDATE's count, and one that matches nothing */
    dal_session *s = dal_test_session(e);
    dal_value two = dal_int64(2);
    DAL_OK_OR_FAIL(dal_session_defer(s, "UPDATE defer_t SET v = 'y' WHERE k <= ?", &two, 1, &err), err);
    DAL_OK_OR_FAIL(dal_session_defer(s, "DELETE FROM defer_t WHERE k < 0", NULL, 0, &err), err);
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    int64_t rows = -5;
    DAL_OK_OR_FAIL(dal_session_deferred_rows(s, 0, &rows, &err), err);
    cr_expect_eq(rows, 2);
    DAL_OK_OR_FAIL(dal_session_deferred_rows(s, 1, &rows, &err), err);
    cr_expect_eq(rows, 0);
    dal_session_close(s);
    dal_engine_dispose(e);
}

/* A unit of three whose statement `bad` (0-2) fails on a duplicate key:
 * nothing commits, and the message names that statement. */
static void fail_at(dal_engine *e, int bad)
{
    fresh_table(e);
    dal_session *s = dal_test_session(e);
    dal_error err = DAL_ERROR_INIT;
    dal_test_exec(s, "INSERT INTO defer_t VALUES (100, 'there')");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    for (int i = 0; i < 3; i++) {
        dal_value p[2] = {dal_int64(i == bad ? 100 : i + 1), dal_text("new")};
        DAL_OK_OR_FAIL(dal_session_defer(s, "INSERT INTO defer_t (k, v) VALUES (?, ?)", p, 2, &err), err);
    }
    int rc = dal_session_commit(s, &err);
    cr_expect_eq(rc, DAL_ECONSTRAINT, "%s: %s", dal_code_name(rc), err.message);
    char want[64];
    snprintf(want, sizeof want, "deferred statement %d of 3 (INSERT INTO defer_t", bad + 1);
    cr_expect_not_null(strstr(err.message, want), "failing %d: %s", bad + 1, err.message);
    /* the session goes on, in a new transaction */
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM defer_t"), 1, "nothing of the unit committed");
    DAL_OK_OR_FAIL(dal_session_rollback(s, &err), err);
    dal_session_close(s);
    cr_expect_eq(count_rows(e), 1);
}

DAL_TEST_EACH(defer, a_failing_statement_is_named_and_nothing_commits)
{
    dal_engine *e = engine(url);
    for (int bad = 0; bad < 3; bad++)
        fail_at(e, bad);
    /* sent by the next statement instead of the commit: reported there, and
     * the transaction is aborted */
    dal_session *s = dal_test_session(e);
    dal_error err = DAL_ERROR_INIT;
    dal_value p[2] = {dal_int64(100), dal_text("dup")};
    DAL_OK_OR_FAIL(dal_session_defer(s, "INSERT INTO defer_t (k, v) VALUES (?, ?)", p, 2, &err), err);
    dal_result *r;
    int rc = dal_session_query(s, "SELECT COUNT(*) FROM defer_t", NULL, 0, &r, &err);
    cr_expect_eq(rc, DAL_ECONSTRAINT, "%s", err.message);
    cr_expect_not_null(strstr(err.message, "deferred statement 1 of 1"), "%s", err.message);
    dal_error_clear(&err);
    cr_expect_eq(dal_session_commit(s, &err), DAL_EABORTED, "%s", err.message);
    dal_session_close(s);
    dal_engine_dispose(e);
}

Test(defer, a_deferred_constraint_failing_at_commit_is_the_commits_failure_postgresql)
{
    dal_engine *e = engine(dal_test_url("postgresql", ""));
    dal_session *s = dal_test_session(e);
    dal_error err = DAL_ERROR_INIT;
    dal_test_exec(s, "DROP TABLE IF EXISTS defer_late");
    dal_test_exec(s, "CREATE TABLE defer_late (k INTEGER UNIQUE DEFERRABLE INITIALLY DEFERRED)");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    DAL_OK_OR_FAIL(dal_session_defer(s, "INSERT INTO defer_late VALUES (1)", NULL, 0, &err), err);
    DAL_OK_OR_FAIL(dal_session_defer(s, "INSERT INTO defer_late VALUES (1)", NULL, 0, &err), err);
    int rc = dal_session_commit(s, &err);
    cr_expect_eq(rc, DAL_ECONSTRAINT, "%s", err.message);
    cr_expect_not_null(strstr(err.message, "COMMIT failed"), "%s", err.message);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM defer_late"), 0);
    dal_session_rollback(s, &err);
    dal_session_close(s);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(defer, a_query_sees_what_was_queued_and_rollback_or_close_send_nothing)
{
    dal_engine *e = engine(url);
    fresh_table(e);
    dal_session *s = dal_test_session(e);
    dal_error err = DAL_ERROR_INIT;
    dal_value p[2] = {dal_int64(1), dal_text("seen")};
    DAL_OK_OR_FAIL(dal_session_defer(s, "INSERT INTO defer_t (k, v) VALUES (?, ?)", p, 2, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM defer_t WHERE v = 'seen'"), 1);
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    /* a rollback drops the queue: no statement reaches the server */
    int before = atomic_load(&statements);
    p[0] = dal_int64(2);
    DAL_OK_OR_FAIL(dal_session_defer(s, "INSERT INTO defer_t (k, v) VALUES (?, ?)", p, 2, &err), err);
    DAL_OK_OR_FAIL(dal_session_rollback(s, &err), err);
    cr_expect_eq(atomic_load(&statements), before, "a statement ran after the rollback");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    /* a close with a queue is a rollback */
    p[0] = dal_int64(3);
    DAL_OK_OR_FAIL(dal_session_defer(s, "INSERT INTO defer_t (k, v) VALUES (?, ?)", p, 2, &err), err);
    dal_session_close(s);
    cr_expect_eq(atomic_load(&statements), before, "a statement ran at close");
    cr_expect_eq(count_rows(e), 1);
    /* insert_many after a queue: the queue first, then the rows */
    s = dal_test_session(e);
    p[0] = dal_int64(4);
    DAL_OK_OR_FAIL(dal_session_defer(s, "INSERT INTO defer_t (k, v) VALUES (?, ?)", p, 2, &err), err);
    static const char *const cols[] = {"k", "v"};
    dal_value rows[4] = {dal_int64(5), dal_text("a"), dal_int64(6), dal_text("b")};
    DAL_OK_OR_FAIL(dal_session_insert_many(s, "defer_t", cols, 2, rows, 2, NULL, &err), err);
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    dal_session_close(s);
    cr_expect_eq(count_rows(e), 4);
    /* what is refused at once */
    s = dal_test_session(e);
    dal_value nul = dal_textn("a\0b", 3);
    int rc = dal_session_defer(s, "INSERT INTO defer_t (k, v) VALUES (9, ?)", &nul, 1, &err);
    if (is_pg(backend)) cr_expect_eq(rc, DAL_EDATA, "a NUL byte in a literal: %s", err.message);
    dal_error_clear(&err);
    dal_session_rollback(s, &err);
    dal_session_close(s);
    dal_session *r;
    DAL_OK_OR_FAIL(dal_session_open_read_only(e, &r, &err), err);
    cr_expect_eq(dal_session_defer(r, "DELETE FROM defer_t", NULL, 0, &err), DAL_EMISUSE);
    dal_session_close(r);
    dal_engine_dispose(e);
}

/* ---- values of every type ---- */

static const char *const texts[] = {
    "", "plain", "it's", "''", "\\", "\\'", "a\\nb", "'); DROP TABLE defer_types; --",
    "? and $1 and $$ and $tag$", "{fn now()} {d '2020-01-01'}", "Grüße, 日本語, 🙂, ½",
    "E'\\x41'", "line\nbreak\ttab\r", "/* not a comment */ -- nor this",
};
static const double doubles[] = {0.0, -0.0, 0.1, -1.5, 1e-310, DBL_MIN, DBL_MAX, -DBL_MAX,
                                 1.0 / 3.0, 123456789.123456789, 9007199254740993.0, 5e-324};
static const int64_t ints[] = {0, 1, -1, INT64_MAX, INT64_MIN, 9007199254740993LL};
static const int64_t stamps[] = {0, 1, -1, 1700000000123456LL, -62135596800000000LL,
                                 253402300799999999LL, 951782400000000LL};

static void create_types(dal_session *s, const char *backend)
{
    dal_test_exec(s, "DROP TABLE IF EXISTS defer_types");
    dal_test_exec(s, is_pg(backend) ? "CREATE TABLE defer_types (id INTEGER PRIMARY KEY, i BIGINT, d "
                                      "DOUBLE PRECISION, t TEXT, b BYTEA, f BOOLEAN, ts TIMESTAMP, j JSONB)"
                     : is_maria(backend)
                         ? "CREATE TABLE defer_types (id INTEGER PRIMARY KEY, i BIGINT, d DOUBLE, t "
                           "LONGTEXT, b LONGBLOB, f BOOLEAN, ts DATETIME(6), j JSON)"
                         : "CREATE TABLE defer_types (id INTEGER PRIMARY KEY, i BIGINT, d DOUBLE, t "
                           "TEXT, b BLOB, f BOOLEAN, ts TIMESTAMP, j JSON)");
}

DAL_TEST_EACH(defer, values_of_every_type_are_written_exactly)
{
    dal_engine *e = engine(url);
    dal_session *s = dal_test_session(e);
    dal_error err = DAL_ERROR_INIT;
    create_types(s, backend);
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    unsigned char bytes[256];
    for (int i = 0; i < 256; i++)
        bytes[i] = (unsigned char)i;
    json_t *doc = json_pack("{s:s, s:[i, f, b, n], s:s}", "quote", "it's \\ \"x\"", "list", 7, 0.5,
                            1, "u", "🙂");
    const char *sql = "INSERT INTO defer_types (id, i, d, t, b, f, ts, j) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
    size_t rows = 14;
    for (size_t k = 0; k < rows; k++) {
        /* MariaDB's DATETIME(6) holds years 1000-9999 */
        int64_t ts = stamps[k % 7];
        if (is_maria(backend) && ts < -30610224000000000LL) ts = 0;
        dal_value v[8] = {dal_int64(0),
                          dal_int64(ints[k % 6]),
                          dal_double(doubles[k % 12]),
                          dal_text(texts[k]),
                          dal_blob(bytes, (k * 37) % 257),
                          dal_bool(k % 2),
                          dal_timestamp_us(ts),
                          k % 3 ? dal_json(doc) : dal_null()};
        if (k == 5) v[2] = dal_null(), v[3] = dal_null(), v[4] = dal_null();
        v[0] = dal_int64((int64_t)(2 * k + 1)); /* bound */
        DAL_OK_OR_FAIL(dal_session_exec(s, sql, v, 8, NULL, &err), err);
        v[0] = dal_int64((int64_t)(2 * k + 2)); /* deferred: written as literals on PostgreSQL */
        DAL_OK_OR_FAIL(dal_session_defer(s, sql, v, 8, &err), err);
    }
    json_decref(doc);
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    /* each deferred row equals the bound one, column by column */
    const char *same = is_pg(backend) ? "IS NOT DISTINCT FROM" : is_maria(backend) ? "<=>" : "IS";
    const char *cols[] = {"i", "d", "t", "b", "f", "ts", "j"};
    for (size_t c = 0; c < 7; c++) {
        char q[512];
        snprintf(q, sizeof q,
                 "SELECT COUNT(*) FROM defer_types a JOIN defer_types b ON b.id = a.id + 1 WHERE "
                 "a.id %% 2 = 1 AND a.%s %s b.%s",
                 cols[c], same, cols[c]);
        cr_expect_eq(dal_test_scalar(s, q), (int64_t)rows, "column %s differs", cols[c]);
    }
    /* and on PostgreSQL, where they went as literals, the doubles are the
     * values themselves, bit for bit (sqliteodbc reads 15 digits) */
    if (!is_pg(backend)) {
        dal_session_rollback(s, &err);
        dal_session_close(s);
        dal_engine_dispose(e);
        return;
    }
    dal_result *r;
    DAL_OK_OR_FAIL(dal_session_query(s, "SELECT id, d FROM defer_types WHERE id % 2 = 0 ORDER BY id",
                                     NULL, 0, &r, &err),
                   err);
    size_t k = 0;
    while (dal_result_next(r, &err) == DAL_ROW) {
        double d = 0;
        if (k != 5) {
            DAL_OK_OR_FAIL(dal_result_double(r, 1, &d, &err), err);
            double want = doubles[k % 12];
            cr_expect(d == want && signbit(d) == signbit(want), "row %zu: %.17g vs %.17g", k, d, want);
        }
        k++;
    }
    dal_result_close(r);
    cr_expect_eq(k, rows);
    dal_session_rollback(s, &err);
    dal_session_close(s);
    dal_engine_dispose(e);
}

/* The check-in reset rides in the commit's message: what server code run
 * by a deferred statement left on the session (a setting, a session lock)
 * is gone before the next user, as after any other request. */
Test(defer, the_reset_in_the_commits_message_leaves_nothing_behind_postgresql)
{
    dal_engine *e = dal_test_engine("postgresql", "?pool_size=1&max_overflow=0");
    dal_engine *other = dal_test_engine("postgresql", "");
    dal_session *s = dal_test_session(e);
    dal_error err = DAL_ERROR_INIT;
    dal_test_exec(s, "DROP TABLE IF EXISTS defer_trig");
    dal_test_exec(s, "CREATE TABLE defer_trig (k INTEGER)");
    dal_test_exec(s, "CREATE OR REPLACE FUNCTION defer_trig_leak() RETURNS trigger LANGUAGE plpgsql AS "
                     "$$BEGIN PERFORM set_config('dal.leak', 'yes', false); "
                     "PERFORM pg_advisory_lock(4712); RETURN NEW; END$$");
    dal_test_exec(s, "CREATE TRIGGER defer_trig_leak BEFORE INSERT ON defer_trig FOR EACH ROW "
                     "EXECUTE FUNCTION defer_trig_leak()");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    dal_session_close(s);
    s = dal_test_session(e);
    DAL_OK_OR_FAIL(dal_session_defer(s, "INSERT INTO defer_trig VALUES (1)", NULL, 0, &err), err);
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    dal_session_close(s);
    dal_session *o = dal_test_session(other);
    cr_expect_eq(dal_test_scalar(o, "SELECT pg_try_advisory_lock(4712)::int"), 1,
                 "the session lock went with the check-in");
    dal_test_exec(o, "SELECT pg_advisory_unlock(4712)");
    dal_session_close(o);
    s = dal_test_session(e); /* the same connection (pool_size=1) */
    cr_expect_eq(dal_test_scalar(s, "SELECT CASE WHEN coalesce(current_setting('dal.leak', true), '') "
                                    "= '' THEN 1 ELSE 0 END"),
                 1, "the setting went with the check-in");
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM defer_trig"), 1);
    dal_test_exec(s, "DROP TABLE defer_trig");
    dal_test_exec(s, "DROP FUNCTION defer_trig_leak()");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    dal_session_close(s);
    dal_engine_dispose(other);
    dal_engine_dispose(e);
}
