#include "conn_socket.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "alloc.h"

static bool is_socket(int dirfd, const char *name)
{
    char target[64];
    ssize_t n = readlinkat(dirfd, name, target, sizeof target - 1);
    if (n <= 0) return false;
    target[n] = '\0';
    return !strncmp(target, "socket:", 7);
}

void dal__sockets_list(dal__socket_set *out)
{
    out->bits = NULL;
    out->nbits = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d) return;
    int own = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end || fd < 0 || fd == own || fd > 1 << 20 || !is_socket(own, e->d_name)) continue;
        if ((size_t)fd >= out->nbits) {
            size_t nbits = ((size_t)fd + 64) & ~(size_t)63;
            unsigned char *bits = dal__realloc(out->bits, nbits / 8);
            if (!bits) break;
            memset(bits + out->nbits / 8, 0, (nbits - out->nbits) / 8);
            out->bits = bits;
            out->nbits = nbits;
        }
        out->bits[fd / 8] |= (unsigned char)(1u << (fd % 8));
    }
    closedir(d);
}

void dal__sockets_free(dal__socket_set *s)
{
    dal__free(s->bits);
    s->bits = NULL;
    s->nbits = 0;
}

static bool in_set(const dal__socket_set *s, size_t fd)
{
    return fd < s->nbits && (s->bits[fd / 8] & (1u << (fd % 8)));
}

static bool peer_matches(int fd, const int *ports, size_t nports, const char *unix_path)
{
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    int type = 0;
    socklen_t tlen = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 || type != SOCK_STREAM) return false;
    if (getpeername(fd, (struct sockaddr *)&peer, &len) != 0) return false;
    int port;
    if (peer.ss_family == AF_INET)
        port = ntohs(((struct sockaddr_in *)&peer)->sin_port);
    else if (peer.ss_family == AF_INET6)
        port = ntohs(((struct sockaddr_in6 *)&peer)->sin6_port);
    else if (peer.ss_family == AF_UNIX) /* its path: the server's socket file */
        return unix_path &&
               !strncmp(((struct sockaddr_un *)&peer)->sun_path, unix_path, strlen(unix_path));
    else
        return false;
    for (size_t i = 0; i < nports; i++)
        if (ports[i] == port) return true;
    return nports == 0;
}

int dal__socket_new_since(const dal__socket_set *before, const int *ports, size_t nports,
                          const char *unix_path)
{
    dal__socket_set now;
    dal__sockets_list(&now);
    int found = -1;
    for (size_t fd = 0; fd < now.nbits; fd++) {
        if (!in_set(&now, fd) || in_set(before, fd)) continue;
        if (!peer_matches((int)fd, ports, nports, unix_path)) continue;
        if (found >= 0) { /* two candidates: other threads opened sockets too */
            found = -1;
            break;
        }
        found = (int)fd;
    }
    dal__sockets_free(&now);
    return found;
}
