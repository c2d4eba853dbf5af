#include "output.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json_write.h"

int output_format_parse(const char *name, output_format *out)
{
    static const char *const names[] = {"jsonl", "json", "csv", "table"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, names[i])) return *out = (output_format)i, 0;
    return -1;
}

static int write_file(void *ctx, const char *data, size_t n)
{
    return fwrite(data, 1, n, ctx) == n ? 0 : -1;
}

/* The current row's cell as text ("" for NULL, base64 for blobs). */
static int cell(dal_result *r, size_t col, dal__buf *out, dal_error *err)
{
    dal__buf_reset(out);
    if (dal_result_is_null(r, col)) return DAL_OK;
    if (dal_result_column_type(r, col) == DAL_TYPE_BLOB) {
        const void *p;
        size_t n;
        int rc = dal_result_blob(r, col, &p, &n, err);
        if (rc) return rc;
        dal__json_write_base64(out, p, n);
        memmove(out->data, out->data + 1, out->len - 2); /* drop the JSON quotes */
        out->len -= 2;
        out->data[out->len] = '\0';
        return DAL_OK;
    }
    const char *t;
    size_t n;
    int rc = dal_result_text(r, col, &t, &n, err);
    if (!rc) dal__buf_append(out, t, n);
    return rc;
}

static void csv_field(FILE *f, const char *s, size_t n)
{
    if (!strpbrk(s, ",\"\r\n") || n == 0) {
        fwrite(s, 1, n, f);
        return;
    }
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') fputc('"', f);
        fputc(s[i], f);
    }
    fputc('"', f);
}

static int output_csv(dal_result *r, FILE *f, dal_error *err)
{
    size_t ncols = dal_result_column_count(r);
    for (size_t c = 0; c < ncols; c++) {
        if (c) fputc(',', f);
        const char *name = dal_result_column_name(r, c);
        csv_field(f, name, strlen(name));
    }
    fputs("\r\n", f);
    dal__buf b = {0};
    int rc, cell_rc = DAL_OK;
    while (!cell_rc && (rc = dal_result_next(r, err)) == DAL_ROW) {
        for (size_t c = 0; c < ncols && !cell_rc; c++) {
            if (c) fputc(',', f);
            if (!(cell_rc = cell(r, c, &b, err))) csv_field(f, b.data ? b.data : "", b.len);
        }
        fputs("\r\n", f);
    }
    if (cell_rc) rc = cell_rc;
    dal__buf_free(&b);
    return rc == DAL_DONE ? DAL_OK : rc;
}

/* Display width of UTF-8 text: one column per code point. */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static int output_table(dal_result *r, FILE *f, dal_error *err)
{
    size_t ncols = dal_result_column_count(r), nrows = 0, cap = 0;
    char **cells = NULL; /* the table needs every row before it can print one */
    size_t *widths = calloc(ncols ? ncols : 1, sizeof *widths);
    for (size_t c = 0; c < ncols; c++)
        widths[c] = width(dal_result_column_name(r, c));
    dal__buf b = {0};
    int rc, cell_rc = DAL_OK;
    while (!cell_rc && (rc = dal_result_next(r, err)) == DAL_ROW) {
        if ((nrows + 1) * ncols > cap) {
            cap = cap ? cap * 2 : 64 * ncols;
            cells = realloc(cells, cap * sizeof *cells);
        }
        for (size_t c = 0; c < ncols; c++) { /* fills the whole row, even after an error */
            int one = cell(r, c, &b, err);
            if (one && !cell_rc) cell_rc = one;
            char *text = strdup(one                        ? ""
                                : dal_result_is_null(r, c) ? "NULL"
                                : b.data                   ? b.data
                                                           : "");
            cells[nrows * ncols + c] = text;
            if (width(text) > widths[c]) widths[c] = width(text);
        }
        nrows++;
    }
    if (cell_rc) rc = cell_rc;
    if (rc == DAL_DONE) {
        rc = DAL_OK;
        for (size_t row = 0; row <= nrows + 1; row++) {
            for (size_t c = 0; c < ncols; c++) {
                const char *t = row == 0   ? dal_result_column_name(r, c)
                                : row == 1 ? NULL
                                           : cells[(row - 2) * ncols + c];
                fputs(c ? " | " : "", f);
                if (!t) {
                    for (size_t k = 0; k < widths[c]; k++)
                        fputc('-', f);
                } else {
                    fputs(t, f);
                    if (c + 1 < ncols)
                        for (size_t k = width(t); k < widths[c]; k++)
                            fputc(' ', f);
                }
            }
            fputc('\n', f);
        }
        fprintf(f, "(%zu row%s)\n", nrows, nrows == 1 ? "" : "s");
    }
    for (size_t k = 0; k < nrows * ncols; k++)
        free(cells[k]);
    free(cells);
    free(widths);
    dal__buf_free(&b);
    return rc;
}

int output_rows(dal_result *r, output_format format, FILE *f, dal_error *err)
{
    switch (format) {
    case FORMAT_JSONL: return dal_result_export_json(r, DAL_JSON_LINES, write_file, f, NULL, err);
    case FORMAT_JSON: return dal_result_export_json(r, DAL_JSON_ARRAY, write_file, f, NULL, err);
    case FORMAT_CSV: return output_csv(r, f, err);
    case FORMAT_TABLE: return output_table(r, f, err);
    }
    return DAL_EMISUSE;
}
