#include "numeric_locale.h"

#include <langinfo.h>
#include <pthread.h>

static locale_t c_numeric;
static pthread_once_t c_numeric_once = PTHREAD_ONCE_INIT;

static void make_c_numeric(void) { c_numeric = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }

locale_t dal__numeric_c_begin(void)
{
    /* Most programs never leave '.': then there is nothing to switch (a
     * look-up, where a switch and back costs two uselocale calls). */
    const char *radix = nl_langinfo(RADIXCHAR);
    if (radix[0] == '.' && radix[1] == '\0') return (locale_t)0;
    pthread_once(&c_numeric_once, make_c_numeric);
    /* Without a "C" locale object (out of memory once), numbers follow the
     * program's locale, as they did before. */
    return c_numeric ? uselocale(c_numeric) : (locale_t)0;
}

void dal__numeric_c_end(locale_t previous)
{
    if (previous) uselocale(previous);
}
