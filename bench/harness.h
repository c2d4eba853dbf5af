/* Benchmark harness: targets (one backend each), workloads run by several
 * implementations interleaved, medians and spreads, one table. */
#ifndef DAL_BENCH_HARNESS_H
#define DAL_BENCH_HARNESS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct bench_target {
    const char *name;                     /* "sqlite", "postgresql" or "mariadb"   */
    size_t big_ops_divisor;               /* divides timed workloads of >= 1M ops  */
    char dal_url[512];                    /* for dal                                */
    char odbc[1024];                      /* the same connection string, for raw    */
    char zdb_url[512];                    /* for libzdb                             */
    const struct bench_target *streaming; /* the same database, results streamed */
    const char *streaming_name;           /* how the streaming variant streams */
    bool lan;                             /* behind dal_delay_proxy: runs n_lan ops */
    bool no_zdb;                          /* libzdb cannot work there (PgBouncer)   */
} bench_target;

/* One implementation of a workload: returns a rate (ops or rows per second)
 * for n operations, or a negative number when it cannot run. */
typedef double (*bench_fn)(const bench_target *t, size_t n, int threads);

enum { SIDE_DAL, SIDE_RAW, SIDE_ZDB, SIDES };

typedef struct bench_workload {
    const char *name;
    const char *unit;
    size_t n_sqlite, n_pg; /* operations per repetition */
    size_t n_lan;          /* on a network with latency (0: not run there) */
    int threads;
    bench_fn fn[SIDES];                               /* NULL: not applicable */
    void (*prepare)(const bench_target *t, size_t n); /* untimed set-up, or NULL */
    bool measure_rss; /* run each side in a child process and report its peak RSS */
    bool streaming;   /* run on the target's streaming variant (constant memory) */
    bool latency;     /* the sides report per-operation latencies (bench_latency) */
} bench_workload;

/* Per-operation latencies of the last run of each side: sides that measure
 * them call bench_latency with every operation's seconds; the harness
 * prints p50/p99/max of the last repetition. */
void bench_latency_reset(int side);
void bench_latency_add(int side, double seconds);

double bench_now(void);
/* Peak resident set size of this process so far, in MiB. */
double bench_peak_rss_mib(void);
/* Runs w on t reps times, interleaving the sides, and prints one table row. */
void bench_run(const bench_workload *w, const bench_target *t, int reps, bool smoke);
void bench_print_header(bool have_zdb);
/* How many runs produced no rate (the smoke test fails on any). */
int bench_failures(void);
/* Dies with a message (benchmarks do not recover from errors). */
void bench_die(const char *what, const char *detail) __attribute__((noreturn));

#endif
