#include "output.h"

#include <stdlib.h>
#include <string.h>


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

/* n bytes as base64 (RFC 4648, padded), in a new string. */
static char *base64(const unsigned char *p, size_t n)
{
    static const char digits[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
    for (size_t i = 0; out && i < n; i += 3) {
        unsigned long v = (unsigned long)p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0) |
                          (i + 2 < n ? p[i + 2] : 0);
        *o++ = digits[v >> 18 & 63];
        *o++ = digits[v >> 12 & 63];
        *o++ = i + 1 < n ? digits[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? digits[v & 63] : '=';
    }
    if (out) *o = '\0';
    return out;
}

/* The current row's cell as a new string ("" for NULL, base64 for blobs). */
static int cell(dal_result *r, size_t col, char **out, size_t *len, dal_error *err)
{
    *out = NULL;
    *len = 0;
    const char *t = "";
    size_t n = 0;
    int rc = DAL_OK;
    if (dal_result_is_null(r, col)) {
    } else if (dal_result_column_type(r, col) == DAL_TYPE_BLOB) {
        const void *p;
        if (!(rc = dal_result_blob(r, col, &p, &n, err)) && !(*out = base64(p, n)))
            rc = DAL_ENOMEM;
        if (*out) *len = strlen(*out);
        return rc;
    } else {
        rc = dal_result_text(r, col, &t, &n, err);
    }
    if (!rc && (*out = malloc(n + 1))) {
        memcpy(*out, t, *len = n);
        (*out)[n] = '\0';
    }
    return rc ? rc : *out ? DAL_OK : DAL_ENOMEM;
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
    int rc, cell_rc = DAL_OK;
    while (!cell_rc && (rc = dal_result_next(r, err)) == DAL_ROW) {
        for (size_t c = 0; c < ncols && !cell_rc; c++) {
            char *text;
            size_t len;
            if (c) fputc(',', f);
            if (!(cell_rc = cell(r, c, &text, &len, err))) csv_field(f, text, len);
            free(text);
        }
        fputs("\r\n", f);
    }
    if (cell_rc) rc = cell_rc;
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
    int rc, cell_rc = DAL_OK;
    while (!cell_rc && (rc = dal_result_next(r, err)) == DAL_ROW) {
        if ((nrows + 1) * ncols > cap) {
            cap = cap ? cap * 2 : 64 * ncols;
            cells = realloc(cells, cap * sizeof *cells);
        }
        for (size_t c = 0; c < ncols; c++) { /* fills the whole row, even after an error */
            char *text;
            size_t len;
            int one = cell(r, c, &text, &len, err);
            if (one && !cell_rc) cell_rc = one;
            if (!one && dal_result_is_null(r, c)) {
                free(text);
                text = strdup("NULL");
            }
            if (!text) text = strdup("");
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
