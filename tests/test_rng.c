/* test_rng.c: the seeded generator is reproducible, unbiased enough and shuffles into permutations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "kiloml/rng.h"

static void same_seed_same_stream(void **state)
{
    (void)state;
    kml_rng a, b;
    kml_rng_seed(&a, 42);
    kml_rng_seed(&b, 42);
    for (int i = 0; i < 1000; i++) assert_int_equal(kml_rng_u64(&a), kml_rng_u64(&b));
    kml_rng_seed(&b, 43);
    assert_int_not_equal(kml_rng_u64(&a), kml_rng_u64(&b));
}

static void first_outputs_pinned(void **state)
{
    /* Pinned so that a change of generator (which would change every trained model) shows. */
    (void)state;
    kml_rng r;
    kml_rng_seed(&r, 0);
    uint64_t first = kml_rng_u64(&r);
    kml_rng_seed(&r, 0);
    assert_int_equal(first, kml_rng_u64(&r));
    /* splitmix64(0) sequence feeds xoshiro256**; value computed from the reference algorithm. */
    assert_int_equal(first, 0x99EC5F36CB75F2B4ull);
}

static void normal_moments(void **state)
{
    (void)state;
    kml_rng r;
    kml_rng_seed(&r, 7);
    double s = 0, s2 = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double x = kml_rng_normal(&r);
        s += x;
        s2 += x * x;
    }
    double mean = s / n, var = s2 / n - mean * mean;
    assert_true(fabs(mean) < 0.01);
    assert_true(fabs(var - 1.0) < 0.02);
}

static void shuffle_is_permutation(void **state)
{
    (void)state;
    kml_rng r;
    kml_rng_seed(&r, 3);
    int a[100], seen[100] = {0};
    for (int i = 0; i < 100; i++) a[i] = i;
    kml_rng_shuffle(&r, a, 100);
    int moved = 0;
    for (int i = 0; i < 100; i++) {
        seen[a[i]]++;
        moved += a[i] != i;
    }
    for (int i = 0; i < 100; i++) assert_int_equal(seen[i], 1);
    assert_true(moved > 50);
    for (int i = 0; i < 1000; i++) assert_true(kml_rng_below(&r, 7) < 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_seed_same_stream),
        cmocka_unit_test(first_outputs_pinned),
        cmocka_unit_test(normal_moments),
        cmocka_unit_test(shuffle_is_permutation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
