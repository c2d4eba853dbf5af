/* Which URL query keys mean something: dal's own, those the dialect routes
 * itself (libpq's for PostgreSQL), and driver attributes in the driver's own
 * spelling. A key that is none of these would do nothing (the drivers ignore
 * attributes they do not know): it is an error that names the closest known
 * key. The tested drivers' keywords are known (dialect.h's driver_keys);
 * for another driver (driver=), only keys in dal's spelling are checked. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "../drivers/dialect.h"
#include "error_internal.h"
#include "url.h"

bool dal__url_key_is_native(const dal__dialect *d, const char *key)
{
    for (const char *const *k = d->native_keys; k && *k; k++)
        if (!strcasecmp(*k, key)) return true;
    return false;
}

/* dal's own spelling of keys: lowercase words joined by '_'. Driver
 * attributes are spelled otherwise (StepAPI, BoolsAsChar, Timeout). */
static bool looks_like_dal_key(const char *key)
{
    if (!strchr(key, '_')) return false;
    for (const char *p = key; *p; p++)
        if (isupper((unsigned char)*p)) return false;
    return true;
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t nb = strlen(b), row[65];
    if (nb > 64) return 99;
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; a[i - 1]; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t above = row[j];
            size_t best = diagonal + (tolower((unsigned char)a[i - 1]) != b[j - 1]);
            if (above + 1 < best) best = above + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    return row[nb];
}

static void consider(const char *key, const char *known, const char **best, size_t *best_distance)
{
    size_t dist = edit_distance(key, known);
    if (dist < *best_distance) {
        *best = known;
        *best_distance = dist;
    }
}

static bool in_list(const char *const *list, const char *key)
{
    for (const char *const *k = list; k && *k; k++)
        if (!strcasecmp(*k, key)) return true;
    return false;
}

int dal__url_check_key(const dal__dialect *d, const char *key, bool other_driver, dal_error *err)
{
    bool known_driver = d->driver_keys && !other_driver;
    if (dal__url_key_is_native(d, key)) return DAL_OK;
    if (known_driver ? in_list(d->driver_keys, key) : !looks_like_dal_key(key)) return DAL_OK;
    const char *best = NULL;
    size_t best_distance = (size_t)-1;
    for (size_t i = 0; dal__url_owned_key(i); i++)
        consider(key, dal__url_owned_key(i), &best, &best_distance);
    for (const char *const *k = d->native_keys; k && *k; k++)
        consider(key, *k, &best, &best_distance);
    if (known_driver) /* case does not matter to the drivers: compared in lowercase */
        for (const char *const *k = d->driver_keys; *k; k++) {
            char lower[64];
            size_t n = 0;
            for (; (*k)[n] && n + 1 < sizeof lower; n++)
                lower[n] = (char)tolower((unsigned char)(*k)[n]);
            lower[n] = '\0';
            size_t before = best_distance;
            consider(key, lower, &best, &best_distance);
            if (best_distance < before) best = *k;
        }
    if (best && best_distance <= strlen(key) / 2)
        return dal__error_set(err, DAL_EURL,
                              "query key %s means nothing for %s URLs: did you mean %s?", key,
                              d->name, best);
    return dal__error_set(err, DAL_EURL,
                          "query key %s means nothing for %s URLs (see the README's list of keys; "
                          "driver attributes keep the driver's spelling, e.g. StepAPI)",
                          key, d->name);
}
