/* Every allocation of the library goes through here, so that tests can make
 * the Nth one fail (dal__alloc_fail_after) and prove each path reports
 * DAL_ENOMEM instead of crashing or leaking. */
#ifndef DAL_ALLOC_H
#define DAL_ALLOC_H

#include <stddef.h>

#include "dal/export.h"

void *dal__malloc(size_t n);
void *dal__calloc(size_t count, size_t n);
void *dal__realloc(void *p, size_t n);
char *dal__strdup(const char *s);
char *dal__strndup(const char *s, size_t n);
void dal__free(void *p);
/* Storage for large buffers that live while a driver allocates and frees
 * for every row (a result's row arrays): from n = DAL__APART_MIN bytes on,
 * mapped apart from the malloc heap, so that they do not split the heap
 * the driver works in. dal__free_apart takes the n it was allocated with. */
#define DAL__APART_MIN (16 * 1024)
void *dal__alloc_apart(size_t n);
void dal__free_apart(void *p, size_t n);
/* Overwrites a string that may hold a password, then frees it. */
void dal__free_secret(char *s);

/* Test hook: the (n+1)th allocation from now fails; n < 0 turns it off.
 * Returns how many allocations happened since the last call. */
long dal__alloc_fail_after(long n); /* tests link the objects, not the shared library */

#endif
