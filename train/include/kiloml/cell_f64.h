/* kiloml/cell_f64.h: the cell, classifier and loss kernels of kiloml/cell.h instantiated in double
 * (the same source, compiled with REAL = double and dgemm). For finite-difference gradient checks
 * and golden tests; training uses the float versions. Layout and sizes are those of cell.h
 * (kml_cell_cache_floats / kml_cell_scratch_floats count elements, here doubles). */
#ifndef KILOML_CELL_F64_H
#define KILOML_CELL_F64_H

#include <stddef.h>
#include <stdint.h>
#include "kiloml/cell.h"
#include "kiloml/model.h"

/* A model in double: same configuration, shapes and parameter table as kml_model. */
typedef struct kml_model_f64 {
    kml_model_config cfg;
    kml_param_shape shape[KML_PARAM_COUNT];
    double *p[KML_PARAM_COUNT];
    double *block;
    size_t n_params;
    double bptt_clip;   /* as kml_model's */
} kml_model_f64;

int kml_model_f64_alloc(kml_model_f64 *m, const kml_model_config *cfg, kml_error *err);  /* zeroed */
int kml_model_f64_from(kml_model_f64 *dst, const kml_model *src, kml_error *err);       /* alloc + widen */
void kml_model_f64_free(kml_model_f64 *m);

void kml_cell_forward_f64(const kml_model_f64 *m, const double *X, int T, int B, double *cache, double *Hs);
void kml_cell_backward_f64(const kml_model_f64 *m, const double *X, int T, int B, const double *cache,
                           const double *Hs, const double *dHs, double *scratch, kml_model_f64 *grad);
void kml_classifier_forward_f64(const kml_model_f64 *m, const double *Hsel, int N, double *logits);
void kml_classifier_backward_f64(const kml_model_f64 *m, const double *Hsel, const double *dlogits, int N,
                                 double *dHsel, kml_model_f64 *grad);
double kml_softmax_xent_f64(const double *logits, const int32_t *y, const double *weight, int N, int C,
                            double *dlogits);
void kml_nonlin_forward_f64(kml_nonlin nl, const double *x, double *y, size_t n);
void kml_nonlin_deriv_f64(kml_nonlin nl, const double *y, double *dy, size_t n);

#endif
