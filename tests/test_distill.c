/* test_distill.c: the distillation term (kiloml/distill.h). Its gradient against central finite
 * differences of the loss itself (in double, through float logits perturbed by h), for several class
 * counts and temperatures; zero loss and gradient when student and teacher agree; KD >= 0; the gradient
 * of each row sums to 0 (softmax); a shift of a row's logits changes nothing; large logits stay finite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "kiloml/distill.h"
#include "kiloml/rng.h"

static void gradient_matches_finite_differences(void **state)
{
    (void)state;
    const int Cs[] = {2, 3, 7};
    const double Ts[] = {1.0, 2.0, 4.0};
    kml_rng r;
    kml_rng_seed(&r, 42);
    double worst = 0;
    for (int ci = 0; ci < 3; ci++)
        for (int ti = 0; ti < 3; ti++) {
            const int N = 4, C = Cs[ci];
            const double T = Ts[ti];
            float z[4 * 7], t[4 * 7], dz[4 * 7], tmp[4 * 7];
            for (int i = 0; i < N * C; i++) z[i] = (float)(2 * kml_rng_normal(&r)), t[i] = (float)(3 * kml_rng_normal(&r));
            double L = kml_distill_kl(z, t, N, C, T, dz);
            assert_true(L >= 0);
            for (int i = 0; i < N * C; i++) {
                const float h = 1e-2f, keep = z[i];
                z[i] = keep + h;
                double lp = kml_distill_kl(z, t, N, C, T, tmp);
                z[i] = keep - h;
                double lm = kml_distill_kl(z, t, N, C, T, tmp);
                z[i] = keep;
                double num = (lp - lm) / (2.0 * h), err = fabs(num - dz[i]) / (fabs(num) + fabs(dz[i]) + 1e-4);
                if (err > worst) worst = err;
                if (err > 1e-3) fail_msg("C %d T %g entry %d: numeric %.7f analytic %.7f", C, T, i, num, (double)dz[i]);
            }
            for (int n = 0; n < N; n++) {
                double s = 0;
                for (int k = 0; k < C; k++) s += dz[n * C + k];
                assert_true(fabs(s) < 1e-6);
            }
        }
    print_message("worst relative error %.2e\n", worst);
}

static void agreement_shift_and_extremes(void **state)
{
    (void)state;
    float z[6] = {1, -2, 0.5f, 3, 3, -1}, t[6], dz[6], d2[6];
    for (int i = 0; i < 6; i++) t[i] = z[i];
    assert_true(fabs(kml_distill_kl(z, t, 2, 3, 2.0, dz)) < 1e-12);
    for (int i = 0; i < 6; i++) assert_true(fabsf(dz[i]) < 1e-7f);
    /* the teacher's row shifted by a constant is the same distribution */
    for (int i = 0; i < 3; i++) t[i] = z[i] + 5.0f;
    assert_true(fabs(kml_distill_kl(z, t, 2, 3, 2.0, dz)) < 1e-9);
    /* a different teacher: positive loss, and T² scaling of a known case (C = 2, T = 1): z = (0, 0),
     * t = (ln 3, 0): q = (3/4, 1/4), p = (1/2, 1/2): KL = 3/4 ln(3/2) + 1/4 ln(1/2) */
    float z2[2] = {0, 0}, t2[2] = {(float)log(3.0), 0};
    double kl = kml_distill_kl(z2, t2, 1, 2, 1.0, d2);
    assert_true(fabs(kl - (0.75 * log(1.5) + 0.25 * log(0.5))) < 1e-6);
    assert_true(fabs(d2[0] - (0.5 - 0.75)) < 1e-6 && fabs(d2[1] - (0.5 - 0.25)) < 1e-6);
    /* huge logits: finite */
    float z3[3] = {1e4f, -1e4f, 0}, t3[3] = {-1e4f, 1e4f, 0}, d3[3];
    double big = kml_distill_kl(z3, t3, 1, 3, 1.0, d3);
    assert_true(isfinite(big) && big > 0);
    for (int i = 0; i < 3; i++) assert_true(isfinite(d3[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gradient_matches_finite_differences),
        cmocka_unit_test(agreement_shift_and_extremes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
