/* test_gradcheck_head.c: finite-difference checks, in double, of the classifier and the loss on
 * their own (the same source as the float kernels), plus the loss's worked values and stability.
 * Tolerance: |num − ana| <= 1e-6·max(|num|, |ana|) + 1e-9, central differences with ε = 1e-5. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kiloml/cell.h"
#include "kiloml/cell_f64.h"
#include "kiloml/rng.h"

#define EPS 1e-5

static void expect_close(double num, double ana, const char *what, int k)
{
    double tol = 1e-6 * fmax(fabs(num), fabs(ana)) + 1e-9;
    if (fabs(num - ana) > tol) fail_msg("%s[%d]: numeric %.12g analytic %.12g", what, k, num, ana);
}

static void loss_gradient_matches_differences(void **state)
{
    (void)state;
    enum { N = 7, C = 4 };
    kml_rng r;
    kml_rng_seed(&r, 11);
    double l[N * C], d[N * C], dd[N * C], w[N];
    int32_t y[N];
    for (int k = 0; k < N * C; k++) l[k] = 3 * kml_rng_normal(&r);
    for (int n = 0; n < N; n++) {
        y[n] = (int32_t)kml_rng_below(&r, C);
        w[n] = n == 2 ? 0.0 : 0.2 + kml_rng_uniform(&r);
    }
    for (int weighted = 0; weighted < 2; weighted++) {
        const double *wt = weighted ? w : NULL;
        kml_softmax_xent_f64(l, y, wt, N, C, d);
        for (int k = 0; k < N * C; k++) {
            double keep = l[k];
            l[k] = keep + EPS;
            double lp = kml_softmax_xent_f64(l, y, wt, N, C, dd);
            l[k] = keep - EPS;
            double lm = kml_softmax_xent_f64(l, y, wt, N, C, dd);
            l[k] = keep;
            expect_close((lp - lm) / (2 * EPS), d[k], weighted ? "dlogits (weighted)" : "dlogits", k);
        }
    }
    /* a zero-weight row gets no gradient */
    kml_softmax_xent_f64(l, y, w, N, C, d);
    for (int k = 0; k < C; k++) assert_true(d[2 * C + k] == 0.0);
}

static void loss_worked_values(void **state)
{
    (void)state;
    /* uniform logits: loss log C, gradient (1/C − onehot)/N */
    float l[2 * 3] = {0, 0, 0, 5, 5, 5}, d[6];
    int32_t y[2] = {1, 2};
    double loss = kml_softmax_xent(l, y, NULL, 2, 3, d);
    assert_true(fabs(loss - log(3.0)) < 1e-7);
    assert_true(fabs(d[0] - (1.0 / 3) / 2) < 1e-7);
    assert_true(fabs(d[1] - (1.0 / 3 - 1) / 2) < 1e-7);
    assert_true(fabs(d[5] - (1.0 / 3 - 1) / 2) < 1e-7);
    /* weights: mean over the weighted rows; row 0 (weight 3) loss log(1+e^-2)... hand values */
    float l2[2 * 2] = {2, 0, 0, 0}, w[2] = {3, 1};
    int32_t y2[2] = {0, 1};
    loss = kml_softmax_xent(l2, y2, w, 2, 2, d);
    double expect = (3 * log(1 + exp(-2.0)) + 1 * log(2.0)) / 4;
    assert_true(fabs(loss - expect) < 1e-7);
    /* all weights zero: loss 0, no gradient */
    float w0[2] = {0, 0};
    loss = kml_softmax_xent(l2, y2, w0, 2, 2, d);
    assert_true(loss == 0.0);
    for (int k = 0; k < 4; k++) assert_true(d[k] == 0.0f);
}

static void loss_is_stable(void **state)
{
    (void)state;
    /* huge logits: no overflow, same as the shifted row */
    float big[3] = {1e4f, 1e4f - 3.0f, -1e4f}, small[3] = {3.0f, 0.0f, -2e4f + 3.0f}, d1[3], d2[3];
    int32_t y[1] = {1};
    double a = kml_softmax_xent(big, y, NULL, 1, 3, d1), b = kml_softmax_xent(small, y, NULL, 1, 3, d2);
    assert_true(isfinite(a));
    assert_true(fabs(a - b) < 1e-5);
    assert_true(fabs(a - (3.0 + log(1 + exp(-3.0)))) < 1e-5);
    for (int k = 0; k < 3; k++) {
        assert_true(isfinite(d1[k]));
        assert_true(fabs(d1[k] - d2[k]) < 1e-6);
    }
}

static void classifier_gradient_matches_differences(void **state)
{
    (void)state;
    enum { N = 5, H = 4, C = 3 };
    kml_model_config cfg = {KML_CELL_FASTGRNN, 2, H, C, 0, 0, KML_NL_SIGMOID, KML_NL_TANH};
    kml_model_f64 m, g;
    assert_int_equal(kml_model_f64_alloc(&m, &cfg, NULL), 0);
    assert_int_equal(kml_model_f64_alloc(&g, &cfg, NULL), 0);
    kml_rng r;
    kml_rng_seed(&r, 12);
    for (size_t k = 0; k < m.n_params; k++) m.block[k] = kml_rng_normal(&r);
    double Hs[N * H], G[N * C], logits[N * C], dH[N * H];
    for (int k = 0; k < N * H; k++) Hs[k] = kml_rng_normal(&r);
    for (int k = 0; k < N * C; k++) G[k] = kml_rng_normal(&r);
    /* L = Σ G ⊙ logits, so dlogits = G */
    kml_classifier_backward_f64(&m, Hs, G, N, dH, &g);
#define LOSS(out)                                                 \
    do {                                                          \
        kml_classifier_forward_f64(&m, Hs, N, logits);            \
        out = 0;                                                  \
        for (int q = 0; q < N * C; q++) out += G[q] * logits[q];  \
    } while (0)
    double lp, lm;
    for (int k = 0; k < N * H; k++) {
        double keep = Hs[k];
        Hs[k] = keep + EPS; LOSS(lp);
        Hs[k] = keep - EPS; LOSS(lm);
        Hs[k] = keep;
        expect_close((lp - lm) / (2 * EPS), dH[k], "dHsel", k);
    }
    for (int id = KML_P_V; id <= KML_P_VB; id++)
        for (int k = 0; k < m.shape[id].rows * m.shape[id].cols; k++) {
            double keep = m.p[id][k];
            m.p[id][k] = keep + EPS; LOSS(lp);
            m.p[id][k] = keep - EPS; LOSS(lm);
            m.p[id][k] = keep;
            expect_close((lp - lm) / (2 * EPS), g.p[id][k], kml_param_name((kml_param_id)id), k);
        }
#undef LOSS
    /* gradients accumulate: a second backward doubles V's and v's, dHsel is overwritten */
    double v0 = g.p[KML_P_V][3], b0 = g.p[KML_P_VB][1], h0 = dH[2];
    kml_classifier_backward_f64(&m, Hs, G, N, dH, &g);
    assert_true(fabs(g.p[KML_P_V][3] - 2 * v0) < 1e-12);
    assert_true(fabs(g.p[KML_P_VB][1] - 2 * b0) < 1e-12);
    assert_true(dH[2] == h0);
    /* the other tensors are untouched */
    for (int k = 0; k < m.shape[KML_P_W].rows * m.shape[KML_P_W].cols; k++) assert_true(g.p[KML_P_W][k] == 0.0);
    kml_model_f64_free(&m);
    kml_model_f64_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loss_gradient_matches_differences),
        cmocka_unit_test(loss_worked_values),
        cmocka_unit_test(loss_is_stable),
        cmocka_unit_test(classifier_gradient_matches_differences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
