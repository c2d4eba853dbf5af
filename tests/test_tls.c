/* TLS and credentials against real TLS servers: scripts/tls-certs makes a CA,
 * server and client certificates; tests/tls/tls_test.sh starts the TLS
 * variants of scripts/pg (hostssl only: a cert login, SCRAM for the rest) and
 * scripts/mariadb (require_secure_transport), then runs this program.
 * The servers without TLS are the shared ones (DAL_TEST_PG_URL,
 * DAL_TEST_MARIADB_URL). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backends.h"

/* Never sent to any server as it is: it must appear in no output. */
#define SENTINEL "Zq8sentinelSecret5"

typedef struct tls_backend {
    const char *name;     /* "postgresql", "mariadb" */
    const char *port_env; /* the TLS server's port */
    const char *plain_env;
    const char *encrypted_sql; /* 1 when this connection is encrypted */
    const char *user_sql;      /* the user logged in */
} tls_backend;

static const tls_backend pg = {
    "postgresql", "DAL_TEST_PG_TLS_PORT", "DAL_TEST_PG_URL",
    "SELECT CASE WHEN ssl THEN 1 ELSE 0 END FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    "SELECT current_user"};
static const tls_backend maria = {
    "mariadb", "DAL_TEST_MARIADB_TLS_PORT", "DAL_TEST_MARIADB_URL",
    "SELECT VARIABLE_VALUE <> '' FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = "
    "'SSL_CIPHER'",
    "SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1)"};

static const char *env(const char *name)
{
    const char *v = getenv(name);
    cr_assert(v && *v, "%s is not set: run through tests/tls/tls_test.sh", name);
    return v;
}

static const char *cert(const char *file)
{
    static __thread char path[8][512];
    static __thread int next;
    char *p = path[next++ % 8];
    snprintf(p, sizeof path[0], "%s/%s", env("DAL_TEST_TLS_CERTS"), file);
    return p;
}

/* A URL for the TLS server of b: userinfo@host, then query. */
static const char *tls_url(const tls_backend *b, const char *userinfo, const char *host,
                           const char *query)
{
    static __thread char url[2048];
    snprintf(url, sizeof url, "%s://%s@%s:%s/dal_test?%s", b->name, userinfo, host,
             env(b->port_env), query);
    return url;
}

static const char *verify_full(void)
{
    static char q[600];
    snprintf(q, sizeof q, "sslmode=verify-full&sslrootcert=%s", cert("ca.crt"));
    return q;
}

/* Opening a session on url: its result, err filled. */
static int try_open(const char *url, const dal_engine_options *opts, dal_error *err)
{
    dal_engine *e;
    int rc = dal_engine_create(url, opts, &e, err);
    if (rc) return rc;
    dal_session *s;
    rc = dal_session_open(e, &s, err);
    if (!rc) dal_session_close(s);
    dal_engine_dispose(e);
    return rc;
}

static void expect_encrypted(const tls_backend *b, const char *url, const char *user)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(url, &e, &s);
    cr_expect_eq(dal_test_scalar(s, b->encrypted_sql), 1, "%s: not encrypted", url);
    json_t *info;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_session_server_info(s, &info, &err), err);
    json_t *tls = json_object_get(info, "tls");
    cr_expect(json_is_object(tls), "server_info has no tls object");
    const char *protocol = json_string_value(json_object_get(tls, "protocol"));
    cr_expect(protocol && !strncmp(protocol, "TLSv1.", 6), "protocol %s", protocol);
    cr_expect_not_null(json_string_value(json_object_get(tls, "cipher")));
    json_decref(info);
    dal_result *r;
    const char *who = NULL;
    DAL_OK_OR_FAIL(dal_session_query(s, b->user_sql, NULL, 0, &r, &err), err);
    cr_assert_eq(dal_result_next(r, &err), DAL_ROW);
    DAL_OK_OR_FAIL(dal_result_text(r, 0, &who, NULL, &err), err);
    cr_expect_str_eq(who, user);
    dal_result_close(r);
    dal_session_close(s);
    dal_engine_dispose(e);
}

/* Fails with DAL_ECONNECT and a message holding every one of words (any
 * case is not needed: the drivers' own words). */
static void expect_refused(const char *url, const char *why, const char *word)
{
    dal_error err = DAL_ERROR_INIT;
    int rc = try_open(url, NULL, &err);
    cr_expect_eq(rc, DAL_ECONNECT, "%s: %s (%s)", why, dal_code_name(rc), err.message);
    cr_expect_not_null(strstr(err.message, word), "%s: the message does not say '%s': %s", why,
                       word, err.message);
}

static void verify_full_connects(const tls_backend *b)
{
    expect_encrypted(b, tls_url(b, "dal:dal_test_pw", "127.0.0.1", verify_full()), "dal");
    if (b == &pg) /* MariaDB's localhost is its Unix socket */
        expect_encrypted(b, tls_url(b, "dal:dal_test_pw", "localhost", verify_full()), "dal");
}
Test(tls, verify_full_with_the_right_ca_connects_encrypted_postgresql) { verify_full_connects(&pg); }
Test(tls, verify_full_with_the_right_ca_connects_encrypted_mariadb) { verify_full_connects(&maria); }

static void wrong_ca_or_name_refused(const tls_backend *b)
{
    char q[600];
    snprintf(q, sizeof q, "sslmode=verify-full&sslrootcert=%s", cert("other-ca.crt"));
    expect_refused(tls_url(b, "dal:dal_test_pw", "127.0.0.1", q), "a wrong CA", "certificate");
    snprintf(q, sizeof q, "sslmode=verify-ca&sslrootcert=%s", cert("other-ca.crt"));
    expect_refused(tls_url(b, "dal:dal_test_pw", "127.0.0.1", q), "a wrong CA (verify-ca)",
                   "certificate");
    /* The certificate names localhost and 127.0.0.1, not 127.0.0.2 */
    expect_refused(tls_url(b, "dal:dal_test_pw", "127.0.0.2", verify_full()),
                   "another host name", "certificate");
    /* verify-ca checks the chain only */
    snprintf(q, sizeof q, "sslmode=verify-ca&sslrootcert=%s", cert("ca.crt"));
    expect_encrypted(b, tls_url(b, "dal:dal_test_pw", "127.0.0.2", q), "dal");
}
Test(tls, a_wrong_ca_or_host_name_is_refused_postgresql) { wrong_ca_or_name_refused(&pg); }
Test(tls, a_wrong_ca_or_host_name_is_refused_mariadb) { wrong_ca_or_name_refused(&maria); }

static void require_needs_tls(const tls_backend *b)
{
    /* the shared server has no TLS: require and verify-* refuse it, though
     * Connector/ODBC alone would connect in clear */
    char url[1400];
    const char *modes[] = {"require", "verify-ca", "verify-full"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(url, sizeof url, "%s?sslmode=%s&sslrootcert=%s", env(b->plain_env), modes[i],
                 cert("ca.crt"));
        dal_error err = DAL_ERROR_INIT;
        int rc = try_open(url, NULL, &err);
        cr_expect_eq(rc, DAL_ECONNECT, "sslmode=%s to a server without TLS: %s (%s)", modes[i],
                     dal_code_name(rc), err.message);
    }
    /* and the TLS server refuses clear text */
    dal_error err = DAL_ERROR_INIT;
    cr_expect_eq(try_open(tls_url(b, "dal:dal_test_pw", "127.0.0.1", "sslmode=disable"), NULL, &err),
                 DAL_ECONNECT, "%s", err.message);
}
Test(tls, require_refuses_a_server_without_tls_postgresql) { require_needs_tls(&pg); }
Test(tls, require_refuses_a_server_without_tls_mariadb) { require_needs_tls(&maria); }

static void bogus_mode(const tls_backend *b)
{
    const char *queries[] = {"sslmode=bogus", "sslmode=true", "sslmode=VERIFY-FULL"};
    for (size_t i = 0; i < 3; i++) {
        dal_engine *e = NULL;
        dal_error err = DAL_ERROR_INIT;
        const char *url = tls_url(b, "dal:dal_test_pw", "127.0.0.1", queries[i]);
        cr_expect_eq(dal_engine_create(url, NULL, &e, &err), DAL_EURL, "%s", url);
        cr_expect_not_null(strstr(err.message, "sslmode"), "%s", err.message);
    }
}
Test(tls, an_unknown_sslmode_is_a_url_error_postgresql) { bogus_mode(&pg); }
Test(tls, an_unknown_sslmode_is_a_url_error_mariadb) { bogus_mode(&maria); }

/* The client key is encrypted: its passphrase goes as sslpassword. */
static const char *client_cert_query(const char *key)
{
    static char q[1200];
    FILE *f = fopen(cert("client.pass"), "r");
    char pass[128] = "";
    cr_assert_not_null(f);
    cr_assert_not_null(fgets(pass, sizeof pass, f));
    fclose(f);
    snprintf(q, sizeof q, "%s&sslcert=%s&sslkey=%s&sslpassword=%s", verify_full(),
             cert("client.crt"), key, pass);
    return q;
}

static void client_certificate(const tls_backend *b)
{
    expect_encrypted(b, tls_url(b, "dal_cert", "127.0.0.1", client_cert_query(cert("client.key"))),
                     "dal_cert");
    expect_refused(tls_url(b, "dal_cert", "127.0.0.1", client_cert_query("/nonexistent/client.key")),
                   "a missing key", "/nonexistent/client.key");
    expect_refused(tls_url(b, "dal_cert", "127.0.0.1", verify_full()), "no certificate",
                   "dal_cert");
}
Test(tls, a_client_certificate_logs_in_without_a_password_postgresql) { client_certificate(&pg); }
Test(tls, a_client_certificate_logs_in_without_a_password_mariadb) { client_certificate(&maria); }

Test(tls, channel_binding_require_with_scram_postgresql)
{
    char q[800];
    snprintf(q, sizeof q, "%s&channel_binding=require", verify_full());
    expect_encrypted(&pg, tls_url(&pg, "dal:dal_test_pw", "127.0.0.1", q), "dal");
    /* a certificate login has no SCRAM exchange to bind */
    snprintf(q, sizeof q, "%s&channel_binding=require", client_cert_query(cert("client.key")));
    expect_refused(tls_url(&pg, "dal_cert", "127.0.0.1", q), "channel binding without SCRAM",
                   "channel binding");
    dal_engine *e = NULL;
    dal_error err = DAL_ERROR_INIT;
    cr_expect_eq(dal_engine_create(tls_url(&pg, "dal", "127.0.0.1", "channel_binding=always"), NULL,
                                   &e, &err),
                 DAL_EURL);
}

/* ---- password_file ---- */

static void write_file(const char *path, const char *text, mode_t mode)
{
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    FILE *f = fopen(tmp, "w");
    cr_assert_not_null(f, "%s: %s", tmp, strerror(errno));
    fputs(text, f);
    fclose(f);
    cr_assert_eq(chmod(tmp, mode), 0);
    cr_assert_eq(rename(tmp, path), 0); /* as a vault agent replaces it: at once */
}

/* Sets dal_rot's password on b's TLS server (scripts of tls_test.sh). */
static void set_server_password(const tls_backend *b, const char *password)
{
    char cmd[1024];
    if (b == &pg)
        snprintf(cmd, sizeof cmd,
                 "DAL_PG_INSTANCE=tls %s/pg psql -qc \"ALTER ROLE dal_rot PASSWORD '%s'\"",
                 env("DAL_SCRIPTS_DIR"), password);
    else
        snprintf(cmd, sizeof cmd,
                 "DAL_MARIADB_INSTANCE=tls %s/mariadb sql \"ALTER USER dal_rot@'127.0.0.1' "
                 "IDENTIFIED BY '%s'; ALTER USER dal_rot@'localhost' IDENTIFIED BY '%s'\"",
                 env("DAL_SCRIPTS_DIR"), password, password);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

typedef struct rotation {
    dal_engine *engine;
    atomic_bool stop, rotated;
    atomic_int ok, failed, connects, connects_after_rotation, failed_connects;
    pthread_mutex_t lock;
    double failed_started[256]; /* when each failed request began */
} rotation;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void count_connects(const dal_event *ev, void *ctx)
{
    rotation *r = ctx;
    if (ev->kind != DAL_EVENT_CONNECT) return;
    if (ev->code) {
        atomic_fetch_add(&r->failed_connects, 1);
        return;
    }
    atomic_fetch_add(&r->connects, 1);
    if (atomic_load(&r->rotated)) atomic_fetch_add(&r->connects_after_rotation, 1);
}

static void *requests(void *arg)
{
    rotation *r = arg;
    while (!atomic_load(&r->stop)) {
        dal_error err = DAL_ERROR_INIT;
        dal_session *s;
        double started = now();
        int rc = dal_session_open(r->engine, &s, &err);
        if (!rc) {
            rc = dal_session_exec(s, "SELECT 1", NULL, 0, NULL, &err);
            dal_session_close(s);
        }
        if (rc) {
            int k = atomic_fetch_add(&r->failed, 1);
            pthread_mutex_lock(&r->lock);
            if (k < 256) r->failed_started[k] = started;
            pthread_mutex_unlock(&r->lock);
            cr_expect_eq(rc, DAL_ECONNECT, "%s", err.message);
            cr_expect_null(strstr(err.message, "rot-"), "a password in: %s", err.message);
        } else {
            atomic_fetch_add(&r->ok, 1);
        }
        usleep(5000);
    }
    return NULL;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void password_file_rotation(const tls_backend *b)
{
    char path[600], query[1400];
    snprintf(path, sizeof path, "%s/rot-%s.pw", dal_test_tmpdir(), b->name);
    set_server_password(b, "rot-one");
    write_file(path, "rot-one\n", 0600);
    /* connections live 0.3 s: new ones keep being opened while it runs */
    snprintf(query, sizeof query, "%s&password_file=%s&pool_recycle=0.3&pool_size=4", verify_full(),
             path);
    rotation r = {.lock = PTHREAD_MUTEX_INITIALIZER};
    dal_engine_options o;
    dal_engine_options_init(&o);
    o.on_event = count_connects;
    o.event_ctx = &r;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_engine_create(tls_url(b, "dal_rot", "127.0.0.1", query), &o, &r.engine, &err),
                   err);
    pthread_t threads[4];
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&threads[i], NULL, requests, &r), 0);
    sleep_ms(1000);
    /* the vault rotates: the file first, then the server */
    double file_changed = now();
    write_file(path, "rot-two\n", 0600);
    set_server_password(b, "rot-two");
    double server_changed = now();
    atomic_store(&r.rotated, true);
    sleep_ms(2500);
    atomic_store(&r.stop, true);
    for (int i = 0; i < 4; i++)
        pthread_join(threads[i], NULL);
    dal_engine_dispose(r.engine);
    int failed = atomic_load(&r.failed);
    fprintf(stderr,
            "password_file rotation (%s): %d requests ok, %d failed, all begun in the %.0f ms "
            "between the file's change and the server's; %d connects, %d after the rotation\n",
            b->name, atomic_load(&r.ok), failed, (server_changed - file_changed) * 1e3,
            atomic_load(&r.connects), atomic_load(&r.connects_after_rotation));
    cr_expect_gt(atomic_load(&r.ok), 100);
    cr_expect_geq(atomic_load(&r.connects_after_rotation), 4,
                  "connections opened after the rotation (the new password): %d",
                  atomic_load(&r.connects_after_rotation));
    /* A request fails only when it connected with the new file before the
     * server had the new password: it began inside that window. Requests
     * on connections opened before keep working (the server does not end
     * sessions whose password changed). */
    cr_expect_eq(failed, atomic_load(&r.failed_connects), "failures that were not connects");
    for (int i = 0; i < failed && i < 256; i++)
        cr_expect(r.failed_started[i] >= file_changed && r.failed_started[i] <= server_changed,
                  "a request begun %.0f ms after the file changed failed (the window: %.0f ms)",
                  (r.failed_started[i] - file_changed) * 1e3, (server_changed - file_changed) * 1e3);
    /* the old password really is gone */
    char old[2100];
    snprintf(old, sizeof old, "%s", tls_url(b, "dal_rot:rot-one", "127.0.0.1", verify_full()));
    cr_expect_eq(try_open(old, NULL, &err), DAL_ECONNECT);
}
Test(tls, password_file_rotation_under_load_postgresql, .timeout = 60) { password_file_rotation(&pg); }
Test(tls, password_file_rotation_under_load_mariadb, .timeout = 60) { password_file_rotation(&maria); }

Test(tls, password_file_open_to_others_or_bad_is_refused)
{
    char path[600], url[2700];
    snprintf(path, sizeof path, "%s/open.pw", dal_test_tmpdir());
    const struct {
        mode_t mode;
        const char *text, *says;
    } cases[] = {
        {0644, SENTINEL "\n", "open to group or others (mode 0644)"},
        {0640, SENTINEL "\n", "open to group or others (mode 0640)"},
        {0600, "\n" SENTINEL, "empty first line"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_file(path, cases[i].text, cases[i].mode);
        snprintf(url, sizeof url, "%s&password_file=%s", tls_url(&pg, "dal", "127.0.0.1", verify_full()),
                 path);
        dal_error err = DAL_ERROR_INIT;
        cr_expect_eq(try_open(url, NULL, &err), DAL_ECONNECT, "%s", err.message);
        cr_expect_not_null(strstr(err.message, cases[i].says), "%s", err.message);
        cr_expect_null(strstr(err.message, SENTINEL), "the file's content in: %s", err.message);
    }
    snprintf(url, sizeof url, "%s&password_file=%s/none.pw",
             tls_url(&pg, "dal", "127.0.0.1", verify_full()), dal_test_tmpdir());
    dal_error err = DAL_ERROR_INIT;
    cr_expect_eq(try_open(url, NULL, &err), DAL_ECONNECT);
    cr_expect_not_null(strstr(err.message, "No such file"), "%s", err.message);
    /* a wrong password from the file: refused by the server, never shown */
    write_file(path, SENTINEL "\n", 0600);
    snprintf(url, sizeof url, "%s&password_file=%s", tls_url(&pg, "dal", "127.0.0.1", verify_full()),
             path);
    cr_expect_eq(try_open(url, NULL, &err), DAL_ECONNECT);
    cr_expect_null(strstr(err.message, SENTINEL), "%s", err.message);
}

Test(tls, pgpass_still_serves_a_url_without_password_postgresql)
{
    char path[600], line[300];
    snprintf(path, sizeof path, "%s/pgpass", dal_test_tmpdir());
    snprintf(line, sizeof line, "127.0.0.1:%s:dal_test:dal:dal_test_pw\n", env(pg.port_env));
    write_file(path, line, 0600);
    setenv("PGPASSFILE", path, 1);
    expect_encrypted(&pg, tls_url(&pg, "dal", "127.0.0.1", verify_full()), "dal");
    unsetenv("PGPASSFILE");
}

/* ---- the credentials callback ---- */

typedef struct vault {
    atomic_int calls;
    const char *password; /* NULL: fail */
    char host[64];
    int port;
} vault;

static int from_vault(void *ctx, const char *host, int port, char *user, size_t user_size,
                      char *password, size_t password_size, dal_error *err)
{
    vault *v = ctx;
    atomic_fetch_add(&v->calls, 1);
    snprintf(v->host, sizeof v->host, "%s", host);
    v->port = port;
    if (!v->password) {
        snprintf(err->message, sizeof err->message, "vault sealed");
        err->code = DAL_ECONNECT;
        return -1;
    }
    cr_expect_str_eq(user, "dal_rot", "the URL's user is the default");
    snprintf(user, user_size, "dal_rot");
    snprintf(password, password_size, "%s", v->password);
    return 0;
}

static void callback_once_per_connect(const tls_backend *b)
{
    set_server_password(b, "rot-cb");
    vault v = {.password = "rot-cb"};
    dal_engine_options o;
    dal_engine_options_init(&o);
    o.credentials = from_vault;
    o.credentials_ctx = &v;
    o.pool_size = 3;
    dal_engine *e;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_engine_create(tls_url(b, "dal_rot", "127.0.0.1", verify_full()), &o, &e, &err),
                   err);
    cr_expect_eq(atomic_load(&v.calls), 0, "called before any connect");
    dal_session *s[3];
    for (int round = 0; round < 2; round++) { /* the second round reuses the three */
        for (int i = 0; i < 3; i++)
            DAL_OK_OR_FAIL(dal_session_open(e, &s[i], &err), err);
        for (int i = 0; i < 3; i++) {
            cr_expect_eq(dal_test_scalar(s[i], b->encrypted_sql), 1);
            dal_session_close(s[i]);
        }
    }
    dal_pool_stats st;
    cr_assert_eq(dal_engine_pool_stats(e, &st), DAL_OK);
    cr_expect_eq(atomic_load(&v.calls), 3, "calls: %d for 3 connections", atomic_load(&v.calls));
    cr_expect_eq(atomic_load(&v.calls), (int)st.connects, "calls against the pool's connects");
    cr_expect_str_eq(v.host, "127.0.0.1");
    cr_expect_eq(v.port, atoi(env(b->port_env)));
    dal_engine_dispose(e);
    /* a failing vault: DAL_ECONNECT with its message */
    v.password = NULL;
    cr_expect_eq(try_open(tls_url(b, "dal_rot", "127.0.0.1", verify_full()), &o, &err), DAL_ECONNECT);
    cr_expect_not_null(strstr(err.message, "vault sealed"), "%s", err.message);
    /* a wrong token: the server's refusal, without the token */
    v.password = SENTINEL;
    dal_error_clear(&err);
    cr_expect_eq(try_open(tls_url(b, "dal_rot", "127.0.0.1", verify_full()), &o, &err), DAL_ECONNECT);
    cr_expect_null(strstr(err.message, SENTINEL), "%s", err.message);
    /* one source of a password */
    dal_error_clear(&err);
    cr_expect_eq(dal_engine_create(tls_url(b, "dal_rot:x", "127.0.0.1", verify_full()), &o, &e, &err),
                 DAL_EURL);
}
Test(tls, the_credentials_callback_runs_once_per_new_connection_postgresql)
{
    callback_once_per_connect(&pg);
}
Test(tls, the_credentials_callback_runs_once_per_new_connection_mariadb)
{
    callback_once_per_connect(&maria);
}

/* ---- no secret anywhere ---- */

typedef struct transcript {
    pthread_mutex_t lock;
    char text[65536];
} transcript;

static void note(transcript *t, const char *s)
{
    if (!s) return;
    pthread_mutex_lock(&t->lock);
    strncat(t->text, s, sizeof t->text - strlen(t->text) - 2);
    strcat(t->text, "\n");
    pthread_mutex_unlock(&t->lock);
}

static void record(const dal_event *ev, void *ctx)
{
    transcript *t = ctx;
    note(t, ev->message);
    note(t, ev->target);
    note(t, ev->sql);
    note(t, ev->reason);
}

static void no_secret_anywhere(const tls_backend *b)
{
    /* echo's lines go to stderr: into a file for the transcript */
    char log[600];
    snprintf(log, sizeof log, "%s/echo-%s.log", dal_test_tmpdir(), b->name);
    fflush(stderr);
    int saved_stderr = dup(2), log_fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(saved_stderr >= 0 && log_fd >= 0);
    cr_assert_eq(dup2(log_fd, 2), 2);
    close(log_fd);
    transcript t = {.lock = PTHREAD_MUTEX_INITIALIZER};
    char path[600], query[2000], buf[4096];
    snprintf(path, sizeof path, "%s/secret-%s.pw", dal_test_tmpdir(), b->name);
    write_file(path, SENTINEL "\n", 0600);
    dal_engine_options o;
    dal_engine_options_init(&o);
    o.on_event = record;
    o.event_ctx = &t;
    o.event_parameters = true;
    /* a key passphrase, a wrong password from a file, echo of everything */
    snprintf(query, sizeof query, "%s&sslpassword=%s&password_file=%s&echo=parameters", verify_full(),
             SENTINEL, path);
    dal_engine *e;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_engine_create(tls_url(b, "dal", "127.0.0.1", query), &o, &e, &err), err);
    DAL_OK_OR_FAIL(dal_engine_connection_string(e, buf, sizeof buf, 0), err);
    note(&t, buf);
    dal_session *s;
    cr_expect_eq(dal_session_open(e, &s, &err), DAL_ECONNECT);
    note(&t, err.message);
    dal_engine_dispose(e);
    /* a token that the server refuses, and one that it takes */
    vault v = {.password = SENTINEL};
    o.credentials = from_vault;
    o.credentials_ctx = &v;
    snprintf(query, sizeof query, "%s&echo=parameters", verify_full());
    dal_error_clear(&err);
    cr_expect_eq(try_open(tls_url(b, "dal_rot", "127.0.0.1", query), &o, &err), DAL_ECONNECT);
    note(&t, err.message);
    set_server_password(b, SENTINEL);
    DAL_OK_OR_FAIL(dal_engine_create(tls_url(b, "dal_rot", "127.0.0.1", query), &o, &e, &err), err);
    DAL_OK_OR_FAIL(dal_session_open(e, &s, &err), err);
    dal_value p = dal_text("visible");
    DAL_OK_OR_FAIL(dal_session_exec(s, "SELECT ?", &p, 1, NULL, &err), err);
    dal_session_close(s);
    DAL_OK_OR_FAIL(dal_engine_connection_string(e, buf, sizeof buf, 0), err);
    note(&t, buf);
    dal_engine_dispose(e);
    set_server_password(b, "rot-one");
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    FILE *echo = fopen(log, "r");
    cr_assert_not_null(echo);
    size_t n;
    while ((n = fread(buf, 1, sizeof buf - 1, echo)) > 0) {
        buf[n] = '\0';
        note(&t, buf);
    }
    fclose(echo);
    cr_expect_not_null(strstr(t.text, "visible"), "the transcript misses the echo: %s", t.text);
    cr_expect_not_null(strstr(t.text, "***"), "nothing was masked: %s", t.text);
    cr_expect_null(strstr(t.text, SENTINEL), "a secret in: %s", t.text);
}
Test(tls, no_password_passphrase_or_token_in_any_output_postgresql) { no_secret_anywhere(&pg); }
Test(tls, no_password_passphrase_or_token_in_any_output_mariadb) { no_secret_anywhere(&maria); }
