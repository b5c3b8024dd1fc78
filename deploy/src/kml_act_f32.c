/* kml_act_f32.c: the float nonlinearities without libm.
 * expf: x = n·ln2 + r with |r| <= ln2/2, e^r by a degree-7 Taylor polynomial (relative error
 * below 2e-7 on that interval), 2^n put straight into the exponent bits. */
#include "kiloml/kml_rnn.h"

float kml_expf(float x)
{
    union { float f; uint32_t u; } s;
    float r, p;
    int32_t n;
    if (x > 88.0f) x = 88.0f;
    if (x < -87.0f) return 0.0f;
    n = (int32_t)(x * 1.44269504f + (x >= 0.0f ? 0.5f : -0.5f));
    r = x - (float)n * 0.693145752f - (float)n * 1.42860677e-6f; /* ln2 split hi + lo */
    p = 1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720 + r * (1.0f / 5040)))))));
    s.u = (uint32_t)(n + 127) << 23;
    return p * s.f;
}

static float tanh_f(float x)
{
    float a = x < 0.0f ? -x : x, t;
    if (a > 9.0f) t = 1.0f;
    else if (a < 0.0625f) {
        float a2 = a * a; /* odd series: error < a^9 */
        t = a * (1.0f - a2 * (1.0f / 3 - a2 * (2.0f / 15 - a2 * (17.0f / 315))));
    } else {
        t = 1.0f - 2.0f / (kml_expf(2.0f * a) + 1.0f);
    }
    return x < 0.0f ? -t : t;
}

float kml_act_f32(uint8_t act, float x)
{
    switch (act) {
    case KML_ACT_TANH: return tanh_f(x);
    case KML_ACT_SIGMOID: return 1.0f / (1.0f + kml_expf(-x));
    case KML_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case KML_ACT_QUANTTANH: return x < -1.0f ? -1.0f : (x > 1.0f ? 1.0f : x);
    case KML_ACT_QUANTSIGM: {
        float y = (x + 1.0f) * 0.5f;
        return y < 0.0f ? 0.0f : (y > 1.0f ? 1.0f : y);
    }
    case KML_ACT_HARDSIGM: {
        float y = x * 0.25f + 0.5f;
        return y < 0.0f ? 0.0f : (y > 1.0f ? 1.0f : y);
    }
    default: return x;
    }
}
