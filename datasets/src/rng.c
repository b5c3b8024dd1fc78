/* rng.c: xoshiro256** seeded by splitmix64. */
#include "kiloml/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void kml_rng_seed(kml_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

uint64_t kml_rng_u64(kml_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double kml_rng_uniform(kml_rng *r) { return (double)(kml_rng_u64(r) >> 11) * 0x1.0p-53; }

uint32_t kml_rng_below(kml_rng *r, uint32_t n)
{
    if (n == 0) return 0;
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
    uint64_t v;
    do v = kml_rng_u64(r); while (v >= limit);
    return (uint32_t)(v % n);
}

double kml_rng_normal(kml_rng *r)
{
    double u1 = kml_rng_uniform(r), u2 = kml_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void kml_rng_shuffle(kml_rng *r, int *a, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)kml_rng_below(r, (uint32_t)i + 1);
        int t = a[i]; a[i] = a[j]; a[j] = t;
    }
}
