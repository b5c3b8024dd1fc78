/* kiloml/bag.h: EMI-RNN bagging (SPEC §4). A series [T][F] becomes a bag of instances: windows
 * of `window` steps starting at 0, stride, 2·stride, ... until one reaches the end of the
 * series; the last short window is zero-padded. HAR-6: T = 128, window 48, stride 16 -> 6.
 *
 *   kml_bags b; kml_error err;
 *   if (kml_bags_make(&data.train, 48, 16, &b, &err) != 0) ...
 *   instance j of bag i is row i*b.n_inst + j of b.inst (a plain kml_dataset with T = window):
 *   b.inst.y = its current label (starts as the bag's), b.weight = its loss weight (starts 1),
 *   b.inst.len = its valid steps.
 *   kml_bags_free(&b);
 *
 * Variable-length series: an instance holds the valid steps inside its window (len), and the
 * instances starting at or after the series' end are "empty": they keep len 1 (one zero step,
 * so b.inst still honours the dataset contract), weight 0, and lie beyond b.n_valid[i]; every
 * EMI computation (relabelling, decision, savings) looks at instances 0..n_valid[i]-1 only. */
#ifndef KILOML_BAG_H
#define KILOML_BAG_H

#include <stdint.h>
#include "kiloml/dataset.h"
#include "kiloml/error.h"

typedef struct kml_bags {
    int n_bags;        /* series */
    int n_inst;        /* instances per bag */
    int window, stride;
    int T;             /* steps of the source series */
    kml_dataset inst;  /* n_bags*n_inst rows, [bag][instance][window][F]; len always set */
    float *weight;     /* n_bags*n_inst loss weights (1 or 0) */
    int32_t *bag_y;    /* n_bags bag labels */
    int32_t *n_valid;  /* n_bags: instances holding at least one valid step */
} kml_bags;

/* Instances per bag: 1 + ceil(max(T - window, 0) / stride); 0 when an argument is < 1. */
int kml_bag_count(int T, int window, int stride);

/* Cut every series of d into its bag. Errors (named): window/stride < 1, window > 65535,
 * too many instances per bag (> 255: the device keeps instance counts in a byte). */
int kml_bags_make(const kml_dataset *d, int window, int stride, kml_bags *out, kml_error *err);

/* Labels back to the bag labels, every weight to 1 (0 for empty instances). */
void kml_bags_reset_labels(kml_bags *b);

void kml_bags_free(kml_bags *b);

#endif
