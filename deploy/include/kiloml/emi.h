/* kiloml/emi.h: EMI-RNN on the device: per-step confidence, early exit and the bag decision
 * (SPEC §4). Freestanding C99: no malloc, no stdio, no libm, no double.
 *
 * The desktop evaluator calls these same functions, so a bag decided on the workstation and
 * on the device follows one definition of the rule.
 *
 *   float p[C]; int cls;
 *   float top = kml_emi_softmax_f32(logits, C, p, &cls);     after every step of an instance
 *   if (top >= p_hat) stop the instance: its prediction is cls
 *   ...
 *   int label = kml_emi_bag_decide(pred, n_inst, C, k, negative, conf_sum);
 *
 * Class ids are small (C <= 255) and so are instance counts per bag (<= 255): uint8_t. */
#ifndef KILOML_DEPLOY_EMI_H
#define KILOML_DEPLOY_EMI_H

#include <stdint.h>

/* `negative` argument meaning "no negative class" (the paper's Algorithm 1 for HAR-6, DSA-19). */
#define KML_EMI_NO_NEGATIVE (-1)

/* Softmax of logits[C] into prob[C] (prob may be NULL); returns the top probability and writes
 * its class to *top_class (the lowest index on ties). Max-shifted: never overflows. The
 * exponential is the runtime's own kml_expf (kml_rnn.h), no libm. */
float kml_emi_softmax_f32(const float *logits, int C, float *prob, int *top_class);

/* Length of the longest run of consecutive pred[i] == cls in pred[0..n-1]; *start (may be NULL)
 * receives the index where it begins (the earliest on ties), -1 when cls does not occur. */
int kml_emi_longest_run(const uint8_t *pred, int n, int cls, int *start);

/* The bag decision of SPEC §4 from instance predictions pred[0..n-1]:
 *   among the classes other than `negative`, the one with the longest run of consecutive
 *   predictions; if that run is >= k the bag is that class (ties between classes: the larger
 *   conf_sum when given, else the lower class id).
 *   Otherwise the bag is `negative`, or, with negative == KML_EMI_NO_NEGATIVE, the class with
 *   the largest conf_sum[C] (summed instance probabilities; lower id on ties; when conf_sum is
 *   NULL, the most frequent prediction).
 * A bag with n == 0 instances is `negative` (class 0 when there is none). */
int kml_emi_bag_decide(const uint8_t *pred, int n, int C, int k, int negative, const float *conf_sum);

#endif
