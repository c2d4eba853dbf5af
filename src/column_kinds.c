/* What a driver's column description hides: MariaDB Connector/ODBC
 * describes BOOLEAN as TINYINT and JSON as LONGTEXT. The server knows
 * (information_schema: TINYINT(1), a json_valid check): the dialect's
 * column_kinds_sql asks once per table and connection, and a result's
 * columns from that table are read as booleans and JSON documents. */
#include <string.h>

#include "alloc.h"
#include "engine_internal.h"

struct dal__column_kind {
    char *catalog, *table, *column; /* column NULL: the table was looked up */
    char kind;                      /* 'b' boolean, 'j' JSON */
};

void dal__column_kinds_free(dal__conn *c)
{
    for (size_t i = 0; i < c->nkinds; i++) {
        dal__free(c->kinds[i].catalog);
        dal__free(c->kinds[i].table);
        dal__free(c->kinds[i].column);
    }
    dal__free(c->kinds);
    c->kinds = NULL;
    c->nkinds = 0;
}

static void remember(dal__conn *c, const char *catalog, const char *table, const char *column,
                     char kind)
{
    dal__column_kind *grown = dal__realloc(c->kinds, (c->nkinds + 1) * sizeof *grown);
    if (!grown) return; /* unknown: read as the driver describes it */
    c->kinds = grown;
    dal__column_kind *k = &c->kinds[c->nkinds];
    k->catalog = dal__strdup(catalog);
    k->table = dal__strdup(table);
    k->column = column ? dal__strdup(column) : NULL;
    k->kind = kind;
    if (!k->catalog || !k->table || (column && !k->column)) {
        dal__free(k->catalog);
        dal__free(k->table);
        dal__free(k->column);
        return;
    }
    c->nkinds++;
}

/* Asks the server for the boolean and JSON columns of catalog.table; a
 * failure teaches nothing (the columns keep the driver's types). */
static void look_up(dal__conn *c, const char *catalog, const char *table)
{
    remember(c, catalog, table, NULL, 0);
    SQLHSTMT h;
    if (!DAL__ODBC_OK(dal__odbc_alloc(SQL_HANDLE_STMT, c->dbc, &h))) return;
    SQLLEN catalog_len = (SQLLEN)strlen(catalog), table_len = (SQLLEN)strlen(table);
    SQLCHAR column[256], kind[8];
    SQLLEN column_len, kind_len;
    if (DAL__ODBC_OK(SQLBindParameter(h, 1, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR,
                                      (SQLULEN)catalog_len, 0, (SQLPOINTER)catalog, catalog_len,
                                      &catalog_len)) &&
        DAL__ODBC_OK(SQLBindParameter(h, 2, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR,
                                      (SQLULEN)table_len, 0, (SQLPOINTER)table, table_len,
                                      &table_len)) &&
        DAL__ODBC_OK(SQLExecDirect(h, (SQLCHAR *)c->engine->dialect->column_kinds_sql, SQL_NTS)) &&
        DAL__ODBC_OK(SQLBindCol(h, 1, SQL_C_CHAR, column, sizeof column, &column_len)) &&
        DAL__ODBC_OK(SQLBindCol(h, 2, SQL_C_CHAR, kind, sizeof kind, &kind_len)))
        while (DAL__ODBC_OK(SQLFetch(h)))
            if (column_len > 0 && kind_len > 0)
                remember(c, catalog, table, (char *)column, (char)kind[0]);
    dal__odbc_free(SQL_HANDLE_STMT, h);
}

/* The kind of catalog.table.column: 'b', 'j', or 0; looks the table up the
 * first time. */
static char kind_of(dal__conn *c, const char *catalog, const char *table, const char *column)
{
    for (int pass = 0; pass < 2; pass++) {
        bool known = false;
        for (size_t i = 0; i < c->nkinds; i++) {
            dal__column_kind *k = &c->kinds[i];
            if (strcmp(k->table, table) || strcmp(k->catalog, catalog)) continue;
            known = true;
            if (k->column && !strcmp(k->column, column)) return k->kind;
        }
        if (known) return 0;
        look_up(c, catalog, table);
    }
    return 0;
}

static bool text_attribute(SQLHSTMT h, SQLUSMALLINT col, SQLUSMALLINT field, char *buf,
                           SQLSMALLINT size)
{
    SQLSMALLINT len = 0;
    buf[0] = '\0';
    return DAL__ODBC_OK(SQLColAttribute(h, col, field, buf, size, &len, NULL)) && buf[0];
}

void dal__column_kinds_apply(dal_result *r)
{
    dal_stmt *st = r->stmt;
    for (size_t i = 0; i < r->ncols; i++) {
        dal__column *col = &r->cols[i];
        bool tiny = col->sql_type == SQL_TINYINT;
        bool long_text = col->sql_type == SQL_LONGVARCHAR || col->sql_type == SQL_WLONGVARCHAR;
        if (!tiny && !long_text) continue;
        char catalog[128], table[128], column[128];
        SQLUSMALLINT n = (SQLUSMALLINT)(i + 1);
        if (!text_attribute(st->h, n, SQL_DESC_BASE_TABLE_NAME, table, sizeof table) ||
            !text_attribute(st->h, n, SQL_DESC_BASE_COLUMN_NAME, column, sizeof column) ||
            !text_attribute(st->h, n, SQL_DESC_CATALOG_NAME, catalog, sizeof catalog))
            continue; /* an expression: no table to ask */
        char kind = kind_of(st->conn, catalog, table, column);
        if (tiny && kind == 'b') col->type = DAL_TYPE_BOOL;
        if (long_text && kind == 'j') col->type = DAL_TYPE_JSON, col->maybe_json = true;
    }
}
