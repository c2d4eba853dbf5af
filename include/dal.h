/* dal: a data access layer over ODBC. One URL, a bounded pool, per-thread
 * scopes, JSON through jansson, structured errors. */
#ifndef DAL_H
#define DAL_H

#include "dal/engine.h"
#include "dal/error.h"
#include "dal/export.h"
#include "dal/json.h"
#include "dal/migrate.h"
#include "dal/scope.h"
#include "dal/session.h"
#include "dal/version.h"

#endif
