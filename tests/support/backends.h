/* Test fixtures: run one test body against every real backend.
 *
 *   DAL_TEST_EACH(suite, name) { ... uses `url` and `backend` ... }
 *
 * defines suite::name_sqlite (a fresh SQLite file in a temp directory),
 * suite::name_postgresql (the private server of scripts/pg, whose URL comes
 * from DAL_TEST_PG_URL) and suite::name_mariadb (scripts/mariadb's server,
 * DAL_TEST_MARIADB_URL); a missing server fails the test, never skips it.
 * backend is "sqlite", "postgresql" or "mariadb". */
#ifndef DAL_TEST_BACKENDS_H
#define DAL_TEST_BACKENDS_H

#include <criterion/criterion.h>
#include <dal.h>

/* A URL for backend "sqlite", "postgresql" or "mariadb"; query is appended
 * ("" for none). */
const char *dal_test_url(const char *backend, const char *query);
/* Monotonic seconds. */
double dal_test_now(void);
/* The environment variable name, failing the test (naming script, which
 * sets it) when it is unset or empty. */
const char *dal_test_env(const char *name, const char *script);
/* The port of a URL's last host (the last :port before the database). */
int dal_test_url_port(const char *url);
/* A fresh temporary directory (removed by nobody: it lives in /tmp). */
const char *dal_test_tmpdir(void);

#define DAL_TEST_EACH(suite, name)                                                                 \
    static void suite##_##name##_body(const char *url, const char *backend);                       \
    Test(suite, name##_sqlite) { suite##_##name##_body(dal_test_url("sqlite", ""), "sqlite"); }    \
    Test(suite, name##_postgresql)                                                                 \
    {                                                                                              \
        suite##_##name##_body(dal_test_url("postgresql", ""), "postgresql");                       \
    }                                                                                              \
    Test(suite, name##_mariadb) { suite##_##name##_body(dal_test_url("mariadb", ""), "mariadb"); } \
    static void suite##_##name##_body(const char *url, const char *backend)

/* Asserts rc == DAL_OK, printing the error when it is not; rc is evaluated once. */
#define DAL_OK_OR_FAIL(rc, err)                                                                    \
    do {                                                                                           \
        int dal_test_rc_ = (rc); /* once: rc may be the call itself */                            \
        cr_assert_eq(dal_test_rc_, DAL_OK, "%s: %s [%s]", dal_code_name(dal_test_rc_),            \
                     (err).message, (err).sqlstate);                                               \
    } while (0)

/* A socket listening on 127.0.0.1 that accepts (the kernel completes the
 * handshake) and never answers: a hung server. Returns the fd (close it);
 * *port receives its port. */
int dal_test_silent_listener(int *port);
/* An engine on url, failing the test on error. */
dal_engine *dal_test_engine_at(const char *url);
/* An engine on backend's test database with query appended ("" for none). */
dal_engine *dal_test_engine(const char *backend, const char *query);
/* A session of e, failing the test on error. */
dal_session *dal_test_session(dal_engine *e);
/* Opens an engine + session on url, failing the test on error. */
void dal_test_open(const char *url, dal_engine **e, dal_session **s);
/* Runs sql (no parameters), failing the test on error. */
void dal_test_exec(dal_session *s, const char *sql);
/* The single int64 the query returns. */
int64_t dal_test_scalar(dal_session *s, const char *sql);
/* The dialect name dal gives backend ("mariadb" is "mysql"). */
const char *dal_test_dialect(const char *backend);

#endif
