/* A compact JSON writer: UTF-8 out, reals in their shortest round-trip form
 * (jansson always writes 17 digits), used for values and for streaming rows. */
#ifndef DAL_JSON_WRITE_H
#define DAL_JSON_WRITE_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"

#define DAL__JSON_MAX_DEPTH 2048

/* Appends value; -1 when it nests deeper than DAL__JSON_MAX_DEPTH. */
int dal__json_write(dal__buf *b, const json_t *value);
/* -1 (and nothing usable appended) when s is not valid UTF-8. */
int dal__json_write_string(dal__buf *b, const char *s, size_t n);
/* Shortest text that reads back as exactly d (with ".0" when integral). */
void dal__json_write_real(dal__buf *b, double d);
void dal__json_write_base64(dal__buf *b, const unsigned char *p, size_t n);

#endif
