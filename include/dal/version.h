/* dal version: the one place it is written (CMake reads it from here). */
#ifndef DAL_VERSION_H
#define DAL_VERSION_H

#define DAL_VERSION_MAJOR  0
#define DAL_VERSION_MINOR  1
#define DAL_VERSION_PATCH  0
#define DAL_VERSION_STRING "0.1.0"
/* MAJOR * 10000 + MINOR * 100 + PATCH: compare with dal_version(). */
#define DAL_VERSION_NUMBER (DAL_VERSION_MAJOR * 10000 + DAL_VERSION_MINOR * 100 + DAL_VERSION_PATCH)

#include "export.h"

DAL_BEGIN_DECLS

/* The version of the library running (which may differ from the headers a
 * program was built with): DAL_VERSION_NUMBER's form, and its string. */
DAL_EXPORT int dal_version(void);
DAL_EXPORT const char *dal_version_string(void);

DAL_END_DECLS

#endif
