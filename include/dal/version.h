/* dal version: the one place it is written (CMake reads it from here). */
#ifndef DAL_VERSION_H
#define DAL_VERSION_H

#define DAL_VERSION_MAJOR  0
#define DAL_VERSION_MINOR  1
#define DAL_VERSION_PATCH  0
#define DAL_VERSION_STRING "0.1.0"

#endif
