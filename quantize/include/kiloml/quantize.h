/* kiloml/quantize.h: float model -> integer model, the whole procedure (SPEC §3).
 *
 *   kml_quant_opts o; kml_quant_opts_init(&o); o.bits = 8; o.flash_budget = 4096;
 *   kml_qmodel qm; kml_quant_report r; kml_error err;
 *   if (kml_quantize(&model, &data.train, &o, &qm, &r, &err)) ... err.msg ...
 *
 * 1. calibration: the float model runs over (up to max_calib) training series; the maxima of |x|,
 *    |h|, |a|, |x·W1|, |h·U1| give the starting formats (kml_qformat_from_ranges);
 * 2. a validation split is carved from the training series (seeded, val_frac, at most max_val);
 * 3. with a flash budget, every 8/16-bit assignment of the matrices is sized, the ones that fit are
 *    scored on the validation split and the best is kept (the table goes to o.log);
 * 4. coordinate search over the shifts around the start (each ± radius, a few passes), scoring
 *    each candidate on the validation split: fewest disagreements with the float model first,
 *    then most correct labels (objective KML_QOBJ_AGREE), or the other way (KML_QOBJ_ACCURACY).
 *    Every candidate is built and checked by kml_rnn_validate_q; invalid ones are skipped.
 * Everything integer runs through deploy's kernels (kml_rnn_predict_q). */
#ifndef KILOML_QUANTIZE_H
#define KILOML_QUANTIZE_H

#include <stdint.h>
#include <stdio.h>

#include "kiloml/qmodel.h"

typedef enum { KML_QOBJ_AGREE = 0, KML_QOBJ_ACCURACY = 1 } kml_qobjective;

typedef struct kml_quant_opts {
    int bits;                      /* 8 or 16: width of every matrix (without a flash budget) */
    long flash_budget;             /* > 0: pick 8/16 per matrix so kml_rnn_flash_bytes_q <= budget */
    int search;                    /* 1: shift search (default), 0: formats from ranges only */
    int radius;                    /* ± steps tried around each shift (default 2) */
    int passes;                    /* coordinate passes (default 2) */
    kml_qobjective objective;
    double val_frac;               /* 0.1 */
    int max_val;                   /* cap on validation series (default 1000) */
    int max_calib;                 /* cap on calibration series (default 2000) */
    uint64_t seed;                 /* validation carve */
    kml_sparse_fmt sparse_fmt;     /* CSC / bitmap choice for sparse matrices (default auto) */
    FILE *log;                     /* progress and the budget table, or NULL */
} kml_quant_opts;

void kml_quant_opts_init(kml_quant_opts *o);

typedef struct kml_quant_report {
    kml_calib calib;
    kml_qformat start;             /* formats from the ranges */
    int n_val;
    int val_correct_float, val_correct_int, val_disagree;  /* of the chosen model */
    int candidates;                /* integer models scored */
    int budget_fits;               /* 1 when the flash budget was met (or none was given) */
} kml_quant_report;

int kml_quantize(const kml_model *m, const kml_dataset *train_raw, const kml_quant_opts *o, kml_qmodel *out,
                 kml_quant_report *rep, kml_error *err);

/* Score of an integer model on raw series against labels and float predictions. */
int kml_qmodel_score(const kml_qmodel *qm, const kml_dataset *raw, const int32_t *float_pred, int *correct,
                     int *disagree, kml_error *err);

#endif
