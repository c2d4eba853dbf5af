/* Statements with their values written in as PostgreSQL literals, for the
 * one-message unit of work (defer.c). Depends on standard_conforming_strings
 * being on (set at every connect: drivers/postgresql.c), where a quote is
 * the only character with a meaning inside '...'. */
#ifndef DAL_LITERAL_H
#define DAL_LITERAL_H

#include <stddef.h>

#include "buf.h"
#include "dal/session.h"

struct dal_engine;

/* Appends v to out as a literal of the type dal binds it as. DAL_EDATA for
 * what cannot be written safely (text with a NUL byte, NaN or an infinite
 * double, a timestamp outside years 1-9999); DAL_EJSON, DAL_ENOMEM. */
int dal__literal_put(const struct dal_engine *e, const dal_value *v, dal__buf *out,
                     dal_error *err);

/* Appends sql to out with each '?' marker (outside quotes, comments and
 * dollar-quoted bodies) replaced by the literal of the next of params.
 * DAL_EMISUSE when markers and values differ in number. */
int dal__literal_statement(const struct dal_engine *e, const char *sql, const dal_value *params,
                           size_t nparams, dal__buf *out, dal_error *err);
#endif
