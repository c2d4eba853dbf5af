#ifndef DAL_ERROR_INTERNAL_H
#define DAL_ERROR_INTERNAL_H

#include "dal/error.h"

#if defined(__GNUC__)
#define DAL__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DAL__PRINTF(a, b)
#endif

/* Fills err (unless NULL or already holding an error) and returns code. */
int dal__error_set(dal_error *err, dal_code code, const char *fmt, ...) DAL__PRINTF(3, 4);
/* Copies src into err (first error wins) and returns src->code. */
int dal__error_copy(dal_error *err, const dal_error *src);
int dal__error_nomem(dal_error *err);

#endif
