/* dal beside raw ODBC and libzdb, same run, same database, same connection
 * string. Usage:
 *   bench [--smoke] [--reps N] [--pg URL] [--mariadb URL] [--only sqlite|postgresql|mariadb]
 *         [--latency MS] [--match TEXT] [--pgbouncer URL] [--standbys URL]
 * The PostgreSQL URL comes from --pg or DAL_BENCH_PG_URL (scripts/bench
 * starts the private server); without one only SQLite runs. --latency says
 * the PostgreSQL URL goes through dal_delay_proxy adding MS of round trip
 * (scripts/bench --latency starts it): only the workloads that talk to the
 * server run, on PostgreSQL only. --match runs only the workloads whose name
 * holds TEXT ("growth", "request cycle"). --pgbouncer runs the request
 * cycle, the prepared round trip and the bulk insert through PgBouncer in
 * transaction mode (scripts/bench --pgbouncer starts it): dal with
 * pooler=transaction, raw ODBC with the same connection string (psqlODBC's
 * own parameter substitution, what a careful user chooses there); libzdb
 * prepares named statements, which that mode cannot keep. */
#include <dal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "sides.h"

#define K 1000
#define M 1000000

/* name, unit, n (SQLite), n (PostgreSQL), n (PostgreSQL behind --latency),
 * threads, {dal, raw ODBC, libzdb},
 * untimed set-up, peak RSS, streaming variant */
// clang-format off
static const bench_workload workloads[] = {
    {"pool checkout + check-in, 1 thread", "ops/s", 2 * M, 2 * M, 0, 1, {dal_checkout, NULL, zdb_checkout}, NULL, false, false, false},
    {"pool checkout + check-in, 2 threads", "ops/s", 2 * M, 2 * M, 0, 2, {dal_checkout, NULL, zdb_checkout}, NULL, false, false, false},
    {"pool checkout + check-in, 8 threads", "ops/s", 2 * M, 2 * M, 0, 8, {dal_checkout, NULL, zdb_checkout}, NULL, false, false, false},
    {"checkout + prepared SELECT ? + check-in", "ops/s", 200 * K, 5 * K, 500, 1, {dal_checkout_select, NULL, zdb_checkout_select}, NULL, false, false, false},
    {"checkout + SELECT ? + check-in, lazy_begin", "ops/s", 200 * K, 5 * K, 500, 1, {dal_checkout_select_lazy, NULL, zdb_checkout_select}, NULL, false, false, false},
    {"request cycle (scope, SELECT ?, end) vs raw re-execute", "ops/s", 200 * K, 5 * K, 500, 1, {dal_request_cycle, raw_round_trip, zdb_checkout_select}, NULL, false, false, false},
    {"request cycle, an empty on_event callback", "ops/s", 200 * K, 5 * K, 0, 1, {dal_request_cycle_observed, dal_request_cycle, NULL}, NULL, false, false, false},
    {"request cycle, lazy_begin", "ops/s", 200 * K, 5 * K, 500, 1, {dal_request_cycle_lazy, raw_round_trip, zdb_checkout_select}, NULL, false, false, false},
    {"request cycle, read-only scope", "ops/s", 200 * K, 5 * K, 500, 1, {dal_request_cycle_read_only, raw_round_trip, zdb_checkout_select}, NULL, false, false, false},
    {"read-only request cycle on standbys, max_staleness_ms=500 vs without", "ops/s", 0, 5 * K, 0, 1, {dal_request_cycle_read_only_bounded, dal_request_cycle_read_only_balanced, NULL}, NULL, false, false, false},
    {"prepared SELECT ? round trip, one session", "ops/s", 300 * K, 5 * K, 500, 1, {dal_round_trip, raw_round_trip, zdb_round_trip}, NULL, false, false, false},
    {"write request, 1 statement", "ops/s", 20 * K, 5 * K, 500, 1, {dal_write_request_1, raw_write_request_1, zdb_write_request_1}, NULL, false, false, false},
    {"write request, 1 statement, deferred", "ops/s", 20 * K, 5 * K, 500, 1, {dal_write_request_1_deferred, raw_write_request_1, zdb_write_request_1}, NULL, false, false, false},
    {"write request, 3 statements", "ops/s", 20 * K, 5 * K, 500, 1, {dal_write_request_3, raw_write_request_3, zdb_write_request_3}, NULL, false, false, false},
    {"write request, 3 statements, deferred", "ops/s", 20 * K, 5 * K, 500, 1, {dal_write_request_3_deferred, raw_write_request_3, zdb_write_request_3}, NULL, false, false, false},
    {"SQLite concurrent write transactions, 1 thread", "ops/s", 16 * K, 0, 0, 1, {dal_concurrent_writes, raw_concurrent_writes, NULL}, NULL, false, false, true},
    {"SQLite concurrent write transactions, 4 threads", "ops/s", 16 * K, 0, 0, 4, {dal_concurrent_writes, raw_concurrent_writes, NULL}, NULL, false, false, true},
    {"SQLite concurrent write transactions, 16 threads", "ops/s", 16 * K, 0, 0, 16, {dal_concurrent_writes, raw_concurrent_writes, NULL}, NULL, false, false, true},
    {"bulk insert 100k rows, one transaction", "rows/s", 100 * K, 100 * K, 10 * K, 1, {dal_bulk_insert, raw_bulk_insert, zdb_bulk_insert}, NULL, false, false, false},
    {"fetch 100k rows", "rows/s", 100 * K, 100 * K, 100 * K, 1, {dal_fetch, raw_fetch, zdb_fetch}, bench_fill_rows, false, false, false},
    {"rows as JSON lines, 100k rows", "rows/s", 100 * K, 100 * K, 100 * K, 1, {dal_export_json, raw_export_json, zdb_export_json}, bench_fill_rows, false, false, false},
    {"growth: fetch 10k rows", "rows/s", 10 * K, 10 * K, 0, 1, {dal_fetch, raw_fetch, NULL}, bench_fill_rows, true, true, false},
    {"growth: fetch 100k rows", "rows/s", 100 * K, 100 * K, 0, 1, {dal_fetch, raw_fetch, NULL}, bench_fill_rows, true, true, false},
    {"growth: fetch 1M rows", "rows/s", M, M, 0, 1, {dal_fetch, raw_fetch, NULL}, bench_fill_rows, true, true, false},
};
// clang-format on

/* The workloads that need standbys (--standbys: scripts/bench --standbys
 * starts a primary and two of them), and that run only there. */
static bool on_standbys(const char *name)
{
    return strstr(name, "on standbys") != NULL;
}

/* The workloads --pgbouncer runs. */
static bool behind_a_pooler(const char *name)
{
    return strstr(name, "request cycle (scope") || strstr(name, "prepared SELECT ? round trip") ||
           strstr(name, "bulk insert");
}

static void init_target(bench_target *t, const char *name, const char *dal_url, const char *zdb_url)
{
    memset(t, 0, sizeof *t);
    t->name = name;
    snprintf(t->dal_url, sizeof t->dal_url, "%s", dal_url);
    snprintf(t->zdb_url, sizeof t->zdb_url, "%s", zdb_url);
    dal_engine *e;
    dal_error err = DAL_ERROR_INIT;
    if (dal_engine_create(dal_url, NULL, &e, &err)) bench_die(name, err.message);
    if (dal_engine_connection_string(e, t->odbc, sizeof t->odbc, DAL_CONNSTR_UNMASKED))
        bench_die(name, "connstr");
    dal_engine_dispose(e);
}

int main(int argc, char **argv)
{
    bool smoke = false;
    int reps = 5;
    const char *pg = getenv("DAL_BENCH_PG_URL");
    if (!pg || !*pg) pg = getenv("DAL_TEST_PG_URL");
    const char *maria = getenv("DAL_BENCH_MARIADB_URL");
    if (!maria || !*maria) maria = getenv("DAL_TEST_MARIADB_URL");
    const char *only = NULL, *latency = NULL, *match = NULL, *bouncer = NULL, *standbys = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--smoke"))
            smoke = true;
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--pg") && i + 1 < argc)
            pg = argv[++i];
        else if (!strcmp(argv[i], "--mariadb") && i + 1 < argc)
            maria = argv[++i];
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--latency") && i + 1 < argc)
            latency = argv[++i];
        else if (!strcmp(argv[i], "--match") && i + 1 < argc)
            match = argv[++i];
        else if (!strcmp(argv[i], "--pgbouncer") && i + 1 < argc)
            bouncer = argv[++i];
        else if (!strcmp(argv[i], "--standbys") && i + 1 < argc)
            standbys = argv[++i];
        else {
            fprintf(stderr, "usage: bench [--smoke] [--reps N] [--pg URL] [--mariadb URL] "
                            "[--only sqlite|postgresql|mariadb] [--latency MS] [--match TEXT] "
                            "[--pgbouncer URL] [--standbys URL]\n");
            return 2;
        }
    }
    if (smoke) reps = 1;
    if (latency || bouncer || standbys) only = "postgresql";
    if (standbys) pg = standbys;
    if (reps < 1 || reps > 31) reps = 5;

    char dir[] = "/tmp/dal-bench-XXXXXX";
    if (!mkdtemp(dir)) bench_die("mkdtemp", dir);
    char sqlite_dal[256], sqlite_zdb[256];
    snprintf(sqlite_dal, sizeof sqlite_dal, "sqlite:///%s/bench.db", dir);
    snprintf(sqlite_zdb, sizeof sqlite_zdb,
             "sqlite://%s/bench.db?synchronous=normal&journal_mode=wal", dir);

    /* The growth series streams: sqliteodbc only streams outside a
     * transaction (lazy_begin), psqlODBC only with UseDeclareFetch. */
    static bench_target targets[3], streaming[3];
    int ntargets = 0;
    char url[1024];
    if (!only || !strcmp(only, "sqlite")) {
        init_target(&targets[ntargets], "sqlite", sqlite_dal, sqlite_zdb);
        snprintf(url, sizeof url, "%s?lazy_begin=true", sqlite_dal);
        init_target(&streaming[ntargets], "sqlite", url, sqlite_zdb);
        targets[ntargets].streaming = &streaming[ntargets];
        targets[ntargets++].streaming_name = "sqlite (lazy_begin, autocommit reads)";
    }
    if (bouncer) {
        snprintf(url, sizeof url, "%s?pooler=transaction", bouncer);
        init_target(&targets[ntargets], "postgresql via PgBouncer (transaction pooling)", url, url);
        targets[ntargets++].no_zdb = true;
        pg = NULL;
    }
    if (pg && *pg && (!only || !strcmp(only, "postgresql"))) {
        init_target(&targets[ntargets], standbys ? "postgresql, primary + 2 standbys" : "postgresql",
                    pg, pg);
        if (latency) {
            static char lan_name[64];
            snprintf(lan_name, sizeof lan_name, "postgresql, +%s ms round trip", latency);
            targets[ntargets].name = lan_name;
            targets[ntargets].lan = true;
        }
        snprintf(url, sizeof url, "%s?UseDeclareFetch=1&Fetch=2000", pg);
        init_target(&streaming[ntargets], "postgresql", url, pg);
        targets[ntargets].streaming = &streaming[ntargets];
        targets[ntargets++].streaming_name = "postgresql (UseDeclareFetch=1)";
    }
    if (maria && *maria && (!only || !strcmp(only, "mariadb"))) {
        /* libzdb spells the scheme mysql://; Connector/ODBC 3.1 always reads
         * whole results, so the growth series has no streaming variant. */
        char zdb[1024];
        snprintf(zdb, sizeof zdb, "mysql://%s", strstr(maria, "://") ? strstr(maria, "://") + 3 : maria);
        init_target(&targets[ntargets], "mariadb", maria, zdb);
        /* libzdb's MySQL pool pings on every checkout (about 13k/s): the
         * checkout rows run 1/50 of the operations, or they take an hour. */
        targets[ntargets].big_ops_divisor = 50;
        init_target(&streaming[ntargets], "mariadb", maria, zdb);
        targets[ntargets].streaming = &streaming[ntargets];
        targets[ntargets++].streaming_name = "mariadb (whole results)";
    }

    struct utsname u;
    uname(&u);
    printf("dal %s benchmark: %s %s, %ld cores, %d repetitions (median, min-max; ratios are "
           "medians of\n"
           "per-repetition ratios)%s\n\n",
           DAL_VERSION_STRING, u.sysname, u.machine, sysconf(_SC_NPROCESSORS_ONLN), reps,
           (pg && *pg) || bouncer ? "" : "; no PostgreSQL URL: SQLite only");
    bench_print_header(zdb_available());
    for (int k = 0; k < ntargets; k++)
        for (size_t w = 0; w < sizeof workloads / sizeof workloads[0]; w++)
            if ((!match || strstr(workloads[w].name, match)) &&
                (!bouncer || behind_a_pooler(workloads[w].name)) &&
                !standbys == !on_standbys(workloads[w].name))
                bench_run(&workloads[w], &targets[k], reps, smoke);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "bench: could not remove %s\n", dir);
    if (bench_failures()) {
        fprintf(stderr, "bench: %d runs produced no number\n", bench_failures());
        return 1;
    }
    return 0;
}
