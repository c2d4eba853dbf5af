#include "harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static bool with_zdb;
static int failures;

int bench_failures(void) { return failures; }

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

void bench_die(const char *what, const char *detail)
{
    fprintf(stderr, "bench: %s: %s\n", what, detail ? detail : "");
    exit(1);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* "1.23M" style rates. */
static void rate_text(char *buf, size_t n, double v)
{
    if (v < 0 || isnan(v))
        snprintf(buf, n, "-");
    else if (v >= 1e6)
        snprintf(buf, n, "%.2fM", v / 1e6);
    else if (v >= 1e3)
        snprintf(buf, n, "%.1fk", v / 1e3);
    else
        snprintf(buf, n, "%.0f", v);
}

/* Runs fn in a child process so that its peak RSS is its own. */
static double run_in_child(bench_fn fn, const bench_target *t, size_t n, int threads,
                           double *rss_mib)
{
    int fds[2];
    if (pipe(fds) != 0) bench_die("pipe", "");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        double rate = fn(t, n, threads);
        if (write(fds[1], &rate, sizeof rate) != sizeof rate) _exit(1);
        _exit(0);
    }
    close(fds[1]);
    double rate = -1;
    if (read(fds[0], &rate, sizeof rate) != sizeof rate) rate = -1;
    close(fds[0]);
    int status;
    struct rusage ru;
    wait4(pid, &status, 0, &ru);
    *rss_mib = (double)ru.ru_maxrss / 1024.0;
    return rate;
}

void bench_print_header(bool have_zdb)
{
    with_zdb = have_zdb;
    printf("| backend | workload | unit | dal (median, min-max) | raw ODBC | %s | dal/raw | %s |\n",
           have_zdb ? "libzdb" : "libzdb (not installed)", "dal/libzdb");
    printf("|---|---|---|---:|---:|---:|---:|---:|\n");
    fflush(stdout);
}

/* Latencies of the last run of each side: a fixed array, filled from
 * several threads (an atomic index). */
#define BENCH_LATENCIES 400000
static double latencies[SIDES][BENCH_LATENCIES];
static _Atomic size_t nlatencies[SIDES];

void bench_latency_reset(int side) { nlatencies[side] = 0; }

void bench_latency_add(int side, double seconds)
{
    size_t i = nlatencies[side]++;
    if (i < BENCH_LATENCIES) latencies[side][i] = seconds;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* "p50 a / p99 b / max c ms" of side's last run, or "". */
static void latency_text(int side, char *out, size_t size)
{
    size_t n = nlatencies[side] < BENCH_LATENCIES ? nlatencies[side] : BENCH_LATENCIES;
    out[0] = '\0';
    if (!n) return;
    qsort(latencies[side], n, sizeof latencies[side][0], by_value);
    snprintf(out, size, "p50 %.2f / p99 %.2f / max %.1f ms", latencies[side][n / 2] * 1e3,
             latencies[side][n * 99 / 100] * 1e3, latencies[side][n - 1] * 1e3);
}

void bench_run(const bench_workload *w, const bench_target *t, int reps, bool smoke)
{
    const char *backend = t->name;
    bool lan = t->lan;
    if (w->streaming && t->streaming) {
        backend = t->streaming_name;
        t = t->streaming;
    }
    size_t n = lan ? w->n_lan : !strcmp(t->name, "sqlite") ? w->n_sqlite : w->n_pg;
    if (n == 0) return;
    if (t->big_ops_divisor > 1 && n >= 1000000 && !w->measure_rss) n /= t->big_ops_divisor;
    if (smoke) n = n / 1000 > 10 ? n / 1000 : 10;
    if (w->prepare) w->prepare(t, n);
    double rate[SIDES][32];
    double ratio[2][32];
    double rss[SIDES] = {0};
    for (int r = 0; r < reps && r < 32; r++) {
        for (int s = 0; s < SIDES; s++) /* interleaved: dal, raw, libzdb, dal, raw, ... */
        {
            bool runs = w->fn[s] && (s != SIDE_ZDB || (with_zdb && !t->no_zdb));
            if (!runs)
                rate[s][r] = -1;
            else if (w->measure_rss)
                rate[s][r] = run_in_child(w->fn[s], t, n, w->threads, &rss[s]);
            else
                rate[s][r] = w->fn[s](t, n, w->threads);
            if (runs && !(rate[s][r] > 0)) failures++;
        }
        ratio[0][r] = rate[SIDE_RAW][r] > 0 ? rate[SIDE_DAL][r] / rate[SIDE_RAW][r] : -1;
        ratio[1][r] = rate[SIDE_ZDB][r] > 0 ? rate[SIDE_DAL][r] / rate[SIDE_ZDB][r] : -1;
    }
    char cells[SIDES][96];
    for (int s = 0; s < SIDES; s++) {
        double lo = rate[s][0], hi = rate[s][0];
        for (int r = 1; r < reps; r++) {
            lo = fmin(lo, rate[s][r]);
            hi = fmax(hi, rate[s][r]);
        }
        double med = median(rate[s], reps);
        char a[24], b[24], c[24];
        rate_text(a, sizeof a, med);
        rate_text(b, sizeof b, lo);
        rate_text(c, sizeof c, hi);
        if (med < 0)
            snprintf(cells[s], sizeof cells[s], "-");
        else if (reps > 1)
            snprintf(cells[s], sizeof cells[s], "%s (%s-%s)", a, b, c);
        else
            snprintf(cells[s], sizeof cells[s], "%s", a);
    }
    char rr[2][24];
    for (int k = 0; k < 2; k++) {
        double m = median(ratio[k], reps);
        if (m < 0)
            snprintf(rr[k], sizeof rr[k], "-");
        else
            snprintf(rr[k], sizeof rr[k], "%.2fx", m);
    }
    char label[320];
    snprintf(label, sizeof label, "%s%s", w->name, smoke ? " (smoke)" : "");
    if (lan && !smoke) { /* fewer operations behind the delay: say how many */
        size_t len = strlen(label);
        snprintf(label + len, sizeof label - len, " (%zu ops here)", n);
    }
    if (w->latency) {
        char dal_lat[64], raw_lat[64];
        latency_text(SIDE_DAL, dal_lat, sizeof dal_lat);
        latency_text(SIDE_RAW, raw_lat, sizeof raw_lat);
        size_t len = strlen(label);
        snprintf(label + len, sizeof label - len, "; dal %s; raw %s", dal_lat, raw_lat);
    }
    if (w->measure_rss) {
        size_t len = strlen(label);
        snprintf(label + len, sizeof label - len, "; peak RSS dal %.0f MiB, raw %.0f MiB",
                 rss[SIDE_DAL], rss[SIDE_RAW]);
    }
    printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", backend, label, w->unit, cells[SIDE_DAL],
           cells[SIDE_RAW], cells[SIDE_ZDB], rr[0], rr[1]);
    fflush(stdout);
}
