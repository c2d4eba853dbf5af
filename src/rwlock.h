/* Read-write locks whose writers go first: readers that keep coming (a
 * stream of checkouts, of handle allocations) cannot starve a writer
 * (dal_configure, fork()). Include after defining _GNU_SOURCE. */
#ifndef DAL_RWLOCK_H
#define DAL_RWLOCK_H

#include <pthread.h>

#if defined(__GLIBC__) && defined(PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP)
#define DAL__RWLOCK_WRITERS_FIRST PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP
#else
#define DAL__RWLOCK_WRITERS_FIRST PTHREAD_RWLOCK_INITIALIZER
#endif

#endif
