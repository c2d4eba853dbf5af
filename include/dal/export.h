/* The one export macro: the library is built with hidden visibility. */
#ifndef DAL_EXPORT_H
#define DAL_EXPORT_H

#if defined(_WIN32)
#define DAL_EXPORT
#elif defined(__GNUC__) || defined(__clang__)
#define DAL_EXPORT __attribute__((visibility("default")))
#else
#define DAL_EXPORT
#endif

#ifdef __cplusplus
#define DAL_BEGIN_DECLS extern "C" {
#define DAL_END_DECLS   }
#else
#define DAL_BEGIN_DECLS
#define DAL_END_DECLS
#endif

#endif
