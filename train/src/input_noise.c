/* input_noise.c: see input_noise.h. */
#include "input_noise.h"

#include "kiloml/rng.h"

void kml_input_noise(float *x, size_t n, double sigma, uint64_t seed, long step)
{
    kml_rng r;
    kml_rng_seed(&r, (seed ^ 0x6e6f697365ull) + 0x9e3779b97f4a7c15ull * (uint64_t)(step + 1));
    for (size_t i = 0; i < n; i++) x[i] += (float)(sigma * kml_rng_normal(&r));
}
