/* A program that uses an installed dal: one query on an in-memory SQLite. */
#include <dal.h>
#include <stdio.h>

int main(void)
{
    dal_error err = DAL_ERROR_INIT;
    dal_engine *e;
    dal_session *s;
    dal_result *r;
    int64_t v = 0;
    dal_value p = dal_int64(6);
    if (dal_engine_create("sqlite://", NULL, &e, &err) || dal_session_open(e, &s, &err) ||
        dal_session_query(s, "SELECT ? * 7", &p, 1, &r, &err) ||
        dal_result_next(r, &err) != DAL_ROW || dal_result_int64(r, 0, &v, &err)) {
        fprintf(stderr, "consumer: %s: %s\n", dal_code_name(err.code), err.message);
        return 1;
    }
    dal_result_close(r);
    dal_session_close(s);
    dal_engine_dispose(e);
    printf("dal %s: %lld\n", DAL_VERSION_STRING, (long long)v);
    return v == 42 ? 0 : 1;
}
