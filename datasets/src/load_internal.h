/* load_internal.h: private interface between the loaders (load.c dispatches to load_h5.c and load_csv.c).
 * Not installed; include only from datasets/src. */
#ifndef KILOML_LOAD_INTERNAL_H
#define KILOML_LOAD_INTERNAL_H

#include <stdint.h>

#include "kiloml/dataset.h"

/* Largest class id + 1 we accept: guards against a float column taken as the label. */
#define KML_MAX_CLASSES 65536

/* Labels as a file gives them, before classes are numbered: an integer per series, or, for CSV string
 * labels, an index into names[] (names unsorted, in order of first appearance). */
typedef struct kml_raw_labels {
    int is_string;      /* 1: y[i] indexes names; 0: y[i] is the class id itself */
    int n_names;
    char **names;
} kml_raw_labels;

void kml_raw_labels_free(kml_raw_labels *r);


/* HDF5: read the split `suffix` ("train" or "test") into d. Returns 0, -1 on error, 1 when `optional` is set
 * and <x_name>_<suffix> does not exist (d untouched). */
int kml_h5_load_split(const char *path, const kml_data_opts *o, const char *suffix, int optional,
                      kml_dataset *d, kml_error *err);
/* 1 if path (HDF5) holds <name>, 0 if not, -1 on error. */
int kml_h5_has(const char *path, const char *name, kml_error *err);

/* CSV: read one file into d (labels raw). T from o->timesteps (wide) or the time index (long). */
int kml_csv_load(const char *path, const kml_data_opts *o, kml_dataset *d, kml_raw_labels *labels,
                 kml_error *err);

/* Stratified seeded pick: for each class c (in order 0..C-1) the indices with y == c are shuffled with one
 * generator seeded by `seed`, and the first round(frac * n_c) of them are picked (at most n_c - 1, so every
 * class keeps a member on the other side). pick[i] = 1 for picked rows. Returns the number picked, -1 on
 * out of memory. */
int kml_stratified_pick(const int32_t *y, int n, int C, double frac, uint64_t seed, unsigned char *pick);

#endif
