/* Bulk insert: many rows per statement (INSERT ... VALUES (...),(...)), in
 * batches that respect the backend's parameter limit. psqlODBC's parameter
 * arrays send one statement per row; one multi-row INSERT is far faster. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "engine_internal.h"
#include "error_internal.h"

#define DAL__BULK_MAX_ROWS 1000

/* Table and column names are spliced into SQL, so they must be plain
 * identifiers (optionally schema-qualified): values always go as parameters. */
static bool plain_identifier(const char *s)
{
    if (!s || !(isalpha((unsigned char)*s) || *s == '_')) return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '$') return false;
    return true;
}

static int build_sql(dal__buf *b, const char *table, const char *const *columns, size_t ncols,
                     size_t rows, dal_error *err)
{
    dal__buf_reset(b);
    dal__buf_puts(b, "INSERT INTO ");
    dal__buf_puts(b, table);
    dal__buf_puts(b, " (");
    for (size_t c = 0; c < ncols; c++) {
        if (c) dal__buf_putc(b, ',');
        dal__buf_puts(b, columns[c]);
    }
    dal__buf_puts(b, ") VALUES ");
    for (size_t r = 0; r < rows; r++) {
        dal__buf_puts(b, r ? ",(" : "(");
        for (size_t c = 0; c < ncols; c++)
            dal__buf_puts(b, c ? ",?" : "?");
        dal__buf_putc(b, ')');
    }
    return b->failed ? dal__error_nomem(err) : DAL_OK;
}

int dal_session_insert_many(dal_session *s, const char *table, const char *const *columns,
                            size_t ncols, const dal_value *values, size_t nrows,
                            int64_t *rows_affected, dal_error *err)
{
    if (rows_affected) *rows_affected = 0;
    if (!s || !s->conn) return dal__error_set(err, DAL_EMISUSE, "session is NULL or closed");
    if (!plain_identifier(table))
        return dal__error_set(err, DAL_EMISUSE, "table name must be a plain identifier");
    if (ncols == 0 || !columns) return dal__error_set(err, DAL_EMISUSE, "no columns given");
    for (size_t c = 0; c < ncols; c++)
        if (!plain_identifier(columns[c]))
            return dal__error_set(err, DAL_EMISUSE, "column %zu: name must be a plain identifier",
                                  c);
    if (nrows == 0) return DAL_OK;
    if (!values) return dal__error_set(err, DAL_EMISUSE, "values is NULL");

    const dal__dialect *d = s->engine->dialect;
    size_t per_batch = DAL__BULK_MAX_ROWS;
    if (!(d->caps & DAL__CAP_MULTIROW_INSERT)) per_batch = 1;
    if (per_batch * ncols > (size_t)d->max_params) per_batch = (size_t)d->max_params / ncols;
    if (per_batch == 0)
        return dal__error_set(err, DAL_ERANGE, "%zu columns exceed the %d parameters %s allows",
                              ncols, d->max_params, d->name);

    dal__buf sql = {0};
    size_t prepared_rows = 0;
    int64_t total = 0;
    int rc = DAL_OK;
    for (size_t first = 0; first < nrows && !rc; first += per_batch) {
        size_t rows = nrows - first < per_batch ? nrows - first : per_batch;
        if (rows != prepared_rows && (rc = build_sql(&sql, table, columns, ncols, rows, err)))
            break;
        prepared_rows = rows;
        int64_t n = 0;
        dal_error local = DAL_ERROR_INIT;
        rc = dal_session_exec(s, sql.data, values + first * ncols, rows * ncols, &n, &local);
        if (rc) {
            char msg[sizeof local.message + 64];
            snprintf(msg, sizeof msg, "rows %zu..%zu: %s", first, first + rows - 1, local.message);
            memcpy(local.message, msg, sizeof local.message - 1);
            local.message[sizeof local.message - 1] = '\0';
            s->last_error = local;
            dal__error_copy(err, &local);
        }
        total += n;
    }
    dal__buf_free(&sql);
    if (rows_affected) *rows_affected = total;
    return rc;
}
