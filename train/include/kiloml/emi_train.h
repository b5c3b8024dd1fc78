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
#include "kiloml/model.h"
#include "kiloml/trainer.h"

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

/* ---- per-step loss of one minibatch -----------------------------------------------------
 * Dimension letters: W window steps, B instances, F features (= model D), H hidden, C classes.
 * Forward the cell over X[W][B][F], the classifier at EVERY step (logits[W][B][C]), the weighted
 * softmax cross-entropy against y[B] with step_w[W][B] (kml_emi_step_weights), and, when grad is
 * not NULL, the backward: dlogits -> dHs[W][B][H] at every step -> BPTT, gradients accumulated
 * (+=) into grad. Returns the loss (mean over rows of weight > 0; 0 when no row has weight).
 * The work buffers come from kml_emi_work_alloc for at most B instances. */
typedef struct kml_emi_work {
    int W, B_max;
    float *X, *cache, *Hs, *logits, *dlogits, *dHs, *scratch, *step_w;
    int32_t *y_rows;  /* [W][B] per-row labels */
    float *inst_w;    /* [B] */
    int32_t *len;     /* [B] */
} kml_emi_work;
int kml_emi_work_alloc(kml_emi_work *w, const kml_model_config *cfg, int W, int B_max, kml_error *err);
void kml_emi_work_free(kml_emi_work *w);

double kml_emi_batch_loss(const kml_model *m, const float *X, const int32_t *y, const float *step_w, int W,
                          int B, kml_emi_work *work, kml_model *grad);

/* The same loss in double (kiloml/cell_f64.h), for the finite-difference gradient check; it
 * allocates its own buffers. Returns NAN when out of memory. */
struct kml_model_f64;
double kml_emi_batch_loss_f64(const struct kml_model_f64 *m, const double *X, const int32_t *y,
                              const double *step_w, int W, int B, struct kml_model_f64 *grad);

/* Gather instances rows[0..B-1] of b->inst into work->X ([W][B][F] time-major); y into y[B],
 * the loss weights of `mode` into work->step_w. */
void kml_emi_gather(const kml_bags *b, const int *rows, int B, kml_emi_loss_mode mode, kml_emi_work *work,
                    int32_t *y);

/* ---- evaluation: forward every instance, early exit per threshold, decide bags -------------
 * b must hold series normalised as the model expects. For each of the n thresholds p_hat[i]:
 * out[i] gets the bag accuracy, steps run / total and the savings (p_hat > 1: the last step
 * decides). bag_pred (may be NULL) receives the decisions [n][n_bags]; inst_pred (may be NULL)
 * the instance predictions [n][n_bags*n_inst]. */
typedef struct kml_emi_result {
    float p_hat;
    double accuracy;
    long long steps_run, steps_total;
    kml_emi_savings savings;
} kml_emi_result;
int kml_emi_evaluate(const kml_model *m, const kml_bags *b, const float *p_hat, int n, int k, int negative,
                     kml_emi_result *out, int32_t *bag_pred, int32_t *inst_pred, kml_error *err);

/* ---- the training driver ---------------------------------------------------------------------
 * tc supplies the cell, optimiser, epochs PER ROUND, batch, densities (IHT over the whole run),
 * validation fraction/grouping, seed, threads, normalisation and progress. Each round trains
 * tc->epochs epochs on every instance with weight > 0 under the current labels, keeps the
 * checkpoint with the best validation BAG accuracy (last-step predictions), restores it, and
 * relabels the fit bags from its predictions. The first floor(rounds·(1 - frac_emi)) rounds use
 * the last-step loss (MI-RNN), the rest every-step loss (EMI-RNN). The result is the best
 * checkpoint of the last round, with the fit-split normalisation. */
typedef struct kml_emi_config {
    kml_train_config train;
    int window, stride;
    int k;             /* minimum run length (2 for HAR-6) */
    int negative;      /* class id, or KML_EMI_NO_NEGATIVE; no default: the caller must choose */
    int rounds;        /* default 4 */
    double frac_emi;   /* default 0.5 */
    /* > 0: end after this many rounds of the schedule (the lr decay and the MI/EMI phase plan stay
     * those of `rounds`); the result is that round's kept checkpoint: a truncated run, for checking
     * a long recipe's first rounds against a recorded run (bench/paper --quick). 0 = every round. */
    int stop_after_round;
    /* An explicit validation set (e.g. DSA-19's subjects 5-6) instead of carving train->val_frac
     * off the training split; NULL = carve. Not owned. */
    const kml_dataset *val;
} kml_emi_config;

void kml_emi_config_init(kml_emi_config *c);

typedef struct kml_emi_summary {
    kml_train_summary train;   /* epochs in all, best epoch (of the last round), val/test BAG accuracy */
    int rounds, mi_rounds;
    int rounds_run;            /* rounds trained: rounds, or stop_after_round if that is fewer */
    int relabelled[64];        /* bags relabelled after each round (first 64 rounds) */
    double round_val_accuracy[64];
    /* test bag accuracy (last step) of each round's kept checkpoint: a diagnostic of what the
     * phases and the relabelling do; nothing is chosen by it (-1 without test data) */
    double round_test_accuracy[64];
    int round_active[64];      /* training instances of weight > 0 during each round */
} kml_emi_summary;

int kml_emi_train(const kml_emi_config *ec, const kml_data *data, kml_model *out, kml_emi_summary *sum,
                  kml_error *err);

#endif
