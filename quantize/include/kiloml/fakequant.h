/* kiloml/fakequant.h: fake quantization for quantization-aware training (SPEC §3).
 *
 *   kml_fakequant fq; kml_fakequant_init(&fq, 8);
 *   tc.qat = (kml_train_qat){start_epoch, kml_fakequant_apply, kml_fakequant_restore, &fq};
 *   kml_train(&tc, ...);  if (fq.failed) ... out of memory ...;  kml_fakequant_free(&fq);
 *
 * apply: saves the float parameters, then rounds every matrix the integer model stores (W or W1, W2,
 * U or U1, U2, V) to the grid the quantizer would choose from its CURRENT range (kml_qweight_q, the
 * same rule as kml_qformat_from_ranges, accumulator bound included). restore: puts the saved float
 * parameters back. Biases and the cell scalars stay float (their integer grids are much finer). */
#ifndef KILOML_FAKEQUANT_H
#define KILOML_FAKEQUANT_H

#include <stddef.h>

#include "kiloml/model.h"

typedef struct kml_fakequant {
    int bits;          /* 8 or 16, for every matrix */
    float *shadow;     /* the float parameters while the rounded ones are in place */
    size_t cap;
    int failed;        /* 1: out of memory once (the weights were then left unrounded) */
    long applied;      /* how many times apply rounded the weights */
} kml_fakequant;

void kml_fakequant_init(kml_fakequant *fq, int bits);
void kml_fakequant_apply(kml_model *m, void *ctx);
void kml_fakequant_restore(kml_model *m, void *ctx);
void kml_fakequant_free(kml_fakequant *fq);

#endif
