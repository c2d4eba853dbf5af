/* Bounded waits enforced on the client side: a call that talks to the
 * server is watched, and when its deadline passes a watchdog thread
 * interrupts it the only ways that work against a server that does not
 * answer (see ODBC-NOTES "Timeouts and hangs"): shutdown() of the
 * connection's TCP socket (psqlODBC), or SQLCancel, which interrupts SQLite. */
#ifndef DAL_WATCHDOG_H
#define DAL_WATCHDOG_H

#include <stdbool.h>

#include "odbc.h"

/* One watched call; lives on the caller's stack between begin and end. */
typedef struct dal__watch {
    double deadline;   /* monotonic seconds */
    int socket;        /* shut down when the deadline passes, or -1 */
    SQLHANDLE cancel;  /* a statement handle to SQLCancel, or NULL */
    bool fired;        /* the deadline passed and the call was interrupted */
    /* A connect's socket is not known while it runs: found when needed. */
    int (*find_socket)(void *arg);
    void *find_arg;
    struct dal__watch *prev, *next;
} dal__watch;

/* Starts watching a call that must end within seconds (<= 0: not watched,
 * no cost). False when the watchdog thread cannot be started: the call is
 * then not bounded (the caller decides; dal reports DAL_ENOMEM). */
bool dal__watch_begin(dal__watch *w, double seconds, int socket, SQLHANDLE cancel);
/* Watches a connect: at the deadline, the socket find_socket(arg) names
 * then (or none, -1) is shut down. False as dal__watch_begin. */
bool dal__watch_begin_finding(dal__watch *w, double seconds, int (*find_socket)(void *arg),
                              void *arg);
/* Starts the watchdog thread if it is not running: false when it cannot
 * be started. Once it runs, dal__watch_begin cannot fail. */
bool dal__watchdog_ready(void);
/* Stops watching; true when the watchdog interrupted the call. */
bool dal__watch_end(dal__watch *w);

#endif
