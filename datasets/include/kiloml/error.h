/* kiloml/error.h: how the desktop side reports what went wrong and where.
 *
 *   kml_error err = {0};
 *   if (kml_something(..., &err) != 0) { fprintf(stderr, "kiloml: %s\n", err.msg); return 1; }
 *
 * Functions that can fail return 0 on success and -1 on failure, after filling the
 * caller's kml_error with one line that names the file, the place (row, column,
 * dataset, field) and what was expected. The first error set wins: callers that add
 * context use kml_error_prefix(). */
#ifndef KILOML_ERROR_H
#define KILOML_ERROR_H

#include <stddef.h>

typedef struct kml_error {
    char msg[1024];
} kml_error;

#if defined(__GNUC__)
#define KML_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define KML_PRINTF(a, b)
#endif

/* Set the message (printf-style); returns -1 so callers can write `return kml_error_set(...)`.
 * err may be NULL (the message is dropped). */
int kml_error_set(kml_error *err, const char *fmt, ...) KML_PRINTF(2, 3);

/* Put "<prefix>: " in front of an existing message; returns -1. */
int kml_error_prefix(kml_error *err, const char *fmt, ...) KML_PRINTF(2, 3);

#endif
