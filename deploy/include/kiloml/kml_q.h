/* kiloml/kml_q.h: the fixed-point primitives. This file is the ONE definition of rounding,
 * saturation and the integer quantTanh / quantSigm / hardSigm / tanh / sigmoid in the project: the quantizer's simulation,
 * the host build and the firmware all call these.
 *
 * Number format "Q q": an integer v stands for the real value v / 2^q (q fractional bits).
 * Every tensor of an integer model has its own q (a shift parameter chosen by the quantizer);
 * kernels derive their shifts from those q's. Every derived shift must lie in [0, 30]
 * (checked once by kml_rnn_validate_q, never in the per-step loops).
 *
 * Rounding: kml_rshift_round(v, s) = floor((v + 2^(s-1)) / 2^s) for s > 0, v for s == 0,
 * i.e. round half up (towards +inf), for any int32 v (no intermediate overflows). Right shifts
 * of negative values are arithmetic (GCC, avr-gcc and arm-none-eabi-gcc all define them so).
 */
#ifndef KILOML_KML_Q_H
#define KILOML_KML_Q_H

#include <stdint.h>

#include "kiloml/kml_port.h"

#define KML_Q_MAX_SHIFT 30

/* The primitives are small and sit in the per-unit loops: keep them inline even under -Os
 * (GCC -Os otherwise calls them, about 25 cycles a call on a Cortex-M0+). Not on AVR, where
 * the 32-bit shifts are long and flash is short. */
#if defined(__GNUC__) && !defined(__AVR__)
#define KML_Q_INLINE static inline __attribute__((always_inline))
#else
#define KML_Q_INLINE static inline
#endif

/* Arithmetic right shift by a run-time amount (0..31). On AVR, which shifts one bit per instruction,
 * it is done as constant shifts by 16, 8, 4, 2, 1 (byte moves for the first two), about 40 cycles
 * instead of a 6-cycle-per-bit loop; the result is the same everywhere. */
KML_Q_INLINE int32_t kml_asr32(int32_t v, uint8_t s)
{
#if defined(__AVR__)
    if (s & 16) v >>= 16;
    if (s & 8) v >>= 8;
    if (s & 4) v >>= 4;
    if (s & 2) v >>= 2;
    if (s & 1) v >>= 1;
    return v;
#else
    return v >> s;
#endif
}

/* floor((v + 2^(s-1)) / 2^s), computed as ((v >> (s-1)) + 1) >> 1: the same integer (the bits below
 * s-1 cannot carry into bit s-1 once 2^(s-1) is added), and no intermediate can overflow. */
KML_Q_INLINE int32_t kml_rshift_round(int32_t v, uint8_t s)
{
    if (s == 0) return v;
    return (kml_asr32(v, (uint8_t)(s - 1)) + 1) >> 1;
}

/* The same rounding with its constant worked out once: kml_round_bias(s) = 2^(s-1) (0 for s == 0) and
 *     kml_rshift_round_b(v, s, kml_round_bias(s)) == kml_rshift_round(v, s)
 * for every v with |v| <= 2^30 (then v + 2^(s-1) cannot overflow; s <= 30). The per-unit loops use it:
 * the bias comes from a per-step table, and there is no s == 0 test. Every matrix product obeys the
 * bound (kml_mat.h: |x·w| <= 2^30), and so do the cells' update products (kml_rnn_q.c). */
KML_Q_INLINE int32_t kml_round_bias(uint8_t s)
{
    return s ? (int32_t)1 << (s - 1) : 0;
}

KML_Q_INLINE int32_t kml_rshift_round_b(int32_t v, uint8_t s, int32_t bias)
{
    return kml_asr32(v + bias, s);
}

KML_Q_INLINE int16_t kml_sat16(int32_t v)
{
    if (v > 32767) return 32767;
    if (v < -32768) return -32768;
    return (int16_t)v;
}

/* Clip v (Q q_from) to [lo, hi] (same Q), then move it to Q q_to: a rounding right shift
 * when q_from >= q_to, an exact left shift otherwise (no overflow: the value is already
 * clipped and the caller keeps |hi|, |lo| * 2^(q_to - q_from) below 2^31). */
static inline int32_t kml_clip_convert(int32_t v, int32_t lo, int32_t hi, uint8_t q_from, uint8_t q_to)
{
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    if (q_from >= q_to) return kml_rshift_round(v, (uint8_t)(q_from - q_to));
    return v * ((int32_t)1 << (q_to - q_from));
}

/* quantTanh(x) = clip(x, -1, 1): x in Q qa (int32), result in Q qg (|result| <= 2^qg). */
static inline int16_t kml_quant_tanh_q(int32_t x, uint8_t qa, uint8_t qg)
{
    int32_t one = (int32_t)1 << qa;
    return (int16_t)kml_clip_convert(x, -one, one, qa, qg);
}

/* quantSigm(x) = clip((x + 1) / 2, 0, 1): x in Q qa (int32), result in Q qg (0..2^qg).
 * (x + 1) / 2 in Q qa is x + 2^qa read as Q (qa + 1): no bit is lost before the last shift. */
static inline int16_t kml_quant_sigm_q(int32_t x, uint8_t qa, uint8_t qg)
{
    int32_t one = (int32_t)1 << qa;
    return (int16_t)kml_clip_convert(x + one, 0, 2 * one, (uint8_t)(qa + 1), qg);
}

/* hardSigm(x) = clip(x / 4 + 1 / 2, 0, 1) = clip((x + 2) / 4, 0, 1), the sigmoid's slope at 0 (quantSigm has
 * twice it): x in Q qa (int32, |x| <= 2^30 - 2^(qa+1)), result in Q qg (0..2^qg). (x + 2) / 4 in Q qa is
 * x + 2^(qa+1) read as Q (qa + 2). */
static inline int16_t kml_hard_sigm_q(int32_t x, uint8_t qa, uint8_t qg)
{
    int32_t one = (int32_t)1 << qa;
    return (int16_t)kml_clip_convert(x + 2 * one, 0, 4 * one, (uint8_t)(qa + 2), qg);
}

/* tanh and the logistic sigmoid, for models trained with the smooth nonlinearities. A table of
 * tanh on [0, 6] at steps of 1/16 (Q15, kml_tanh_tab.c, in flash) and linear interpolation between
 * its entries: |error| < 4e-4 before the result's own rounding to Q q_g (the interpolation's h²/8·max|tanh''|
 * = 3.8e-4), tanh(6) = 1 - 1.2e-5 beyond. The sigmoid is the same table through
 * σ(x) = (1 + tanh(x / 2)) / 2, so its error is half that. */
#define KML_TANH_TAB_N 97
extern const int16_t kml_tanh_tab_q15[KML_TANH_TAB_N] KML_FLASH;

/* |tanh(x)| in Q15 (0..32768) for |x| = a in Q qa (qa <= 30). Fraction bits beyond 15 below the table step
 * are dropped (a >> (qa - 19)), so the interpolation product stays below 2^26. */
static inline int32_t kml_tanh_mag_q15_(uint32_t a, uint8_t qa)
{
    uint8_t fb;
    uint32_t k;
    int32_t t0;
    if (qa > 19) {
        a >>= qa - 19;
        fb = 15;
    } else if (qa >= 4) {
        fb = (uint8_t)(qa - 4);
    } else {
        if (a >= (uint32_t)6 << qa) return 32768;
        a <<= 4 - qa; /* a < 6·2^qa: no overflow */
        fb = 0;
    }
    k = a >> fb; /* |x| in steps of 1/16 */
    if (k >= KML_TANH_TAB_N - 1) return 32768; /* |x| >= 6 */
    t0 = KML_READ_I16(kml_tanh_tab_q15 + k);
    if (fb == 0) return t0;
    return t0 + kml_rshift_round((KML_READ_I16(kml_tanh_tab_q15 + k + 1) - t0) * (int32_t)(a & (((uint32_t)1 << fb) - 1)), fb);
}

/* tanh(x): x in Q qa (int32), result in Q qg (|result| <= 2^qg, qg <= 14); odd: tanh_q(-x) = -tanh_q(x). */
static inline int16_t kml_tanh_q(int32_t x, uint8_t qa, uint8_t qg)
{
    uint32_t a = x < 0 ? (uint32_t)0 - (uint32_t)x : (uint32_t)x;
    int32_t y = kml_rshift_round(kml_tanh_mag_q15_(a, qa), (uint8_t)(15 - qg));
    return (int16_t)(x < 0 ? -y : y);
}

/* σ(x) = 1 / (1 + e^-x) = (1 + tanh(x / 2)) / 2: x in Q qa (int32, qa <= 29) read as x / 2 in Q (qa + 1);
 * result in Q qg (0..2^qg, qg <= 14). */
static inline int16_t kml_sigm_q(int32_t x, uint8_t qa, uint8_t qg)
{
    uint32_t a = x < 0 ? (uint32_t)0 - (uint32_t)x : (uint32_t)x;
    int32_t t = kml_tanh_mag_q15_(a, (uint8_t)(qa + 1));
    return (int16_t)kml_rshift_round(32768 + (x < 0 ? -t : t), (uint8_t)(16 - qg));
}

/* Integer input normalisation, a fixed-point affine per feature:
 *     x_q = sat16(rshift_round(sat16(x_raw - m) * s, shift))
 * x_raw is the sensor value in the model's input scale (Q q_in), m the mean in that scale,
 * s = round(2^(shift + qx - q_in) / std) with qx the input format of the cell. */
static inline int16_t kml_norm_q(int16_t x_raw, int16_t m, int16_t s, uint8_t shift)
{
    int32_t d = kml_sat16((int32_t)x_raw - m);
    return kml_sat16(kml_rshift_round(d * s, shift));
}

#endif
