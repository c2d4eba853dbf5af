/** @file dal/error.h
 * Structured errors. Every fallible call returns DAL_OK (0) or a dal_code and
 * fills a caller-owned dal_error (NULL allowed). The first error wins: a
 * dal_error that already holds an error is not overwritten, so initialise it
 * with DAL_ERROR_INIT (or dal_error_clear) before a sequence of calls.
 * Thread safety: every function here, any thread. */
#ifndef DAL_ERROR_H
#define DAL_ERROR_H

#include "export.h"

DAL_BEGIN_DECLS

/** One table generates the enum, the names and the messages: name, value,
 * text. Codes are never renumbered; new ones are appended. */
#define DAL_ERRNO_MAP(XX)                                                                          \
    XX(ENOTCONFIGURED, 1,                                                                          \
       "Database has not been configured, i.e. dal_configure() was not called.")                   \
    XX(ENOSCOPE, 2, "No session is available in the current scope.")                               \
    XX(EURL, 3, "invalid database URL")                                                            \
    XX(EDRIVER, 4, "unknown URL scheme or ODBC driver not installed")                              \
    XX(ECONNECT, 5, "could not connect to the database")                                           \
    XX(EDISCONNECTED, 6, "connection to the database was lost")                                    \
    XX(ETIMEOUT, 7, "timed out")                                                                   \
    XX(ECONSTRAINT, 8, "constraint violation")                                                     \
    XX(ESYNTAX, 9, "syntax error or unknown object")                                               \
    XX(EDATA, 10, "invalid data")                                                                  \
    XX(ECONFLICT, 11, "transaction conflict (retryable)")                                          \
    XX(EBUSY, 12, "database or resource busy")                                                     \
    XX(EJSON, 13, "invalid JSON")                                                                  \
    XX(ETYPE, 14, "value cannot be converted to the requested type")                               \
    XX(ENULL, 15, "value is NULL")                                                                 \
    XX(ERANGE, 16, "value out of range")                                                           \
    XX(ENOMEM, 17, "out of memory")                                                                \
    XX(EMISUSE, 18, "API misuse (wrong state, wrong thread or closed handle)")                     \
    XX(EODBC, 19, "ODBC error")                                                                    \
    XX(EABORTED, 20, "transaction aborted by an earlier error: roll it back")                      \
    XX(EINDOUBT, 21, "commit outcome unknown: the connection was lost or timed out during COMMIT") \
    XX(EREADONLY, 22, "write attempted in a read-only session or on a read-only server")           \
    XX(EMIGRATE, 23, "migration files or history are inconsistent")

/** Every code a call can return (DAL_OK is 0). */
typedef enum dal_code {
    DAL_OK = 0,
#define DAL__XX(name, value, text) DAL_##name = value,
    DAL_ERRNO_MAP(DAL__XX)
#undef DAL__XX
} dal_code;

/** What went wrong, filled by the call that failed. The struct may grow at
 * its end: initialise it with DAL_ERROR_INIT. */
typedef struct dal_error {
    dal_code code;     /**< DAL_E...                                   */
    char sqlstate[6];  /**< "" when not from the database              */
    long native_code;  /**< driver/database native code, 0 if none     */
    char message[512]; /**< human text; never contains a password      */
} dal_error;

/** The initialiser of a dal_error that holds no error. */
#define DAL_ERROR_INIT                                                                             \
    {                                                                                              \
        DAL_OK, "", 0, ""                                                                          \
    }

/** Static text for a code, never NULL ("unknown error" for unknown codes). */
DAL_EXPORT const char *dal_strerror(int code);
/** The code's name without prefix, e.g. "ECONSTRAINT" (static text; "OK"
 * for DAL_OK, "EUNKNOWN" for unknown codes); never NULL. */
DAL_EXPORT const char *dal_code_name(int code);
/** Resets err to "no error" (NULL is a no-op). */
DAL_EXPORT void dal_error_clear(dal_error *err);

DAL_END_DECLS

#endif
