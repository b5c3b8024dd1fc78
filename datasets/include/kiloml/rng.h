/* kiloml/rng.h: the one seeded generator every random draw comes from (xoshiro256**,
 * seeded through splitmix64). Same seed, same stream, on every platform. */
#ifndef KILOML_RNG_H
#define KILOML_RNG_H

#include <stdint.h>

typedef struct kml_rng { uint64_t s[4]; } kml_rng;

void kml_rng_seed(kml_rng *r, uint64_t seed);
uint64_t kml_rng_u64(kml_rng *r);
double kml_rng_uniform(kml_rng *r);            /* [0, 1) with 53 random bits */
uint32_t kml_rng_below(kml_rng *r, uint32_t n); /* uniform in 0..n-1, unbiased */
double kml_rng_normal(kml_rng *r);             /* N(0, 1), Box-Muller without caching */
void kml_rng_shuffle(kml_rng *r, int *a, int n); /* Fisher-Yates */

#endif
