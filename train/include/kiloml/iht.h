/* kiloml/iht.h: iterative hard thresholding (SPEC §2): dense, then IHT, then sparse retraining.
 *
 *   size_t mb = kml_iht_mask_bytes(m), sf = kml_iht_scratch_floats(m);   (caller-owned memory)
 *   kml_iht h; kml_iht_init(&h, m, sW, sU, total_minibatches, mask, scratch);
 *   for step = 0 .. total-1:  optimiser step on m, then kml_iht_after_step(&h, m, step);
 *
 * Phases by minibatch count S = total: I [0, S/3) dense; II [S/3, 2S/3): every 15th minibatch
 * (the first of phase II included) each W-matrix (W or W1, W2) is thresholded to density sW and
 * each U-matrix (U or U1, U2) to sU, and between those the last support is re-applied; III
 * [2S/3, S): the support is frozen and re-applied after every step. Threshold = the k-th largest
 * |w| with k = ceil(s·n); every entry with |w| >= threshold survives (ties survive). Biases,
 * scalars and the classifier are never pruned. sW = sU = 1 (or more) disables everything. */
#ifndef KILOML_IHT_H
#define KILOML_IHT_H

#include <stddef.h>
#include <stdint.h>
#include "kiloml/model.h"

#define KML_IHT_INTERVAL 15

typedef struct kml_iht {
    double sW, sU;
    long total, p1, p2;          /* phase II starts at p1, phase III at p2 */
    uint8_t *mask[KML_PARAM_COUNT]; /* per pruned tensor, into the caller's mask memory; else NULL */
    float *scratch;
    int enabled;
    int have_support;
    long thresholds;             /* how many times the support was recomputed */
} kml_iht;

/* Density a tensor is pruned to (1 = never pruned). */
double kml_iht_density_of(kml_param_id id, double sW, double sU);
size_t kml_iht_mask_bytes(const kml_model *m);
size_t kml_iht_scratch_floats(const kml_model *m);

void kml_iht_init(kml_iht *h, const kml_model *m, double sW, double sU, long total_steps,
                  uint8_t *mask, float *scratch);
/* 0, 1 or 2 for phase I, II, III (always 0 when disabled). */
int kml_iht_phase(const kml_iht *h, long step);
/* Call after the optimiser step of minibatch `step` (0-based, counted over the whole run). */
void kml_iht_after_step(kml_iht *h, kml_model *m, long step);

/* Keep the entries of w[0..n-1] with |w| >= the k-th largest |w|, k = ceil(density·n); zero the
 * rest; mask[i] = 1 for kept entries. scratch holds n floats. Returns the number kept. */
size_t kml_iht_threshold(float *w, size_t n, double density, uint8_t *mask, float *scratch);

/* Nonzero parameters of the whole model (every tensor). */
size_t kml_model_nnz(const kml_model *m);

#endif
