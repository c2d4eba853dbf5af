/* A TCP proxy on 127.0.0.1 that holds every byte for a fixed time in each
 * direction: a LAN's round trip on loopback, where the kernel has no netem
 * (see ODBC-NOTES). Usage:
 *   dal_delay_proxy LISTEN_PORT TARGET_PORT ROUND_TRIP_MS
 * Each direction waits ROUND_TRIP_MS / 2, so a request and its answer add
 * ROUND_TRIP_MS. Bytes are forwarded in the order and chunks they arrived;
 * a chunk is held from its arrival, so a stream keeps its bandwidth. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct chunk {
    struct chunk *next;
    double due; /* when it may leave */
    size_t len;
    char data[];
} chunk;

typedef struct direction {
    int from, to;
    double delay; /* seconds */
} direction;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static struct timespec until(double due)
{
    double wait = due - now();
    if (wait < 0) wait = 0;
    struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
    return ts;
}

/* Reads from d->from and writes to d->to once each chunk is due; one thread
 * a direction, so a slow reader never holds the other way up. */
static void *pump(void *arg)
{
    enum { CHUNK = 1 << 16 };
    direction *d = arg;
    chunk *head = NULL, **tail = &head;
    bool eof = false, failed = false;
    char *buf = malloc(CHUNK);
    while (buf && !failed && (!eof || head)) {
        struct timespec ts = head ? until(head->due) : (struct timespec){0, 0};
        if (eof) {
            nanosleep(&ts, NULL);
        } else {
            struct pollfd p = {.fd = d->from, .events = POLLIN};
            if (ppoll(&p, 1, head ? &ts : NULL, NULL) > 0) {
                ssize_t n = recv(d->from, buf, CHUNK, 0);
                chunk *c = n > 0 ? malloc(sizeof *c + (size_t)n) : NULL;
                if (c) {
                    *c = (chunk){NULL, now() + d->delay, (size_t)n};
                    memcpy(c->data, buf, (size_t)n);
                    *tail = c;
                    tail = &c->next;
                } else {
                    eof = true;
                }
            }
        }
        for (double t = now(); head && head->due <= t && !failed;) {
            chunk *c = head;
            head = c->next;
            if (!head) tail = &head;
            failed = write_all(d->to, c->data, c->len) != 0;
            free(c);
        }
    }
    while (head) {
        chunk *c = head;
        head = c->next;
        free(c);
    }
    free(buf);
    shutdown(d->to, SHUT_WR);
    return NULL;
}

typedef struct pair {
    int client;
    int target_port;
    double delay;
} pair;

static void *serve(void *arg)
{
    pair *p = arg;
    int server = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p->target_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (server < 0 || connect(server, (struct sockaddr *)&a, sizeof a) != 0) {
        if (server >= 0) close(server);
        close(p->client);
        free(p);
        return NULL;
    }
    int one = 1;
    setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(p->client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    direction up = {p->client, server, p->delay}, down = {server, p->client, p->delay};
    pthread_t t;
    pthread_create(&t, NULL, pump, &up);
    pump(&down);
    pthread_join(t, NULL);
    close(server);
    close(p->client);
    free(p);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: dal_delay_proxy LISTEN_PORT TARGET_PORT ROUND_TRIP_MS\n");
        return 2;
    }
    int listen_port = atoi(argv[1]), target_port = atoi(argv[2]);
    double delay = atof(argv[3]) / 2000.0; /* half the round trip, in seconds */
    if (listen_port <= 0 || target_port <= 0 || !(delay >= 0)) {
        fprintf(stderr, "dal_delay_proxy: bad arguments\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)listen_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 64) != 0) {
        perror("dal_delay_proxy: listen");
        return 1;
    }
    for (;;) {
        int c = accept(l, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR) continue;
            perror("dal_delay_proxy: accept");
            return 1;
        }
        pair *p = malloc(sizeof *p);
        if (!p) {
            close(c);
            continue;
        }
        *p = (pair){c, target_port, delay};
        pthread_t t;
        if (pthread_create(&t, NULL, serve, p) != 0) {
            close(c);
            free(p);
            continue;
        }
        pthread_detach(t);
    }
}
