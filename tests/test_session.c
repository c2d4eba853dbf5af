/* Sessions on every backend: typed values, results, transactions, bulk
 * insert and exact error classes. */
#include <float.h>
#include <jansson.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"

static bool is_pg(const char *backend) { return !strcmp(backend, "postgresql"); }
static bool is_maria(const char *backend) { return !strcmp(backend, "mariadb"); }

/* Column types per backend: int, double, text, blob, bool, timestamp, json.
 * MariaDB: TIMESTAMP holds 1970-2038 only and DATETIME drops microseconds
 * unless declared (6); TEXT and BLOB hold 64 KiB, the LONG kinds 4 GiB;
 * BOOLEAN is TINYINT(1) and JSON is LONGTEXT with a JSON_VALID check. */
static void create_types_table(dal_session *s, const char *backend)
{
    dal_test_exec(s, "DROP TABLE IF EXISTS types_t");
    dal_test_exec(
        s, is_pg(backend)
               ? "CREATE TABLE types_t (id INTEGER PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, "
                 "t TEXT, b BYTEA, f BOOLEAN, ts TIMESTAMP, j JSONB)"
           : is_maria(backend)
               ? "CREATE TABLE types_t (id INTEGER PRIMARY KEY, i BIGINT, d DOUBLE, t LONGTEXT, "
                 "b LONGBLOB, f BOOLEAN, ts DATETIME(6), j JSON)"
               : "CREATE TABLE types_t (id INTEGER PRIMARY KEY, i BIGINT, d DOUBLE, t TEXT, "
                 "b BLOB, f BOOLEAN, ts TIMESTAMP, j JSON)");
}

static void insert_row(dal_session *s, int id, dal_value i, dal_value d, dal_value t, dal_value b,
                       dal_value f, dal_value ts, dal_value j)
{
    dal_value v[] = {dal_int64(id), i, d, t, b, f, ts, j};
    dal_error err = DAL_ERROR_INIT;
    int64_t n = -1;
    int rc = dal_session_exec(s, "INSERT INTO types_t VALUES (?,?,?,?,?,?,?,?)", v, 8, &n, &err);
    DAL_OK_OR_FAIL(rc, err);
    cr_expect_eq(n, 1);
}

static dal_result *select_row(dal_session *s, int id)
{
    dal_error err = DAL_ERROR_INIT;
    dal_result *r;
    dal_value p = dal_int64(id);
    int rc = dal_session_query(s, "SELECT i, d, t, b, f, ts, j FROM types_t WHERE id = ?", &p, 1,
                               &r, &err);
    DAL_OK_OR_FAIL(rc, err);
    rc = dal_result_next(r, &err);
    cr_assert_eq(rc, DAL_ROW, "row %d: %s", id, err.message);
    return r;
}

DAL_TEST_EACH(session, every_type_round_trips)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    create_types_table(s, backend);
    static const char blob[] = {'a', 0, 'b', 0, (char)0xff, 0};
    const char *utf8 = "\xF0\x9F\x98\x80 caf\xC3\xA9 \xE6\x8A\xB9";
    json_t *doc = json_pack("{s:[i,i],s:s}", "n", 1, 2, "s", "x");
    int64_t ts_old = -2208988800000000LL + 123456; /* 1900-01-01 00:00:00.123456 */
    int64_t ts_new = 4102444800000000LL + 999999;  /* 2100-01-01 00:00:00.999999 */
    insert_row(s, 1, dal_int64(INT64_MAX), dal_double(1e308), dal_text(utf8),
               dal_blob(blob, sizeof blob), dal_bool(true), dal_timestamp_us(ts_old),
               dal_json(doc));
    insert_row(s, 2, dal_int64(INT64_MIN), dal_double(-0.0), dal_text(""), dal_blob("", 0),
               dal_bool(false), dal_timestamp_us(ts_new), dal_json(NULL));
    insert_row(s, 3, dal_null(), dal_null(), dal_null(), dal_null(), dal_null(), dal_null(),
               dal_null());
    json_decref(doc);

    dal_error err = DAL_ERROR_INIT;
    dal_result *r = select_row(s, 1);
    int64_t i;
    double d;
    const char *t;
    const void *b;
    size_t len;
    bool f;
    int64_t ts;
    json_t *j;
    DAL_OK_OR_FAIL(dal_result_int64(r, 0, &i, &err), err);
    cr_expect_eq(i, INT64_MAX);
    DAL_OK_OR_FAIL(dal_result_double(r, 1, &d, &err), err);
    cr_expect_eq(d, 1e308);
    DAL_OK_OR_FAIL(dal_result_text(r, 2, &t, &len, &err), err);
    cr_expect_str_eq(t, utf8);
    cr_expect_eq(len, strlen(utf8));
    DAL_OK_OR_FAIL(dal_result_blob(r, 3, &b, &len, &err), err);
    cr_expect_eq(len, sizeof blob);
    cr_expect_arr_eq(b, blob, sizeof blob);
    DAL_OK_OR_FAIL(dal_result_bool(r, 4, &f, &err), err);
    cr_expect(f);
    DAL_OK_OR_FAIL(dal_result_timestamp_us(r, 5, &ts, &err), err);
    cr_expect_eq(ts, ts_old, "%lld", (long long)ts);
    DAL_OK_OR_FAIL(dal_result_json(r, 6, &j, &err), err);
    cr_expect_eq(json_integer_value(json_array_get(json_object_get(j, "n"), 1)), 2);
    json_decref(j);
    dal_result_close(r);

    r = select_row(s, 2);
    DAL_OK_OR_FAIL(dal_result_int64(r, 0, &i, &err), err);
    cr_expect_eq(i, INT64_MIN);
    DAL_OK_OR_FAIL(dal_result_double(r, 1, &d, &err), err);
    cr_expect_eq(d, 0.0);
    if (is_pg(backend))
        cr_expect(signbit(d), "negative zero keeps its sign on PostgreSQL");
    else /* SQLite keeps a whole REAL as an integer, MariaDB stores -0 as 0 */
        cr_expect(!signbit(d), "the server has 0, and dal reads what it has");
    DAL_OK_OR_FAIL(dal_result_text(r, 2, &t, &len, &err), err);
    cr_expect_eq(len, 0, "empty string, not NULL");
    cr_expect_not(dal_result_is_null(r, 2));
    DAL_OK_OR_FAIL(dal_result_blob(r, 3, &b, &len, &err), err);
    cr_expect_eq(len, 0);
    DAL_OK_OR_FAIL(dal_result_bool(r, 4, &f, &err), err);
    cr_expect_not(f);
    DAL_OK_OR_FAIL(dal_result_timestamp_us(r, 5, &ts, &err), err);
    cr_expect_eq(ts, ts_new, "%lld", (long long)ts);
    cr_expect(dal_result_is_null(r, 6), "dal_json(NULL) binds SQL NULL");
    dal_result_close(r);

    r = select_row(s, 3);
    for (size_t c = 0; c < 7; c++) {
        cr_expect(dal_result_is_null(r, c), "column %zu", c);
        dal_error_clear(&err);
        cr_expect_eq(dal_result_int64(r, c, &i, &err), DAL_ENULL, "column %zu", c);
    }
    dal_result_close(r);
    dal_session_close(s);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(session, sixteen_megabytes_round_trip_byte_exact)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    create_types_table(s, backend);
    size_t n = 16u << 20;
    char *text = malloc(n + 1);
    unsigned char *blob = malloc(n);
    for (size_t k = 0; k < n; k++) {
        text[k] = (char)('a' + k % 26);
        blob[k] = (unsigned char)(k * 7919 % 256);
    }
    text[n] = '\0';
    insert_row(s, 1, dal_null(), dal_null(), dal_textn(text, n), dal_blob(blob, n), dal_null(),
               dal_null(), dal_null());
    dal_result *r = select_row(s, 1);
    dal_error err = DAL_ERROR_INIT;
    const char *t;
    const void *b;
    size_t len;
    DAL_OK_OR_FAIL(dal_result_text(r, 2, &t, &len, &err), err);
    cr_expect_eq(len, n);
    cr_expect(memcmp(t, text, n) == 0, "text differs");
    DAL_OK_OR_FAIL(dal_result_blob(r, 3, &b, &len, &err), err);
    cr_expect_eq(len, n);
    cr_expect(memcmp(b, blob, n) == 0, "blob differs");
    dal_result_close(r);
    free(text);
    free(blob);
    dal_session_close(s);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(session, getters_never_return_a_silent_zero)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    dal_error err = DAL_ERROR_INIT;
    dal_result *r;
    int rc = dal_session_query(s, "SELECT 'abc' AS word, 12 AS num, NULL AS nada, 2.5 AS half",
                               NULL, 0, &r, &err);
    DAL_OK_OR_FAIL(rc, err);
    cr_assert_eq(dal_result_next(r, &err), DAL_ROW);
    cr_expect_eq(dal_result_column_count(r), 4);
    cr_expect_str_eq(dal_result_column_name(r, 1), "num");
    cr_expect_eq(dal_result_column_index(r, "HALF"), 3);
    cr_expect_eq(dal_result_column_index(r, "missing"), -1);
    int64_t i = 99;
    cr_expect_eq(dal_result_int64(r, 0, &i, &err), DAL_ETYPE);
    cr_expect_eq(i, 99, "output untouched on error");
    dal_error_clear(&err);
    cr_expect_eq(dal_result_int64_by_name(r, "nada", &i, &err), DAL_ENULL);
    dal_error_clear(&err);
    cr_expect_eq(dal_result_int64(r, 3, &i, &err), DAL_ETYPE, "2.5 is not an integer");
    dal_error_clear(&err);
    cr_expect_eq(dal_result_int64(r, 17, &i, &err), DAL_ERANGE);
    dal_error_clear(&err);
    cr_expect_eq(dal_result_int64_by_name(r, "missing", &i, &err), DAL_ERANGE);
    dal_error_clear(&err);
    DAL_OK_OR_FAIL(dal_result_int64_by_name(r, "num", &i, &err), err);
    cr_expect_eq(i, 12);
    bool f;
    cr_expect_eq(dal_result_bool(r, 0, &f, &err), DAL_ETYPE);
    dal_error_clear(&err);
    int64_t ts;
    cr_expect_eq(dal_result_timestamp_us(r, 0, &ts, &err), DAL_ETYPE);
    dal_error_clear(&err);
    json_t *j;
    cr_expect_eq(dal_result_json(r, 0, &j, &err), DAL_EJSON);
    dal_error_clear(&err);
    /* the text and double getters fail the same ways */
    const char *text = "untouched";
    size_t len = 7;
    double d = 99;
    cr_expect_eq(dal_result_text(r, 2, &text, &len, &err), DAL_ENULL);
    dal_error_clear(&err);
    cr_expect_eq(dal_result_text(r, 4, &text, &len, &err), DAL_ERANGE);
    dal_error_clear(&err);
    cr_expect(!strcmp(text, "untouched") && len == 7, "outputs untouched on error");
    cr_expect_eq(dal_result_double(r, 0, &d, &err), DAL_ETYPE);
    dal_error_clear(&err);
    cr_expect_eq(dal_result_double(r, 2, &d, &err), DAL_ENULL);
    dal_error_clear(&err);
    cr_expect_eq(d, 99, "output untouched on error");
    cr_expect_eq(dal_result_next(r, &err), DAL_DONE);
    dal_error_clear(&err);
    cr_expect_eq(dal_result_int64(r, 1, &i, &err), DAL_EMISUSE, "no current row after the end");
    dal_error_clear(&err);
    cr_expect_eq(dal_result_text(r, 0, &text, &len, &err), DAL_EMISUSE);
    dal_error_clear(&err);
    cr_expect_eq(dal_result_double(r, 3, &d, &err), DAL_EMISUSE);
    dal_result_close(r);
    dal_session_close(s);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(session, errors_are_classified)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    dal_test_exec(s, "DROP TABLE IF EXISTS uniq_t");
    dal_test_exec(s, "CREATE TABLE uniq_t (k INTEGER PRIMARY KEY)");
    dal_test_exec(s, "INSERT INTO uniq_t VALUES (1)");
    dal_error err = DAL_ERROR_INIT;
    dal_value one = dal_int64(1);
    int rc = dal_session_exec(s, "INSERT INTO uniq_t VALUES (?)", &one, 1, NULL, &err);
    cr_expect_eq(rc, DAL_ECONSTRAINT, "%s: %s", dal_code_name(rc), err.message);
    if (is_pg(backend))
        cr_expect_str_eq(err.sqlstate, "23505");
    else if (is_maria(backend))
        cr_expect_eq(err.native_code, 1062, "ER_DUP_ENTRY"); /* SQLSTATE 23000 */
    else
        cr_expect_eq(err.native_code, 19);
    cr_expect_eq(dal_session_last_error(s)->code, DAL_ECONSTRAINT);
    dal_session_rollback(s, NULL);

    dal_error_clear(&err);
    rc = dal_session_exec(s, "SELEKT 1", NULL, 0, NULL, &err);
    cr_expect_eq(rc, DAL_ESYNTAX, "%s: %s", dal_code_name(rc), err.message);
    dal_session_rollback(s, NULL);
    dal_error_clear(&err);
    rc = dal_session_exec(s, "SELECT * FROM no_such_table", NULL, 0, NULL, &err);
    cr_expect_eq(rc, DAL_ESYNTAX, "%s: %s", dal_code_name(rc), err.message);
    dal_session_rollback(s, NULL);
    dal_error_clear(&err);
    rc = dal_session_exec(s, "SELECT ?", NULL, 0, NULL, &err);
    cr_expect_eq(rc, DAL_EMISUSE, "parameter count is checked: %s", err.message);
    dal_session_close(s);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(session, hostile_strings_are_stored_verbatim)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    dal_test_exec(s, "DROP TABLE IF EXISTS hostile_t");
    dal_test_exec(s, "CREATE TABLE hostile_t (id INTEGER PRIMARY KEY, v TEXT)");
    const char *hostile[] = {
        "'; DROP TABLE hostile_t; --", "\" OR 1=1 --",  "?",   "$1", "\\", "'' ''", "%s%n",
        "\xC3\xA9\xF0\x9F\x98\x80",    ") ; COMMIT; (", "NULL"};
    size_t n = sizeof hostile / sizeof hostile[0];
    dal_error err = DAL_ERROR_INIT;
    for (size_t k = 0; k < n; k++) {
        dal_value v[] = {dal_int64((int64_t)k), dal_text(hostile[k])};
        DAL_OK_OR_FAIL(dal_session_exec(s, "INSERT INTO hostile_t VALUES (?, ?)", v, 2, NULL, &err),
                       err);
    }
    for (size_t k = 0; k < n; k++) {
        dal_result *r;
        dal_value id = dal_int64((int64_t)k);
        DAL_OK_OR_FAIL(
            dal_session_query(s, "SELECT v FROM hostile_t WHERE id = ?", &id, 1, &r, &err), err);
        cr_assert_eq(dal_result_next(r, &err), DAL_ROW);
        const char *t;
        DAL_OK_OR_FAIL(dal_result_text(r, 0, &t, NULL, &err), err);
        cr_expect_str_eq(t, hostile[k]);
        dal_result_close(r);
    }
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM hostile_t"), (int64_t)n);
    dal_session_close(s);
    dal_engine_dispose(e);
}

/* Edge values read back exactly, or fail with a code; where the server
 * itself changes a value (said in the README), the test says which. */
DAL_TEST_EACH(session, edge_values_read_back_exactly_or_fail)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    bool sqlite = !strcmp(backend, "sqlite");
    dal_test_exec(s, "DROP TABLE IF EXISTS edge_t");
    dal_test_exec(s, is_pg(backend) ? "CREATE TABLE edge_t (id INTEGER, d DOUBLE PRECISION, i BIGINT, t TEXT)"
                                    : "CREATE TABLE edge_t (id INTEGER, d DOUBLE, i BIGINT, t TEXT)");
    const double doubles[] = {0.1, 1.0 / 3, 1e300, 5e-324, DBL_MAX, -DBL_MAX, -0.0, 123456789.125};
    const int64_t ints[] = {INT64_MIN, INT64_MAX, 0, -1};
    dal_error err = DAL_ERROR_INIT;
    size_t nd = sizeof doubles / sizeof doubles[0];
    for (size_t k = 0; k < nd; k++) {
        dal_value v[] = {dal_int64((int64_t)k), dal_double(doubles[k]), dal_int64(ints[k % 4])};
        DAL_OK_OR_FAIL(
            dal_session_exec(s, "INSERT INTO edge_t (id, d, i) VALUES (?, ?, ?)", v, 3, NULL, &err),
            err);
    }
    for (size_t k = 0; k < nd; k++) {
        dal_result *r;
        dal_value id = dal_int64((int64_t)k);
        DAL_OK_OR_FAIL(dal_session_query(s, "SELECT d, i FROM edge_t WHERE id = ?", &id, 1, &r, &err),
                       err);
        cr_assert_eq(dal_result_next(r, &err), DAL_ROW);
        double d = 42;
        int64_t i = 42;
        int rc = dal_result_double(r, 0, &d, &err);
        DAL_OK_OR_FAIL(dal_result_int64(r, 1, &i, &err), err);
        cr_expect_eq(i, ints[k % 4], "%s: int64 %lld", backend, (long long)ints[k % 4]);
        double want = doubles[k];
        char text15[40];
        snprintf(text15, sizeof text15, "%.15g", want);
        if (sqlite && strtod(text15, NULL) != want) {
            /* sqliteodbc hands REAL values over as 15 significant digits
             * (SQL_C_DOUBLE too): the nearest double of that text, or
             * DAL_ERANGE when the text rounds past DBL_MAX. */
            if (isinf(strtod(text15, NULL)))
                cr_expect_eq(rc, DAL_ERANGE, "%s: %.17g", backend, want);
            else
                cr_expect(!rc && d == strtod(text15, NULL), "%s: %.17g read as %.17g", backend,
                          want, d);
        } else if (want == 0 && signbit(want) && !is_pg(backend)) {
            /* SQLite keeps a whole REAL as an integer, MariaDB prints and
             * stores -0 as 0: the server has 0, and dal reads 0. */
            cr_expect(!rc && d == 0 && !signbit(d), "%s: -0.0 read as %.17g", backend, d);
        } else {
            cr_expect(!rc && !memcmp(&d, &want, sizeof d), "%s: %.17g read as %.17g (%s)", backend,
                      want, d, dal_code_name(rc));
        }
        dal_error_clear(&err);
        dal_result_close(r);
    }
    /* Text with a NUL byte: refused before the driver sees it (PostgreSQL
     * text cannot hold one, the drivers end text there), nothing aborted. */
    const char nul[] = {'a', 'b', '\0', 'c'};
    dal_value v[] = {dal_int64(99), dal_textn(nul, sizeof nul)};
    cr_expect_eq(dal_session_exec(s, "INSERT INTO edge_t (id, t) VALUES (?, ?)", v, 2, NULL, &err),
                 DAL_EDATA);
    cr_expect(strstr(err.message, "NUL"), "%s", err.message);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM edge_t"), (int64_t)nd,
                 "nothing written, the transaction goes on");
    dal_session_close(s);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(session, commit_rollback_and_nested_savepoints)
{
    dal_engine *e;
    dal_session *s, *other;
    dal_test_open(url, &e, &s);
    dal_error err = DAL_ERROR_INIT;
    dal_test_exec(s, "DROP TABLE IF EXISTS txn_t");
    dal_test_exec(s, "CREATE TABLE txn_t (k INTEGER)");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);

    dal_test_exec(s, "INSERT INTO txn_t VALUES (1)");
    DAL_OK_OR_FAIL(dal_session_rollback(s, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM txn_t"), 0);

    dal_test_exec(s, "INSERT INTO txn_t VALUES (1)");
    int depth1;
    DAL_OK_OR_FAIL(dal_session_begin_nested(s, &depth1, &err), err);
    cr_expect_eq(depth1, 1);
    dal_test_exec(s, "INSERT INTO txn_t VALUES (2)");
    int depth2;
    DAL_OK_OR_FAIL(dal_session_begin_nested(s, &depth2, &err), err);
    cr_expect_eq(depth2, 2);
    dal_test_exec(s, "INSERT INTO txn_t VALUES (3)");
    int depth3;
    DAL_OK_OR_FAIL(dal_session_begin_nested(s, &depth3, &err), err);
    cr_expect_eq(depth3, 3);
    dal_test_exec(s, "INSERT INTO txn_t VALUES (4)");
    DAL_OK_OR_FAIL(dal_session_rollback_nested(s, &err), err); /* drops 4 */
    DAL_OK_OR_FAIL(dal_session_release_nested(s, &err), err);  /* keeps 3 */
    DAL_OK_OR_FAIL(dal_session_rollback_nested(s, &err), err); /* drops 2 and 3 */
    cr_expect_eq(dal_session_release_nested(s, &err), DAL_EMISUSE);
    dal_error_clear(&err);
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM txn_t"), 1);
    cr_expect_eq(dal_test_scalar(s, "SELECT SUM(k) FROM txn_t"), 1);
    dal_session_commit(s, NULL);

    /* Committed work is visible to another session. */
    DAL_OK_OR_FAIL(dal_session_open(e, &other, &err), err);
    cr_expect_eq(dal_test_scalar(other, "SELECT COUNT(*) FROM txn_t"), 1);
    dal_session_close(other);
    dal_session_close(s);
    dal_engine_dispose(e);
}

Test(session, failed_commit_leaves_nothing_and_a_usable_session)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(dal_test_url("postgresql", ""), &e, &s);
    dal_test_exec(s, "DROP TABLE IF EXISTS deferred_t");
    dal_test_exec(s, "CREATE TABLE deferred_t (k INTEGER UNIQUE DEFERRABLE INITIALLY DEFERRED)");
    dal_session_commit(s, NULL);
    dal_test_exec(s, "INSERT INTO deferred_t VALUES (1)");
    dal_test_exec(s, "INSERT INTO deferred_t VALUES (1)"); /* checked only at commit */
    dal_error err = DAL_ERROR_INIT;
    int rc = dal_session_commit(s, &err);
    cr_expect_eq(rc, DAL_ECONSTRAINT, "%s: %s", dal_code_name(rc), err.message);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM deferred_t"), 0);
    dal_test_exec(s, "INSERT INTO deferred_t VALUES (2)");
    dal_error_clear(&err);
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM deferred_t"), 1);
    dal_session_close(s);
    dal_engine_dispose(e);
}

Test(session, serializable_conflict_is_retryable)
{
    dal_engine *e;
    dal_session *a, *b;
    dal_test_open(dal_test_url("postgresql", ""), &e, &a);
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_open(e, &b, &err), err);
    dal_test_exec(a, "DROP TABLE IF EXISTS ser_t");
    dal_test_exec(a, "CREATE TABLE ser_t (k INTEGER PRIMARY KEY, v INTEGER)");
    dal_test_exec(a, "INSERT INTO ser_t VALUES (1, 0)");
    dal_session_commit(a, NULL);
    dal_test_exec(a, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
    dal_test_exec(b, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
    cr_expect_eq(dal_test_scalar(a, "SELECT v FROM ser_t WHERE k = 1"), 0);
    cr_expect_eq(dal_test_scalar(b, "SELECT v FROM ser_t WHERE k = 1"), 0);
    dal_test_exec(a, "UPDATE ser_t SET v = 1 WHERE k = 1");
    DAL_OK_OR_FAIL(dal_session_commit(a, &err), err);
    int rc = dal_session_exec(b, "UPDATE ser_t SET v = 2 WHERE k = 1", NULL, 0, NULL, &err);
    if (rc == DAL_OK) rc = dal_session_commit(b, &err);
    cr_expect_eq(rc, DAL_ECONFLICT, "%s: %s", dal_code_name(rc), err.message);
    cr_expect_str_eq(err.sqlstate, "40001");
    dal_session_close(a);
    dal_session_close(b);
    dal_engine_dispose(e);
}

Test(session, locked_sqlite_file_is_busy_after_the_timeout)
{
    dal_engine *e1, *e2;
    dal_session *s1, *s2;
    dal_test_open(dal_test_url("sqlite", ""), &e1, &s1);
    dal_test_exec(s1, "CREATE TABLE busy_t (k INTEGER)");
    dal_session_commit(s1, NULL);
    dal_test_exec(s1, "INSERT INTO busy_t VALUES (1)"); /* holds the write lock */
    dal_test_open(dal_test_url("sqlite", "?Timeout=200"), &e2, &s2);
    dal_error err = DAL_ERROR_INIT;
    int rc = dal_session_exec(s2, "INSERT INTO busy_t VALUES (2)", NULL, 0, NULL, &err);
    cr_expect_eq(rc, DAL_EBUSY, "%s: %s", dal_code_name(rc), err.message);
    dal_session_close(s2);
    DAL_OK_OR_FAIL(dal_session_commit(s1, &err), err);
    cr_expect_eq(dal_test_scalar(s1, "SELECT COUNT(*) FROM busy_t"), 1);
    dal_session_close(s1);
    dal_engine_dispose(e1);
    dal_engine_dispose(e2);
}

DAL_TEST_EACH(session, prepared_statement_executes_many_times)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    dal_test_exec(s, "DROP TABLE IF EXISTS prep_t");
    dal_test_exec(s, "CREATE TABLE prep_t (k INTEGER, v TEXT)");
    dal_error err = DAL_ERROR_INIT;
    dal_stmt *st;
    DAL_OK_OR_FAIL(dal_session_prepare(s, "INSERT INTO prep_t VALUES (?, ?)", &st, &err), err);
    for (int k = 0; k < 100; k++) {
        char v[16];
        snprintf(v, sizeof v, "v%d", k);
        dal_value p[] = {dal_int64(k), k % 10 ? dal_text(v) : dal_null()};
        int64_t n = 0;
        DAL_OK_OR_FAIL(dal_stmt_execute(st, p, 2, NULL, &n, &err), err);
        cr_expect_eq(n, 1);
    }
    cr_expect_eq(dal_stmt_execute(st, NULL, 0, NULL, NULL, &err), DAL_EMISUSE);
    dal_stmt_close(st);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM prep_t"), 100);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(v) FROM prep_t"), 90);

    dal_stmt *q;
    DAL_OK_OR_FAIL(dal_session_prepare(s, "SELECT v FROM prep_t WHERE k = ?", &q, &err), err);
    for (int k = 1; k < 5; k++) {
        dal_result *r;
        dal_value p = dal_int64(k);
        DAL_OK_OR_FAIL(dal_stmt_execute(q, &p, 1, &r, NULL, &err), err);
        cr_assert_eq(dal_result_next(r, &err), DAL_ROW);
        const char *t;
        DAL_OK_OR_FAIL(dal_result_text(r, 0, &t, NULL, &err), err);
        char want[16];
        snprintf(want, sizeof want, "v%d", k);
        cr_expect_str_eq(t, want);
        dal_result_close(r);
    }
    dal_stmt_close(q);
    dal_session_close(s);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(session, bulk_insert_counts_rows_and_reports_the_failed_batch)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    dal_test_exec(s, "DROP TABLE IF EXISTS bulk_t");
    dal_test_exec(s, "CREATE TABLE bulk_t (k INTEGER PRIMARY KEY, name VARCHAR(64), x DOUBLE "
                     "PRECISION, doc TEXT)");
    dal_session_commit(s, NULL);
    size_t rows = 2500, cols = 4;
    dal_value *v = calloc(rows * cols, sizeof *v);
    char(*names)[16] = calloc(rows, 16);
    for (size_t r = 0; r < rows; r++) {
        snprintf(names[r], 16, "name-%zu", r);
        v[r * cols + 0] = dal_int64((int64_t)r);
        v[r * cols + 1] = dal_text(names[r]);
        v[r * cols + 2] = dal_double((double)r / 4);
        v[r * cols + 3] = dal_text("{\"a\":1}");
    }
    const char *columns[] = {"k", "name", "x", "doc"};
    dal_error err = DAL_ERROR_INIT;
    int64_t n = 0;
    DAL_OK_OR_FAIL(dal_session_insert_many(s, "bulk_t", columns, cols, v, rows, &n, &err), err);
    cr_expect_eq(n, (int64_t)rows);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM bulk_t"), (int64_t)rows);
    cr_expect_eq(dal_test_scalar(s, "SELECT SUM(k) FROM bulk_t"), (int64_t)(rows * (rows - 1) / 2));
    dal_session_rollback(s, NULL);

    /* A duplicate key at row 1500 fails the second batch; after rollback nothing remains. */
    v[1500 * cols] = dal_int64(0);

    int rc = dal_session_insert_many(s, "bulk_t", columns, cols, v, rows, &n, &err);
    cr_expect_eq(rc, DAL_ECONSTRAINT, "%s: %s", dal_code_name(rc), err.message);
    cr_expect_neq(strstr(err.message, "rows 1000..1999"), NULL, "%s", err.message);
    dal_session_rollback(s, NULL);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM bulk_t"), 0);

    dal_error_clear(&err);
    cr_expect_eq(dal_session_insert_many(s, "bulk_t; DROP TABLE x", columns, cols, v, 1, &n, &err),
                 DAL_EMISUSE);
    free(v);
    free(names);
    dal_session_close(s);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(session, rowsets_mixing_short_long_and_null_values_read_exactly)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    dal_test_exec(s, "DROP TABLE IF EXISTS mixed_t");
    dal_test_exec(
        s, is_pg(backend)
               ? "CREATE TABLE mixed_t (k INTEGER, v VARCHAR(20), t TEXT, d DOUBLE PRECISION)"
               : "CREATE TABLE mixed_t (k INTEGER, v VARCHAR(20), t TEXT, d DOUBLE)");
    enum { ROWS = 700 };
    static char text[3000];
    memset(text, 'x', sizeof text - 1);
    dal_error err = DAL_ERROR_INIT;
    for (int k = 0; k < ROWS; k++) {
        size_t len = k % 3 == 0 ? 2000 + (size_t)k : (size_t)(k % 50);
        /* v is declared VARCHAR(20) but SQLite stores longer text anyway */
        dal_value v[] = {
            dal_int64(k), k % 7 ? dal_textn(text, !strcmp(backend, "sqlite") ? 40 : 20) : dal_null(),
            k % 5 ? dal_textn(text, len) : dal_null(), k % 4 ? dal_double(k / 3.0) : dal_null()};
        DAL_OK_OR_FAIL(
            dal_session_exec(s, "INSERT INTO mixed_t VALUES (?, ?, ?, ?)", v, 4, NULL, &err), err);
    }
    dal_result *r;
    DAL_OK_OR_FAIL(
        dal_session_query(s, "SELECT k, v, t, d FROM mixed_t ORDER BY k", NULL, 0, &r, &err), err);
    int k = 0, rc;
    while ((rc = dal_result_next(r, &err)) == DAL_ROW) {
        int64_t got;
        DAL_OK_OR_FAIL(dal_result_int64(r, 0, &got, &err), err);
        cr_assert_eq(got, k);
        cr_assert_eq(dal_result_is_null(r, 1), k % 7 == 0, "row %d", k);
        if (k % 7) {
            const char *t;
            size_t len;
            DAL_OK_OR_FAIL(dal_result_text(r, 1, &t, &len, &err), err);
            cr_assert_eq(len, !strcmp(backend, "sqlite") ? 40u : 20u, "row %d", k);
        }
        cr_assert_eq(dal_result_is_null(r, 2), k % 5 == 0, "row %d", k);
        if (k % 5) {
            const char *t;
            size_t len;
            DAL_OK_OR_FAIL(dal_result_text(r, 2, &t, &len, &err), err);
            size_t want = k % 3 == 0 ? 2000 + (size_t)k : (size_t)(k % 50);
            cr_assert_eq(len, want, "row %d: %zu bytes, want %zu", k, len, want);
            cr_assert(memcmp(t, text, len) == 0 && t[len] == '\0', "row %d", k);
        }
        cr_assert_eq(dal_result_is_null(r, 3), k % 4 == 0, "row %d", k);
        if (k % 4) {
            double d;
            DAL_OK_OR_FAIL(dal_result_double(r, 3, &d, &err), err);
            /* sqliteodbc hands reals over as 15-digit text: exact on
             * PostgreSQL and MariaDB, 15 significant digits on SQLite. */
            if (strcmp(backend, "sqlite"))
                cr_assert_eq(d, k / 3.0, "row %d: %.17g", k, d);
            else
                cr_assert(fabs(d - k / 3.0) <= 1e-14 * fabs(k / 3.0), "row %d: %.17g", k, d);
        }
        k++;
    }
    cr_expect_eq(rc, DAL_DONE, "%s", err.message);
    cr_expect_eq(k, ROWS);
    cr_expect_eq(dal_result_next(r, &err), DAL_DONE, "stays done");
    dal_result_close(r);
    dal_session_close(s);
    dal_engine_dispose(e);
}

/* psqlODBC with UseDeclareFetch reads Fetch rows a FETCH: rowsets that
 * divide it (Fetch=300) and rowsets that cross its boundary (Fetch=1009, a
 * prime: one more FETCH for the rest of such a rowset) read every row, long
 * values read again inside a rowset included. */
Test(session, postgresql_cursor_fetches_read_every_row_whatever_the_fetch_size)
{
    static const char *const queries[] = {"?UseDeclareFetch=1&Fetch=300",
                                          "?UseDeclareFetch=1&Fetch=1009"};
    for (size_t q = 0; q < 2; q++) {
        dal_engine *e;
        dal_session *s;
        dal_test_open(dal_test_url("postgresql", queries[q]), &e, &s);
        dal_error err = DAL_ERROR_INIT;
        dal_result *r;
        DAL_OK_OR_FAIL(dal_session_query(s,
                                         "SELECT g, repeat('x', CASE WHEN g % 7 = 0 THEN 600 + g "
                                         "ELSE g % 40 END) FROM generate_series(0, 4999) g",
                                         NULL, 0, &r, &err),
                       err);
        int64_t want = 0;
        int rc;
        while ((rc = dal_result_next(r, &err)) == DAL_ROW) {
            int64_t g;
            const char *text;
            size_t len;
            DAL_OK_OR_FAIL(dal_result_int64(r, 0, &g, &err), err);
            DAL_OK_OR_FAIL(dal_result_text(r, 1, &text, &len, &err), err);
            cr_assert_eq(g, want, "%s: row %lld", queries[q], (long long)g);
            size_t want_len = g % 7 == 0 ? 600 + (size_t)g : (size_t)(g % 40);
            cr_assert_eq(len, want_len, "%s: row %lld: %zu bytes", queries[q], (long long)g, len);
            cr_assert(len == 0 || (text[0] == 'x' && text[len - 1] == 'x' && text[len] == '\0'));
            want++;
        }
        cr_expect_eq(rc, DAL_DONE, "%s", err.message);
        cr_expect_eq(want, 5000, "%s", queries[q]);
        dal_result_close(r);
        dal_session_close(s);
        dal_engine_dispose(e);
    }
}

/* A program that set a German locale (decimal comma) reads and writes the
 * same numbers: URL keys, the driver's text of NUMERIC values (psqlODBC
 * localizes it), getters, parameters and JSON all keep '.'. */
DAL_TEST_EACH(session, numbers_keep_a_decimal_point_in_any_locale)
{
    (void)url;
    cr_assert_not_null(setlocale(LC_ALL, "de_DE.UTF-8"),
                       "de_DE.UTF-8 is missing: scripts/install-deps generates it");
    dal_engine *e;
    dal_session *s;
    dal_test_open(dal_test_url(backend, "?pool_timeout=2.5"), &e, &s);
    dal_error err = DAL_ERROR_INIT;
    dal_result *r;
    dal_value v = dal_double(1.25);
    const char *sql = is_pg(backend)      ? "SELECT 2.5 AS n, CAST(? AS DOUBLE PRECISION) AS d"
                      : is_maria(backend) ? "SELECT 2.5 AS n, CAST(? AS DOUBLE) AS d"
                                          : "SELECT 2.5 AS n, CAST(? AS REAL) AS d";
    DAL_OK_OR_FAIL(dal_session_query(s, sql, &v, 1, &r, &err), err);
    cr_assert_eq(dal_result_next(r, &err), DAL_ROW, "%s", err.message);
    const char *text;
    size_t len;
    double d = 0;
    DAL_OK_OR_FAIL(dal_result_text(r, 0, &text, &len, &err), err);
    cr_expect_str_eq(text, "2.5");
    DAL_OK_OR_FAIL(dal_result_double(r, 0, &d, &err), err);
    cr_expect_eq(d, 2.5);
    DAL_OK_OR_FAIL(dal_result_double(r, 1, &d, &err), err);
    cr_expect_eq(d, 1.25);
    DAL_OK_OR_FAIL(dal_result_text(r, 1, &text, &len, &err), err);
    cr_expect_str_eq(text, "1.25");
    json_t *row = NULL;
    DAL_OK_OR_FAIL(dal_result_row_json(r, &row, &err), err);
    char *json = dal_json_serialize(row, &err);
    cr_assert_not_null(json, "%s", err.message);
    cr_expect(strstr(json, "2.5") && strstr(json, "1.25") && !strstr(json, "2,5") &&
                  !strstr(json, "1,25"),
              "%s", json);
    free(json);
    json_decref(row);
    dal_result_close(r);
    cr_expect_str_eq(localeconv()->decimal_point, ",", "the program's locale is untouched");
    dal_session_close(s);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(session, integer_getters_are_exact_or_fail)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    dal_error err = DAL_ERROR_INIT;
    dal_result *r;
    /* numeric on PostgreSQL, DECIMAL on MariaDB, text on SQLite: each reaches
     * dal as decimal text */
    const char *sql = !strcmp(backend, "postgresql")
                          ? "SELECT 9007199254740993.0::numeric AS a, "
                            "12345678901234567.00::numeric(20,2) AS b, "
                            "9223372036854775807.0::numeric AS c, 9223372036854775808::numeric AS d, "
                            "9007199254740993.5::numeric AS f"
                      : is_maria(backend)
                          ? "SELECT CAST(9007199254740993.0 AS DECIMAL(30,1)) AS a, "
                            "CAST(12345678901234567.00 AS DECIMAL(20,2)) AS b, "
                            "CAST(9223372036854775807.0 AS DECIMAL(30,1)) AS c, "
                            "CAST(9223372036854775808 AS DECIMAL(30,0)) AS d, "
                            "CAST(9007199254740993.5 AS DECIMAL(30,1)) AS f"
                          : "SELECT '9007199254740993.0' AS a, '12345678901234567.00' AS b, "
                            "'9223372036854775807.0' AS c, '9223372036854775808' AS d, "
                            "'9007199254740993.5' AS f";
    DAL_OK_OR_FAIL(dal_session_query(s, sql, NULL, 0, &r, &err), err);
    cr_assert_eq(dal_result_next(r, &err), DAL_ROW, "%s", err.message);
    int64_t want[] = {9007199254740993LL, 12345678901234567LL, INT64_MAX};
    for (size_t i = 0; i < 3; i++) {
        int64_t v = 0;
        DAL_OK_OR_FAIL(dal_result_int64(r, i, &v, &err), err);
        cr_expect_eq(v, want[i], "column %zu: %lld", i, (long long)v);
    }
    int64_t v = 0;
    cr_expect_eq(dal_result_int64(r, 3, &v, &err), DAL_ERANGE);
    dal_error_clear(&err);
    cr_expect_eq(dal_result_int64(r, 4, &v, &err), DAL_ETYPE);
    dal_error_clear(&err);
    double d = 0;
    cr_expect_eq(dal_result_double(r, 0, &d, &err), DAL_ERANGE,
                 "no double is exactly 9007199254740993");
    dal_error_clear(&err);
    DAL_OK_OR_FAIL(dal_result_double(r, 4, &d, &err), err); /* a fraction: nearest double */
    cr_expect_eq(d, 9007199254740993.5);
    /* Rows as JSON keep decimals as their exact text. */
    json_t *row;
    DAL_OK_OR_FAIL(dal_result_row_json(r, &row, &err), err);
    json_t *first = json_object_get(row, "a");
    cr_expect(json_is_string(first), "a decimal is exact text in JSON");
    cr_expect_str_eq(json_string_value(first), "9007199254740993.0");
    json_decref(row);
    dal_result_close(r);
    dal_session_close(s);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(session, rows_affected_is_exact_for_every_kind_of_write)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    dal_test_exec(s, "DROP TABLE IF EXISTS rc_t");
    dal_test_exec(s, "CREATE TABLE rc_t (k INTEGER PRIMARY KEY, v INTEGER)");
    typedef struct {
        const char *sql;
        int64_t want;
    } write_count;
    static const write_count standard[] = {
        {"INSERT INTO rc_t VALUES (1, 1), (2, 2)", 2},
        {"INSERT INTO rc_t SELECT k + 10, v FROM rc_t", 2},
        {"WITH c(x) AS (SELECT 20 UNION ALL SELECT 21 UNION ALL SELECT 22) "
         "INSERT INTO rc_t SELECT x, x FROM c",
         3},
        {"WITH c AS (SELECT 1 AS one) UPDATE rc_t SET v = 7 WHERE k > 10", 5},
        {"WITH c AS (SELECT 22 AS gone) DELETE FROM rc_t WHERE k IN (SELECT gone FROM c)", 1},
        {"UPDATE rc_t SET v = x.n FROM (SELECT 5 AS n) AS x WHERE rc_t.k < 3", 2},
        {"INSERT INTO rc_t VALUES (1, 9) ON CONFLICT (k) DO UPDATE SET v = excluded.v", 1},
        {"INSERT INTO rc_t VALUES (1, 9) ON CONFLICT (k) DO NOTHING", 0},
        {"/* a comment; with a semicolon */ UPDATE rc_t SET v = 0 WHERE k = 1", 1},
        {"-- a line comment\nDELETE FROM rc_t WHERE k = 21", 1},
        {"DELETE FROM rc_t WHERE k = -5", 0},
        {"INSERT INTO rc_t VALUES (30, 1) RETURNING k", 1},
        {NULL, 0},
    };
    /* The same writes in MariaDB's syntax. An UPDATE counts the rows it
     * matched (dal connects with FOUND_ROWS), as the others do; an ON
     * DUPLICATE KEY UPDATE that changed a row counts 2, as MariaDB says. */
    static const write_count mariadb[] = {
        {"INSERT INTO rc_t VALUES (1, 1), (2, 2)", 2},
        {"INSERT INTO rc_t SELECT k + 10, v FROM rc_t", 2},
        {"INSERT INTO rc_t WITH c(x) AS (SELECT 20 UNION ALL SELECT 21 UNION ALL SELECT 22) "
         "SELECT x, x FROM c",
         3},
        {"UPDATE rc_t SET v = 7 WHERE k > 10", 5},
        {"UPDATE rc_t SET v = 7 WHERE k > 10", 5},
        {"DELETE FROM rc_t WHERE k IN (SELECT 22)", 1},
        {"UPDATE rc_t, (SELECT 5 AS n) AS x SET rc_t.v = x.n WHERE rc_t.k < 3", 2},
        {"INSERT INTO rc_t VALUES (1, 9) ON DUPLICATE KEY UPDATE v = VALUES(v)", 2},
        {"INSERT IGNORE INTO rc_t VALUES (1, 9)", 0},
        {"/* a comment; with a semicolon */ UPDATE rc_t SET v = 0 WHERE k = 1", 1},
        {"-- a line comment\nDELETE FROM rc_t WHERE k = 21", 1},
        {"DELETE FROM rc_t WHERE k = -5", 0},
        {"INSERT INTO rc_t VALUES (30, 1) RETURNING k", 1},
        {NULL, 0},
    };
    const write_count *t = !strcmp(backend, "mariadb") ? mariadb : standard;
    for (size_t i = 0; t[i].sql; i++) {
        dal_error err = DAL_ERROR_INIT;
        int64_t n = -7;
        DAL_OK_OR_FAIL(dal_session_exec(s, t[i].sql, NULL, 0, &n, &err), err);
        cr_expect_eq(n, t[i].want, "%s: %lld rows, want %lld", t[i].sql, (long long)n,
                     (long long)t[i].want);
    }
    /* The same through dal_session_query (what the dal command uses). */
    dal_error err = DAL_ERROR_INIT;
    dal_result *r;
    DAL_OK_OR_FAIL(dal_session_query(s,
                                     !strcmp(backend, "mariadb")
                                         ? "INSERT INTO rc_t WITH c(x) AS (SELECT 40 UNION ALL "
                                           "SELECT 41) SELECT x, x FROM c"
                                         : "WITH c(x) AS (SELECT 40 UNION ALL SELECT 41) "
                                           "INSERT INTO rc_t SELECT x, x FROM c",
                                     NULL, 0, &r, &err),
                   err);
    cr_expect_eq(dal_result_column_count(r), 0);
    cr_expect_eq(dal_result_rows_affected(r), 2);
    dal_result_close(r);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM rc_t"), 8);
    dal_session_close(s);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(session, comments_holding_semicolons_work)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    (void)backend;
    cr_expect_eq(dal_test_scalar(s, "SELECT 1 /* ; */"), 1);
    cr_expect_eq(dal_test_scalar(s, "SELECT /* a; b */ 2 -- c; d"), 2);
    cr_expect_eq(dal_test_scalar(s, "SELECT length('/* ; */') -- ;"), 7, "quoted text is kept");
    dal_value v = dal_int64(5);
    dal_result *r;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_query(s, "SELECT ? /* ;? */ + 1", &v, 1, &r, &err), err);
    cr_assert_eq(dal_result_next(r, &err), DAL_ROW);
    int64_t n = 0;
    DAL_OK_OR_FAIL(dal_result_int64(r, 0, &n, &err), err);
    cr_expect_eq(n, 6);
    dal_result_close(r);
    dal_session_close(s);
    dal_engine_dispose(e);
}

/* Reads the one row of remade_t through sql, expecting ("abc", "def"). */
static int read_remade_row(dal_session *s, const char *sql, const dal_value *params, size_t n,
                           dal_error *err)
{
    dal_result *r;
    int rc = dal_session_query(s, sql, params, n, &r, err);
    if (rc) return rc;
    cr_assert_eq(dal_result_next(r, err), DAL_ROW, "%s", err->message);
    const char *t;
    size_t len;
    double d;
    DAL_OK_OR_FAIL(dal_result_text(r, 0, &t, &len, err), *err);
    cr_assert_str_eq(t, "abc");
    DAL_OK_OR_FAIL(dal_result_text(r, 1, &t, &len, err), *err);
    cr_assert_str_eq(t, "def");
    dal_error expected = DAL_ERROR_INIT;
    cr_assert_eq(dal_result_double(r, 0, &d, &expected), DAL_ETYPE);
    dal_result_close(r);
    return DAL_OK;
}

/* The same SQL text on the same connection, after the table it reads was
 * made again with other column types: the values come back as they are now,
 * never converted by the shape the statement had before. PostgreSQL refuses
 * to run a prepared statement whose result changed shape (0A000) once; dal
 * prepares it again, so the retry reads the new table. */
DAL_TEST_EACH(session, a_repeated_query_reads_a_remade_table_as_it_is_now)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    dal_error err = DAL_ERROR_INIT;
    dal_test_exec(s, "DROP TABLE IF EXISTS remade_t");
    dal_test_exec(s, is_pg(backend) ? "CREATE TABLE remade_t (a DOUBLE PRECISION, b INTEGER)"
                                    : "CREATE TABLE remade_t (a DOUBLE, b INTEGER)");
    dal_test_exec(s, "INSERT INTO remade_t VALUES (1.5, 2)");
    static const char *const queries[] = {"SELECT a, b FROM remade_t",
                                          "SELECT a, b FROM remade_t WHERE 1 = ?"};
    dal_value one = dal_int64(1);
    for (int q = 0; q < 2; q++) {
        dal_result *r;
        double d;
        DAL_OK_OR_FAIL(dal_session_query(s, queries[q], &one, (size_t)q, &r, &err), err);
        cr_assert_eq(dal_result_next(r, &err), DAL_ROW);
        DAL_OK_OR_FAIL(dal_result_double(r, 0, &d, &err), err);
        cr_assert_eq(d, 1.5);
        dal_result_close(r);
    }
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);

    dal_test_exec(s, "DROP TABLE remade_t");
    dal_test_exec(s, "CREATE TABLE remade_t (a VARCHAR(20), b VARCHAR(20))");
    dal_test_exec(s, "INSERT INTO remade_t VALUES ('abc', 'def')");
    DAL_OK_OR_FAIL(dal_session_commit(s, &err), err);
    DAL_OK_OR_FAIL(read_remade_row(s, queries[0], NULL, 0, &err), err);
    int rc = read_remade_row(s, queries[1], &one, 1, &err);
    if (is_pg(backend)) {
        cr_assert_eq(rc, DAL_EODBC, "%s", err.message);
        cr_assert_str_eq(err.sqlstate, "0A000", "%s", err.message);
        dal_error_clear(&err);
        DAL_OK_OR_FAIL(dal_session_rollback(s, &err), err);
        rc = read_remade_row(s, queries[1], &one, 1, &err);
    }
    DAL_OK_OR_FAIL(rc, err);
    dal_session_close(s);
    dal_engine_dispose(e);
}

/* SQLite keeps text that is not a number in a DOUBLE column; sqliteodbc
 * would read 'abc' as NULL and '1.5abc' as 1.5. Both come back as the text
 * they are, and only real numbers read as numbers. */
Test(session, sqlite_text_in_a_double_column_reads_as_the_text_it_is)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(dal_test_url("sqlite", ""), &e, &s);
    dal_error err = DAL_ERROR_INIT;
    dal_test_exec(s, "CREATE TABLE double_text (k INTEGER, a DOUBLE)");
    dal_test_exec(s,
                  "INSERT INTO double_text VALUES (1, 'abc'), (2, '1.5abc'), (3, 2.25), (4, NULL)");
    dal_result *r;
    DAL_OK_OR_FAIL(dal_session_query(s, "SELECT a FROM double_text ORDER BY k", NULL, 0, &r, &err),
                   err);
    static const char *const texts[] = {"abc", "1.5abc"};
    const char *t;
    size_t len;
    double d;
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(dal_result_next(r, &err), DAL_ROW);
        cr_assert_not(dal_result_is_null(r, 0), "row %d", k);
        DAL_OK_OR_FAIL(dal_result_text(r, 0, &t, &len, &err), err);
        cr_assert_str_eq(t, texts[k]);
        cr_assert_eq(dal_result_double(r, 0, &d, &err), DAL_ETYPE, "row %d", k);
        json_t *row;
        DAL_OK_OR_FAIL(dal_result_row_json(r, &row, &err), err);
        cr_assert_str_eq(json_string_value(json_object_get(row, "a")), texts[k]);
        json_decref(row);
    }
    cr_assert_eq(dal_result_next(r, &err), DAL_ROW);
    DAL_OK_OR_FAIL(dal_result_double(r, 0, &d, &err), err);
    cr_assert_eq(d, 2.25);
    cr_assert_eq(dal_result_next(r, &err), DAL_ROW);
    cr_assert(dal_result_is_null(r, 0));
    dal_result_close(r);
    dal_session_close(s);
    dal_engine_dispose(e);
}

/* Outside a transaction sqliteodbc runs a parameterless SELECT only as its
 * rows are fetched: dal_session_exec, which reads none, still runs it all
 * (here to the overflow on its second row), in a lazy_begin session as in a
 * read-only one. */
Test(session, sqlite_exec_runs_a_select_outside_a_transaction)
{
    dal_engine *e = dal_test_engine("sqlite", "?lazy_begin=true");
    static const char *const sql =
        "SELECT abs(x) FROM (SELECT 1 AS x UNION ALL SELECT -9223372036854775807 - 1)";
    for (int read_only = 0; read_only < 2; read_only++) {
        dal_session *s;
        dal_error err = DAL_ERROR_INIT;
        DAL_OK_OR_FAIL(read_only ? dal_session_open_read_only(e, &s, &err)
                                 : dal_session_open(e, &s, &err),
                       err);
        cr_expect_neq(dal_session_exec(s, sql, NULL, 0, NULL, &err), DAL_OK,
                      "read_only %d: the SELECT ran", read_only);
        cr_expect(strstr(err.message, "overflow"), "read_only %d: %s", read_only, err.message);
        dal_session_close(s);
    }
    dal_engine_dispose(e);
}

/* An integer column reads exactly through every getter, however the backend
 * hands it over (PostgreSQL as a binary int64, the others as text): as
 * int64 at both ends of the range, as a double only when the double is
 * exact, as text and as a JSON number digit for digit, as a boolean only
 * when 0 or 1. */
DAL_TEST_EACH(session, integers_read_exactly_through_every_getter)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    dal_test_exec(s, "DROP TABLE IF EXISTS ints_t");
    dal_test_exec(s, "CREATE TABLE ints_t (k INTEGER, v BIGINT)");
    static const int64_t values[] = {INT64_MIN, -1, 0, 1, 9007199254740993LL, INT64_MAX};
    dal_error err = DAL_ERROR_INIT;
    for (int k = 0; k < 6; k++) {
        dal_value v[] = {dal_int64(k), dal_int64(values[k])};
        DAL_OK_OR_FAIL(dal_session_exec(s, "INSERT INTO ints_t VALUES (?, ?)", v, 2, NULL, &err),
                       err);
    }
    dal_result *r;
    DAL_OK_OR_FAIL(dal_session_query(s, "SELECT v FROM ints_t ORDER BY k", NULL, 0, &r, &err), err);
    for (int k = 0; k < 6; k++) {
        cr_assert_eq(dal_result_next(r, &err), DAL_ROW);
        int64_t got;
        DAL_OK_OR_FAIL(dal_result_int64(r, 0, &got, &err), err);
        cr_expect_eq(got, values[k]);
        char want[24];
        snprintf(want, sizeof want, "%lld", (long long)values[k]);
        const char *t;
        size_t len;
        DAL_OK_OR_FAIL(dal_result_text(r, 0, &t, &len, &err), err);
        cr_expect_str_eq(t, want);
        cr_expect_eq(len, strlen(want));
        double d;
        dal_error derr = DAL_ERROR_INIT;
        int drc = dal_result_double(r, 0, &d, &derr);
        if (values[k] == 9007199254740993LL || values[k] == INT64_MAX) {
            cr_expect_eq(drc, DAL_ERANGE, "%s as a double", want);
        } else {
            cr_expect_eq(drc, DAL_OK, "%s: %s", want, derr.message);
            cr_expect_eq(d, (double)values[k]);
        }
        bool b;
        dal_error berr = DAL_ERROR_INIT;
        int brc = dal_result_bool(r, 0, &b, &berr);
        cr_expect_eq(brc, values[k] == 0 || values[k] == 1 ? DAL_OK : DAL_ETYPE, "%s", want);
        json_t *row;
        DAL_OK_OR_FAIL(dal_result_row_json(r, &row, &err), err);
        cr_expect(json_is_integer(json_object_get(row, "v")), "%s", want);
        cr_expect_eq(json_integer_value(json_object_get(row, "v")), values[k]);
        json_decref(row);
    }
    dal_result_close(r);
    dal_session_close(s);
    dal_engine_dispose(e);
}
