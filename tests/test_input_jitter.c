/* test_input_jitter.c: the per-series, per-feature gain and offset of --input-gain / --input-offset
 * (train/src/input_noise.h) on a time-major batch: one gain and one offset per (series, feature),
 * the same at every step; their spread is the one asked for; the draws repeat for the same (seed,
 * step) and change with either; zero spreads leave the batch as it was. The trainer-level behaviour
 * (a different model, the same one twice, resume, the state fingerprint) is in test_trainer.c. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../train/src/input_noise.h"

enum { T = 5, B = 400, F = 3 };

/* x[t][i][f] = 1 + t (a known, time-varying signal) */
static void fill(float *x)
{
    for (int t = 0; t < T; t++)
        for (int i = 0; i < B * F; i++) x[(size_t)t * B * F + i] = (float)(1 + t);
}

static void one_gain_and_offset_per_series_and_feature(void **state)
{
    (void)state;
    float *x = malloc(sizeof(float) * T * B * F), *y = malloc(sizeof(float) * T * B * F);
    fill(x);
    kml_input_jitter(x, T, B, F, 0.2, 0.5, 7, 3);
    double sg = 0, sg2 = 0, so = 0, so2 = 0;
    for (int i = 0; i < B; i++)
        for (int f = 0; f < F; f++) {
            /* step 0 holds g + o, step 1 holds 2g + o */
            const double v0 = x[(size_t)i * F + f], v1 = x[((size_t)B + i) * F + f], g = v1 - v0, o = v0 - g;
            for (int t = 2; t < T; t++)
                assert_true(fabs(x[((size_t)t * B + i) * F + f] - ((1 + t) * g + o)) < 1e-4);
            sg += g, sg2 += g * g, so += o, so2 += o * o;
        }
    const double n = B * F, mg = sg / n, mo = so / n, sdg = sqrt(sg2 / n - mg * mg), sdo = sqrt(so2 / n - mo * mo);
    print_message("gain mean %.3f sd %.3f, offset mean %.3f sd %.3f\n", mg, sdg, mo, sdo);
    assert_true(fabs(mg - 1) < 0.03 && fabs(sdg - 0.2) < 0.03);
    assert_true(fabs(mo) < 0.07 && fabs(sdo - 0.5) < 0.07);
    /* the same (seed, step): the same draws; another step or seed: others */
    fill(y);
    kml_input_jitter(y, T, B, F, 0.2, 0.5, 7, 3);
    assert_memory_equal(x, y, sizeof(float) * T * B * F);
    fill(y);
    kml_input_jitter(y, T, B, F, 0.2, 0.5, 7, 4);
    assert_true(memcmp(x, y, sizeof(float) * T * B * F) != 0);
    fill(y);
    kml_input_jitter(y, T, B, F, 0.2, 0.5, 8, 3);
    assert_true(memcmp(x, y, sizeof(float) * T * B * F) != 0);
    /* zero spreads: untouched */
    fill(x);
    fill(y);
    kml_input_jitter(y, T, B, F, 0, 0, 7, 3);
    assert_memory_equal(x, y, sizeof(float) * T * B * F);
    free(x);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_gain_and_offset_per_series_and_feature),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
