/* fastmath_f32.h (private to train/): exp, tanh and the logistic sigmoid in float, written so
 * that GCC vectorises loops over them (no calls, no branches besides selects). They replace
 * libm's expf/tanhf in the float kernels, where tanhf alone took 40 % of a training step.
 *
 *   exp(x):  x = n·ln2 + r, |r| <= ln2/2, 2^n put into the exponent bits, e^r by its Taylor series
 *            to degree 7 (truncation < r^8/8! = 5e-9 relative); x clamped to [-87, 88].
 *   tanh(x): sign(x)·(1 − e)/(1 + e) with e = exp(−2|x|); below |x| = 1/16 the odd Taylor series
 *            x − x³/3 + 2x⁵/15 − 17x⁷/315 (avoids the cancellation of 1 − e).
 *   σ(x):    1/(1 + exp(−x)).
 * NaN in gives NaN out (so the trainer still sees a non-finite loss); ±∞ give the limits.
 * Measured against double libm over [−20, 20]: see test_cells.c (fast_math_accuracy). */
#ifndef KML_FASTMATH_F32_H
#define KML_FASTMATH_F32_H

#include <stdint.h>
#include <string.h>

static inline float kml_fexp(float x)
{
    /* clamp so that NaN becomes a number here (the float-to-int conversion below must see a
     * finite value); NaN is given back unchanged at the end */
    float xc = x > -87.0f ? x : -87.0f;
    xc = xc < 88.0f ? xc : 88.0f;
    /* round x/ln2 to the nearest integer: adding 1.5·2^23 leaves no fraction bits */
    float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = xc - n * 0.693145751953125f; /* ln2 split: the high part has a short mantissa */
    r = r - n * 1.4286068202862268e-6f;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    uint32_t bits = (uint32_t)((int32_t)n + 127) << 23; /* n in [-126, 127] */
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    float y = p * scale;
    return x == x ? y : x;
}

static inline float kml_ftanh(float x)
{
    float ax = x < 0 ? -x : x;
    float e = kml_fexp(-2.0f * ax);
    float t = (1.0f - e) / (1.0f + e);
    float x2 = x * x;
    float s = x * (1.0f + x2 * (-1.0f / 3.0f + x2 * (2.0f / 15.0f + x2 * (-17.0f / 315.0f))));
    t = x < 0 ? -t : t;
    return ax < 0.0625f ? s : t;
}

static inline float kml_fsigm(float x) { return 1.0f / (1.0f + kml_fexp(-x)); }

#endif
