/* input_noise.c: see input_noise.h. */
#include "input_noise.h"

#include "kiloml/rng.h"

void kml_input_noise(float *x, size_t n, double sigma, uint64_t seed, long step)
{
    kml_rng r;
    kml_rng_seed(&r, (seed ^ 0x6e6f697365ull) + 0x9e3779b97f4a7c15ull * (uint64_t)(step + 1));
    for (size_t i = 0; i < n; i++) x[i] += (float)(sigma * kml_rng_normal(&r));
}

void kml_input_jitter(float *x, int T, int b, int F, double gain, double offset, uint64_t seed, long step)
{
    kml_rng r;
    kml_rng_seed(&r, (seed ^ 0x6a6974746572ull) + 0x9e3779b97f4a7c15ull * (uint64_t)(step + 1));
    for (int i = 0; i < b; i++)
        for (int f = 0; f < F; f++) {
            const float g = (float)(1.0 + gain * kml_rng_normal(&r)), o = (float)(offset * kml_rng_normal(&r));
            for (int t = 0; t < T; t++) {
                float *v = &x[((size_t)t * b + i) * F + f];
                *v = g * *v + o;
            }
        }
}
