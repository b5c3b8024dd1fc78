/* cli/data_args.c: parse the shared data options into a kml_data_opts. */
#include "data_args.h"
#include "num_args.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A whole-string decimal integer in [lo, hi] (lo, hi within int). */
static int parse_int(const char *name, const char *arg, long lo, long hi, int *out, kml_error *err)
{
    long v;
    if (kml_arg_long(name, arg, lo, hi, &v, err)) return -1;
    *out = (int)v;
    return 0;
}

/* A comma-separated list of non-negative column indices, checked here, parsed again by the loader. */
static int check_col_list(const char *arg, kml_error *err)
{
    const char *p = arg;
    if (!*p) return kml_error_set(err, "--skip-cols: expected 0-based column indices like '1' or '1,3', got ''");
    while (*p) {
        char *end = NULL;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 0 || v > INT_MAX || (*end && *end != ','))
            return kml_error_set(err, "--skip-cols: expected 0-based column indices like '1' or '1,3', got '%s'",
                                 arg);
        p = *end ? end + 1 : end;
        if (*end == ',' && !*p)
            return kml_error_set(err, "--skip-cols: trailing comma in '%s'", arg);
    }
    return 0;
}

static int nonempty(const char *name, const char *arg, kml_error *err)
{
    if (!arg || !arg[0]) return kml_error_set(err, "--%s: expected a non-empty value", name);
    return 0;
}

int kml_data_arg(int opt, const char *arg, kml_data_opts *o, kml_error *err)
{
    if (opt < KML_DATA_OPT_BASE || opt >= KML_DATA_OPT_END) return 0;
    switch (opt) {
    case KML_OPT_DATA:
        if (nonempty("data", arg, err)) return -1;
        o->path = arg;
        break;
    case KML_OPT_TEST_DATA:
        if (nonempty("test-data", arg, err)) return -1;
        o->test_path = arg;
        break;
    case KML_OPT_LABELS:
        if (nonempty("labels", arg, err)) return -1;
        o->labels = arg;
        break;
    case KML_OPT_X_NAME:
        if (nonempty("x-name", arg, err)) return -1;
        o->x_name = arg;
        break;
    case KML_OPT_LENGTHS_NAME:
        if (nonempty("lengths-name", arg, err)) return -1;
        o->lengths_name = arg;
        break;
    case KML_OPT_GROUP:
        if (nonempty("group", arg, err)) return -1;
        o->group_name = arg;
        break;
    case KML_OPT_TIMESTEPS:
        if (parse_int("timesteps", arg, 1, 1L << 24, &o->timesteps, err)) return -1;
        break;
    case KML_OPT_LAYOUT:
        if (!strcmp(arg, "wide")) o->layout = KML_LAYOUT_WIDE;
        else if (!strcmp(arg, "long")) o->layout = KML_LAYOUT_LONG;
        else return kml_error_set(err, "--layout: expected 'wide' or 'long', got '%s'", arg);
        break;
    case KML_OPT_LABEL_COL:
        if (parse_int("label-col", arg, 0, INT_MAX, &o->label_col, err)) return -1;
        break;
    case KML_OPT_FEATURES: {
        int *idx = NULL, n = 0;
        if (kml_features_parse(arg, 0, &idx, &n, err)) return -1; /* the syntax now; the bounds at load */
        o->features = arg;
        break;
    }
    case KML_OPT_SKIP_COLS:
        if (check_col_list(arg, err)) return -1;
        o->skip_cols = arg;
        break;
    case KML_OPT_GROUP_COL:
        if (parse_int("group-col", arg, 0, INT_MAX, &o->group_col, err)) return -1;
        break;
    case KML_OPT_TEST_FRAC: {
        char *end = NULL;
        errno = 0;
        double v = strtod(arg, &end);
        if (!arg[0] || *end || errno || !(v > 0.0 && v < 1.0))
            return kml_error_set(err, "--test-frac: expected a fraction strictly between 0 and 1, got '%s'", arg);
        o->test_frac = v;
        break;
    }
    case KML_OPT_DATA_SEED: {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(arg, &end, 10);
        if (!arg[0] || *end || errno || arg[0] == '-')
            return kml_error_set(err, "--data-seed: expected a non-negative integer, got '%s'", arg);
        o->seed = (uint64_t)v;
        break;
    }
    default:
        return 0;
    }
    return 1;
}

void kml_data_report_split(const kml_data_opts *o, const kml_data *d)
{
    if (!d->test_held_out) return;
    if (d->test.n == 0)
        fprintf(stderr, "kiloml: no test data in %s, and too few series per class to hold out %.0f %%: the test split "
                        "is empty\n",
                o->path, o->test_frac * 100.0);
    else
        fprintf(stderr, "kiloml: no test data in %s: held out a seeded stratified %.0f %% (%d series, seed %llu) as the "
                        "test split\n",
                o->path, o->test_frac * 100.0, d->test.n, (unsigned long long)o->seed);
}
