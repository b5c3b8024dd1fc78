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
 * Class ids are small (C <= 255) and so are instance counts per bag (<= 255): uint8_t.
 *
 * Streaming (a bag of T samples arriving one at a time; float path shown, _q is the same with
 * int16 samples and the integer model):
 *
 *   static float ring[KML_EMI_RING_ELEMS(48, 9)], h[16], scr[...], cbuf[KML_EMI_CBUF_ELEMS(6)];
 *   static uint8_t pred[6];
 *   kml_emi_cfg cfg = {128, 48, 16, 6, 2, KML_EMI_NO_NEGATIVE};     T, window, stride, n_inst, k, neg
 *   kml_emi_stream_f32 s;
 *   if (kml_emi_stream_init_f32(&s, &model, &cfg, 0.99f, ring, h, 16, scr, n_scr, cbuf, pred) != KML_OK) ...
 *   for each sample x:  if (kml_emi_push_f32(&s, x, &label) == KML_EMI_BAG_DONE) use(label);
 *
 * The samples go into a ring buffer of `window` samples; when instance j's window
 * [j·stride, j·stride + window) is complete, it runs at once from the ring, step by step, and
 * stops at the first step whose top softmax probability reaches p_hat (else its last step). The
 * instances whose window runs past T (the short last ones) run at the end of the bag on their
 * valid samples only, as the workstation evaluates them. After the T-th sample the bag is decided
 * (kml_emi_bag_decide) and the stream starts the next bag. */
#ifndef KILOML_DEPLOY_EMI_H
#define KILOML_DEPLOY_EMI_H

#include <stdint.h>
#include "kiloml/kml_port.h"
#include "kiloml/kml_rnn.h"

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

/* The same decision with integer confidence sums (the integer path: Q15 probabilities summed). */
int kml_emi_bag_decide_q(const uint8_t *pred, int n, int C, int k, int negative, const uint32_t *conf_sum);

/* ---- integer confidence (no float) ------------------------------------------------------------
 * With logits l[C] in Q q (q <= 30) and top the argmax, the top softmax probability is
 * 1 / (1 + tail) with tail = Σ_{c != top} e^-(l_top - l_c). So "top probability >= p" is
 * "tail <= (1 - p)/p", compared in Q15:
 *   confident = kml_emi_tail_q15(logits, C, q, &top) <= kml_emi_tail_bound_q15(p_q15)
 * e^-d comes from a 17-entry table of 2^(-i/16) with linear interpolation (relative error
 * < 3e-4, terms below e^-11 count 0). p_q15 = round(p · 32768); p_q15 = 0 turns early exit off. */
int32_t kml_emi_tail_q15(const int32_t *logits, int C, uint8_t q, int *top_class);
int32_t kml_emi_tail_bound_q15(uint16_t p_q15);
/* Softmax in Q15 (one division per class: for the instance's exit step only). */
void kml_emi_softmax_q15(const int32_t *logits, int C, uint8_t q, int32_t *prob);

/* ---- streaming early exit -------------------------------------------------------------------- */
enum { KML_EMI_PENDING = 0, KML_EMI_INSTANCE_DONE = 1, KML_EMI_BAG_DONE = 2 };

typedef struct kml_emi_cfg {
    uint16_t T;            /* samples per bag */
    uint16_t window, stride;
    uint8_t n_inst;        /* must equal kml_emi_count(T, window, stride) */
    uint8_t k;             /* minimum run */
    int16_t negative;      /* class id or KML_EMI_NO_NEGATIVE */
} kml_emi_cfg;

/* Instances per bag: 1 + ceil(max(T - window, 0) / stride); 0 if an argument is 0 or > 255. */
uint8_t kml_emi_count(uint16_t T, uint16_t window, uint16_t stride);

#define KML_EMI_RING_ELEMS(W, D) ((uint32_t)(W) * (uint32_t)(D))
#define KML_EMI_CBUF_ELEMS(C) (3u * (uint32_t)(C)) /* float: logits, prob, conf_sum */

typedef struct kml_emi_stream_f32 {
    const kml_rnn_f32 *model;
    kml_emi_cfg cfg;
    float p_hat;
    float *ring;                /* window × D raw samples */
    kml_rnn_state_f32 st;
    kml_rnn_scratch_f32 sc;
    float *logits, *prob, *conf_sum; /* C each, from cbuf */
    uint8_t *pred;              /* n_inst instance predictions of the current bag */
    uint16_t t;                 /* samples of the current bag received */
    uint8_t done;               /* instances of the current bag already run */
    uint16_t last_steps;        /* steps the last instance ran */
    uint32_t steps_run;         /* steps run since init (all bags) */
    uint32_t steps_full;        /* steps the same instances would run without early exit */
} kml_emi_stream_f32;

/* Checks the model (kml_rnn_validate_f32), the configuration and the buffers (h: H elements,
 * scratch: kml_rnn_scratch_elems_f32), and starts the first bag. */
kml_status kml_emi_stream_init_f32(kml_emi_stream_f32 *s, const kml_rnn_f32 *m, const kml_emi_cfg *cfg, float p_hat,
                                   float *ring, float *h, uint16_t h_elems, float *scratch, uint16_t scratch_elems,
                                   float *cbuf, uint8_t *pred);
/* One raw sample x[D]. Returns KML_EMI_PENDING, KML_EMI_INSTANCE_DONE (an instance ran: its class
 * is pred[done - 1]) or KML_EMI_BAG_DONE (*bag_label set; the next sample starts a new bag). */
int kml_emi_push_f32(kml_emi_stream_f32 *s, const float *x_raw, int16_t *bag_label);
/* Drop the current bag (e.g. after a gap in the signal). */
void kml_emi_stream_reset_f32(kml_emi_stream_f32 *s);

/* Integer path: int16 raw samples (Q q_in), the integer model, the integer confidence test
 * (kml_emi_tail_q15) and Q15 probabilities summed for the bag decision. No float anywhere.
 * cbuf holds KML_EMI_CBUF_ELEMS(C) int32: logits, probabilities, confidence sums. */
typedef struct kml_emi_stream_q {
    const kml_rnn_q *model;
    kml_emi_cfg cfg;
    int32_t tail_bound;         /* kml_emi_tail_bound_q15(p_q15) */
    uint8_t logit_q;            /* kml_rnn_logit_q(model) */
    int16_t *ring;              /* window × D raw samples */
    kml_rnn_state_q st;
    kml_rnn_scratch_q sc;
    int32_t *logits, *prob;     /* C each, from cbuf */
    uint32_t *conf_sum;         /* C, from cbuf */
    uint8_t *pred;
    uint16_t t;
    uint8_t done;
    uint16_t last_steps;
    uint32_t steps_run, steps_full;
} kml_emi_stream_q;

kml_status kml_emi_stream_init_q(kml_emi_stream_q *s, const kml_rnn_q *m, const kml_emi_cfg *cfg, uint16_t p_q15,
                                 int16_t *ring, int16_t *h, uint16_t h_elems, int16_t *scratch, uint16_t scratch_elems,
                                 int32_t *cbuf, uint8_t *pred);
int kml_emi_push_q(kml_emi_stream_q *s, const int16_t *x_raw, int16_t *bag_label);
void kml_emi_stream_reset_q(kml_emi_stream_q *s);

#endif
