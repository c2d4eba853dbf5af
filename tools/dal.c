/* The `dal` command: look at a database URL from the shell.
 *   dal explain URL     dialect, ODBC driver, masked connection string
 *   dal --help | --version
 * Exit 0 on success, 1 on a database error, 2 on a usage error. */
#include <dal.h>
#include <stdio.h>
#include <string.h>

static int usage(FILE *out, int status)
{
    fprintf(out,
            "usage: dal explain URL\n"
            "       dal --help | --version\n"
            "URL examples: sqlite:///app.db  postgresql://user:pw@host:5432/db  odbc://DSN\n");
    return status;
}

static int fail(const dal_error *err)
{
    fprintf(stderr, "dal: %s: %s%s%s%s\n", dal_code_name(err->code), err->message,
            err->sqlstate[0] ? " [" : "", err->sqlstate, err->sqlstate[0] ? "]" : "");
    return 1;
}

static int explain(const char *url)
{
    dal_error err = DAL_ERROR_INIT;
    dal_engine *e;
    if (dal_engine_create(url, NULL, &e, &err)) return fail(&err);
    char cs[4096];
    if (dal_engine_connection_string(e, cs, sizeof cs, 0) != DAL_OK) snprintf(cs, sizeof cs, "(too long)");
    dal_pool_stats st;
    dal_engine_pool_stats(e, &st);
    printf("dialect: %s\ndriver: %s\nconnection string: %s\npool: size %d, overflow %d\n",
           dal_engine_dialect(e), *dal_engine_driver(e) ? dal_engine_driver(e) : "(from the DSN)", cs,
           st.pool_size, st.max_overflow);
    dal_engine_dispose(e);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage(stderr, 2);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) return usage(stdout, 0);
    if (!strcmp(argv[1], "--version")) return printf("dal %s\n", DAL_VERSION_STRING), 0;
    if (!strcmp(argv[1], "explain") && argc == 3) return explain(argv[2]);
    return usage(stderr, 2);
}
