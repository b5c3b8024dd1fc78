/* cli/num_args.c: see num_args.h. */
#include "num_args.h"

#include <errno.h>
#include <stdlib.h>

int kml_arg_long(const char *name, const char *arg, long lo, long hi, long *out, kml_error *err)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (!arg[0] || *end || errno || v < lo || v > hi)
        return kml_error_set(err, "--%s: expected an integer in %ld..%ld, got '%s'", name, lo, hi, arg);
    *out = v;
    return 0;
}
