#include "numeric_locale.h"

#include <pthread.h>

static locale_t c_numeric;
static pthread_once_t c_numeric_once = PTHREAD_ONCE_INIT;

static void make_c_numeric(void) { c_numeric = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }

locale_t dal__numeric_c_begin(void)
{
    pthread_once(&c_numeric_once, make_c_numeric);
    /* Without a "C" locale object (out of memory once), numbers follow the
     * program's locale, as they did before. */
    return c_numeric ? uselocale(c_numeric) : (locale_t)0;
}

void dal__numeric_c_end(locale_t previous)
{
    if (previous) uselocale(previous);
}
