/* Faults: allocation failures along a whole path, locked SQLite files,
 * missing directories, pool exhaustion under load. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "backends.h"

/* configure, scope, query with parameters, JSON in and out, unconfigure. */
static int full_path(const char *url, dal_error *err)
{
    int rc = dal_configure(url, NULL, err);
    if (rc) return rc;
    rc = dal_scope_begin(err);
    if (rc) {
        dal_unconfigure();
        return rc;
    }
    dal_session *s;
    dal_result *r = NULL;
    json_t *doc = NULL, *row = NULL;
    char *text = NULL;
    rc = dal_scoped_session(&s, err);
    if (!rc)
        rc = dal_session_exec(s, "CREATE TABLE IF NOT EXISTS nomem_t (k INTEGER, doc TEXT)", NULL,
                              0, NULL, err);
    if (!rc && !(doc = dal_json_deserialize("{\"a\":[1,2,{\"b\":\"c\"}]}", err)))
        rc = err->code ? err->code : DAL_EJSON;
    if (!rc) {
        dal_value v[] = {dal_int64(1), dal_json(doc)};
        rc = dal_session_exec(s, "INSERT INTO nomem_t VALUES (?, ?)", v, 2, NULL, err);
    }
    if (!rc) rc = dal_session_query(s, "SELECT k, doc FROM nomem_t", NULL, 0, &r, err);
    if (!rc && (rc = dal_result_next(r, err)) == DAL_ROW) rc = dal_result_row_json(r, &row, err);
    if (rc == DAL_DONE) rc = DAL_OK;
    if (!rc && !(text = dal_json_serialize(row, err))) rc = err->code ? err->code : DAL_EJSON;
    free(text);
    json_decref(row);
    json_decref(doc);
    dal_result_close(r);
    dal_scope_end();
    dal_unconfigure();
    return rc;
}

DAL_TEST_EACH(faults, every_allocation_failure_is_reported_cleanly)
{
    (void)backend;
    dal_error err = DAL_ERROR_INIT;
    dal__alloc_fail_after(-1);
    DAL_OK_OR_FAIL(full_path(url, &err), err); /* warm: drivers loaded, table made */
    dal__alloc_fail_after(-1);
    dal_error_clear(&err);
    DAL_OK_OR_FAIL(full_path(url, &err), err);
    long needed = dal__alloc_fail_after(-1);
    cr_assert_gt(needed, 10, "the path allocates (%ld)", needed);
    int failures = 0;
    for (long n = 0; n < needed; n++) {
        dal_error_clear(&err);
        dal__alloc_fail_after(n);
        int rc = full_path(url, &err);
        dal__alloc_fail_after(-1);
        if (rc == DAL_OK) continue; /* the failed allocation had a fallback */
        failures++;
        cr_expect(rc == DAL_ENOMEM || err.code != DAL_OK, "allocation %ld: %s without a message", n,
                  dal_code_name(rc));
        cr_expect_neq(err.message[0], '\0', "allocation %ld: empty message", n);
    }
    cr_expect_gt(failures, 0, "some allocation failures must surface");
    dal_error_clear(&err);
    DAL_OK_OR_FAIL(full_path(url, &err), err); /* and everything works afterwards */
}

Test(faults, missing_sqlite_directory_is_a_connect_error_naming_the_path)
{
    dal_engine *e;
    dal_session *s;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(dal_engine_create("sqlite:////nonexistent-dal-dir/sub/x.db", NULL, &e, &err),
                   err);
    int rc = dal_session_open(e, &s, &err);
    cr_expect_eq(rc, DAL_ECONNECT, "%s: %s", dal_code_name(rc), err.message);
    cr_expect_neq(strstr(err.message, "/nonexistent-dal-dir/sub/x.db"), NULL, "%s", err.message);
    dal_engine_dispose(e);
}

enum { WRITERS = 4, COMMITS = 40 };
typedef struct writer {
    const char *url;
    int id;
    int committed, busy, other;
} writer;

/* Each writer has its own engine (its own connection) on the same file. */
static void *write_rows(void *p)
{
    writer *w = p;
    dal_engine *e;
    dal_error err = DAL_ERROR_INIT;
    if (dal_engine_create(w->url, NULL, &e, &err)) {
        w->other++;
        fprintf(stderr, "writer %d create: %s\n", w->id, err.message);
        return NULL;
    }
    for (int k = 0; w->committed < COMMITS && k < COMMITS * 50; k++) {
        dal_session *s;
        dal_error_clear(&err);
        if (dal_session_open(e, &s, &err)) {
            w->other++;
            fprintf(stderr, "writer %d open: %s\n", w->id, err.message);
            continue;
        }
        dal_value v[] = {dal_int64(w->id), dal_int64(w->committed)};
        int rc = dal_session_exec(s, "INSERT INTO busy_w VALUES (?, ?)", v, 2, NULL, &err);
        if (!rc) rc = dal_session_commit(s, &err);
        if (!rc)
            w->committed++;
        else if (rc == DAL_EBUSY)
            w->busy++;
        else {
            w->other++;
            fprintf(stderr, "writer %d: %s %s\n", w->id, dal_code_name(rc), err.message);
        }
        dal_session_close(s);
    }
    dal_engine_dispose(e);
    return NULL;
}

Test(faults, concurrent_sqlite_writers_get_busy_and_lose_no_commit)
{
    dal_engine *e;
    dal_session *s;
    dal_test_open(dal_test_url("sqlite", ""), &e, &s);
    dal_test_exec(s, "CREATE TABLE busy_w (w INTEGER, k INTEGER, PRIMARY KEY (w, k))");
    dal_session_commit(s, NULL);
    dal_session_close(s);
    char url[600];
    snprintf(url, sizeof url, "%s", dal_test_url("sqlite", "?Timeout=1"));
    pthread_t t[WRITERS];
    writer w[WRITERS];
    for (int k = 0; k < WRITERS; k++) {
        w[k] = (writer){url, k, 0, 0, 0};
        pthread_create(&t[k], NULL, write_rows, &w[k]);
    }
    int committed = 0, busy = 0;
    for (int k = 0; k < WRITERS; k++) {
        pthread_join(t[k], NULL);
        cr_expect_eq(w[k].other, 0, "writer %d: only EBUSY may fail", k);
        committed += w[k].committed;
        busy += w[k].busy;
    }
    cr_assert_eq(dal_session_open(e, &s, NULL), DAL_OK);
    cr_expect_eq(dal_test_scalar(s, "SELECT COUNT(*) FROM busy_w"), committed,
                 "every reported commit is there");
    cr_expect_eq(committed, WRITERS * COMMITS);
    cr_log_info("%d commits, %d EBUSY on the way", committed, busy);
    dal_session_close(s);
    dal_engine_dispose(e);
}

typedef struct holder {
    dal_engine *e;
    int ok, timeouts, other;
} holder;

static void *hold_for_a_while(void *p)
{
    holder *h = p;
    for (int k = 0; k < 10; k++) {
        dal_session *s;
        dal_error err = DAL_ERROR_INIT;
        int rc = dal_session_open(h->e, &s, &err);
        if (rc == DAL_ETIMEOUT)
            h->timeouts++;
        else if (rc)
            h->other++;
        else {
            h->ok++;
            usleep(20000);
            dal_session_close(s);
        }
    }
    return NULL;
}

DAL_TEST_EACH(faults, exhaustion_under_load_ends_in_timeouts_not_hangs)
{
    (void)url;
    dal_engine *e;
    dal_error err = DAL_ERROR_INIT;
    DAL_OK_OR_FAIL(
        dal_engine_create(dal_test_url(backend, "?pool_size=2&max_overflow=0&pool_timeout=0.03"),
                          NULL, &e, &err),
        err);
    enum { N = 8 };
    pthread_t t[N];
    holder h[N];
    for (int k = 0; k < N; k++) {
        h[k] = (holder){e, 0, 0, 0};
        pthread_create(&t[k], NULL, hold_for_a_while, &h[k]);
    }
    int ok = 0, timeouts = 0, other = 0;
    for (int k = 0; k < N; k++) {
        pthread_join(t[k], NULL);
        ok += h[k].ok;
        timeouts += h[k].timeouts;
        other += h[k].other;
    }
    cr_expect_eq(ok + timeouts, N * 10);
    cr_expect_eq(other, 0);
    cr_expect_gt(timeouts, 0, "eight threads on two connections must time out");
    cr_expect_gt(ok, 0);
    dal_pool_stats st;
    dal_engine_pool_stats(e, &st);
    cr_expect_eq(st.checked_out, 0);
    cr_expect_eq(st.waiting, 0);
    cr_expect_eq(st.timeouts, (uint64_t)timeouts);
    dal_engine_dispose(e);
}
