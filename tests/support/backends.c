#include "backends.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

double dal_test_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *dal_test_env(const char *name, const char *script)
{
    const char *v = getenv(name);
    cr_assert(v && *v, "%s is not set: run %s", name, script);
    return v;
}

int dal_test_url_port(const char *url)
{
    const char *p = strrchr(url, '/');
    while (p > url && p[-1] != ':')
        p--;
    return atoi(p);
}

const char *dal_test_tmpdir(void)
{
    static char dir[256];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/dal-test-XXXXXX");
        cr_assert_not_null(mkdtemp(dir), "mkdtemp failed");
    }
    return dir;
}

/* The URL of a database of this test process's own on the MariaDB server:
 * MariaDB's DDL commits at once and takes no lock a parallel test would
 * wait for, so tests running at the same time must not share tables. */
static const char *mariadb_database(void)
{
    static char own[1024];
    if (own[0]) return own;
    const char *m = getenv("DAL_TEST_MARIADB_URL");
    cr_assert(m && *m,
              "DAL_TEST_MARIADB_URL is not set: run the suite with scripts/test, which starts "
              "the private MariaDB server (scripts/mariadb start; export "
              "DAL_TEST_MARIADB_URL=$(scripts/mariadb url))");
    const char *slash = strrchr(m, '/');
    cr_assert(slash && slash > strstr(m, "://") + 2, "no database in %s", m);
    char name[64];
    snprintf(name, sizeof name, "%s_p%ld", slash + 1, (long)getpid());
    dal_engine *e;
    dal_session *s;
    dal_test_open(m, &e, &s);
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE IF NOT EXISTS %s", name);
    dal_test_exec(s, sql);
    dal_session_close(s);
    dal_engine_dispose(e);
    snprintf(own, sizeof own, "%.*s/%s", (int)(slash - m), m, name);
    return own;
}

const char *dal_test_url(const char *backend, const char *query)
{
    static char url[2048];
    if (!strcmp(backend, "sqlite")) {
        snprintf(url, sizeof url, "sqlite:///%s/test.db%s", dal_test_tmpdir(), query);
    } else if (!strcmp(backend, "mariadb")) {
        snprintf(url, sizeof url, "%s%s", mariadb_database(), query);
    } else {
        const char *pg = getenv("DAL_TEST_PG_URL");
        cr_assert(pg && *pg,
                  "DAL_TEST_PG_URL is not set: run the suite with scripts/test, which starts the "
                  "private PostgreSQL server (scripts/pg start; export "
                  "DAL_TEST_PG_URL=$(scripts/pg url))");
        snprintf(url, sizeof url, "%s%s", pg, query);
    }
    return url;
}

const char *dal_test_dialect(const char *backend)
{
    return !strcmp(backend, "mariadb") ? "mysql" : backend;
}

dal_engine *dal_test_engine_at(const char *url)
{
    dal_engine *e;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_engine_create(url, NULL, &e, &err), err);
    return e;
}

dal_engine *dal_test_engine(const char *backend, const char *query)
{
    return dal_test_engine_at(dal_test_url(backend, query));
}

dal_session *dal_test_session(dal_engine *e)
{
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    return s;
}

void dal_test_open(const char *url, dal_engine **e, dal_session **s)
{
    *e = dal_test_engine_at(url);
    *s = dal_test_session(*e);
}

void dal_test_exec(dal_session *s, const char *sql)
{
    dal_error err = DAL_ERROR_INIT;
    int rc = dal_session_exec(s, sql, NULL, 0, NULL, &err);
    cr_assert_eq(rc, DAL_OK, "%s: %s: %s", sql, dal_code_name(rc), err.message);
}

int64_t dal_test_scalar(dal_session *s, const char *sql)
{
    dal_error err = DAL_ERROR_INIT;
    dal_result *r;
    int rc = dal_session_query(s, sql, NULL, 0, &r, &err);
    cr_assert_eq(rc, DAL_OK, "%s: %s", sql, err.message);
    rc = dal_result_next(r, &err);
    cr_assert_eq(rc, DAL_ROW, "%s: no row (%s)", sql, err.message);
    int64_t v = 0;
    rc = dal_result_int64(r, 0, &v, &err);
    cr_assert_eq(rc, DAL_OK, "%s: %s", sql, err.message);
    dal_result_close(r);
    return v;
}

int dal_test_silent_listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
              listen(fd, 8) == 0 && getsockname(fd, (struct sockaddr *)&addr, &len) == 0);
    *port = ntohs(addr.sin_port);
    return fd;
}
