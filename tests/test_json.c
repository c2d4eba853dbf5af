/* JSON through jansson on every backend: documents in JSON columns, rows as
 * JSON, streaming export, replaceable serializer. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "buf.h"

static bool is_pg(const char *backend) { return !strcmp(backend, "postgresql"); }

static void make_docs_table(dal_session *s, const char *backend, const char *type)
{
    dal_test_exec(s, "DROP TABLE IF EXISTS docs_t");
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE TABLE docs_t (id INTEGER PRIMARY KEY, doc %s)",
             type             ? type
             : is_pg(backend) ? "JSONB"
                              : "JSON");
    dal_test_exec(s, sql);
}

/* Stores doc in row id and reads it back as a new json_t. */
static json_t *round_trip(dal_session *s, int id, const json_t *doc)
{
    dal_error err = DAL_ERROR_INIT;
    dal_value v[] = {dal_int64(id), dal_json(doc)};
    DAL_OK_OR_FAIL(dal_session_exec(s, "INSERT INTO docs_t VALUES (?, ?)", v, 2, NULL, &err), err);
    dal_result *r;
    DAL_OK_OR_FAIL(dal_session_query(s, "SELECT doc FROM docs_t WHERE id = ?", v, 1, &r, &err),
                   err);
    cr_assert_eq(dal_result_next(r, &err), DAL_ROW);
    json_t *back = NULL;
    DAL_OK_OR_FAIL(dal_result_json(r, 0, &back, &err), err);
    dal_result_close(r);
    return back;
}

static void check_round_trips(const char *url, const char *backend, const char *type)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    make_docs_table(s, backend, type);

    /* nested 64 deep; MariaDB's JSON_VALID check stops at 32 levels, and
     * refuses deeper documents as a constraint violation, never cut short */
    bool maria = !strcmp(backend, "mariadb");
    json_t *deep = json_integer(64);
    for (int k = 0; k < (maria ? 31 : 64); k++)
        deep = k % 2 ? json_pack("[o]", deep) : json_pack("{s:o}", "d", deep);
    json_t *back = round_trip(s, 1, deep);
    cr_expect(json_equal(deep, back), "nested deep");
    json_decref(back);
    if (maria) {
        for (int k = 0; k < 33; k++)
            deep = json_pack("[o]", deep);
        dal_error err = DAL_ERROR_INIT;
        dal_value v[] = {dal_int64(100), dal_json(deep)};
        cr_expect_eq(dal_session_exec(s, "INSERT INTO docs_t VALUES (?, ?)", v, 2, NULL, &err),
                     DAL_ECONSTRAINT, "%s", err.message);
        dal_session_rollback(s, NULL);
    }
    json_decref(deep);

    /* unicode, 4-byte characters and control characters */
    json_t *text = json_pack("{s:s,s:s}", "emoji", "\xF0\x9F\x98\x80\xF0\x9D\x84\x9E", "ctl",
                             "a\n\t\x01\"\\b");
    back = round_trip(s, 2, text);
    cr_expect(json_equal(text, back), "unicode and control characters");
    json_decref(back);
    json_decref(text);

    /* int64 extremes and reals */
    json_t *nums =
        json_pack("[I,I,f,f,i]", (json_int_t)INT64_MAX, (json_int_t)INT64_MIN, 0.1, -2.5, 0);
    back = round_trip(s, 3, nums);
    cr_expect(json_equal(nums, back), "int64 extremes");
    json_decref(back);
    json_decref(nums);

    /* jsonb prints -1e300 as a 301-digit integer: it still reads back, as a real. */
    json_t *huge = json_pack("[f]", -1e300);
    back = round_trip(s, 6, huge);
    cr_expect(json_number_value(json_array_get(back, 0)) == -1e300, "huge real");
    json_decref(back);
    json_decref(huge);

    /* a 4 MB document */
    json_t *big = json_array();
    char item[64];
    for (int k = 0; json_array_size(big) < 80000; k++) {
        snprintf(item, sizeof item, "item-%08d-abcdefghijklmnopqrstuvwxyz-0123456789", k);
        json_array_append_new(big, json_string(item));
    }
    back = round_trip(s, 4, big);
    cr_expect(json_equal(big, back), "4 MB document");
    json_decref(back);
    json_decref(big);

    /* any JSON value, not only objects */
    json_t *scalar = json_string("just a string");
    back = round_trip(s, 5, scalar);
    cr_expect(json_equal(scalar, back));
    json_decref(back);
    json_decref(scalar);
    dal_session_close(s);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(json, documents_round_trip_in_json_columns) { check_round_trips(url, backend, NULL); }

Test(json, documents_round_trip_in_postgresql_json_columns)
{
    check_round_trips(dal_test_url("postgresql", ""), "postgresql", "JSON");
}

DAL_TEST_EACH(json, invalid_json_is_rejected_before_anything_is_written)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    make_docs_table(s, backend, NULL);
    dal_error err = DAL_ERROR_INIT;
    json_t *doc = dal_json_deserialize("{\"a\": [1, 2,\n  }", &err);
    cr_expect_null(doc);
    cr_expect_eq(err.code, DAL_EJSON);
    cr_expect_neq(strstr(err.message, "line 2"), NULL, "%s", err.message);
    cr_expect_neq(strstr(err.message, "column"), NULL, "%s", err.message);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM docs_t"), 0);
    dal_session_close(s);
    dal_engine_dispose(e);
}

Test(json, serialize_is_compact_and_exact)
{
    dal_error err = DAL_ERROR_INIT;
    json_t *v = json_pack("{s:f,s:f,s:f,s:I,s:s,s:[b,n]}", "a", 0.1, "b", 2.0, "c", 1e-7, "d",
                          (json_int_t)INT64_MIN, "e", "\xC3\xA9\n", "f", 1);
    char *text = dal_json_serialize(v, &err);
    cr_assert_not_null(text, "%s", err.message);
    cr_expect_str_eq(text, "{\"a\":0.1,\"b\":2.0,\"c\":1e-07,\"d\":-9223372036854775808,\"e\":"
                           "\"\xC3\xA9\\n\",\"f\":[true,null]}");
    json_t *back = dal_json_deserialize(text, &err);
    cr_expect(json_equal(v, back));
    free(text);
    json_decref(v);
    json_decref(back);
    cr_expect_null(dal_json_serialize(NULL, &err));
    json_t *scalar = dal_json_deserialize("42", NULL);
    cr_expect(json_is_integer(scalar));
    json_decref(scalar);
}

static char *upper_serialize(const json_t *v, dal_error *err)
{
    (void)err;
    (void)v;
    return strdup("{\"custom\":true}");
}

DAL_TEST_EACH(json, engine_options_replace_the_serializer)
{
    dal_engine_options o;
    dal_engine_options_init(&o);
    o.json_serialize = upper_serialize;
    dal_engine *e;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_engine_create(url, &o, &e, &err), err);
    dal_session *s;
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    make_docs_table(s, backend, NULL);
    json_t *doc = json_pack("{s:i}", "x", 1);
    json_t *back = round_trip(s, 1, doc);
    cr_expect(json_is_true(json_object_get(back, "custom")), "the configured serializer was used");
    json_decref(doc);
    json_decref(back);
    dal_session_close(s);
    dal_engine_dispose(e);
}

static int collect(void *ctx, const char *data, size_t n)
{
    dal__buf_append(ctx, data, n);
    return 0;
}

DAL_TEST_EACH(json, rows_as_json_for_every_column_type)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    dal_test_exec(s, "DROP TABLE IF EXISTS rowjson_t");
    dal_test_exec(s, is_pg(backend)
                         ? "CREATE TABLE rowjson_t (i BIGINT, d DOUBLE PRECISION, t TEXT, b BYTEA, "
                           "f BOOLEAN, ts TIMESTAMP, j JSONB, n TEXT)"
                     : !strcmp(backend, "mariadb")
                         ? "CREATE TABLE rowjson_t (i BIGINT, d DOUBLE, t TEXT, b BLOB, f BOOLEAN, "
                           "ts DATETIME(6), j JSON, n TEXT)"
                         : "CREATE TABLE rowjson_t (i BIGINT, d DOUBLE, t TEXT, b BLOB, f BOOLEAN, "
                           "ts TIMESTAMP, j JSON, n TEXT)");
    json_t *doc = json_pack("{s:[i,i]}", "k", 1, 2);
    dal_value v[] = {dal_int64(INT64_MIN), dal_double(0.1),
                     dal_text("x\"y"),     dal_blob("\x00\xff\x10", 3),
                     dal_bool(true),       dal_timestamp_us(-1000000),
                     dal_json(doc),        dal_null()};
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(
        dal_session_exec(s, "INSERT INTO rowjson_t VALUES (?,?,?,?,?,?,?,?)", v, 8, NULL, &err),
        err);
    DAL_OK_OR_FAIL(
        dal_session_exec(s, "INSERT INTO rowjson_t VALUES (?,?,?,?,?,?,?,?)", v, 8, NULL, &err),
        err);
    json_decref(doc);
    const char *want =
        "{\"i\":-9223372036854775808,\"d\":0.1,\"t\":\"x\\\"y\",\"b\":\"AP8Q\",\"f\":true,"
        "\"ts\":\"1969-12-31T23:59:59.000000Z\",\"j\":{\"k\":[1,2]},\"n\":null}";

    dal_result *r;
    DAL_OK_OR_FAIL(dal_session_query(s, "SELECT * FROM rowjson_t", NULL, 0, &r, &err), err);
    cr_assert_eq(dal_result_next(r, &err), DAL_ROW);
    json_t *row;
    DAL_OK_OR_FAIL(dal_result_row_json(r, &row, &err), err);
    char *text = dal_json_serialize(row, &err);
    cr_expect_str_eq(text, want);
    free(text);
    json_decref(row);

    /* The rest streams as JSON lines. */
    dal__buf out = {0};
    uint64_t n = 0;
    DAL_OK_OR_FAIL(dal_result_export_json(r, DAL_JSON_LINES, collect, &out, &n, &err), err);
    cr_expect_eq(n, 1);
    char line[1024];
    snprintf(line, sizeof line, "%s\n", want);
    cr_expect_str_eq(out.data, line);
    dal__buf_free(&out);
    dal_result_close(r);
    dal_session_close(s);
    dal_engine_dispose(e);
}

Test(json, invalid_utf8_text_is_an_error_not_broken_json)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(dal_test_url("sqlite", ""), &e, &s);
    dal_test_exec(s, "CREATE TABLE utf_t (t TEXT)");
    dal_value v = dal_textn("ok\xff\xfe", 4); /* SQLite stores any bytes in TEXT */
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_exec(s, "INSERT INTO utf_t VALUES (?)", &v, 1, NULL, &err), err);
    dal_result *r;
    DAL_OK_OR_FAIL(dal_session_query(s, "SELECT t FROM utf_t", NULL, 0, &r, &err), err);
    cr_assert_eq(dal_result_next(r, &err), DAL_ROW);
    json_t *row = NULL;
    cr_expect_eq(dal_result_row_json(r, &row, &err), DAL_EJSON);
    cr_expect_null(row);
    cr_expect_neq(strstr(err.message, "UTF-8"), NULL, "%s", err.message);
    const void *b;
    size_t len;
    DAL_OK_OR_FAIL(dal_result_blob(r, 0, &b, &len, &err), err);
    cr_expect_eq(len, 4, "the bytes are still readable exactly");
    dal_result_close(r);
    dal_session_close(s);
    dal_engine_dispose(e);
}

DAL_TEST_EACH(json, every_reader_of_a_json_column_uses_the_engines_codec)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    dal_error err = DAL_ERROR_INIT;
    dal_test_exec(s, "DROP TABLE IF EXISTS codec_t");
    dal_test_exec(s, !strcmp(backend, "postgresql") ? "CREATE TABLE codec_t (doc jsonb)"
                                                    : "CREATE TABLE codec_t (doc JSON)");
    dal_value v = dal_text("{\"big\": 123456789012345678901234567890, \"n\": 9007199254740993}");
    DAL_OK_OR_FAIL(dal_session_exec(s, "INSERT INTO codec_t VALUES (?)", &v, 1, NULL, &err), err);
    dal_result *r;
    DAL_OK_OR_FAIL(dal_session_query(s, "SELECT doc FROM codec_t", NULL, 0, &r, &err), err);
    cr_assert_eq(dal_result_next(r, &err), DAL_ROW);
    json_t *col, *row;
    DAL_OK_OR_FAIL(dal_result_json(r, 0, &col, &err), err);
    DAL_OK_OR_FAIL(dal_result_row_json(r, &row, &err), err);
    dal_result_close(r);
    dal__buf out = {0};
    DAL_OK_OR_FAIL(dal_session_query(s, "SELECT doc FROM codec_t", NULL, 0, &r, &err), err);
    DAL_OK_OR_FAIL(dal_result_export_json(r, DAL_JSON_ARRAY, collect, &out, NULL, &err), err);
    json_t *streamed = json_loadb(out.data, out.len, 0, NULL);
    cr_assert(streamed, "%.*s", (int)out.len, out.data);
    json_t *from_row = json_object_get(row, "doc");
    json_t *from_stream = json_object_get(json_array_get(streamed, 0), "doc");
    cr_expect(json_equal(col, from_row), "getter and row agree");
    cr_expect(json_equal(col, from_stream), "getter and streamed row agree");
    /* int64 stays exact; beyond it the one codec reads the nearest real */
    cr_expect_eq(json_integer_value(json_object_get(col, "n")), 9007199254740993LL);
    cr_expect(json_is_real(json_object_get(col, "big")));
    cr_expect_eq(json_real_value(json_object_get(col, "big")), 123456789012345678901234567890.0);
    json_decref(col);
    json_decref(row);
    json_decref(streamed);
    dal__buf_free(&out);
    dal_result_close(r);
    dal_session_close(s);
    dal_engine_dispose(e);
}

/* MariaDB's driver describes BOOLEAN as TINYINT and JSON as LONGTEXT; dal
 * asks the server which columns they are, and only those change. */
Test(json, mariadb_booleans_and_json_columns_are_told_from_integers_and_text)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(dal_test_url("mariadb", ""), &e, &s);
    dal_test_exec(s, "CREATE OR REPLACE TABLE kinds_t (f BOOLEAN, t TINYINT, j JSON, lt LONGTEXT)");
    dal_test_exec(s, "INSERT INTO kinds_t VALUES (0, 1, '[1]', '[2]'), (5, 2, '\"s\"', 'x')");
    dal_result *r;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_query(s,
                                     "SELECT f, t, j, lt, JSON_ARRAY(3) AS expr FROM kinds_t "
                                     "ORDER BY t",
                                     NULL, 0, &r, &err),
                   err);
    cr_expect_eq(dal_result_column_type(r, 0), DAL_TYPE_BOOL);
    cr_expect_eq(dal_result_column_type(r, 1), DAL_TYPE_INT64, "TINYINT(4) is a number");
    cr_expect_eq(dal_result_column_type(r, 2), DAL_TYPE_JSON);
    cr_expect_eq(dal_result_column_type(r, 3), DAL_TYPE_TEXT, "LONGTEXT without a JSON check");
    cr_expect_eq(dal_result_column_type(r, 4), DAL_TYPE_TEXT, "an expression has no table");
    dal__buf out = {0};
    DAL_OK_OR_FAIL(dal_result_export_json(r, DAL_JSON_LINES, collect, &out, NULL, &err), err);
    cr_expect_str_eq(out.data,
                     "{\"f\":false,\"t\":1,\"j\":[1],\"lt\":\"[2]\",\"expr\":\"[3]\"}\n"
                     "{\"f\":5,\"t\":2,\"j\":\"s\",\"lt\":\"x\",\"expr\":\"[3]\"}\n",
                     "a TINYINT(1) holding 5 stays 5");
    dal__buf_free(&out);
    dal_result_close(r);
    dal_session_close(s);
    dal_engine_dispose(e);
}
