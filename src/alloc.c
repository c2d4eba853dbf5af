#include "alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* < 0: off. Otherwise the number of allocations still allowed to succeed. */
static atomic_long fail_countdown = -1;
static atomic_long allocations;

static int should_fail(void)
{
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    long left = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
    if (left < 0) return 0;
    return atomic_fetch_sub(&fail_countdown, 1) <= 0;
}

long dal__alloc_fail_after(long n)
{
    atomic_store(&fail_countdown, n < 0 ? -1 : n);
    return atomic_exchange(&allocations, 0);
}

void *dal__malloc(size_t n) { return should_fail() ? NULL : malloc(n ? n : 1); }

void *dal__calloc(size_t count, size_t n)
{
    return should_fail() ? NULL : calloc(count ? count : 1, n ? n : 1);
}

void *dal__realloc(void *p, size_t n) { return should_fail() ? NULL : realloc(p, n ? n : 1); }

void *dal__alloc_apart(size_t n)
{
    if (n < DAL__APART_MIN) return dal__malloc(n);
    if (should_fail()) return NULL;
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void dal__free_apart(void *p, size_t n)
{
    if (!p) return;
    if (n < DAL__APART_MIN)
        free(p);
    else
        munmap(p, n);
}

char *dal__strndup(const char *s, size_t n)
{
    char *copy = dal__malloc(n + 1);
    if (copy) {
        memcpy(copy, s, n);
        copy[n] = '\0';
    }
    return copy;
}

char *dal__strdup(const char *s) { return dal__strndup(s, strlen(s)); }

void dal__free(void *p) { free(p); }

void dal__free_secret(char *s)
{
    if (!s) return;
    volatile char *p = s;
    while (*p)
        *p++ = 0;
    free(s);
}
