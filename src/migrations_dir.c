#include "migrations_dir.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error_internal.h"
#include "sha256.h"

/* The whole file, with CRLF and lone CR as LF: a checkout on another
 * system must not look like a changed migration. */
static char *read_normalised(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *text = dal__malloc(cap);
    int c;
    while (text && (c = fgetc(f)) != EOF) {
        if (c == '\r') {
            int next = fgetc(f);
            if (next != '\n' && next != EOF) ungetc(next, f);
            c = '\n';
        }
        if (n + 2 > cap) {
            char *grown = dal__realloc(text, cap *= 2);
            if (!grown) dal__free(text);
            text = grown;
            if (!text) break;
        }
        text[n++] = (char)c;
    }
    bool failed = ferror(f) != 0;
    fclose(f);
    if (!text || failed) {
        dal__free(text);
        return NULL;
    }
    text[n] = '\0';
    return text;
}

/* "<digits>_<name>.sql" or ".down.sql": the version and the name. */
static bool parse_name(const char *file, int64_t *version, char *name, size_t cap, bool *down)
{
    const char *p = file;
    int64_t v = 0;
    if (!isdigit((unsigned char)*p)) return false;
    for (; isdigit((unsigned char)*p); p++) {
        if (v > (INT64_MAX - 9) / 10) return false;
        v = v * 10 + (*p - '0');
    }
    if (v <= 0 || *p++ != '_') return false;
    size_t len = strlen(p);
    *down = len > 9 && !strcmp(p + len - 9, ".down.sql");
    size_t stem = len - (*down ? 9 : 4);
    if (stem == 0 || stem >= cap) return false;
    for (size_t i = 0; i < stem; i++)
        if (!isalnum((unsigned char)p[i]) && p[i] != '_' && p[i] != '-') return false;
    memcpy(name, p, stem);
    name[stem] = '\0';
    *version = v;
    return true;
}

static int by_version(const void *a, const void *b)
{
    int64_t x = ((const dal__migration_file *)a)->version;
    int64_t y = ((const dal__migration_file *)b)->version;
    return x < y ? -1 : x > y;
}

static dal__migration_file *find(dal__migrations *m, int64_t version)
{
    for (size_t i = 0; i < m->count; i++)
        if (m->files[i].version == version) return &m->files[i];
    return NULL;
}

/* Adds file (an up or a down file) to m. */
static int add(dal__migrations *m, const char *dir, const char *file, size_t *cap, dal_error *err)
{
    int64_t version;
    char name[200];
    bool down;
    if (!parse_name(file, &version, name, sizeof name, &down))
        return dal__error_set(err, DAL_EMIGRATE,
                              "%s/%s: not a migration name (<version>_<name>.sql or "
                              ".down.sql; version a positive integer; name letters, digits, _ -)",
                              dir, file);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    char *text = read_normalised(path);
    if (!text) return dal__error_set(err, DAL_EMIGRATE, "%s: cannot read: %s", path, strerror(errno));
    dal__migration_file *f = find(m, version);
    if (f && (down ? f->down != NULL : f->up != NULL)) {
        dal__free(text);
        return dal__error_set(err, DAL_EMIGRATE, "%s: version %lld is given twice (also %s)", path,
                              (long long)version, down ? f->down_path : f->path);
    }
    if (!f) {
        if (m->count == *cap) {
            size_t ncap = *cap ? *cap * 2 : 32;
            dal__migration_file *grown = dal__realloc(m->files, ncap * sizeof *grown);
            if (!grown) {
                dal__free(text);
                return dal__error_nomem(err);
            }
            m->files = grown;
            *cap = ncap;
        }
        f = &m->files[m->count++];
        memset(f, 0, sizeof *f);
        f->version = version;
    }
    if (down) {
        f->down = text;
        snprintf(f->down_path, sizeof f->down_path, "%s", path);
    } else {
        f->up = text;
        snprintf(f->path, sizeof f->path, "%s", path);
        snprintf(f->name, sizeof f->name, "%s", name);
        dal__sha256_hex(text, strlen(text), f->checksum);
        f->no_transaction = !strncmp(text, "-- dal:no-transaction", 21);
    }
    return DAL_OK;
}

int dal__migrations_read(const char *dir, dal__migrations *out, dal_error *err)
{
    memset(out, 0, sizeof *out);
    if (!dir) return dal__error_set(err, DAL_EMISUSE, "migrations directory is NULL");
    DIR *d = opendir(dir);
    if (!d) return dal__error_set(err, DAL_EMIGRATE, "%s: cannot open: %s", dir, strerror(errno));
    size_t cap = 0;
    int rc = DAL_OK;
    struct dirent *e;
    while (!rc && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 4, ".sql") != 0) continue; /* README, ... */
        rc = add(out, dir, e->d_name, &cap, err);
    }
    closedir(d);
    for (size_t i = 0; !rc && i < out->count; i++)
        if (!out->files[i].up)
            rc = dal__error_set(err, DAL_EMIGRATE, "%s: a down file without its up file",
                                out->files[i].down_path);
    if (rc) {
        dal__migrations_free(out);
        return rc;
    }
    if (out->count) qsort(out->files, out->count, sizeof *out->files, by_version);
    return DAL_OK;
}

void dal__migrations_free(dal__migrations *m)
{
    for (size_t i = 0; i < m->count; i++) {
        dal__free(m->files[i].up);
        dal__free(m->files[i].down);
    }
    dal__free(m->files);
    memset(m, 0, sizeof *m);
}
