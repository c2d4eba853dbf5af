/* High availability on a real primary + hot standby (scripts/pg-cluster,
 * synchronous replication with remote_apply): where sessions land, reads
 * falling back to the primary, read-your-writes, host lists with a dead or
 * hung first host. Run by tests/ha/ha_test.sh, one case at a time (one
 * stops the standby). The failover itself runs through hang_check
 * (tests/ha/ha_test.sh: the primary killed and the standby promoted under
 * load). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends.h"

static const char *env(const char *name)
{
    const char *v = getenv(name);
    cr_assert(v && *v, "%s is not set: run through tests/ha/ha_test.sh", name);
    return v;
}

static dal_engine *cluster_engine(const char *query)
{
    char url[1024];
    snprintf(url, sizeof url, "%s%s", env("DAL_TEST_CLUSTER_URL"), query);
    dal_engine *e;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_engine_create(url, NULL, &e, &err), err);
    return e;
}

/* The port the session's server listens on, and whether it is a standby. */
static int server_of(dal_session *s, bool *standby)
{
    *standby = dal_test_scalar(s, "SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END") == 1;
    return (int)dal_test_scalar(s, "SELECT inet_server_port()");
}

Test(ha, normal_sessions_reach_the_primary_read_only_ones_the_standby)
{
    int primary = dal_test_url_port(env("DAL_TEST_PRIMARY_URL")), standby = dal_test_url_port(env("DAL_TEST_STANDBY_URL"));
    dal_engine *e = cluster_engine("");
    dal_error err = DAL_ERROR_INIT;
    dal_session *w, *r;
    bool in_recovery;
    DAL_OK_OR_FAIL(dal_session_open(e, &w, &err), err);
    cr_expect_eq(server_of(w, &in_recovery), primary);
    cr_expect_not(in_recovery);
    DAL_OK_OR_FAIL(dal_session_open_read_only(e, &r, &err), err);
    cr_expect_eq(server_of(r, &in_recovery), standby);
    cr_expect(in_recovery);
    cr_expect_eq(dal_session_exec(r, "CREATE TABLE ha_never (k INTEGER)", NULL, 0, NULL, &err),
                 DAL_EREADONLY, "%s", err.message);
    dal_session_close(r);
    dal_session_close(w);
    dal_engine_dispose(e);
}

Test(ha, read_only_sessions_see_every_commit_at_once)
{
    /* remote_apply: a commit returns once the standby has applied it. */
    dal_engine *e = cluster_engine("");
    dal_error err = DAL_ERROR_INIT;
    dal_session *w, *r;
    DAL_OK_OR_FAIL(dal_session_open(e, &w, &err), err);
    dal_test_exec(w, "DROP TABLE IF EXISTS ha_ryw");
    dal_test_exec(w, "CREATE TABLE ha_ryw (k INTEGER)");
    DAL_OK_OR_FAIL(dal_session_commit(w, &err), err);
    DAL_OK_OR_FAIL(dal_session_open_read_only(e, &r, &err), err);
    for (int k = 1; k <= 50; k++) {
        dal_value v = dal_int64(k);
        DAL_OK_OR_FAIL(dal_session_exec(w, "INSERT INTO ha_ryw VALUES (?)", &v, 1, NULL, &err), err);
        DAL_OK_OR_FAIL(dal_session_commit(w, &err), err);
        cr_expect_eq(dal_test_scalar(r, "SELECT COUNT(*) FROM ha_ryw"), k, "after commit %d", k);
    }
    dal_session_close(r);
    dal_session_close(w);
    dal_engine_dispose(e);
}

Test(ha, reads_fall_back_to_the_primary_while_the_standby_is_down)
{
    int primary = dal_test_url_port(env("DAL_TEST_PRIMARY_URL"));
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s stop-standby", env("DAL_TEST_CLUSTER_SCRIPT"));
    cr_assert_eq(system(cmd), 0);
    dal_engine *e = cluster_engine("");
    dal_error err = DAL_ERROR_INIT;
    dal_session *r;
    bool in_recovery = true;
    DAL_OK_OR_FAIL(dal_session_open_read_only(e, &r, &err), err);
    cr_expect_eq(server_of(r, &in_recovery), primary);
    cr_expect_not(in_recovery);
    cr_expect_eq(dal_session_exec(r, "CREATE TABLE ha_never (k INTEGER)", NULL, 0, NULL, &err),
                 DAL_EREADONLY, "read-only on the primary too: %s", err.message);
    dal_session_close(r);
    dal_engine_dispose(e);
    snprintf(cmd, sizeof cmd, "%s start-standby", env("DAL_TEST_CLUSTER_SCRIPT"));
    cr_assert_eq(system(cmd), 0);
}

/* A host list whose first host is "first": the session lands on the primary. */
static double connect_past(const char *first)
{
    const char *primary = env("DAL_TEST_PRIMARY_URL");
    const char *at = strrchr(primary, '@');
    char url[1024];
    snprintf(url, sizeof url, "%.*s%s,%s?connect_timeout=1", (int)(at + 1 - primary), primary,
             first, at + 1);
    dal_engine *e;
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_engine_create(url, NULL, &e, &err), err);
    double started = dal_test_now();
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    double took = dal_test_now() - started;
    bool in_recovery = true;
    cr_expect_eq(server_of(s, &in_recovery), dal_test_url_port(primary));
    dal_session_close(s);
    dal_engine_dispose(e);
    return took;
}

Test(ha, a_host_list_skips_a_first_host_that_is_down_or_hangs)
{
    cr_expect_lt(connect_past("127.0.0.1:1"), 3, "nothing listens: the next host at once");
    /* A listener that accepts and never answers: connect_timeout per host. */
    int port;
    int fd = dal_test_silent_listener(&port);
    char hung[64];
    snprintf(hung, sizeof hung, "127.0.0.1:%d", port);
    double took = connect_past(hung);
    cr_expect(took >= 0.9 && took < 4, "the hung host cost connect_timeout: %.2fs", took);
    close(fd);
}

Test(ha, a_normal_connection_to_a_read_only_server_is_never_reused)
{
    /* A single-host URL that names the standby: what a program sees when
     * its server turned read-only. */
    dal_engine *e;
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_engine_create(env("DAL_TEST_STANDBY_URL"), NULL, &e, &err), err);
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    cr_expect_eq(dal_session_exec(s, "CREATE TABLE ha_never (k INTEGER)", NULL, 0, NULL, &err),
                 DAL_EREADONLY, "%s", err.message);
    dal_session_close(s);
    dal_pool_stats st;
    dal_engine_pool_stats(e, &st);
    cr_expect_eq(st.discards, 1, "discarded at check-in");
    cr_expect_eq(st.idle, 0, "not kept for the next session");
    dal_engine_dispose(e);
}
