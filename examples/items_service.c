/* A small JSON REST service on libmicrohttpd that stores documents:
 *   POST   /items        body: any JSON document -> 201 {"id": N}
 *   GET    /items/{id}   -> 200 {"id": N, "doc": ...} or 404
 *   GET    /items        -> 200 [{"id": N, "doc": ...}, ...] in id order, a page at a
 *                            time: ?limit=N (default 100, at most 1000) and
 *                            ?after=ID (the last id of the page before); 400
 *                            for a bad value
 *   DELETE /items/{id}   -> 204 or 404
 *   GET    /stats        -> the pool's numbers
 *   GET    /metrics      -> the same in Prometheus text format
 * Every request runs inside dal_with_scope(); handlers only ever call
 * dal_scoped_session(). Usage:
 *   items_service [--db URL] [--port N] [--threads N] [--reset]
 * URL defaults to $DAL_URL, then sqlite:///items.db; port 0 picks a free one.
 * Prints "listening on http://127.0.0.1:PORT" once it accepts requests. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <dal.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prometheus.h"

#define MAX_BODY (1u << 20)

typedef struct request {
    const char *method;
    const char *url;
    const char *body;
    size_t body_len;
    const char *limit, *after; /* query arguments of GET /items, or NULL */
    unsigned status;
    json_t *reply; /* new reference, sent as JSON */
} request;

static json_t *error_json(const char *code, const char *message)
{
    return json_pack("{s:s,s:s}", "error", code, "message", message);
}

static int parse_id(const char *url, int64_t *id)
{
    char *end;
    long long v = strtoll(url + strlen("/items/"), &end, 10);
    if (*end || v <= 0) return -1;
    *id = v;
    return 0;
}

static int create_item(request *rq, dal_session *s, dal_error *err)
{
    json_t *doc = dal_json_deserialize(rq->body ? rq->body : "", err);
    if (!doc) { /* nothing is written for a malformed body */
        rq->status = MHD_HTTP_BAD_REQUEST;
        rq->reply = error_json("EJSON", err->message);
        dal_error_clear(err);
        return DAL_OK;
    }
    dal_value v = dal_json(doc);
    dal_result *r;
    int64_t id = 0;
    /* sqliteodbc runs INSERT ... RETURNING but does not return its rows. */
    bool sqlite = !strcmp(dal_engine_dialect(dal_session_engine(s)), "sqlite");
    int rc = sqlite ? dal_session_exec(s, "INSERT INTO items (doc) VALUES (?)", &v, 1, NULL, err)
                    : DAL_OK;
    if (!rc)
        rc = sqlite ? dal_session_query(s, "SELECT last_insert_rowid()", NULL, 0, &r, err)
                    : dal_session_query(s, "INSERT INTO items (doc) VALUES (?) RETURNING id", &v, 1,
                                        &r, err);
    json_decref(doc);
    if (rc) return rc;
    rc = dal_result_next(r, err);
    if (rc == DAL_ROW) rc = dal_result_int64(r, 0, &id, err);
    dal_result_close(r);
    if (rc == DAL_DONE) rc = DAL_EODBC; /* no id came back */
    if (rc) return rc;
    if ((rc = dal_session_commit(s, err))) return rc;
    rq->status = MHD_HTTP_CREATED;
    rq->reply = json_pack("{s:I}", "id", (json_int_t)id);
    return DAL_OK;
}

/* A whole number in [min, max], or false (text, a sign, digits after it...). */
static bool parse_bounded(const char *text, long long min, long long max, long long *out)
{
    if (!text) return true; /* absent: the default stays */
    char *end;
    if (!*text || *text == ' ' || *text == '+') return false;
    long long v = strtoll(text, &end, 10);
    if (*end || v < min || v > max) return false;
    *out = v;
    return true;
}

static int read_items(request *rq, dal_session *s, const int64_t *id, dal_error *err)
{
    dal_result *r;
    int rc;
    if (id) {
        dal_value v = dal_int64(*id);
        rc = dal_session_query(s, "SELECT id, doc FROM items WHERE id = ?", &v, 1, &r, err);
    } else { /* one page, never the whole table */
        long long limit = 100, after = 0;
        if (!parse_bounded(rq->limit, 1, 1000, &limit) ||
            !parse_bounded(rq->after, 0, INT64_MAX, &after)) {
            rq->status = MHD_HTTP_BAD_REQUEST;
            rq->reply = error_json("EBADREQUEST",
                                   "limit must be 1 to 1000 and after an id (a whole number >= 0)");
            return DAL_OK;
        }
        dal_value v[] = {dal_int64(after), dal_int64(limit)};
        rc = dal_session_query(s, "SELECT id, doc FROM items WHERE id > ? ORDER BY id LIMIT ?", v,
                               2, &r, err);
    }
    if (rc) return rc;
    json_t *list = json_array();
    while ((rc = dal_result_next(r, err)) == DAL_ROW) {
        int64_t item_id;
        json_t *doc;
        if ((rc = dal_result_int64(r, 0, &item_id, err)) || (rc = dal_result_json(r, 1, &doc, err)))
            break;
        json_array_append_new(list, json_pack("{s:I,s:o}", "id", (json_int_t)item_id, "doc", doc));
    }
    dal_result_close(r);
    if (rc != DAL_DONE) {
        json_decref(list);
        return rc;
    }
    if (!id) {
        rq->status = MHD_HTTP_OK;
        rq->reply = list;
    } else if (json_array_size(list) == 0) {
        rq->status = MHD_HTTP_NOT_FOUND;
        rq->reply = error_json("ENOTFOUND", "no such item");
        json_decref(list);
    } else {
        rq->status = MHD_HTTP_OK;
        rq->reply = json_incref(json_array_get(list, 0));
        json_decref(list);
    }
    return DAL_OK;
}

static int delete_item(request *rq, dal_session *s, int64_t id, dal_error *err)
{
    dal_value v = dal_int64(id);
    int64_t n = 0;
    int rc = dal_session_exec(s, "DELETE FROM items WHERE id = ?", &v, 1, &n, err);
    if (!rc) rc = dal_session_commit(s, err);
    if (rc) return rc;
    rq->status = n ? MHD_HTTP_NO_CONTENT : MHD_HTTP_NOT_FOUND;
    rq->reply = n ? NULL : error_json("ENOTFOUND", "no such item");
    return DAL_OK;
}

static int stats(request *rq)
{
    dal_pool_stats st;
    dal_engine_pool_stats(dal_configured_engine(), &st);
    rq->status = MHD_HTTP_OK;
    rq->reply = json_pack("{s:i,s:i,s:i,s:I,s:I,s:I}", "checked_out", st.checked_out, "idle",
                          st.idle, "waiting", st.waiting, "checkouts", (json_int_t)st.checkouts,
                          "connects", (json_int_t)st.connects, "timeouts", (json_int_t)st.timeouts);
    return DAL_OK;
}

/* Runs inside the request's scope. */
static int route(void *arg, dal_error *err)
{
    request *rq = arg;
    int64_t id;
    bool is_item = !strncmp(rq->url, "/items/", 7) && parse_id(rq->url, &id) == 0;
    if (!strcmp(rq->url, "/stats") && !strcmp(rq->method, "GET")) return stats(rq);
    if (strcmp(rq->url, "/items") && !is_item) {
        rq->status = MHD_HTTP_NOT_FOUND;
        rq->reply = error_json("ENOTFOUND", "no such resource");
        return DAL_OK;
    }
    dal_session *s;
    int rc = dal_scoped_session(&s, err);
    if (rc) return rc;
    if (!strcmp(rq->method, "POST") && !is_item) return create_item(rq, s, err);
    if (!strcmp(rq->method, "GET")) return read_items(rq, s, is_item ? &id : NULL, err);
    if (!strcmp(rq->method, "DELETE") && is_item) return delete_item(rq, s, id, err);
    rq->status = MHD_HTTP_METHOD_NOT_ALLOWED;
    rq->reply = error_json("EMETHOD", "method not allowed");
    return DAL_OK;
}

static enum MHD_Result send_reply(struct MHD_Connection *c, unsigned status, json_t *reply)
{
    char *text = reply ? dal_json_serialize(reply, NULL) : NULL;
    size_t len = text ? strlen(text) : 0;
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, text ? text : (void *)"", text ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (text) MHD_add_response_header(resp, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result send_metrics(struct MHD_Connection *c)
{
    char *text = prometheus_metrics(dal_configured_engine());
    if (!text) return send_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, error_json("ENOMEM", "no memory"));
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}

typedef struct body {
    char *data;
    size_t len;
    bool too_large;
} body;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **state)
{
    (void)cls;
    (void)version;
    body *b = *state;
    if (!b) { /* first call: headers only */
        b = calloc(1, sizeof *b);
        if (!b) return MHD_NO;
        *state = b;
        return MHD_YES;
    }
    if (*upload_size) {
        if (b->len + *upload_size > MAX_BODY) {
            b->too_large = true;
        } else {
            char *p = realloc(b->data, b->len + *upload_size + 1);
            if (!p) return MHD_NO;
            memcpy(p + b->len, upload, *upload_size);
            b->data = p;
            b->len += *upload_size;
            b->data[b->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (b->too_large)
        return send_reply(c, MHD_HTTP_CONTENT_TOO_LARGE,
                          error_json("ETOOLARGE", "body over 1 MiB"));
    if (!strcmp(url, "/metrics") && !strcmp(method, "GET")) return send_metrics(c);
    request rq = {method,
                  url,
                  b->data,
                  b->len,
                  MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit"),
                  MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after"),
                  MHD_HTTP_INTERNAL_SERVER_ERROR,
                  NULL};
    dal_error err = DAL_ERROR_INIT;
    int rc = dal_with_scope(route, &rq, &err); /* the middleware */
    if (rc) {
        json_decref(rq.reply);
        rq.status =
            rc == DAL_ETIMEOUT ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_INTERNAL_SERVER_ERROR;
        rq.reply = error_json(dal_code_name(rc), err.message);
    }
    enum MHD_Result ret = send_reply(c, rq.status, rq.reply);
    json_decref(rq.reply);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    body *b = *state;
    if (b) {
        free(b->data);
        free(b);
    }
    *state = NULL;
}

/* The schema from migrations (one directory per dialect); --reset takes
 * them all down first. */
static int setup_schema(bool reset, dal_error *err)
{
    dal_engine *e = dal_configured_engine();
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/items/%s", DAL_EXAMPLE_MIGRATIONS, dal_engine_dialect(e));
    int rc = reset ? dal_migrate_to(e, dir, 0, NULL, err) : DAL_OK;
    return rc ? rc : dal_migrate_to(e, dir, DAL_MIGRATE_LATEST, NULL, err);
}

int main(int argc, char **argv)
{
    const char *url = getenv("DAL_URL");
    int port = 8080, threads = 8;
    bool reset = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--db") && i + 1 < argc)
            url = argv[++i];
        else if (!strcmp(argv[i], "--port") && i + 1 < argc)
            port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reset"))
            reset = true;
        else {
            fprintf(stderr, "usage: items_service [--db URL] [--port N] [--threads N] [--reset]\n");
            return 2;
        }
    }
    if (!url || !*url) url = "sqlite:///items.db";
    dal_error err = DAL_ERROR_INIT;
    if (dal_configure(url, NULL, &err) || setup_schema(reset, &err)) {
        fprintf(stderr, "items_service: %s: %s\n", dal_code_name(err.code), err.message);
        return 1;
    }
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* the server's threads inherit the mask */

    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, NULL,
        MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "items_service: cannot listen on 127.0.0.1:%d\n", port);
        dal_unconfigure();
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("listening on http://127.0.0.1:%u (%s)\n", info ? info->port : (unsigned)port,
           dal_engine_dialect(dal_configured_engine()));
    fflush(stdout);
    int sig;
    sigwait(&sigs, &sig);
    MHD_stop_daemon(d);
    dal_unconfigure();
    return 0;
}
