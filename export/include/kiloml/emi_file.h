/* kiloml/emi_file.h: the EMI-RNN settings a .kml model file carries (group /emi, attributes
 * window, stride, k, negative_class (-1 = none), rounds, frac_emi, T (series length trained on),
 * val_bag_accuracy, test_bag_accuracy). Written through kml_model_file_write's `extra` hook:
 *
 *   kml_emi_file_attrs a = {...};
 *   kml_model_file_write(path, &m, &summary, kml_emi_file_write_extra, &a, &err);
 *   kml_emi_file_attrs b;  kml_emi_file_read(path, &b, &err);   (-1 and a named error if absent)
 */
#ifndef KILOML_EMI_FILE_H
#define KILOML_EMI_FILE_H

#include <hdf5.h>

#include "kiloml/error.h"

typedef struct kml_emi_file_attrs {
    int window, stride, k;
    int negative;       /* class id or -1 (KML_EMI_NO_NEGATIVE) */
    int rounds;
    double frac_emi;
    int T;              /* series length of the training data */
    double val_bag_accuracy, test_bag_accuracy;
} kml_emi_file_attrs;

/* kml_model_file_extra_fn: ctx is a const kml_emi_file_attrs*. */
int kml_emi_file_write_extra(hid_t file, void *ctx, kml_error *err);

/* Read the /emi group of a model file; fails, naming the file, when it has none (a model trained
 * by `kiloml train` rather than `kiloml emi train`) or an attribute is missing. */
int kml_emi_file_read(const char *path, kml_emi_file_attrs *a, kml_error *err);

/* 1 when the file holds an /emi group, 0 when not, -1 when it cannot be opened as HDF5. Lets a
 * command that rewrites a model (kiloml quantize) carry the EMI settings over. */
int kml_emi_file_has(const char *path);

#endif
