/* The `dal` command: look at a database from the shell.
 *   dal explain [--hosts] [URL]   dialect, ODBC driver, masked connection string;
 *                                 --hosts: connect, and say which hosts of a list are skipped
 *   dal drivers                   installed ODBC drivers and the dialect using each
 *   dal ping [URL]                connect, print the DBMS and the round-trip time
 *   dal query [URL] SQL [PARAM...] [--format jsonl|json|csv|table] [--echo]
 *   dal migrate [--status | --to V] [URL] DIR
 * URL defaults to $DAL_URL, then to sqlite:///dal.db in the working directory.
 * SQL "-" is read from standard input. Parameters are bound as text, never
 * spliced into the SQL. Exit 0 on success, 1 on a database error, 2 on a
 * usage error. */
#include <dal.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output.h"

static const char usage_text[] =
    "usage: dal explain [--hosts] [URL]\n"
    "       dal drivers\n"
    "       dal ping [URL]\n"
    "       dal query [URL] SQL [PARAM...] [--format jsonl|json|csv|table] [--echo]\n"
    "       dal migrate [--status | --to VERSION] [URL] DIR\n"
    "       dal --help | --version\n"
    "URL defaults to $DAL_URL, then to sqlite:///dal.db. SQL '-' reads standard input.\n"
    "Examples: dal query 'select 1 as one'\n"
    "          dal query postgresql://user:pw@host/db 'select * from t where id = ?' 42 --format "
    "table\n";

static int usage(FILE *out, int status)
{
    fputs(usage_text, out);
    return status;
}

static int fail(const dal_error *err)
{
    fprintf(stderr, "dal: %s: %s%s%s%s\n", dal_code_name(err->code), err->message,
            err->sqlstate[0] ? " [" : "", err->sqlstate, err->sqlstate[0] ? "]" : "");
    return 1;
}

static const char *default_url(void)
{
    const char *env = getenv("DAL_URL");
    return env && *env ? env : "sqlite:///dal.db";
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Connects to each host of a list dal routes itself, then says which it
 * skips and why. */
static void probe_hosts(dal_engine *e, size_t nhosts)
{
    dal_error err = DAL_ERROR_INIT;
    if (dal_engine_check_hosts(e, NULL, &err)) printf("hosts: %s\n", err.message);
    for (size_t i = 0; i < nhosts; i++) {
        int port;
        double left;
        const char *host = dal_engine_host(e, i, &port);
        const char *why = dal_engine_host_skipped(e, i, &left);
        if (why)
            printf("host %s:%d: skipped for %.1f s more (%s)\n", host, port, left, why);
        else
            printf("host %s:%d: serving\n", host, port);
    }
}

static int explain(const char *url, bool probe)
{
    dal_error err = DAL_ERROR_INIT;
    dal_engine *e;
    if (dal_engine_create(url, NULL, &e, &err)) return fail(&err);
    char cs[4096];
    if (dal_engine_connection_string(e, cs, sizeof cs, 0) != DAL_OK)
        snprintf(cs, sizeof cs, "(too long)");
    dal_pool_stats st, rst;
    dal_engine_pool_stats(e, &st);
    dal_engine_read_pool_stats(e, &rst);
    printf("dialect: %s\ndriver: %s\nconnection string: %s\npool: size %d, overflow %d\n"
           "read-only pool: size %d, overflow %d\n",
           dal_engine_dialect(e), *dal_engine_driver(e) ? dal_engine_driver(e) : "(from the DSN)",
           cs, st.pool_size, st.max_overflow, rst.pool_size, rst.max_overflow);
    size_t nhosts = dal_engine_host_count(e);
    for (size_t i = 0; nhosts > 1 && i < nhosts; i++) {
        int port;
        const char *host = dal_engine_host(e, i, &port);
        printf("%s%s:%d%s", i ? ", " : "hosts: ", host, port, i + 1 == nhosts ? "\n" : "");
    }
    if (probe) probe_hosts(e, nhosts);
    dal_engine_dispose(e);
    return 0;
}

static int print_driver(void *ctx, const char *driver, const char *dialect, bool tested)
{
    ++*(int *)ctx;
    const char *name = dialect ? dialect : "(odbc:// with driver=)";
    if (tested)
        printf("%-32s %-24s tested\n", driver, name);
    else
        printf("%-32s %s\n", driver, name);
    return 0;
}

static int drivers(void)
{
    dal_error err = DAL_ERROR_INIT;
    int count = 0;
    if (dal_odbc_drivers(print_driver, &count, &err)) return fail(&err);
    if (!count) printf("no ODBC drivers installed (see scripts/install-deps)\n");
    return 0;
}

static int ping(const char *url)
{
    dal_error err = DAL_ERROR_INIT;
    dal_engine *e;
    dal_session *s;
    if (dal_engine_create(url, NULL, &e, &err)) return fail(&err);
    double t0 = seconds();
    if (dal_session_open(e, &s, &err)) {
        dal_engine_dispose(e);
        return fail(&err);
    }
    double connected = seconds();
    int rc = dal_session_ping(s, &err);
    double pinged = seconds();
    json_t *info = NULL;
    if (!rc) rc = dal_session_server_info(s, &info, &err);
    dal_session_close(s);
    dal_engine_dispose(e);
    if (rc) return fail(&err);
    /* Which server answered, and its role (a host list may hold several). */
    const char *product = json_string_value(json_object_get(info, "product"));
    const char *version = json_string_value(json_object_get(info, "version"));
    printf("%s %s", product ? product : "?", version ? version : "?");
    json_t *host = json_object_get(info, "host"), *role = json_object_get(info, "role");
    if (role) {
        printf(" on %s", json_is_string(host) ? json_string_value(host) : "local socket");
        if (json_is_integer(json_object_get(info, "port")))
            printf(":%lld", (long long)json_integer_value(json_object_get(info, "port")));
        printf(" (%s)", json_string_value(role));
    }
    printf(": connected in %.1f ms, round trip %.3f ms", (connected - t0) * 1e3,
           (pinged - connected) * 1e3);
    json_t *tls = json_object_get(info, "tls");
    if (json_is_object(tls))
        printf(", TLS %s %s\n", json_string_value(json_object_get(tls, "protocol")),
               json_string_value(json_object_get(tls, "cipher")));
    else
        printf(json_is_false(tls) ? ", not encrypted\n" : "\n");
    json_decref(info);
    return 0;
}

static char *read_stdin(void)
{
    size_t len = 0, cap = 4096;
    char *text = malloc(cap);
    size_t n;
    while (text && (n = fread(text + len, 1, cap - len - 1, stdin)) > 0)
        if ((len += n) + 1 == cap) {
            char *bigger = realloc(text, cap *= 2);
            if (!bigger) free(text);
            text = bigger;
        }
    if (text) text[len] = '\0';
    return text;
}

static int tool_error(dal_error *err, dal_code code, const char *message)
{
    err->code = code;
    snprintf(err->message, sizeof err->message, "%s", message);
    return code;
}

static int copy_to_stdout(FILE *f)
{
    char chunk[65536];
    size_t n;
    if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0) return -1;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (fwrite(chunk, 1, n, stdout) != n) return -1;
    return ferror(f) || fflush(stdout) != 0 ? -1 : 0;
}

static int query(const char *url, const char *sql, char **params, int nparams, output_format format,
                 bool echo)
{
    dal_engine_options opts;
    dal_engine_options_init(&opts);
    opts.echo = echo; /* the URL's echo=parameters adds the values */
    char *from_stdin = NULL;
    if (!strcmp(sql, "-") && !(sql = from_stdin = read_stdin()))
        return fprintf(stderr, "dal: cannot read SQL\n"), 1;
    dal_value *values = calloc((size_t)nparams + 1, sizeof *values);
    for (int i = 0; i < nparams; i++)
        values[i] = dal_text(params[i]);
    dal_error err = DAL_ERROR_INIT;
    dal_engine *e = NULL;
    dal_session *s = NULL;
    dal_result *r = NULL;
    /* Output waits in a temporary file until the commit succeeded: a failed
     * commit leaves nothing on stdout that looks like success. */
    FILE *staged = tmpfile();
    int rc = staged ? dal_engine_create(url, &opts, &e, &err)
                    : tool_error(&err, DAL_ENOMEM, "cannot create a temporary file");
    if (!rc) rc = dal_session_open(e, &s, &err);
    if (!rc) rc = dal_session_query(s, sql, values, (size_t)nparams, &r, &err);
    if (!rc && dal_result_column_count(r) == 0)
        fprintf(staged, "{\"rows_affected\": %lld}\n", (long long)dal_result_rows_affected(r));
    else if (!rc)
        rc = output_rows(r, format, staged, &err);
    dal_result_close(r);
    if (!rc)
        rc = dal_session_commit(s, &err); /* one statement, committed like a shell tool should */
    if (!rc && copy_to_stdout(staged))
        rc = tool_error(&err, DAL_EODBC, "cannot write the output");
    if (staged) fclose(staged);
    dal_session_close(s);
    dal_engine_dispose(e);
    free(values);
    free(from_stdin);
    return rc ? fail(&err) : 0;
}

/* Applies what is pending in dir, moves to a version, or prints one JSON
 * line per migration. */
static int migrate(const char *url, const char *dir, bool status, int64_t target)
{
    dal_error err = DAL_ERROR_INIT;
    dal_engine *e;
    if (dal_engine_create(url, NULL, &e, &err)) return fail(&err);
    int rc;
    if (status) {
        dal_migration_status *list;
        size_t n;
        rc = dal_migrate_status(e, dir, &list, &n, &err);
        for (size_t i = 0; !rc && i < n; i++) {
            json_t *line = json_pack("{sIssss}", "version", (json_int_t)list[i].version, "name",
                                     list[i].name, "state", dal_migration_state_name(list[i].state));
            char *text = line ? dal_json_serialize(line, &err) : NULL;
            if (text) printf("%s\n", text);
            free(text);
            json_decref(line);
        }
        if (!rc) free(list);
    } else {
        size_t ran = 0;
        rc = dal_migrate_to(e, dir, target, &ran, &err);
        if (!rc) printf("{\"ran\": %zu}\n", ran);
    }
    dal_engine_dispose(e);
    return rc ? fail(&err) : 0;
}

int main(int argc, char **argv)
{
    output_format format = FORMAT_JSONL;
    bool status = false, echo = false, hosts = false;
    int64_t target = DAL_MIGRATE_LATEST;
    char *args[256];
    int n = 0;
    for (int i = 1; i < argc; i++) { /* options anywhere; the rest in order */
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return usage(stdout, 0);
        if (!strcmp(argv[i], "--version")) return printf("dal %s\n", DAL_VERSION_STRING), 0;
        if (!strcmp(argv[i], "--format") || !strncmp(argv[i], "--format=", 9)) {
            const char *v = argv[i][8] == '=' ? argv[i] + 9 : i + 1 < argc ? argv[++i] : "";
            if (output_format_parse(v, &format)) {
                fprintf(stderr, "dal: unknown format '%s' (jsonl, json, csv, table)\n", v);
                return 2;
            }
            continue;
        }
        if (!strcmp(argv[i], "--echo")) {
            echo = true;
            continue;
        }
        if (!strcmp(argv[i], "--status")) {
            status = true;
            continue;
        }
        if (!strcmp(argv[i], "--hosts")) {
            hosts = true;
            continue;
        }
        if (!strcmp(argv[i], "--to")) {
            char *end;
            long long v = i + 1 < argc ? strtoll(argv[++i], &end, 10) : -1;
            if (v < 0 || *end) {
                fprintf(stderr, "dal: --to needs a version (0 or more)\n");
                return 2;
            }
            target = v;
            continue;
        }
        if (n == (int)(sizeof args / sizeof args[0])) return usage(stderr, 2);
        args[n++] = argv[i];
    }
    if (n == 0) return usage(stderr, 2);
    const char *cmd = args[0];
    /* The URL is optional: an argument with "://" is one. */
    bool has_url = n > 1 && strstr(args[1], "://") != NULL;
    const char *url = has_url ? args[1] : default_url();
    int first = has_url ? 2 : 1;
    if (!strcmp(cmd, "explain") && n == first) return explain(url, hosts);
    if (!strcmp(cmd, "drivers") && n == 1) return drivers();
    if (!strcmp(cmd, "ping") && n == first) return ping(url);
    if (!strcmp(cmd, "query") && n > first)
        return query(url, args[first], args + first + 1, n - first - 1, format, echo);
    if (!strcmp(cmd, "migrate") && n == first + 1) return migrate(url, args[first], status, target);
    return usage(stderr, 2);
}
