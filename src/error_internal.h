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
/* Puts the formatted text before e's message ("deferred statement 2 of 3:
 * <message>"), cutting the end when it no longer fits. */
void dal__error_prefix(dal_error *e, const char *fmt, ...) DAL__PRINTF(2, 3);

/* Makes e hold no error, for dal's own locals on a statement's path:
 * DAL_ERROR_INIT writes all 536 bytes, and one statement declares several.
 * Only what is read before an error is set is written; dal__error_copy
 * copies the message only up to its end. */
static inline void dal__error_empty(dal_error *e)
{
    e->code = DAL_OK;
    e->sqlstate[0] = '\0';
    e->native_code = 0;
    e->message[0] = '\0';
}

#endif
