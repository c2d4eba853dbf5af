/* The proof that the checkers see row arrays: writes one byte past a bound
 * column's values, as a driver that overran its buffer would. Built with
 * DAL_CHECKED_ARRAYS (sanitizer and valgrind builds), ASan must report a
 * heap-buffer-overflow and memcheck an invalid write; overrun_test.sh runs
 * it and checks that they do. In the arena of a production build the byte
 * would land in the next array, unseen. */
#include <dal.h>
#include <stdio.h>

#include "engine_internal.h"

int main(void)
{
    dal_error err = DAL_ERROR_INIT;
    dal_engine *e;
    dal_session *s;
    dal_result *r;
    if (dal_engine_create("sqlite://", NULL, &e, &err) || dal_session_open(e, &s, &err) ||
        dal_session_query(s, "SELECT 'abc' AS t, 42 AS n", NULL, 0, &r, &err) ||
        dal_result_next(r, &err) != DAL_ROW) {
        fprintf(stderr, "overrun_check: %s\n", err.message);
        return 2;
    }
    if (!r->block || !r->cols[0].block) {
        fprintf(stderr, "overrun_check: the result is not bound to row arrays\n");
        return 2;
    }
    volatile char *values = r->cols[0].block;
    values[r->cols[0].width] = 'x'; /* one byte past a one-row array */
    printf("overrun_check: the write past the array went unseen\n");
    dal_result_close(r);
    dal_session_close(s);
    dal_engine_dispose(e);
    return 0;
}
