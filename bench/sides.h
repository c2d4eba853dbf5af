/* The three implementations of every workload, each written as a careful
 * user would: statements prepared once, bound once, reused. */
#ifndef DAL_BENCH_SIDES_H
#define DAL_BENCH_SIDES_H

#include "harness.h"

/* The tables: bench_rows (read) and bench_ins (written): id, name
 * VARCHAR(64), x DOUBLE, doc TEXT (a small JSON document). */
#define BENCH_DOC "{\"k\":[1,2,3],\"ok\":true,\"s\":\"text\"}"
void bench_fill_rows(const bench_target *t, size_t n); /* recreates bench_rows with n rows */
void bench_reset_insert_table(const bench_target *t, size_t n);

double dal_checkout(const bench_target *t, size_t n, int threads);
double dal_checkout_select(const bench_target *t, size_t n, int threads);
double dal_request_cycle(const bench_target *t, size_t n, int threads);
double dal_checkout_select_lazy(const bench_target *t, size_t n, int threads);
double dal_request_cycle_lazy(const bench_target *t, size_t n, int threads);
double dal_request_cycle_read_only(const bench_target *t, size_t n, int threads);
double dal_request_cycle_read_only_balanced(const bench_target *t, size_t n, int threads);
double dal_request_cycle_read_only_bounded(const bench_target *t, size_t n, int threads);
double dal_request_cycle_observed(const bench_target *t, size_t n, int threads);
double dal_round_trip(const bench_target *t, size_t n, int threads);
double dal_bulk_insert(const bench_target *t, size_t n, int threads);
double dal_fetch(const bench_target *t, size_t n, int threads);
double dal_export_json(const bench_target *t, size_t n, int threads);
double dal_write_request_1(const bench_target *t, size_t n, int threads);
double dal_write_request_1_deferred(const bench_target *t, size_t n, int threads);
double dal_write_request_3(const bench_target *t, size_t n, int threads);
double dal_write_request_3_deferred(const bench_target *t, size_t n, int threads);
double dal_concurrent_writes(const bench_target *t, size_t n, int threads);

double raw_round_trip(const bench_target *t, size_t n, int threads);
double raw_bulk_insert(const bench_target *t, size_t n, int threads);
double raw_fetch(const bench_target *t, size_t n, int threads);
double raw_export_json(const bench_target *t, size_t n, int threads);
double raw_write_request_1(const bench_target *t, size_t n, int threads);
double raw_write_request_3(const bench_target *t, size_t n, int threads);
double raw_concurrent_writes(const bench_target *t, size_t n, int threads);

double zdb_checkout(const bench_target *t, size_t n, int threads);
double zdb_checkout_select(const bench_target *t, size_t n, int threads);
double zdb_round_trip(const bench_target *t, size_t n, int threads);
double zdb_bulk_insert(const bench_target *t, size_t n, int threads);
double zdb_fetch(const bench_target *t, size_t n, int threads);
double zdb_export_json(const bench_target *t, size_t n, int threads);
double zdb_write_request_1(const bench_target *t, size_t n, int threads);
double zdb_write_request_3(const bench_target *t, size_t n, int threads);
bool zdb_available(void);

#endif
