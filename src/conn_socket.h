/* The TCP or Unix socket an ODBC connection uses: ODBC does not tell, so dal finds
 * the one socket that appeared during SQLDriverConnect (connects are
 * serialised, see conn.c) and checks its peer's port. */
#ifndef DAL_CONN_SOCKET_H
#define DAL_CONN_SOCKET_H

#include <stddef.h>

typedef struct dal__socket_set {
    unsigned char *bits; /* one bit per fd number */
    size_t nbits;
} dal__socket_set;

/* The process's open sockets now (an empty set when /proc is unreadable). */
void dal__sockets_list(dal__socket_set *out);
void dal__sockets_free(dal__socket_set *s);
/* The one connected stream socket open now and not in before whose peer
 * port is one of ports[0..nports) (nports 0: any port), or, for a Unix
 * socket, whose peer's path starts with unix_path (NULL: none); -1 when
 * there is not exactly one. */
int dal__socket_new_since(const dal__socket_set *before, const int *ports, size_t nports,
                          const char *unix_path);

#endif
