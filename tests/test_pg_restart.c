/* The whole PostgreSQL server stopped and started again under the program:
 * checkouts fail with DAL_ECONNECT while it is down and work again after,
 * without a restart of the program. Runs alone (RUN_SERIAL in ctest). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends.h"

static int pg(const char *verb)
{
    char cmd[1024];
    const char *dir = getenv("DAL_SCRIPTS_DIR");
    cr_assert(dir, "DAL_SCRIPTS_DIR is not set (ctest sets it)");
    snprintf(cmd, sizeof cmd, "'%s/pg' %s >/dev/null", dir, verb);
    return system(cmd);
}

static void ensure_started(void) { pg("start"); }

TestSuite(pg_restart, .fini = ensure_started);

Test(pg_restart, checkouts_fail_while_down_and_recover_after)
{
    dal_engine *e;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_engine_create(dal_test_url("postgresql", "?pool_pre_ping=always&pool_timeout=5"), NULL,
                                     &e, &err),
                   err);
    dal_session *s;
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT 1"), 1);
    dal_session_close(s);

    cr_assert_eq(pg("stop"), 0);
    int rc = dal_session_open(e, &s, &err);
    cr_expect_eq(rc, DAL_ECONNECT, "%s: %s", dal_code_name(rc), err.message);
    cr_expect_null(s);
    dal_pool_stats st;
    dal_engine_pool_stats(e, &st);
    cr_expect_eq(st.checked_out, 0, "a failed checkout gives its slot back");
    cr_expect_eq(st.discards, 1, "the dead idle connection was discarded");

    cr_assert_eq(pg("start"), 0);
    dal_error_clear(&err);
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    cr_expect_eq(dal_test_scalar(s, "SELECT 2"), 2);
    dal_session_close(s);
    dal_engine_dispose(e);
}
