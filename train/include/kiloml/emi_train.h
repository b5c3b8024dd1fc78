/* kiloml/emi_train.h: EMI-RNN on the workstation (SPEC §4): relabelling, per-step loss weights,
 * early-exit evaluation of bags, savings, and the training driver. (The device half is deploy/'s
 * kiloml/emi.h; two headers cannot share the name kiloml/emi.h on one include path.)
 *
 * Instances come from kiloml/bag.h (datasets/); the per-step confidence and the bag decision
 * are the device's own functions (deploy/ kiloml/emi.h, included here), so the workstation
 * and the device decide a bag by one definition.
 *
 *   kml_bags b; kml_bags_make(&d.train, 48, 16, &b, &err);
 *   ... per-instance predictions pred[i*n_inst + j] ...
 *   kml_emi_relabel(&b, pred, k, negative);
 */
#ifndef KILOML_EMI_TRAIN_H
#define KILOML_EMI_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include "kiloml/bag.h"
#include "kiloml/emi.h"
#include "kiloml/error.h"

/* ---- relabelling (SPEC §4, the paper's Algorithm 1) ---------------------------------------
 * pred[n_bags*n_inst]: each instance's predicted class (at its last valid step). For every bag
 * whose label is not `negative`: the longest run of consecutive instances predicted as the bag
 * label (among its n_valid instances); when that run is >= k, the run keeps the bag label with
 * weight 1 and every other instance becomes `negative` (weight 1), or, with
 * negative == KML_EMI_NO_NEGATIVE, keeps the bag label with weight 0 (left out of the loss).
 * Otherwise the bag's labels and weights stay as they are. Returns the bags relabelled. */
int kml_emi_relabel(kml_bags *b, const int32_t *pred, int k, int negative);

/* ---- per-step loss weights -----------------------------------------------------------------
 * Dimension letters: W window steps, B instances in the batch.
 * step_w[W][B] (time-major, the row order of a per-step classifier over Hs[W][B][H]):
 *   KML_EMI_LOSS_LAST  (MI-RNN): inst_w[b] at step len[b]-1, 0 elsewhere;
 *   KML_EMI_LOSS_EVERY (EMI-RNN): inst_w[b] at steps 0..len[b]-1, 0 on padding.
 * len NULL = every instance has W steps. */
typedef enum { KML_EMI_LOSS_LAST = 0, KML_EMI_LOSS_EVERY = 1 } kml_emi_loss_mode;
void kml_emi_step_weights(kml_emi_loss_mode mode, const float *inst_w, const int32_t *len, int W, int B,
                          float *step_w);

/* ---- early exit and bag decision -----------------------------------------------------------
 * One instance's per-step logits: step t at logits + t*row_stride (C values). Runs steps
 * 0..len-1 and stops at the first whose top softmax probability is >= p_hat (p_hat > 1: never
 * early, the last step decides). Returns the steps run (1..len); *cls the predicted class,
 * prob[C] (may be NULL) the softmax at the exit step. */
int kml_emi_early_exit(const float *logits, size_t row_stride, int len, int C, float p_hat, int *cls,
                       float *prob);

/* Decide every bag from instance results: pred[n_bags*n_inst] classes, prob[n_bags*n_inst][C]
 * softmax at each instance's exit (may be NULL). bag_pred[n_bags] receives the decisions
 * (kml_emi_bag_decide over the bag's n_valid instances, conf_sum = summed prob). Returns the
 * bag accuracy against b->bag_y. */
double kml_emi_decide_bags(const kml_bags *b, const int32_t *pred, const float *prob, int C, int k,
                           int negative, int32_t *bag_pred);

/* ---- savings ---------------------------------------------------------------------------------
 * mi = 1 - window/T (computation of one instance against the whole series);
 * early = 1 - steps_run/steps_total (steps_total = Σ valid steps of the instances evaluated);
 * total = 1 - (1 - mi)(1 - early). */
typedef struct kml_emi_savings {
    double mi, early, total;
} kml_emi_savings;
kml_emi_savings kml_emi_savings_of(int window, int T, long long steps_run, long long steps_total);

#endif
