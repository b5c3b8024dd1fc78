/* cli/cmd_data.c: `kiloml data info FILE [data options] [--json]`: shapes, class counts, per-feature
 * statistics, NaN count and where the test split came from. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "data_args.h"
#include "kiloml/dataset.h"

enum { OPT_JSON = KML_DATA_OPT_END + 1, OPT_HELP };

static void usage(FILE *f)
{
    fprintf(f, "usage: kiloml data info FILE [data options] [--json]\n"
               "  Load FILE (HDF5 or CSV) as training data and describe it: shapes, class counts (train and test),\n"
               "  per-feature mean/std/min/max of the training split, NaN count, where the test split came from.\n"
               "  --json   print one JSON object on stdout instead of the table\n\n%s",
            KML_DATA_HELP);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Distinct group ids of a split (0 when it has none). */
static int count_groups(const kml_dataset *ds)
{
    if (!ds->group || ds->n == 0) return 0;
    int32_t *g = malloc((size_t)ds->n * sizeof *g);
    if (!g) return -1;
    memcpy(g, ds->group, (size_t)ds->n * sizeof *g);
    qsort(g, (size_t)ds->n, sizeof *g, cmp_i32);
    int k = 1;
    for (int i = 1; i < ds->n; i++) k += g[i] != g[i - 1];
    free(g);
    return k;
}

typedef struct {
    kml_feature_stats *stats;
    int *cnt_train, *cnt_test;
    long long nan, inf;
} summary;

static const char *test_source(const kml_data_opts *o, const kml_data *d)
{
    if (d->test_held_out) return "held-out";
    if (o->test_path) return o->test_path;
    return "same-file";
}

static int print_json(const kml_data_opts *o, const kml_data *d, const summary *s, int is_h5)
{
    cJSON *j = cJSON_CreateObject();
    if (!j) return -1;
    cJSON_AddStringToObject(j, "source", o->path);
    cJSON_AddStringToObject(j, "format", is_h5 ? "hdf5" : "csv");
    cJSON_AddStringToObject(j, "test_source", test_source(o, d));
    cJSON_AddNumberToObject(j, "n_train", d->train.n);
    cJSON_AddNumberToObject(j, "n_test", d->test.n);
    cJSON_AddNumberToObject(j, "timesteps", d->train.T);
    cJSON_AddNumberToObject(j, "features", d->train.F);
    cJSON_AddNumberToObject(j, "classes", d->C);
    cJSON_AddItemToObject(j, "class_counts_train", cJSON_CreateIntArray(s->cnt_train, d->C));
    cJSON_AddItemToObject(j, "class_counts_test", cJSON_CreateIntArray(s->cnt_test, d->C));
    if (d->class_names)
        cJSON_AddItemToObject(j, "class_names", cJSON_CreateStringArray((const char *const *)d->class_names, d->C));
    cJSON *fs = cJSON_AddArrayToObject(j, "features_stats");
    for (int f = 0; fs && f < d->train.F; f++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "mean", s->stats[f].mean);
        cJSON_AddNumberToObject(e, "std", s->stats[f].std);
        cJSON_AddNumberToObject(e, "min", s->stats[f].min);
        cJSON_AddNumberToObject(e, "max", s->stats[f].max);
        cJSON_AddItemToArray(fs, e);
    }
    cJSON_AddNumberToObject(j, "nan_count", (double)s->nan);
    cJSON_AddNumberToObject(j, "inf_count", (double)s->inf);
    cJSON_AddBoolToObject(j, "test_held_out", d->test_held_out);
    cJSON_AddBoolToObject(j, "variable_length", d->train.len || d->test.len);
    cJSON_AddBoolToObject(j, "has_groups", d->train.group != NULL);
    if (d->train.group) {
        cJSON_AddNumberToObject(j, "groups_train", count_groups(&d->train));
        cJSON_AddNumberToObject(j, "groups_test", count_groups(&d->test));
    }
    char *txt = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!txt) return -1;
    printf("%s\n", txt);
    cJSON_free(txt);
    return 0;
}

static void length_range(const kml_dataset *ds, int *lo, int *hi)
{
    *lo = ds->T;
    *hi = 0;
    for (int i = 0; i < ds->n; i++) {
        int L = ds->len ? ds->len[i] : ds->T;
        if (L < *lo) *lo = L;
        if (L > *hi) *hi = L;
    }
}

static void print_table(const kml_data_opts *o, const kml_data *d, const summary *s, int is_h5)
{
    printf("source      %s (%s)\n", o->path, is_h5 ? "HDF5" : "CSV");
    printf("train       %d series x %d steps x %d features\n", d->train.n, d->train.T, d->train.F);
    if (d->test_held_out)
        printf("test        %d series, held out of the training file (stratified %.0f %%, seed %llu)\n", d->test.n,
               o->test_frac * 100.0, (unsigned long long)o->seed);
    else
        printf("test        %d series, from %s\n", d->test.n,
               o->test_path ? o->test_path : "the test datasets of the same file (<x-name>_test, <labels>_test)");
    if (d->train.len || d->test.len) {
        int lo, hi;
        length_range(&d->train, &lo, &hi);
        printf("lengths     variable: training series run %d..%d steps (padding excluded from statistics)\n", lo, hi);
    }
    if (d->train.group)
        printf("groups      %d in train, %d in test\n", count_groups(&d->train), count_groups(&d->test));
    printf("classes     %d\n", d->C);
    printf("  %-6s %8s %8s%s\n", "class", "train", "test", d->class_names ? "  name" : "");
    for (int c = 0; c < d->C; c++) {
        printf("  %-6d %8d %8d", c, s->cnt_train[c], s->cnt_test[c]);
        if (d->class_names) printf("  %s", d->class_names[c]);
        printf("\n");
    }
    printf("features    (training split, valid steps)\n");
    printf("  %-7s %12s %12s %12s %12s\n", "feature", "mean", "std", "min", "max");
    for (int f = 0; f < d->train.F; f++)
        printf("  %-7d %12.6g %12.6g %12.6g %12.6g\n", f, s->stats[f].mean, s->stats[f].std, s->stats[f].min,
               s->stats[f].max);
    printf("NaN values  %lld   Inf values  %lld   (train and test)\n", s->nan, s->inf);
}

static int info(int argc, char **argv)
{
    static const struct option longopts[] = {
        KML_DATA_LONG_OPTIONS
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0}};
    kml_data_opts o;
    kml_data_opts_init(&o);
    kml_error err = {{0}};
    int json = 0, c;
    optind = 0; /* full re-initialisation of getopt: argv[0] is "info" */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        int r = kml_data_arg(c, optarg, &o, &err);
        if (r < 0) {
            fprintf(stderr, "kiloml: %s\n", err.msg);
            return 2;
        }
        if (r > 0) continue;
        switch (c) {
        case OPT_JSON:
            json = 1;
            break;
        case OPT_HELP:
        case 'h':
            usage(stdout);
            return 0;
        case ':':
            fprintf(stderr, "kiloml: data info: option '%s' needs a value\n", argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "kiloml: data info: unknown option '%s'\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        if (o.path) {
            fprintf(stderr, "kiloml: data info: give the file once (both FILE and --data given)\n");
            return 2;
        }
        o.path = argv[optind++];
    }
    if (optind < argc) {
        fprintf(stderr, "kiloml: data info: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!o.path) {
        usage(stderr);
        return 2;
    }
    kml_data d;
    if (kml_data_load(&o, &d, &err) != 0) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        return 1;
    }
    kml_data_report_split(&o, &d);
    summary s = {0};
    int C = d.C > 0 ? d.C : 1;
    s.stats = calloc((size_t)d.train.F, sizeof *s.stats);
    s.cnt_train = calloc((size_t)C, sizeof *s.cnt_train);
    s.cnt_test = calloc((size_t)C, sizeof *s.cnt_test);
    int rc = 0;
    if (!s.stats || !s.cnt_train || !s.cnt_test) {
        fprintf(stderr, "kiloml: out of memory\n");
        rc = 1;
    } else {
        long long nan2 = 0, inf2 = 0;
        kml_dataset_feature_stats(&d.train, s.stats, &s.nan, &s.inf);
        if (d.test.n > 0) {
            kml_feature_stats *tmp = calloc((size_t)d.test.F, sizeof *tmp);
            if (tmp) kml_dataset_feature_stats(&d.test, tmp, &nan2, &inf2);
            free(tmp);
        }
        s.nan += nan2;
        s.inf += inf2;
        kml_dataset_class_counts(&d.train, d.C, s.cnt_train);
        kml_dataset_class_counts(&d.test, d.C, s.cnt_test);
        kml_error e2;
        int is_h5 = kml_data_file_is_hdf5(o.path, &e2) == 1;
        if (json) {
            if (print_json(&o, &d, &s, is_h5)) {
                fprintf(stderr, "kiloml: out of memory writing JSON\n");
                rc = 1;
            }
        } else {
            print_table(&o, &d, &s, is_h5);
        }
    }
    free(s.stats);
    free(s.cnt_train);
    free(s.cnt_test);
    kml_data_free(&d);
    return rc;
}

int kml_cmd_data(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "info")) return info(argc - 1, argv + 1);
    fprintf(stderr, "kiloml: data: unknown subcommand '%s' (expected: info)\n", argv[1]);
    return 2;
}
