/* cli/num_args.h: whole-string numeric option values, one error message for every command. */
#ifndef KILOML_CLI_NUM_ARGS_H
#define KILOML_CLI_NUM_ARGS_H

#include "kiloml/error.h"

/* A whole-string decimal integer in [lo, hi] into *out; else -1 with err =
 * "--NAME: expected an integer in LO..HI, got 'ARG'". */
int kml_arg_long(const char *name, const char *arg, long lo, long hi, long *out, kml_error *err);

#endif
