/* kiloml/dataset.h: labelled time series in memory, loaded from HDF5 or CSV.
 *
 *   kml_data_opts o; kml_data_opts_init(&o); o.path = "har.h5"; o.labels = "y2";
 *   kml_data d; kml_error err;
 *   if (kml_data_load(&o, &d, &err) != 0) { fprintf(stderr, "kiloml: %s\n", err.msg); exit(1); }
 *   ... d.train.X[(i*d.train.T + t)*d.train.F + f] ...
 *   kml_data_free(&d);
 *
 * Series are stored sample-major, [n][t][f], as float32. Variable-length series carry
 * len[i] valid steps (the steps after that are padding: never trained on, never counted). */
#ifndef KILOML_DATASET_H
#define KILOML_DATASET_H

#include <stdint.h>
#include "kiloml/error.h"

typedef struct kml_dataset {
    int n, T, F;     /* series, time steps, features */
    float *X;        /* n*T*F values, [n][t][f] */
    int32_t *y;      /* n labels in 0..C-1 */
    int32_t *len;    /* n valid lengths in 1..T, or NULL when every series has T steps */
    int32_t *group;  /* n group ids (subject, speaker) when a group column was named, else NULL */
} kml_dataset;

typedef enum { KML_LAYOUT_WIDE = 0, KML_LAYOUT_LONG = 1 } kml_csv_layout;

typedef struct kml_data_opts {
    const char *path;          /* --data: .h5/.hdf5 (by signature) or CSV */
    const char *test_path;     /* --test-data, or NULL. An HDF5 test file is read through <x_name>_test if it
                                  has one, else through <x_name>_train */
    /* HDF5 dataset names: <x_name>_train, <labels>_train, <lengths_name>_train, <group_name>_train,
     * and the same with _test. */
    const char *x_name;        /* default "X" */
    const char *labels;        /* --labels, default "y" */
    const char *lengths_name;  /* default "lengths" (optional in the file) */
    const char *group_name;    /* --group, e.g. "subject"; NULL = none */
    /* CSV */
    int timesteps;             /* --timesteps T: required for the wide layout; for the long layout 0 means
                                  T = the largest time index + 1 (shorter series get len and zero padding) */
    kml_csv_layout layout;     /* --layout wide|long */
    int label_col;             /* --label-col (0-based); -1 = default (first for wide, last for long) */
    const char *skip_cols;     /* --skip-cols "1,3": columns ignored (wide and long) */
    int group_col;             /* --group-col (0-based) in CSV, -1 = none */
    /* --features "0-5,9-14": keep these input features (0-based, ranges inclusive, in this order) of
     * every step of train and test, after loading (any format); NULL = all */
    const char *features;
    /* held-out test split when there is no test data */
    double test_frac;          /* default 0.2 */
    uint64_t seed;             /* default 0 */
} kml_data_opts;

typedef struct kml_data {
    kml_dataset train, test;
    int C;                 /* number of classes */
    char **class_names;    /* C names when labels were strings in CSV, else NULL */
    int test_held_out;     /* 1 when test is a seeded stratified hold-out of the training file */
} kml_data;

void kml_data_opts_init(kml_data_opts *o);

/* Load train and test as the options say; every error names file, row/column or dataset. */
int kml_data_load(const kml_data_opts *o, kml_data *out, kml_error *err);
void kml_data_free(kml_data *d);

/* 1 if path is an HDF5 file (by its signature), 0 if not (kml_data_load then reads it as CSV, unless its
 * name ends in .h5/.hdf5), -1 if it cannot be opened. */
int kml_data_file_is_hdf5(const char *path, kml_error *err);

/* The feature list of --features: comma-separated 0-based indices or inclusive ranges a-b ("0-5,9,12-14"),
 * each below F, none twice. On success *idx (malloc'd, *n entries) holds them in the order given.
 * F <= 0 checks the syntax only (and leaves *idx NULL). */
int kml_features_parse(const char *spec, int F, int **idx, int *n, kml_error *err);
/* Keep features idx[0..n-1] (in that order) of every step of d; d->F becomes n. */
int kml_dataset_select_features(kml_dataset *d, const int *idx, int n, kml_error *err);

/* Free the arrays of one dataset (X, y, len, group) and zero it. */
void kml_dataset_free(kml_dataset *d);

/* ---- normalisation: statistics from the training split only ---- */
typedef enum { KML_NORM_PER_FEATURE = 0, KML_NORM_PER_STEP = 1 } kml_norm_mode;

typedef struct kml_norm {
    kml_norm_mode mode;
    int T, F;          /* mean/std hold F values (per feature) or T*F values (per step) */
    float *mean, *std; /* std already floored (a constant feature gets std 1) */
} kml_norm;

int kml_norm_fit(const kml_dataset *train, kml_norm_mode mode, kml_norm *out, kml_error *err);
void kml_norm_apply(const kml_norm *nm, kml_dataset *d);   /* x = (x - mean) / std, padding left 0 */
void kml_norm_free(kml_norm *nm);

/* ---- splits ---- */
/* Carve a validation split off `all`: stratified by label with a seeded shuffle (frac of each class),
 * or, when all->group is set and by_group is 1, whole groups (seeded) until frac of the series.
 * fit and val receive fresh copies. */
int kml_split_validation(const kml_dataset *all, int C, double frac, uint64_t seed, int by_group,
                         kml_dataset *fit, kml_dataset *val, kml_error *err);

/* Rows idx[0..m-1] of src copied into dst (fresh arrays). */
int kml_dataset_subset(const kml_dataset *src, const int *idx, int m, kml_dataset *dst, kml_error *err);

/* Class counts (counts has C entries). */
void kml_dataset_class_counts(const kml_dataset *d, int C, int *counts);

/* ---- description (kiloml data info) ---- */
typedef struct kml_feature_stats {
    double mean, std, min, max; /* population std; all 0 when count is 0 */
    long long count;            /* finite values seen */
} kml_feature_stats;

/* Per-feature statistics over the valid steps (t < len) of d. NaN and Inf values are left out of the
 * statistics and counted in *nan_count / *inf_count (either may be NULL). stats has d->F entries. */
void kml_dataset_feature_stats(const kml_dataset *d, kml_feature_stats *stats, long long *nan_count,
                               long long *inf_count);

#endif
