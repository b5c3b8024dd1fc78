/* error.c: the one-line error message type shared by the desktop libraries. */
#include "kiloml/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int kml_error_set(kml_error *err, const char *fmt, ...)
{
    if (!err) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int kml_error_prefix(kml_error *err, const char *fmt, ...)
{
    if (!err) return -1;
    char head[512];
    char tail[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(tail, err->msg, sizeof tail);
    tail[sizeof tail - 1] = '\0';
    size_t h = strlen(head);
    if (h + 2 >= sizeof err->msg) h = sizeof err->msg - 3;
    memcpy(err->msg, head, h);
    err->msg[h] = ':';
    err->msg[h + 1] = ' ';
    size_t room = sizeof err->msg - h - 3, t = strlen(tail);
    if (t > room) t = room;
    memcpy(err->msg + h + 2, tail, t);
    err->msg[h + 2 + t] = '\0';
    return -1;
}
