/* Security: no password in any message, no attribute injected through any
 * URL part, no SQL injected through parameters (see test_session too). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../drivers/dialect.h"
#include "alloc.h"
#include "backends.h"
#include "odbc.h"
#include "url.h"

#define SECRET "Pw7r4c3rS3cret"

/* Opens a session on url and expects a failure whose message has no SECRET. */
static void expect_clean_failure(const char *url)
{
    dal_engine *e = NULL;
    dal_session *s = NULL;
    dal_error err = DAL_ERROR_INIT;
    int rc = dal_engine_create(url, NULL, &e, &err);
    if (!rc) rc = dal_session_open(e, &s, &err);
    cr_expect_neq(rc, DAL_OK, "%s should fail", url);
    cr_expect_neq(err.message[0], '\0', "%s: empty message", url);
    cr_expect_null(strstr(err.message, SECRET), "%s: message shows the password: %s", url,
                   err.message);
    if (s) dal_session_close(s);
    dal_engine_dispose(e);
}

Test(security, no_failure_path_shows_the_password)
{
    const char *pg = dal_test_url("postgresql", "");
    const char *at = strrchr(pg, '@');
    const char *port = strrchr(at, ':');
    char url[1024];
    /* bad password */
    snprintf(url, sizeof url, "postgresql://dal:" SECRET "%s", at);
    expect_clean_failure(url);
    /* bad host / nothing listening */
    expect_clean_failure("postgresql://dal:" SECRET "@127.0.0.1:1/dal_test");
    expect_clean_failure("postgresql://dal:" SECRET "@no-such-host.invalid/dal_test");
    /* bad database */
    snprintf(url, sizeof url, "postgresql://dal:" SECRET "@127.0.0.1%.*s/no_such_db",
             (int)strcspn(port, "/"), port);
    expect_clean_failure(url);
    /* bad user */
    snprintf(url, sizeof url, "postgresql://no_such_user:" SECRET "@127.0.0.1%.*s/dal_test",
             (int)strcspn(port, "/"), port);
    expect_clean_failure(url);
    /* a DSN that does not exist; a raw string with an unknown driver */
    expect_clean_failure("odbc://u:" SECRET "@NoSuchDsn");
    expect_clean_failure("odbc:///?odbc_connect=DRIVER%3DNoSuchDriver%3BPWD%3D" SECRET);
    /* a driver option the driver rejects, next to the password */
    expect_clean_failure("sqlite:////nonexistent-dal/x.db?PWD_note=" SECRET);
    /* URL errors */
    expect_clean_failure("postgresql://u:" SECRET "%zz@h/db");
    expect_clean_failure("postgresql://u:" SECRET "@h:99999/db");
    expect_clean_failure("nosuch://u:" SECRET "@h/db");
}

Test(security, no_mariadb_failure_shows_the_password)
{
    const char *m = getenv("DAL_TEST_MARIADB_URL");
    cr_assert(m && *m, "DAL_TEST_MARIADB_URL is not set (scripts/test sets it)");
    const char *port = strrchr(strrchr(m, '@'), ':');
    int n = (int)strcspn(port, "/");
    char url[1024];
    snprintf(url, sizeof url, "mariadb://dal:" SECRET "@127.0.0.1%.*s/dal_test", n, port);
    expect_clean_failure(url); /* bad password */
    snprintf(url, sizeof url, "mariadb://dal:" SECRET "@127.0.0.1%.*s/no_such_db", n, port);
    expect_clean_failure(url);
    snprintf(url, sizeof url, "mariadb://nobody:" SECRET "@127.0.0.1%.*s/dal_test", n, port);
    expect_clean_failure(url);
    expect_clean_failure("mariadb://dal:" SECRET "@127.0.0.1:1/dal_test");
    expect_clean_failure("mariadb://dal:" SECRET "@127.0.0.1/dal_test?CONN_TIMEOUT=x" SECRET);
}

Test(security, explain_and_connection_strings_mask_every_password)
{
    /* sslpassword is a client key's passphrase: inside pqopt on PostgreSQL
     * (quoted or not, with escapes), TLSKEYPWD on MariaDB */
    const char *urls[] = {
        "postgresql://u:" SECRET "@h/db", "odbc://u:" SECRET "@Dsn",
        "odbc:///?odbc_connect=DSN%3Dx%3BPWD%3D%7B" SECRET "%7D",
        "odbc:///?odbc_connect=DSN%3Dx%3Bpassword%3D" SECRET,
        "postgresql://u@h/db?sslpassword=" SECRET "&sslmode=verify-full",
        "postgresql://u@h/db?sslpassword=a%27b%5C%27" SECRET "%7D",
        "postgresql://u@h/db?pqopt=sslpassword%3D" SECRET "%20sslcert%3Dc",
        "postgresql://u@h/db?pqopt=sslpassword%3D%27" SECRET "%20x%27",
        "mysql://u@h/db?sslpassword=" SECRET "&sslmode=verify-full"};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        dal_engine *e;
        dal_error err = DAL_ERROR_INIT;
        cr_assert_eq(dal_engine_create(urls[i], NULL, &e, &err), DAL_OK, "%s: %s", urls[i],
                     err.message);
        char cs[512];
        cr_assert_eq(dal_engine_connection_string(e, cs, sizeof cs, 0), DAL_OK);
        cr_expect_null(strstr(cs, SECRET), "%s -> %s", urls[i], cs);
        cr_expect_not_null(strstr(cs, "***"), "%s -> %s", urls[i], cs);
        dal_engine_dispose(e);
    }
}

/* Splits an ODBC connection string the way drivers do ({} quoting with }}
 * for a literal brace) and returns the number of attributes. */
static int parse_connstr(const char *s, char keys[][64], char values[][256], int max)
{
    int n = 0;
    while (*s && n < max) {
        size_t kn = strcspn(s, "=;");
        snprintf(keys[n], 64, "%.*s", (int)kn, s);
        s += kn;
        if (*s != '=') return -1;
        s++;
        size_t vn = 0;
        if (*s == '{') {
            s++;
            while (*s && !(s[0] == '}' && s[1] != '}')) {
                if (s[0] == '}') s++;
                if (vn < 255) values[n][vn++] = *s;
                s++;
            }
            if (*s != '}') return -1;
            s++;
        } else {
            while (*s && *s != ';') {
                if (vn < 255) values[n][vn++] = *s;
                s++;
            }
        }
        values[n][vn] = '\0';
        if (*s == ';') s++;
        n++;
    }
    return n;
}

Test(security, hostile_url_parts_never_add_or_replace_an_attribute)
{
    static const char *const hostile[] = {
        ";Database=postgres",
        "x;PWD=stolen",
        "}{;=",
        "a}};UID=root;{",
        " leading",
        "trailing ",
        "={}",
        "%;%",
        "\xE2\x82\xAC;\xE2\x82\xAC",
    };
    const char *parts[] = {"user", "password", "host", "database", "value"};
    for (size_t h = 0; h < sizeof hostile / sizeof hostile[0]; h++) {
        /* percent-encode the hostile text */
        char enc[256] = "";
        for (const unsigned char *p = (const unsigned char *)hostile[h]; *p; p++)
            snprintf(enc + strlen(enc), sizeof enc - strlen(enc), "%%%02X", *p);
        for (size_t part = 0; part < 5; part++) {
            char url[1400];
            snprintf(url, sizeof url, "postgresql://%s:%s@%s/%s?ConnSettings=%s", part == 0 ? enc : "u",
                     part == 1 ? enc : "p", part == 2 ? enc : "h", part == 3 ? enc : "db",
                     part == 4 ? enc : "v");
            dal__url u;
            dal_error err = DAL_ERROR_INIT;
            cr_assert_eq(dal__url_parse(url, &u, &err), DAL_OK, "%s: %s", url, err.message);
            char *cs;
            cr_assert_eq(dal__build_connstr(&u, "X", false, &cs, &err), DAL_OK);
            char keys[32][64], values[32][256];
            int n = parse_connstr(cs, keys, values, 32);
            enum { ATTRIBUTES = 14 }; /* 5 URL parts, 7 defaults with pqopt, SSLMode, ConnSettings */
            cr_expect_eq(n, ATTRIBUTES, "%s part: %s -> %s", parts[part], hostile[h], cs);
            static const char *const order[] = {"DRIVER", "Server", "Database", "UID", "PWD"};
            const char *want[] = {"X", part == 2 ? hostile[h] : "h", part == 3 ? hostile[h] : "db",
                                  part == 0 ? hostile[h] : "u", part == 1 ? hostile[h] : "p"};
            for (int k = 0; k < 5 && k < n; k++) {
                cr_expect_str_eq(keys[k], order[k], "%s", cs);
                cr_expect_str_eq(values[k], want[k], "%s part: %s", parts[part], cs);
            }
            if (n == ATTRIBUTES) {
                cr_expect_str_eq(keys[ATTRIBUTES - 1], "ConnSettings");
                cr_expect_str_eq(values[ATTRIBUTES - 1], part == 4 ? hostile[h] : "v", "%s", cs);
            }
            dal__free_secret(cs);
            dal__url_free(&u);
        }
    }
}

Test(security, passwords_are_masked_where_they_stand_and_the_rest_stays_readable)
{
    struct {
        const char *in, *secret, *want;
    } t[] = {
        /* a short password must not mangle the driver's text */
        {"connection to server at \"127.0.0.1\", port 55999 failed: timeout expired", "p",
         "connection to server at \"127.0.0.1\", port 55999 failed: timeout expired"},
        {"DSN=x;PWD=p;Database=pdb", "p", "DSN=x;PWD=***;Database=pdb"},
        /* a password that is a common word: masked where it is the password only */
        {"password authentication failed for user \"dal\"", "failed",
         "password authentication failed for user \"dal\""},
        {"UID=u;Pwd=failed;X=1", "failed", "UID=u;Pwd=***;X=1"},
        {"DRIVER={x};PWD={a;b}}c};UID=u", NULL, "DRIVER={x};PWD=***;UID=u"},
        {"DRIVER={x};PWD={never closed", NULL, "DRIVER={x};PWD=***"},
        {"postgresql://u:p@h/db failed", "p", "postgresql://u:***@h/db failed"},
        {"see https://example.invalid/x (no userinfo)", NULL,
         "see https://example.invalid/x (no userinfo)"},
        {"host=h password='se cret' user=u", NULL, "host=h password=*** user=u"},
        {"a password=\"q\" b", "q", "a password=*** b"},
        /* a password that cannot be a word is masked wherever it appears */
        {"xx " SECRET " yy", SECRET, "xx *** yy"},
        {"line one\nline two", NULL, "line one line two"},
        {"mypwd=1 is not a key", NULL, "mypwd=1 is not a key"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char out[256];
        dal__mask_passwords(t[i].in, out, sizeof out, t[i].secret);
        cr_expect_str_eq(out, t[i].want, "%s", t[i].in);
    }
}

Test(security, a_malformed_raw_connection_string_is_refused_and_never_echoed)
{
    const char *urls[] = {
        "odbc:///?odbc_connect=DRIVER%3D%7BSQL7D%3BPWD%3D" SECRET,  /* DRIVER={SQL7D;PWD=... */
        "odbc:///?odbc_connect=DSN%3Dx%3BPWD%3D" SECRET "%7D",      /* a stray } */
        "odbc:///?odbc_connect=DSN%3Dx%3BPWD%3D%7B" SECRET "%7Dz",  /* text after } */
        "odbc:///?odbc_connect=%3D" SECRET,                         /* no key */
    };
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        dal_engine *e = NULL;
        dal_error err = DAL_ERROR_INIT;
        cr_expect_eq(dal_engine_create(urls[i], NULL, &e, &err), DAL_EURL, "%s", urls[i]);
        cr_expect_null(strstr(err.message, SECRET), "%s", err.message);
        cr_expect(strstr(err.message, "odbc_connect"), "%s", err.message);
        dal_engine_dispose(e);
    }
    /* well-formed ones still pass */
    dal_engine *e;
    dal_error err = DAL_ERROR_INIT;
    cr_expect_eq(dal_engine_create("odbc:///?odbc_connect=DSN%3Dx%3BPWD%3D%7Ba%7D%7Db%7D%3B", NULL,
                                   &e, &err),
                 DAL_OK, "%s", err.message);
    dal_engine_dispose(e);
}

Test(security, connect_errors_with_short_or_word_passwords_stay_readable)
{
    const char *pg = dal_test_url("postgresql", "");
    const char *port = strrchr(strrchr(pg, '@'), ':');
    struct {
        const char *url_fmt, *must_show;
    } t[] = {
        {"postgresql://dal:p@127.0.0.1:1/dal_test", "port 1 failed"},
        {"postgresql://dal:failed@127.0.0.1%.*s/dal_test", "password authentication failed"},
        {"postgresql://dal:port@127.0.0.1%.*s/dal_test", "password authentication failed"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char url[512];
        snprintf(url, sizeof url, t[i].url_fmt, (int)strcspn(port, "/"), port);
        dal_engine *e = NULL;
        dal_session *s = NULL;
        dal_error err = DAL_ERROR_INIT;
        int rc = dal_engine_create(url, NULL, &e, &err);
        if (!rc) rc = dal_session_open(e, &s, &err);
        cr_expect_eq(rc, DAL_ECONNECT, "%s: %s", url, err.message);
        cr_expect(strstr(err.message, t[i].must_show), "%s: %s", url, err.message);
        cr_expect_null(strstr(err.message, "***"), "nothing to mask here: %s", err.message);
        if (s) dal_session_close(s);
        dal_engine_dispose(e);
    }
}
