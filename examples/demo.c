/* The dal pattern in one page: configure once from a URL, run each unit of
 * work in a scope, ask for the scope's session where it is needed, commit
 * explicitly. Usage: dal_demo [URL]   (default sqlite:///demo.db) */
#include <dal.h>
#include <stdio.h>
#include <stdlib.h>

static const struct {
    const char *name;
    double price;
    const char *tags; /* a JSON document */
} products[] = {
    {"espresso", 2.10, "{\"hot\": true, \"sizes\": [\"single\", \"double\"]}"},
    {"croissant", 1.85, "{\"vegan\": false}"},
    {"matcha \xe6\x8a\xb9\xe8\x8c\xb6", 3.40, "{\"hot\": true, \"origin\": \"Uji\"}"},
};

/* Runs inside a scope: stores the rows (the table comes from migrations). */
static int store(void *arg, dal_error *err)
{
    (void)arg;
    dal_session *s;
    int rc = dal_scoped_session(&s, err);
    if (!rc) rc = dal_session_exec(s, "DELETE FROM products", NULL, 0, NULL, err);
    for (size_t i = 0; !rc && i < sizeof products / sizeof products[0]; i++) {
        json_t *tags = dal_json_deserialize(products[i].tags, err);
        if (!tags) return err->code;
        dal_value row[] = {dal_int64((int64_t)i + 1), dal_text(products[i].name),
                           dal_double(products[i].price), dal_json(tags),
                           dal_timestamp_us(1767225600000000LL + (int64_t)i * 3600000000LL)};
        rc = dal_session_exec(s, "INSERT INTO products VALUES (?, ?, ?, ?, ?)", row, 5, NULL, err);
        json_decref(tags);
    }
    return rc ? rc : dal_session_commit(s, err); /* a scope never commits by itself */
}

/* Runs inside another scope: reads the rows back and prints them as JSON. */
static int show(void *arg, dal_error *err)
{
    (void)arg;
    dal_session *s;
    dal_result *r;
    dal_value min_price = dal_double(2.0);
    int rc = dal_scoped_session(&s, err);
    if (!rc)
        rc = dal_session_query(s, "SELECT id, name, price, tags, added FROM products ORDER BY id",
                               NULL, 0, &r, err);
    if (rc) return rc;
    printf("products:\n");
    while ((rc = dal_result_next(r, err)) == DAL_ROW) {
        json_t *row;
        if ((rc = dal_result_row_json(r, &row, err))) break;
        char *text = dal_json_serialize(row, err);
        printf("  %s\n", text ? text : "?");
        free(text);
        json_decref(row);
    }
    dal_result_close(r);
    if (rc != DAL_DONE) return rc;

    rc =
        dal_session_query(s, "SELECT name, price FROM products WHERE price > ? ORDER BY price DESC",
                          &min_price, 1, &r, err);
    if (rc) return rc;
    printf("priced over %.2f:\n", 2.0);
    while ((rc = dal_result_next(r, err)) == DAL_ROW) {
        const char *name;
        double price;
        if ((rc = dal_result_text_by_name(r, "name", &name, NULL, err)) ||
            (rc = dal_result_double_by_name(r, "price", &price, err)))
            break;
        printf("  %-16s %6.2f\n", name, price);
    }
    dal_result_close(r);
    return rc == DAL_DONE ? DAL_OK : rc;
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : "sqlite:///demo.db";
    dal_error err = DAL_ERROR_INIT;
    int rc = dal_configure(url, NULL, &err);
    size_t ran = 0;
    /* The schema the code expects, as every deployment would get it. */
    if (!rc)
        rc = dal_migrate_to(dal_configured_engine(), DAL_EXAMPLE_MIGRATIONS "/demo",
                            DAL_MIGRATE_LATEST, &ran, &err);
    if (!rc) printf("migrations: %zu applied now\n", ran);
    if (!rc) rc = dal_with_scope(store, NULL, &err);
    if (!rc) rc = dal_with_scope(show, NULL, &err);
    if (rc) {
        fprintf(stderr, "dal_demo: %s: %s%s%s\n", dal_code_name(rc), err.message,
                err.sqlstate[0] ? " SQLSTATE " : "", err.sqlstate);
        dal_unconfigure();
        return 1;
    }
    char cs[512] = "";
    dal_engine_connection_string(dal_configured_engine(), cs, sizeof cs, 0);
    printf("(dal %s, %s via %s)\n", DAL_VERSION_STRING, url, cs);
    dal_unconfigure();
    return 0;
}
