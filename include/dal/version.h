/** @file dal/version.h
 * dal's version: the one place it is written (CMake reads it from here). */
#ifndef DAL_VERSION_H
#define DAL_VERSION_H

#define DAL_VERSION_MAJOR  0 /**< incompatible API changes (0: see the README's policy) */
#define DAL_VERSION_MINOR  1 /**< while MAJOR is 0, may change the API and the ABI      */
#define DAL_VERSION_PATCH  0 /**< changes neither                                       */
/** The version of the headers, as text. */
#define DAL_VERSION_STRING "0.1.0"
/** MAJOR * 10000 + MINOR * 100 + PATCH: compare with dal_version(). */
#define DAL_VERSION_NUMBER (DAL_VERSION_MAJOR * 10000 + DAL_VERSION_MINOR * 100 + DAL_VERSION_PATCH)

#include "export.h"

DAL_BEGIN_DECLS

/** The version of the library running (which may differ from the headers a
 * program was built with), in DAL_VERSION_NUMBER's form. Any thread. */
DAL_EXPORT int dal_version(void);
/** The same as text, e.g. "0.1.0" (static). Any thread. */
DAL_EXPORT const char *dal_version_string(void);

DAL_END_DECLS

#endif
