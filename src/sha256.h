/* SHA-256 (FIPS 180-4), for migration checksums: no crypto library needed. */
#ifndef DAL_SHA256_H
#define DAL_SHA256_H

#include <stddef.h>

/* hex receives 64 lowercase hex digits and a NUL. */
void dal__sha256_hex(const void *data, size_t n, char hex[65]);

#endif
