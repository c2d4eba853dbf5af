/* Retrying a unit of work that lost a conflict, the safe way: only after
 * the server rolled the transaction back (a serialization failure or a
 * deadlock: DAL_ECONFLICT), never after a commit whose outcome is unknown
 * (DAL_EINDOUBT) or any other failure, with a growing random wait so that
 * the conflicting transactions do not meet again, and within a deadline. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dal/scope.h"
#include "engine_internal.h"
#include "error_internal.h"

void dal_retry_policy_init(dal_retry_policy *p)
{
    if (!p) return;
    memset(p, 0, sizeof *p);
    p->max_attempts = 5;
    p->base_delay_ms = 10;
    p->max_delay_ms = 1000;
}

static int check_policy(const dal_retry_policy *p, dal_error *err)
{
    if (p->max_attempts < 1 || p->max_attempts > 1000 || p->base_delay_ms < 0 ||
        p->max_delay_ms < 0 || p->deadline_ms < 0)
        return dal__error_set(err, DAL_EMISUSE,
                              "dal_retry_policy: max_attempts must be 1 to 1000 and the delays "
                              "and deadline not negative (fill it with dal_retry_policy_init)");
    return DAL_OK;
}

/* A unique violation: PostgreSQL 23505, MariaDB 1062, SQLite's "UNIQUE
 * constraint failed" (sqliteodbc reports only the primary code, 19). */
static bool is_unique_violation(const dal_error *e)
{
    return e->code == DAL_ECONSTRAINT &&
           (!strcmp(e->sqlstate, "23505") || e->native_code == 1062 ||
            strstr(e->message, "UNIQUE constraint failed") != NULL);
}

/* A random number of milliseconds in [0, limit] (full jitter). */
static int jitter_ms(int limit)
{
    static _Thread_local uint64_t state;
    if (!state) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        state = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)(uintptr_t)&state ^ (uint64_t)ts.tv_sec;
        state |= 1;
    }
    state ^= state << 13; /* xorshift64 */
    state ^= state >> 7;
    state ^= state << 17;
    return (int)(state % ((uint64_t)limit + 1));
}

/* The longest wait before attempt + 1: base doubled per attempt, capped. */
static int delay_limit_ms(const dal_retry_policy *p, int attempt)
{
    int64_t limit = p->base_delay_ms;
    for (int i = 1; i < attempt && limit < p->max_delay_ms; i++)
        limit *= 2;
    return (int)(limit < p->max_delay_ms ? limit : p->max_delay_ms);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

int dal_with_scope_retry(int (*fn)(void *arg, dal_error *err), void *arg,
                         const dal_retry_policy *policy, dal_error *err)
{
    dal_retry_policy defaults;
    if (!policy) {
        dal_retry_policy_init(&defaults);
        policy = &defaults;
    }
    int rc = check_policy(policy, err);
    if (rc) return rc;
    double started = dal__now_precise();
    dal_error last = DAL_ERROR_INIT;
    int attempt = 1;
    for (;; attempt++) {
        dal_error_clear(&last);
        rc = dal_with_scope(fn, arg, &last);
        bool retryable =
            rc == DAL_ECONFLICT || (policy->retry_unique_violation && is_unique_violation(&last));
        if (!rc || !retryable || attempt >= policy->max_attempts) break;
        int delay = jitter_ms(delay_limit_ms(policy, attempt));
        double elapsed_ms = (dal__now_precise() - started) * 1e3;
        if (policy->deadline_ms && elapsed_ms + delay >= policy->deadline_ms) break;
        dal_event ev = {.kind = DAL_EVENT_RETRY, .seconds = delay / 1e3, .rows = -1,
                        .attempt = attempt};
        dal__event_outcome(&ev, rc, &last);
        dal__scope_note_retry(&ev);
        sleep_ms(delay);
    }
    if (!rc) return DAL_OK;
    /* The last attempt's error, saying how many attempts were made. */
    char suffix[96];
    int n = snprintf(suffix, sizeof suffix, " (attempt %d%s)", attempt,
                     attempt > 1 ? ", the last of dal_with_scope_retry's" : "");
    size_t room = sizeof last.message - 1 - (size_t)n;
    if (strlen(last.message) > room) last.message[room] = '\0';
    strcat(last.message, suffix);
    return dal__error_copy(err, &last);
}
