/* Text <-> typed value conversions: exact, or an error (never a silent 0). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
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
