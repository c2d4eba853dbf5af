/* Time: monotonic seconds as doubles, and deadlines for timed waits. */
#ifndef DAL_CLOCK_H
#define DAL_CLOCK_H

#include <time.h>

/* Monotonic seconds, to the millisecond (the coarse clock: idle and age
 * checks on every checkout need no more, and it costs a third). */
double dal__now(void);
/* Monotonic seconds, to the nanosecond (deadlines). */
double dal__now_precise(void);
/* The moment seconds from now on clock (CLOCK_MONOTONIC for condition
 * variables made so, CLOCK_REALTIME for pthread_mutex_timedlock). */
struct timespec dal__deadline(clockid_t clock, double seconds);

#endif
