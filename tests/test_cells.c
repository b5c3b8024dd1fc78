/* test_cells.c: properties of the float cell kernels the gradient checks do not cover:
 * float agrees with double (the two instantiations of one source), series in a batch are
 * independent, gradients accumulate, the backward leaves its inputs alone, and the
 * nonlinearities' values and derivatives at worked points. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kiloml/cell.h"
#include "kiloml/cell_f64.h"
#include "kiloml/rng.h"

typedef struct run {
    int T, B;
    float *X, *cache, *scratch, *Hs, *dHs;
} run;

static void run_init(run *r, const kml_model_config *cfg, int T, int B, uint64_t seed)
{
    r->T = T;
    r->B = B;
    size_t TB = (size_t)T * B;
    r->X = malloc(TB * cfg->D * sizeof(float));
    r->cache = malloc((kml_cell_cache_floats(cfg, T, B) + 1) * sizeof(float));
    r->scratch = malloc((kml_cell_scratch_floats(cfg, B) + 1) * sizeof(float));
    r->Hs = malloc(TB * cfg->H * sizeof(float));
    r->dHs = malloc(TB * cfg->H * sizeof(float));
    kml_rng g;
    kml_rng_seed(&g, seed);
    for (size_t i = 0; i < TB * cfg->D; i++) r->X[i] = (float)kml_rng_normal(&g);
    for (size_t i = 0; i < TB * cfg->H; i++) r->dHs[i] = (float)kml_rng_normal(&g);
}

static void run_free(run *r)
{
    free(r->X); free(r->cache); free(r->scratch); free(r->Hs); free(r->dHs);
}

static void random_model(kml_model *m, kml_cell_kind cell, int rw, int ru, uint64_t seed)
{
    kml_model_config cfg = {cell, 5, 6, 3, rw, ru, KML_NL_SIGMOID, KML_NL_TANH};
    assert_int_equal(kml_model_alloc(m, &cfg, NULL), 0);
    kml_rng g;
    kml_rng_seed(&g, seed);
    for (size_t k = 0; k < m->n_params; k++) m->block[k] = (float)(0.4 * kml_rng_normal(&g));
}

static void float_matches_double(void **state)
{
    (void)state;
    for (int cell = 0; cell < KML_CELL_COUNT; cell++)
        for (int lr = 0; lr < 2; lr++) {
            kml_model m, g;
            kml_model_f64 md, gd;
            random_model(&m, (kml_cell_kind)cell, lr ? 2 : 0, lr ? 3 : 0, 40 + cell);
            assert_int_equal(kml_model_alloc(&g, &m.cfg, NULL), 0);
            assert_int_equal(kml_model_f64_from(&md, &m, NULL), 0);
            assert_int_equal(kml_model_f64_alloc(&gd, &m.cfg, NULL), 0);
            run r;
            const int T = 20, B = 4;
            run_init(&r, &m.cfg, T, B, 7);
            size_t TB = (size_t)T * B, nh = TB * m.cfg.H, nx = TB * m.cfg.D;
            double *X = malloc(nx * sizeof(double)), *Hs = malloc(nh * sizeof(double));
            double *dHs = malloc(nh * sizeof(double));
            double *cache = malloc((kml_cell_cache_floats(&m.cfg, T, B) + 1) * sizeof(double));
            double *scratch = malloc((kml_cell_scratch_floats(&m.cfg, B) + 1) * sizeof(double));
            for (size_t i = 0; i < nx; i++) X[i] = r.X[i];
            for (size_t i = 0; i < nh; i++) dHs[i] = r.dHs[i];
            kml_cell_forward(&m, r.X, T, B, r.cache, r.Hs);
            kml_cell_forward_f64(&md, X, T, B, cache, Hs);
            for (size_t i = 0; i < nh; i++) assert_true(fabs(r.Hs[i] - Hs[i]) < 1e-5 * (1 + fabs(Hs[i])));
            kml_cell_backward(&m, r.X, T, B, r.cache, r.Hs, r.dHs, r.scratch, &g);
            kml_cell_backward_f64(&md, X, T, B, cache, Hs, dHs, scratch, &gd);
            double num = 0, den = 0;
            for (size_t k = 0; k < m.n_params; k++) {
                num += (g.block[k] - gd.block[k]) * (g.block[k] - gd.block[k]);
                den += gd.block[k] * gd.block[k];
            }
            assert_true(den > 0);
            assert_true(sqrt(num / den) < 1e-5);
            free(X); free(Hs); free(dHs); free(cache); free(scratch);
            run_free(&r);
            kml_model_free(&m); kml_model_free(&g);
            kml_model_f64_free(&md); kml_model_f64_free(&gd);
        }
}

static void batch_rows_are_independent(void **state)
{
    (void)state;
    for (int cell = 0; cell < KML_CELL_COUNT; cell++) {
        kml_model m;
        random_model(&m, (kml_cell_kind)cell, 2, 0, 60 + cell);
        const int T = 9, B = 3, D = m.cfg.D, H = m.cfg.H;
        run all, one;
        run_init(&all, &m.cfg, T, B, 8);
        run_init(&one, &m.cfg, T, 1, 9);
        kml_cell_forward(&m, all.X, T, B, all.cache, all.Hs);
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) memcpy(one.X + (size_t)t * D, all.X + ((size_t)t * B + b) * D, D * sizeof(float));
            kml_cell_forward(&m, one.X, T, 1, one.cache, one.Hs);
            for (int t = 0; t < T; t++)
                for (int j = 0; j < H; j++)
                    assert_true(fabsf(one.Hs[(size_t)t * H + j] - all.Hs[((size_t)t * B + b) * H + j]) < 1e-6f);
        }
        run_free(&all);
        run_free(&one);
        kml_model_free(&m);
    }
}

static void backward_accumulates_and_keeps_inputs(void **state)
{
    (void)state;
    for (int cell = 0; cell < KML_CELL_COUNT; cell++) {
        kml_model m, g;
        random_model(&m, (kml_cell_kind)cell, 0, 3, 80 + cell);
        assert_int_equal(kml_model_alloc(&g, &m.cfg, NULL), 0);
        const int T = 18, B = 2;
        run r;
        run_init(&r, &m.cfg, T, B, 10);
        kml_cell_forward(&m, r.X, T, B, r.cache, r.Hs);
        size_t nc = kml_cell_cache_floats(&m.cfg, T, B), nh = (size_t)T * B * m.cfg.H;
        float *c0 = malloc(nc * sizeof(float)), *h0 = malloc(nh * sizeof(float)), *d0 = malloc(nh * sizeof(float));
        memcpy(c0, r.cache, nc * sizeof(float));
        memcpy(h0, r.Hs, nh * sizeof(float));
        memcpy(d0, r.dHs, nh * sizeof(float));
        kml_cell_backward(&m, r.X, T, B, r.cache, r.Hs, r.dHs, r.scratch, &g);
        float *once = malloc(m.n_params * sizeof(float));
        memcpy(once, g.block, m.n_params * sizeof(float));
        kml_cell_backward(&m, r.X, T, B, r.cache, r.Hs, r.dHs, r.scratch, &g);
        for (size_t k = 0; k < m.n_params; k++) assert_true(fabsf(g.block[k] - 2 * once[k]) <= 1e-5f * (1 + fabsf(once[k])));
        assert_memory_equal(c0, r.cache, nc * sizeof(float));
        assert_memory_equal(h0, r.Hs, nh * sizeof(float));
        assert_memory_equal(d0, r.dHs, nh * sizeof(float));
        /* the classifier's tensors are not the cell's business */
        for (int k = 0; k < m.cfg.H * m.cfg.C; k++) assert_true(g.p[KML_P_V][k] == 0.0f);
        free(c0); free(h0); free(d0); free(once);
        run_free(&r);
        kml_model_free(&m);
        kml_model_free(&g);
    }
}

/* Forward and backward with 1, 2 and 4 workers: the same hidden states (rows run the same code)
 * and gradients equal to rounding; the same worker count twice gives identical bytes. */
static void workers_agree(void **state)
{
    (void)state;
    for (int cell = 0; cell < KML_CELL_COUNT; cell++) {
        kml_model m;
        random_model(&m, (kml_cell_kind)cell, cell % 2 ? 2 : 0, 3, 120 + cell);
        const int T = 19, B = 37;
        run r;
        run_init(&r, &m.cfg, T, B, 21);
        size_t nh = (size_t)T * B * m.cfg.H;
        float *h1 = malloc(nh * sizeof(float)), *g1 = malloc(m.n_params * sizeof(float));
        for (int threads = 1; threads <= 4; threads *= 2)
            for (int again = 0; again < 2; again++) {
                kml_model g;
                assert_int_equal(kml_model_alloc(&g, &m.cfg, NULL), 0);
                kml_cell_set_threads(threads);
                kml_cell_forward(&m, r.X, T, B, r.cache, r.Hs);
                kml_cell_backward(&m, r.X, T, B, r.cache, r.Hs, r.dHs, r.scratch, &g);
                kml_cell_set_threads(0);
                if (threads == 1 && !again) {
                    memcpy(h1, r.Hs, nh * sizeof(float));
                    memcpy(g1, g.block, m.n_params * sizeof(float));
                } else {
                    for (size_t k = 0; k < nh; k++) assert_true(fabsf(r.Hs[k] - h1[k]) <= 1e-6f);
                    double num = 0, den = 0;
                    for (size_t k = 0; k < m.n_params; k++) {
                        num += ((double)g.block[k] - g1[k]) * ((double)g.block[k] - g1[k]);
                        den += (double)g1[k] * g1[k];
                    }
                    assert_true(sqrt(num / den) < 1e-5);
                }
                kml_model_free(&g);
            }
        /* determinism for a fixed count: two runs with 2 workers, byte for byte */
        kml_model ga, gb;
        assert_int_equal(kml_model_alloc(&ga, &m.cfg, NULL), 0);
        assert_int_equal(kml_model_alloc(&gb, &m.cfg, NULL), 0);
        kml_cell_set_threads(2);
        kml_cell_forward(&m, r.X, T, B, r.cache, r.Hs);
        kml_cell_backward(&m, r.X, T, B, r.cache, r.Hs, r.dHs, r.scratch, &ga);
        kml_cell_forward(&m, r.X, T, B, r.cache, r.Hs);
        kml_cell_backward(&m, r.X, T, B, r.cache, r.Hs, r.dHs, r.scratch, &gb);
        kml_cell_set_threads(0);
        assert_memory_equal(ga.block, gb.block, m.n_params * sizeof(float));
        kml_model_free(&ga);
        kml_model_free(&gb);
        free(h1);
        free(g1);
        run_free(&r);
        kml_model_free(&m);
    }
}

static void caller_fp_state_restored(void **state)
{
    /* the float kernels flush denormals inside (speed); the caller's MXCSR must come back as it was */
    (void)state;
#if defined(__x86_64__)
    kml_model m, g;
    random_model(&m, KML_CELL_RNN, 0, 0, 5);
    assert_int_equal(kml_model_alloc(&g, &m.cfg, NULL), 0);
    run r;
    run_init(&r, &m.cfg, 6, 2, 3);
    const unsigned before = __builtin_ia32_stmxcsr();
    kml_cell_forward(&m, r.X, 6, 2, r.cache, r.Hs);
    kml_cell_backward(&m, r.X, 6, 2, r.cache, r.Hs, r.dHs, r.scratch, &g);
    assert_int_equal(__builtin_ia32_stmxcsr(), before);
    /* and denormals still exist for the caller */
    volatile float tiny = 1e-39f;
    assert_true(tiny * 0.5f != 0.0f);
    run_free(&r);
    kml_model_free(&m);
    kml_model_free(&g);
#else
    skip();
#endif
}

static void nonlinearities_at_worked_points(void **state)
{
    (void)state;
    const float x[5] = {-2.0f, -0.5f, 0.0f, 0.5f, 3.0f};
    float y[5], d[5];
    kml_nonlin_forward(KML_NL_QUANTTANH, x, y, 5);
    const float qt[5] = {-1, -0.5f, 0, 0.5f, 1};
    assert_memory_equal(y, qt, sizeof qt);
    kml_nonlin_deriv(KML_NL_QUANTTANH, y, d, 5);
    const float dqt[5] = {0, 1, 1, 1, 0};
    assert_memory_equal(d, dqt, sizeof dqt);
    kml_nonlin_forward(KML_NL_QUANTSIGM, x, y, 5);
    const float qs[5] = {0, 0.25f, 0.5f, 0.75f, 1};
    assert_memory_equal(y, qs, sizeof qs);
    kml_nonlin_deriv(KML_NL_QUANTSIGM, y, d, 5);
    const float dqs[5] = {0, 0.5f, 0.5f, 0.5f, 0};
    assert_memory_equal(d, dqs, sizeof dqs);
    kml_nonlin_forward(KML_NL_HARDSIGM, x, y, 5);
    const float hs[5] = {0, 0.375f, 0.5f, 0.625f, 1};
    assert_memory_equal(y, hs, sizeof hs);
    kml_nonlin_deriv(KML_NL_HARDSIGM, y, d, 5);
    const float dhs[5] = {0, 0.25f, 0.25f, 0.25f, 0};
    assert_memory_equal(d, dhs, sizeof dhs);
    kml_nonlin_forward(KML_NL_RELU, x, y, 5);
    const float re[5] = {0, 0, 0, 0.5f, 3};
    assert_memory_equal(y, re, sizeof re);
    kml_nonlin_forward(KML_NL_TANH, x, y, 5);
    kml_nonlin_deriv(KML_NL_TANH, y, d, 5);
    for (int i = 0; i < 5; i++) {
        assert_true(fabsf(y[i] - tanhf(x[i])) < 1e-7f);
        assert_true(fabsf(d[i] - (1 - tanhf(x[i]) * tanhf(x[i]))) < 1e-6f);
    }
    kml_nonlin_forward(KML_NL_SIGMOID, x, y, 5);
    kml_nonlin_deriv(KML_NL_SIGMOID, y, d, 5);
    for (int i = 0; i < 5; i++) {
        float s = 1.0f / (1.0f + expf(-x[i]));
        assert_true(fabsf(y[i] - s) < 1e-7f);
        assert_true(fabsf(d[i] - s * (1 - s)) < 1e-7f);
    }
    /* in place */
    float v[2] = {-3.0f, 0.2f};
    kml_nonlin_forward(KML_NL_QUANTTANH, v, v, 2);
    assert_true(v[0] == -1.0f && v[1] == 0.2f);
}

static void fast_math_accuracy(void **state)
{
    /* the float kernels use their own vectorisable tanh and sigmoid (train/src/fastmath_f32.h):
     * within a few float ulps of libm in double, over the whole range, odd and tiny inputs included */
    (void)state;
    enum { N = 400001 };
    float *x = malloc(N * sizeof(float)), *y = malloc(N * sizeof(float));
    for (int i = 0; i < N; i++) x[i] = -100.0f + 200.0f * (float)i / (N - 1);
    x[0] = 1e-30f;
    x[1] = -3e-8f;
    x[2] = 0.0625f;
    x[3] = -0.0624999f;
    x[4] = 0.0f;
    double worst_t = 0, worst_s = 0, worst_rel_small = 0;
    kml_nonlin_forward(KML_NL_TANH, x, y, N);
    for (int i = 0; i < N; i++) {
        double e = tanh((double)x[i]), err = fabs(y[i] - e);
        if (err > worst_t) worst_t = err;
        if (fabs(x[i]) < 0.1 && x[i] != 0 && err / fabs(e) > worst_rel_small) worst_rel_small = err / fabs(e);
    }
    assert_true(y[4] == 0.0f);
    kml_nonlin_forward(KML_NL_SIGMOID, x, y, N);
    for (int i = 0; i < N; i++) {
        double e = 1.0 / (1.0 + exp(-(double)x[i])), err = fabs(y[i] - e) / (e > 1e-30 ? e : 1e-30);
        if (x[i] > -80 && err > worst_s) worst_s = err; /* relative; below e^-80 float denormals */
    }
    print_message("fast tanh: max abs error %.2e (relative %.2e below |x| = 0.1); fast sigmoid: max relative error %.2e\n",
                  worst_t, worst_rel_small, worst_s);
    assert_true(worst_t < 3e-7);
    assert_true(worst_rel_small < 1e-6);
    assert_true(worst_s < 1e-6);
    /* non-finite inputs: NaN stays NaN (the trainer must see it), infinities give the limits */
    float nf[3] = {NAN, INFINITY, -INFINITY}, out[3];
    kml_nonlin_forward(KML_NL_TANH, nf, out, 3);
    assert_true(isnan(out[0]) && out[1] == 1.0f && out[2] == -1.0f);
    kml_nonlin_forward(KML_NL_SIGMOID, nf, out, 3);
    assert_true(isnan(out[0]) && out[1] == 1.0f && out[2] >= 0.0f && out[2] < 1e-30f);
    free(x);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(float_matches_double),
        cmocka_unit_test(batch_rows_are_independent),
        cmocka_unit_test(backward_accumulates_and_keeps_inputs),
        cmocka_unit_test(workers_agree),
        cmocka_unit_test(caller_fp_state_restored),
        cmocka_unit_test(nonlinearities_at_worked_points),
        cmocka_unit_test(fast_math_accuracy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
