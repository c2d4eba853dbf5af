/* A migrations directory read and checked: every file, its version, name,
 * text (line endings normalised) and checksum. */
#ifndef DAL_MIGRATIONS_DIR_H
#define DAL_MIGRATIONS_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dal/error.h"

typedef struct dal__migration_file {
    int64_t version;
    char name[200];
    char path[1024];
    char *up;          /* the .sql text, line endings normalised */
    char *down;        /* the .down.sql text, or NULL */
    char down_path[1024];
    char checksum[65]; /* SHA-256 of up */
    bool no_transaction;
} dal__migration_file;

typedef struct dal__migrations {
    dal__migration_file *files; /* in version order */
    size_t count;
} dal__migrations;

/* Reads dir: DAL_EMIGRATE naming the file for a bad name, a duplicate
 * version, a .down.sql without its .sql, an unreadable file. */
int dal__migrations_read(const char *dir, dal__migrations *out, dal_error *err);
void dal__migrations_free(dal__migrations *m);

#endif
