#include "convert.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dal/error.h"
#include "numeric_locale.h"

/* The integer a decimal text stands for ("-12.00", "1.5e3", "+7"), written
 * into buf as an optional '-' and digits without leading zeros. DAL_ETYPE
 * when the text is no number or not a whole one; DAL_ERANGE when the
 * integer has more digits than buf holds. Exact: no floating point. */
static int integer_text(const char *s, char *buf, size_t cap)
{
    const char *p = s;
    bool negative = *p == '-';
    if (*p == '-' || *p == '+') p++;
    const char *int_start = p;
    while (isdigit((unsigned char)*p))
        p++;
    size_t int_len = (size_t)(p - int_start);
    const char *frac_start = p, *frac_end = p;
    if (*p == '.') {
        frac_start = ++p;
        while (isdigit((unsigned char)*p))
            p++;
        frac_end = p;
    }
    size_t frac_len = (size_t)(frac_end - frac_start);
    if (int_len + frac_len == 0) return DAL_ETYPE;
    long exponent = 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        bool exp_negative = *p == '-';
        if (*p == '-' || *p == '+') p++;
        if (!isdigit((unsigned char)*p)) return DAL_ETYPE;
        for (; isdigit((unsigned char)*p); p++)
            if (exponent < 100000) exponent = exponent * 10 + (*p - '0');
        if (exp_negative) exponent = -exponent;
    }
    if (*p) return DAL_ETYPE;
    /* The digits int_start..frac_end (without the point) times 10^shift. */
    size_t k = 0, ndigits = 0;
    long shift = exponent - (long)frac_len;
    size_t total = int_len + frac_len;
    /* Digits dropped by a negative shift must be zeros. */
    size_t keep = shift < 0 ? (-shift >= (long)total ? 0 : total - (size_t)-shift) : total;
    for (size_t i = 0; i < total; i++) {
        char c = i < int_len ? int_start[i] : frac_start[i - int_len];
        if (i >= keep) {
            if (c != '0') return DAL_ETYPE;
            continue;
        }
        if (ndigits == 0 && c == '0') continue; /* leading zero */
        if (k == 0 && negative) {
            if (cap < 2) return DAL_ERANGE;
            buf[k++] = '-';
        }
        if (k + 1 >= cap) return DAL_ERANGE;
        buf[k++] = c;
        ndigits++;
    }
    if (ndigits == 0) {
        buf[0] = '0', buf[1] = '\0';
        return 0;
    }
    for (long z = 0; shift > 0 && z < shift; z++) {
        if (k + 1 >= cap) return DAL_ERANGE;
        buf[k++] = '0';
    }
    buf[k] = '\0';
    return 0;
}

int dal__parse_int64(const char *s, int64_t *out)
{
    /* What drivers send nearly always: up to 18 plain digits, which cannot
     * overflow. Anything else takes the exact general path. */
    const char *p = s + (*s == '-');
    int64_t v = 0;
    int n = 0;
    for (; n < 18 && p[n] >= '0' && p[n] <= '9'; n++)
        v = v * 10 + (p[n] - '0');
    if (n > 0 && !p[n]) {
        *out = *s == '-' ? -v : v;
        return 0;
    }
    char digits[24];
    int rc = integer_text(s, digits, sizeof digits);
    if (rc) return rc;
    errno = 0;
    long long parsed = strtoll(digits, NULL, 10);
    if (errno == ERANGE) return DAL_ERANGE;
    *out = (int64_t)parsed;
    return 0;
}

int dal__parse_double_exact_integers(const char *s, double *out)
{
    double d;
    int rc = dal__parse_double(s, &d);
    if (rc) return rc;
    char digits[400], printed[400];
    if (integer_text(s, digits, sizeof digits) == 0) {
        snprintf(printed, sizeof printed, "%.0f", d);
        if (strcmp(printed, digits) != 0 && !(d == 0 && !strcmp(digits, "0"))) return DAL_ERANGE;
    }
    *out = d;
    return 0;
}

/* Clinger's fast path: a plain decimal of at most 15 significant digits
 * whose power of ten is at most 22 is one exact integer and one exact power
 * of ten, so a single IEEE multiplication or division rounds it exactly as
 * strtod does. That is what databases print (SQLite's "%!.15g"); anything
 * else (more digits, larger exponents, "inf", hex) is left to strtod. */
static bool parse_double_fast(const char *s, double *out)
{
    static const double powers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                    1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *p = s + (*s == '-');
    uint64_t mantissa = 0;
    int significant = 0, digits = 0, exponent = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        if (mantissa || *p != '0') significant++;
        mantissa = mantissa * 10 + (uint64_t)(*p - '0');
        if (significant > 15) return false;
    }
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, digits++, exponent--) {
            if (mantissa || *p != '0') significant++;
            mantissa = mantissa * 10 + (uint64_t)(*p - '0');
            if (significant > 15) return false;
        }
    if (digits == 0) return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        bool negative = *p == '-';
        if (*p == '-' || *p == '+') p++;
        int e = 0, n = 0;
        for (; *p >= '0' && *p <= '9' && n < 4; p++, n++)
            e = e * 10 + (*p - '0');
        if (n == 0 || n == 4) return false;
        exponent += negative ? -e : e;
    }
    if (*p || exponent < -22 || exponent > 22) return false;
    double d = (double)mantissa;
    d = exponent < 0 ? d / powers[-exponent] : d * powers[exponent];
    *out = *s == '-' ? -d : d;
    return true;
}

int dal__parse_double(const char *s, double *out)
{
    if (parse_double_fast(s, out)) return 0;
    char *end;
    if (!*s || isspace((unsigned char)*s)) return DAL_ETYPE;
    errno = 0;
    locale_t previous = dal__numeric_c_begin();
    double d = strtod(s, &end);
    int strtod_errno = errno;
    dal__numeric_c_end(previous);
    errno = strtod_errno;
    if (*end) return DAL_ETYPE;
    if (errno == ERANGE && isinf(d)) return DAL_ERANGE;
    *out = d;
    return 0;
}

int dal__parse_bool(const char *s, bool *out)
{
    static const char *const t[] = {"1", "t", "true", "y", "yes", "on"};
    static const char *const f[] = {"0", "f", "false", "n", "no", "off"};
    for (size_t i = 0; i < 6; i++) {
        if (!strcasecmp(s, t[i])) return *out = true, 0;
        if (!strcasecmp(s, f[i])) return *out = false, 0;
    }
    return DAL_ETYPE;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i])) return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

int dal__parse_timestamp(const char *s, int64_t *us)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    int64_t frac = 0;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
        return DAL_ETYPE;
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return DAL_ETYPE;
    if (*p == ' ' || *p == 'T') {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
            digits(&p, 2, &sec))
            return DAL_ETYPE;
        if (h > 23 || mi > 59 || sec > 60) return DAL_ETYPE;
        if (*p == '.') {
            p++;
            int n = 0;
            while (isdigit((unsigned char)*p)) {
                if (n < 6) frac = frac * 10 + (*p - '0');
                n++;
                p++;
            }
            if (n == 0) return DAL_ETYPE;
            for (; n < 6; n++)
                frac *= 10;
        }
    }
    int64_t offset = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
        if (digits(&p, 2, &oh)) return DAL_ETYPE;
        if (*p == ':') p++;
        if (isdigit((unsigned char)*p) && digits(&p, 2, &om)) return DAL_ETYPE;
        offset = sign * (oh * 3600 + om * 60);
    }
    if (*p) return DAL_ETYPE;
    int64_t secs =
        days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec - offset;
    *us = secs * 1000000 + frac;
    return 0;
}

void dal__format_timestamp(int64_t us, bool iso, char *buf, size_t n)
{
    int64_t secs = us / 1000000, frac = us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        secs--;
    }
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(buf, n, "%04lld-%02u-%02u%c%02d:%02d:%02d.%06lld%s", (long long)y, m, d,
             iso ? 'T' : ' ', (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60),
             (long long)frac, iso ? "Z" : "");
}

void dal__format_double(double d, char *buf, size_t n)
{
    locale_t previous = dal__numeric_c_begin();
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, n, "%.*g", digits, d);
        if (strtod(buf, NULL) == d) break;
    }
    dal__numeric_c_end(previous);
}
