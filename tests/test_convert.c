/* Text <-> typed value conversions: exact, or an error (never a silent 0). */
#include <criterion/criterion.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "dal/error.h"

Test(convert, int64)
{
    struct {
        const char *in;
        int code;
        int64_t want;
    } t[] = {
        {"0", 0, 0},
        {"-1", 0, -1},
        {"9223372036854775807", 0, INT64_MAX},
        {"-9223372036854775808", 0, INT64_MIN},
        {"9223372036854775808", DAL_ERANGE, 0},
        {"-9223372036854775809", DAL_ERANGE, 0},
        {"3.0", 0, 3},
        {"3.5", DAL_ETYPE, 0},
        {"1e30", DAL_ERANGE, 0},
        {"abc", DAL_ETYPE, 0},
        {"", DAL_ETYPE, 0},
        {" 1", DAL_ETYPE, 0},
        {"1 ", DAL_ETYPE, 0},
        {"12abc", DAL_ETYPE, 0},
        /* exact, never through a double */
        {"9007199254740993.0", 0, 9007199254740993LL},
        {"12345678901234567.00", 0, 12345678901234567LL},
        {"9223372036854775807.0", 0, INT64_MAX},
        {"-9223372036854775808.000", 0, INT64_MIN},
        {"9223372036854775808.0", DAL_ERANGE, 0},
        {"9007199254740993.000000001", DAL_ETYPE, 0},
        {"+42", 0, 42},
        {"007", 0, 7},
        {"-0.0", 0, 0},
        {"1.5e3", 0, 1500},
        {"15000e-1", 0, 1500},
        {"15001e-1", DAL_ETYPE, 0},
        {"1E2", 0, 100},
        {"0.5e1", 0, 5},
        {"5e-1", DAL_ETYPE, 0},
        {"1e", DAL_ETYPE, 0},
        {".", DAL_ETYPE, 0},
        {"3.", 0, 3},
        {"-", DAL_ETYPE, 0},
        {"1e99999999999", DAL_ERANGE, 0},
        {"0e99999999999", 0, 0},
        {"nan", DAL_ETYPE, 0},
        {"inf", DAL_ETYPE, 0},
        /* the plain-digits fast path and where it ends */
        {"999999999999999999", 0, 999999999999999999LL},
        {"-999999999999999999", 0, -999999999999999999LL},
        {"9223372036854775807", 0, INT64_MAX},
        {"-9223372036854775808", 0, INT64_MIN},
        {"9223372036854775808", DAL_ERANGE, 0},
        {"-9223372036854775809", DAL_ERANGE, 0},
        {"0000000000000000000042", 0, 42},
        {"--1", DAL_ETYPE, 0},
        {"-a", DAL_ETYPE, 0},
        {"12\n", DAL_ETYPE, 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int64_t v = 42;
        int rc = dal__parse_int64(t[i].in, &v);
        cr_expect_eq(rc, t[i].code, "'%s' -> %d", t[i].in, rc);
        if (!rc) cr_expect_eq(v, t[i].want, "'%s' -> %lld", t[i].in, (long long)v);
    }
}

Test(convert, double_and_bool)
{
    double d;
    cr_expect_eq(dal__parse_double("1e308", &d), 0);
    cr_expect_eq(d, 1e308);
    cr_expect_eq(dal__parse_double("-0", &d), 0);
    cr_expect(signbit(d));
    cr_expect_eq(dal__parse_double("1e400", &d), DAL_ERANGE);
    cr_expect_eq(dal__parse_double("x", &d), DAL_ETYPE);
    cr_expect_eq(dal__parse_double("0.1", &d), 0);
    cr_expect_eq(d, 0.1);
    /* whole numbers become exactly that integer or fail; fractions round */
    cr_expect_eq(dal__parse_double_exact_integers("9007199254740992", &d), 0);
    cr_expect_eq(d, 9007199254740992.0);
    cr_expect_eq(dal__parse_double_exact_integers("9007199254740993", &d), DAL_ERANGE);
    cr_expect_eq(dal__parse_double_exact_integers("12345678901234567.00", &d), DAL_ERANGE);
    cr_expect_eq(dal__parse_double_exact_integers("1e300", &d), DAL_ERANGE);
    cr_expect_eq(dal__parse_double_exact_integers("-0", &d), 0);
    cr_expect_eq(dal__parse_double_exact_integers("0.1", &d), 0);
    cr_expect_eq(d, 0.1);
    cr_expect_eq(dal__parse_double_exact_integers("-2.50", &d), 0);
    cr_expect_eq(d, -2.5);
    bool b;
    cr_expect_eq(dal__parse_bool("t", &b), 0);
    cr_expect(b);
    cr_expect_eq(dal__parse_bool("0", &b), 0);
    cr_expect(!b);
    cr_expect_eq(dal__parse_bool("TRUE", &b), 0);
    cr_expect(b);
    cr_expect_eq(dal__parse_bool("2", &b), DAL_ETYPE);
}

/* The fast path for short decimals must give strtod's double, bit for bit,
 * and leave every other form to strtod (same code, same value). */
static void expect_as_strtod(const char *text)
{
    char *end;
    double want = strtod(text, &end), got = 0;
    int rc = dal__parse_double(text, &got);
    if (*end || !*text || text[0] == ' ') {
        cr_expect_eq(rc, DAL_ETYPE, "'%s' -> %d", text, rc);
        return;
    }
    cr_assert_eq(rc, 0, "'%s' -> %d", text, rc);
    cr_expect_eq(memcmp(&got, &want, sizeof got), 0, "'%s' -> %.17g, strtod %.17g", text, got,
                 want);
}

Test(convert, double_reads_as_strtod)
{
    // clang-format off
    static const char *const forms[] = {
        "0",  "-0", "0.0", "-0.0", "1.", ".5", "-.5", "1e5", "1E+05", "1e-05", "0e400", "5e-324",
        "1e22", "1e23", "123456789012345", "1234567890123456", "0.1", "0.3", "2.2250738585072014e-308",
        "9007199254740993", "1.7976931348623157e308", "1e-22", "1e-23", "0.000000000000000000001",
        "+1.5", "1e", "1e+", "-", ".", "", " 1", "1 ", "1.5abc", "inf", "nan", "0x1A",
        "100000000000000000000000", "1e0001", "1e00001", "--1", "1..2", "1.2.3", "1e5.5"};
    // clang-format on
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
        expect_as_strtod(forms[i]);
    /* What databases print: every precision, fixed and exponent forms. */
    uint64_t x = 88172645463325252u;
    char text[64];
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift */
        double v;
        uint64_t bits = x;
        memcpy(&v, &bits, sizeof v);
        if (isnan(v) || isinf(v)) continue;
        if (i % 3 == 0) v = (double)(int64_t)(x % 100000000) / (double)(1 + x % 10000);
        static const char *const fmt[] = {"%.*g", "%.*e", "%.*f"};
        int prec = (int)(x >> 60) + 1; /* 1..16 */
        snprintf(text, sizeof text, fmt[i % 3], prec, v);
        expect_as_strtod(text);
    }
}

Test(convert, timestamps_round_trip)
{
    int64_t samples[] = {0,
                         1,
                         -1,
                         1700000000123456LL,
                         -1234567890123456LL,
                         4102444800000000LL /* 2100 */,
                         -62135596800000000LL /* year 1 */,
                         253402300799999999LL /* 9999 */};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char buf[48];
        int64_t back = 0;
        dal__format_timestamp(samples[i], false, buf, sizeof buf);
        cr_expect_eq(dal__parse_timestamp(buf, &back), 0, "%s", buf);
        cr_expect_eq(back, samples[i], "%s", buf);
        dal__format_timestamp(samples[i], true, buf, sizeof buf);
        cr_expect_eq(dal__parse_timestamp(buf, &back), 0, "%s", buf);
        cr_expect_eq(back, samples[i], "%s", buf);
    }
}

Test(convert, timestamp_forms)
{
    struct {
        const char *in;
        int code;
        int64_t us;
    } t[] = {
        {"1970-01-01 00:00:00", 0, 0},
        {"1970-01-01", 0, 0},
        {"1970-01-01T00:00:01Z", 0, 1000000},
        {"1970-01-01 01:00:00+01", 0, 0},
        {"1970-01-01 01:30:00+01:30", 0, 0},
        {"1969-12-31 19:00:00-05", 0, 0},
        {"2000-02-29 12:00:00.5", 0, 951825600500000LL},
        {"2000-02-29 12:00:00.1234567", 0, 951825600123456LL},
        {"2000-13-01", DAL_ETYPE, 0},
        {"2000-01-01 25:00:00", DAL_ETYPE, 0},
        {"yesterday", DAL_ETYPE, 0},
        {"2000-01-01 00:00:00.", DAL_ETYPE, 0},
        {"2000-01-01 00:00:00 junk", DAL_ETYPE, 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int64_t us = -7;
        int rc = dal__parse_timestamp(t[i].in, &us);
        cr_expect_eq(rc, t[i].code, "%s", t[i].in);
        if (!rc) cr_expect_eq(us, t[i].us, "%s -> %lld", t[i].in, (long long)us);
    }
}

/* dal's numbers keep '.' whatever LC_NUMERIC the program set (a German
 * locale writes and reads "1,5"); the program's locale stays as it was. */
Test(convert, numbers_ignore_the_program_locale)
{
    cr_assert_not_null(setlocale(LC_ALL, "de_DE.UTF-8"),
                       "de_DE.UTF-8 is missing: scripts/install-deps generates it");
    cr_assert_str_eq(localeconv()->decimal_point, ",");
    double d = 0;
    cr_expect_eq(dal__parse_double("1.5", &d), 0);
    cr_expect_eq(d, 1.5);
    cr_expect_eq(dal__parse_double("0.30000000000000004", &d), 0, "17 digits: strtod's path");
    cr_expect_eq(d, 0.1 + 0.2);
    cr_expect_eq(dal__parse_double("1.7976931348623157e308", &d), 0);
    cr_expect_eq(d, 1.7976931348623157e308);
    cr_expect_eq(dal__parse_double("1,5", &d), DAL_ETYPE, "a comma is no decimal point in SQL");
    cr_expect_eq(dal__parse_double_exact_integers("12345678901234567.5", &d), 0);
    char text[40];
    dal__format_double(0.1 + 0.2, text, sizeof text);
    cr_expect_str_eq(text, "0.30000000000000004");
    dal__format_double(-2.5, text, sizeof text);
    cr_expect_str_eq(text, "-2.5");
    cr_expect_str_eq(localeconv()->decimal_point, ",", "the program's locale is untouched");
}
