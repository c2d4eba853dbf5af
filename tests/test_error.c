/* Error codes, names, texts and the first-error-wins rule. */
#include <criterion/criterion.h>
#include <dal/version.h>
#include <string.h>

#include "error_internal.h"

Test(error, reference_texts_are_exact)
{
    cr_expect_str_eq(dal_strerror(DAL_ENOTCONFIGURED),
                     "Database has not been configured, i.e. dal_configure() was not called.");
    cr_expect_str_eq(dal_strerror(DAL_ENOSCOPE), "No session is available in the current scope.");
}

Test(error, every_code_has_a_name_and_a_text)
{
    for (int c = 1; c <= DAL_EODBC; c++) {
        cr_expect_str_neq(dal_code_name(c), "EUNKNOWN", "code %d", c);
        cr_expect_str_neq(dal_strerror(c), "unknown error", "code %d", c);
    }
    cr_expect_str_eq(dal_code_name(DAL_ECONSTRAINT), "ECONSTRAINT");
    cr_expect_str_eq(dal_strerror(12345), "unknown error");
    cr_expect_str_eq(dal_code_name(-1), "EUNKNOWN");
    cr_expect_str_eq(dal_strerror(DAL_OK), "success");
}

Test(error, codes_are_never_renumbered)
{
    cr_expect_eq(DAL_ENOTCONFIGURED, 1);
    cr_expect_eq(DAL_ENOSCOPE, 2);
    cr_expect_eq(DAL_EURL, 3);
    cr_expect_eq(DAL_EODBC, 19);
}

Test(error, first_error_wins_and_null_is_allowed)
{
    dal_error err = DAL_ERROR_INIT;
    cr_expect_eq(dal__error_set(&err, DAL_EURL, "first %d", 1), DAL_EURL);
    cr_expect_eq(dal__error_set(&err, DAL_EDATA, "second"), DAL_EDATA);
    cr_expect_eq(err.code, DAL_EURL);
    cr_expect_str_eq(err.message, "first 1");
    cr_expect_eq(dal__error_set(NULL, DAL_EDATA, "x"), DAL_EDATA);
    dal_error_clear(&err);
    cr_expect_eq(err.code, DAL_OK);
    cr_expect_str_eq(err.message, "");
    dal_error_clear(NULL);
}

Test(error, long_messages_are_cut_not_overflowed)
{
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    dal_error err = DAL_ERROR_INIT;
    dal__error_set(&err, DAL_EODBC, "%s", big);
    cr_expect_eq(strlen(err.message), sizeof err.message - 1);
}

Test(error, the_running_version_is_the_headers)
{
    cr_expect_eq(dal_version(), DAL_VERSION_NUMBER);
    cr_expect_eq(dal_version(), DAL_VERSION_MAJOR * 10000 + DAL_VERSION_MINOR * 100 + DAL_VERSION_PATCH);
    cr_expect_str_eq(dal_version_string(), DAL_VERSION_STRING);
}
