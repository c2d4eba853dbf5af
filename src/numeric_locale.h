/* Numbers as databases, SQL, JSON and URLs write them: with '.', whatever
 * LC_NUMERIC the program set. With setlocale(LC_ALL, "") in a German
 * locale, strtod read "1.5" as 1, printf wrote "1,5" into JSON, and
 * psqlODBC turned NUMERIC 2.5 into the text "2,5" (it follows localeconv()
 * when converting to SQL_C_CHAR). Between these two calls, this thread
 * works in the "C" numeric locale; the program's locale is untouched. */
#ifndef DAL_NUMERIC_LOCALE_H
#define DAL_NUMERIC_LOCALE_H

#include <locale.h>

/* Returns what dal__numeric_c_end needs to restore the thread's locale. */
locale_t dal__numeric_c_begin(void);
void dal__numeric_c_end(locale_t previous);

#endif
