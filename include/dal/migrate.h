/** @file dal/migrate.h
 * Versioned schema migrations: a directory of VERSION_NAME.sql files
 * (and optional VERSION_NAME.down.sql), applied in version order, each
 * in its own transaction with its row in the history table
 * dal_schema_migrations. Safe with several deployers at once: a lock makes
 * exactly one apply each migration while the others wait (up to the
 * engine's pool_timeout) and then find nothing to do.
 * Threads: any thread; the engine may be shared. */
#ifndef DAL_MIGRATE_H
#define DAL_MIGRATE_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "error.h"
#include "export.h"

DAL_BEGIN_DECLS

/** Where one migration stands. */
typedef enum dal_migration_state {
    DAL_MIGRATION_PENDING = 0, /**< in the directory, not applied */
    DAL_MIGRATION_APPLIED = 1, /**< applied, file unchanged */
    DAL_MIGRATION_CHANGED = 2, /**< applied, but the file changed since */
    DAL_MIGRATION_MISSING = 3, /**< applied, but no longer in the directory */
    DAL_MIGRATION_FAILED = 4,  /**< a no-transaction file that failed half-way */
} dal_migration_state;

/** One migration, as dal_migrate_status reports it (may grow at its end). */
typedef struct dal_migration_status {
    int64_t version;           /**< the number before the first '_'         */
    char name[200];            /**< the file name without version and .sql */
    dal_migration_state state; /**< where it stands                         */
} dal_migration_status;

/** "pending", "applied", "changed", "missing" or "failed" (static text;
 * "unknown" for other values); never NULL. */
DAL_EXPORT const char *dal_migration_state_name(dal_migration_state state);

/** Every migration of dir and of the history, in version order.
 * Ownership: *out is new: free() it (NULL when *count is 0).
 * Errors: DAL_EMIGRATE (a bad file name, a duplicate version, an unreadable
 *   file: named in the message), database errors, DAL_ENOMEM. */
DAL_EXPORT int dal_migrate_status(dal_engine *engine, const char *dir, dal_migration_status **out,
                                  size_t *count, dal_error *err);

/** dal_migrate_to's target meaning "every migration in the directory". */
#define DAL_MIGRATE_LATEST INT64_MAX

/** Moves the database to version target: applies the pending migrations up
 * to it in version order, or, when target is below applied versions, runs
 * their .down.sql files from the newest down. *ran (may be NULL) receives
 * how many files ran. Checks first, before anything runs: an applied file
 * that changed (checksum, line endings normalised) or is missing, a failed
 * no-transaction migration, a missing .down.sql: DAL_EMIGRATE naming it.
 * A statement that fails is reported with the file and the line where it
 * starts; its migration leaves nothing behind (schema and history as
 * before), except a file whose first line is "-- dal:no-transaction":
 * its statements run one by one outside a transaction, and a failure is
 * recorded as failed in the history (see the README for how to resolve it).
 * Errors: DAL_EMIGRATE, DAL_ETIMEOUT (another deployer held the lock longer
 *   than pool_timeout), the failing statement's code. */
DAL_EXPORT int dal_migrate_to(dal_engine *engine, const char *dir, int64_t target, size_t *ran,
                              dal_error *err);

DAL_END_DECLS

#endif
