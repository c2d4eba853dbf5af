/* Exact conversions between text and typed values (no silent zeros). */
#ifndef DAL_CONVERT_H
#define DAL_CONVERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Each returns 0, or DAL_ETYPE (not that type) or DAL_ERANGE (too large). */
int dal__parse_int64(const char *s, int64_t *out);
int dal__parse_double(const char *s, double *out);
/* As dal__parse_double, but a whole number must become exactly that
 * integer ("9007199254740993" is DAL_ERANGE); fractions round to nearest. */
int dal__parse_double_exact_integers(const char *s, double *out);
int dal__parse_bool(const char *s, bool *out);
/* "YYYY-MM-DD[ T]HH:MM:SS[.ffffff][Z|+HH[:MM]]" or "YYYY-MM-DD", as UTC
 * microseconds since 1970. */
int dal__parse_timestamp(const char *s, int64_t *us);
/* The shortest text that reads back as exactly d (buf: 32 bytes). */
void dal__format_double(double d, char *buf, size_t n);
/* "YYYY-MM-DD HH:MM:SS.ffffff" (UTC) into buf of at least 32 bytes; with
 * iso set, "YYYY-MM-DDTHH:MM:SS.ffffffZ". */
void dal__format_timestamp(int64_t us, bool iso, char *buf, size_t n);

#endif
