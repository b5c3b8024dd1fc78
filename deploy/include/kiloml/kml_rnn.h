/* kiloml/kml_rnn.h: FastRNN and FastGRNN on the device, float (_f32) and integer (_q) paths.
 *
 * Use (integer path; the float path is the same with _f32 and float buffers):
 *
 *     #include "my_model.h"                      // written by `kiloml export --name MY`
 *     static int16_t h[MY_STATE_ELEMS], buf[MY_SCRATCH_ELEMS];
 *     kml_rnn_state_q st = {h, MY_STATE_ELEMS};
 *     kml_rnn_scratch_q sc = {buf, MY_SCRATCH_ELEMS};
 *     if (kml_rnn_init_q(&MY_model, &st, &sc) != KML_OK) fail();   // once: checks + h = 0
 *     for each sample x_t (int16[D], raw input in Q q_in):
 *         kml_rnn_step_q(&MY_model, x_t, &st, &sc);               // streaming, one step
 *     kml_rnn_logits_q(&MY_model, &st, logits);                   // int32[C], Q logit_q
 *     cls = kml_argmax_q32(logits, C);
 *
 * Equations (SPEC §1, row vectors; a_t = x_t·W + h·U, W and U each full or low rank,
 * each factor dense or sparse):
 *   FastRNN   c = σ_h(a + b_h);                 h = σ(β)·h + σ(α)·c
 *   FastGRNN  z = σ_g(a + b_g); c = σ_h(a + b_h); h = z⊙h + (σ(ζ)(1 − z) + σ(ν))⊙c
 *   logits = h·V + v
 * σ(α), σ(β), σ(ζ), σ(ν) are stored AFTER the sigmoid, as constants.
 *
 * Float path: σ_g, σ_h may be tanh, sigmoid, relu, quantTanh, quantSigm or hardSigm (own expf, no libm);
 * input normalisation x = (x_raw − mean) / std per feature (mean/std NULL: none).
 *
 * Integer path number formats (q = fractional bits, see kml_q.h), one per tensor:
 *   x_raw int16 Q q_in  (the sensor scale; normalised by kml_norm_q with norm_m, norm_s, norm_shift
 *                        to Q q_x; norm_m == NULL: x_raw is already x in Q q_x)
 *   x     int16 Q q_x          h      int16 Q q_h (state, saturated)
 *   W, U factors int8/int16 Q mat.q; low-rank intermediates int16 Q lin.q_mid
 *   a + b int32 Q q_a, biases b_h, b_g int16 Q q_a
 *   z, c and the constants σ(·) int16 Q q_g (1.0 = 2^q_g, so q_g <= 14)
 *   V    int8/int16 Q V.q (dense); v int32 and the logits int32 in Q (q_h + V.q)
 * Integer nonlinearities, each usable as σ_g or σ_h: the clip forms (clip-and-shift, exact) quantTanh
 * clip(x, −1, 1), quantSigm clip((x + 1)/2, 0, 1) and hardSigm clip(x/4 + 1/2, 0, 1) (the logistic's
 * slope at 0), and tanh and the sigmoid themselves by a 97-entry table with linear interpolation
 * (kml_tanh_q / kml_sigm_q, within 4e-4; for models trained with the smooth forms).
 * Shifts derived (each must lie in [0, 30], checked by kml_rnn_validate_q):
 *   full W: q_x + W.q − q_a;  low rank: q_x + A.q − q_mid, then q_mid + B.q − q_a (same for U, h)
 *   h update: z·h and σ(β)·h by q_g; coef·c and σ(α)·c by 2·q_g − q_h.
 * Each projected term is clamped to ±2^28 before the sum (exact while q_a <= 26: beyond that
 * the clip nonlinearities saturate anyway; tanh / sigmoid are within 4e-4 of 1 there up to q_a 25).
 *
 * RAM: state = H elements, scratch = D + rW + rU + H elements (int16 or float); the model
 * descriptor itself is RAM on AVR (KML_DESC_IN_RAM). Weights are in flash.
 */
#ifndef KILOML_KML_RNN_H
#define KILOML_KML_RNN_H

#include <stdint.h>
#include "kiloml/kml_port.h"
#include "kiloml/kml_mat.h"
#include "kiloml/kml_q.h"

/* Same numbers as kml_cell_kind / kml_nonlin on the desktop (train/include/kiloml/model.h). */
enum { KML_RNN_FASTRNN = 0, KML_RNN_FASTGRNN = 1 };
enum { KML_ACT_TANH = 0, KML_ACT_SIGMOID, KML_ACT_RELU, KML_ACT_QUANTTANH, KML_ACT_QUANTSIGM, KML_ACT_HARDSIGM };

#define KML_RNN_STATE_ELEMS(H) (H)
#define KML_RNN_SCRATCH_ELEMS(D, H, RW, RU) ((D) + (RW) + (RU) + (H))

typedef struct kml_rnn_f32 {
    uint16_t version;          /* KML_DEPLOY_FORMAT_VERSION */
    uint8_t cell;              /* KML_RNN_FASTRNN / KML_RNN_FASTGRNN */
    uint8_t gate_nl, update_nl;/* KML_ACT_* (gate_nl: FastGRNN only) */
    uint16_t D, H, C;
    kml_lin_f32 W, U;          /* D×H, H×H */
    const float *b_h;          /* H: candidate bias (FastRNN's b) */
    const float *b_g;          /* H: FastGRNN gate bias (NULL for FastRNN) */
    float s_alpha, s_beta;     /* FastRNN σ(α), σ(β) */
    float s_zeta, s_nu;        /* FastGRNN σ(ζ), σ(ν) */
    kml_mat_f32 V;             /* H×C, dense */
    const float *v;            /* C */
    const float *mean, *std;   /* D each, or both NULL */
} kml_rnn_f32;

typedef struct kml_rnn_q {
    uint16_t version;
    uint8_t cell;
    uint8_t gate_nl, update_nl;/* KML_ACT_QUANTSIGM, KML_ACT_HARDSIGM, KML_ACT_QUANTTANH, or KML_ACT_TANH /
                                * KML_ACT_SIGMOID (by table, kml_q.h) */
    uint16_t D, H, C;
    uint8_t q_in, q_x, q_h, q_a, q_g;
    kml_lin_q W, U;
    const int16_t *b_h;        /* H, Q q_a */
    const int16_t *b_g;        /* H, Q q_a (FastGRNN) */
    int16_t s_alpha, s_beta;   /* Q q_g, 0..2^q_g */
    int16_t s_zeta, s_nu;      /* Q q_g, 0..2^q_g */
    kml_mat_q V;               /* H×C, dense */
    const int32_t *v;          /* C, Q (q_h + V.q) */
    const int16_t *norm_m;     /* D, Q q_in, or NULL */
    const int16_t *norm_s;     /* D */
    uint8_t norm_shift;
} kml_rnn_q;

typedef struct kml_rnn_state_f32 { float *h; uint16_t n; } kml_rnn_state_f32;
typedef struct kml_rnn_scratch_f32 { float *buf; uint16_t n; } kml_rnn_scratch_f32;
typedef struct kml_rnn_state_q { int16_t *h; uint16_t n; } kml_rnn_state_q;
typedef struct kml_rnn_scratch_q { int16_t *buf; uint16_t n; } kml_rnn_scratch_q;

/* ---- float path ---- */
kml_status kml_rnn_validate_f32(const kml_rnn_f32 *m);
uint16_t kml_rnn_scratch_elems_f32(const kml_rnn_f32 *m);
/* validate + check the buffers' sizes + h = 0 */
kml_status kml_rnn_init_f32(const kml_rnn_f32 *m, kml_rnn_state_f32 *st, kml_rnn_scratch_f32 *sc);
void kml_rnn_reset_f32(const kml_rnn_f32 *m, kml_rnn_state_f32 *st);
void kml_fastrnn_step_f32(const kml_rnn_f32 *m, const float *x_raw, kml_rnn_state_f32 *st,
                          kml_rnn_scratch_f32 *sc);
void kml_fastgrnn_step_f32(const kml_rnn_f32 *m, const float *x_raw, kml_rnn_state_f32 *st,
                           kml_rnn_scratch_f32 *sc);
void kml_rnn_step_f32(const kml_rnn_f32 *m, const float *x_raw, kml_rnn_state_f32 *st,
                      kml_rnn_scratch_f32 *sc);
void kml_rnn_logits_f32(const kml_rnn_f32 *m, const kml_rnn_state_f32 *st, float *logits);
uint16_t kml_argmax_f32(const float *v, uint16_t n);
/* Whole window X[T][D] (RAM): reset, T steps, logits; returns the class. */
uint16_t kml_rnn_predict_f32(const kml_rnn_f32 *m, const float *X, uint16_t T, kml_rnn_state_f32 *st,
                             kml_rnn_scratch_f32 *sc, float *logits);
/* The float nonlinearities (exposed for tests): own expf-based forms, no libm. */
float kml_expf(float x);
float kml_act_f32(uint8_t act, float x);

/* ---- integer path ---- */
kml_status kml_rnn_validate_q(const kml_rnn_q *m);
uint16_t kml_rnn_scratch_elems_q(const kml_rnn_q *m);
kml_status kml_rnn_init_q(const kml_rnn_q *m, kml_rnn_state_q *st, kml_rnn_scratch_q *sc);
void kml_rnn_reset_q(const kml_rnn_q *m, kml_rnn_state_q *st);
void kml_fastrnn_step_q(const kml_rnn_q *m, const int16_t *x_raw, kml_rnn_state_q *st,
                        kml_rnn_scratch_q *sc);
void kml_fastgrnn_step_q(const kml_rnn_q *m, const int16_t *x_raw, kml_rnn_state_q *st,
                         kml_rnn_scratch_q *sc);
void kml_rnn_step_q(const kml_rnn_q *m, const int16_t *x_raw, kml_rnn_state_q *st, kml_rnn_scratch_q *sc);
void kml_rnn_logits_q(const kml_rnn_q *m, const kml_rnn_state_q *st, int32_t *logits);
/* Fractional bits of the integer logits: q_h + V.q. */
uint8_t kml_rnn_logit_q(const kml_rnn_q *m);
uint16_t kml_argmax_q32(const int32_t *v, uint16_t n);
uint16_t kml_rnn_predict_q(const kml_rnn_q *m, const int16_t *X, uint16_t T, kml_rnn_state_q *st,
                           kml_rnn_scratch_q *sc, int32_t *logits);

/* Flash bytes of everything a model points to (weights, indices, biases, norm tables). */
uint32_t kml_rnn_flash_bytes_f32(const kml_rnn_f32 *m);
uint32_t kml_rnn_flash_bytes_q(const kml_rnn_q *m);

#endif
