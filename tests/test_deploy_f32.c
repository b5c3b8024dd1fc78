/* test_deploy_f32.c: the float path of deploy/: own expf/tanh/sigmoid against libm, and the
 * FastRNN / FastGRNN step (full, low-rank, sparse W and U, normalisation) against a plain double
 * reference written here from SPEC §1 (low-rank products formed explicitly, row-major weights). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kiloml/deploy.h"
#include "kiloml/rng.h"

static void test_expf_accuracy(void **state)
{
    (void)state;
    double worst = 0;
    for (float x = -80.0f; x <= 80.0f; x += 0.0137f) {
        double e = exp((double)x), rel = fabs(kml_expf(x) - e) / e;
        if (rel > worst) worst = rel;
    }
    assert_true(worst < 1e-6);
    assert_true(kml_expf(-100.0f) == 0.0f);
    assert_true(kml_expf(0.0f) == 1.0f);
}

static void test_act_accuracy(void **state)
{
    (void)state;
    double wt = 0, ws = 0;
    for (float x = -12.0f; x <= 12.0f; x += 0.00377f) {
        double t = fabs(kml_act_f32(KML_ACT_TANH, x) - tanh((double)x));
        double s = fabs(kml_act_f32(KML_ACT_SIGMOID, x) - 1.0 / (1.0 + exp(-(double)x)));
        if (t > wt) wt = t;
        if (s > ws) ws = s;
    }
    assert_true(wt < 5e-7);
    assert_true(ws < 5e-7);
    assert_true(kml_act_f32(KML_ACT_TANH, 1e-4f) == 1e-4f || fabs(kml_act_f32(KML_ACT_TANH, 1e-4f) - 1e-4) < 1e-11);
    /* the clip forms are exact */
    assert_true(kml_act_f32(KML_ACT_QUANTTANH, 0.25f) == 0.25f);
    assert_true(kml_act_f32(KML_ACT_QUANTTANH, -3.0f) == -1.0f);
    assert_true(kml_act_f32(KML_ACT_QUANTSIGM, 0.5f) == 0.75f);
    assert_true(kml_act_f32(KML_ACT_QUANTSIGM, 2.0f) == 1.0f);
    assert_true(kml_act_f32(KML_ACT_QUANTSIGM, -1.5f) == 0.0f);
    assert_true(kml_act_f32(KML_ACT_HARDSIGM, 0.5f) == 0.625f);
    assert_true(kml_act_f32(KML_ACT_HARDSIGM, -1.0f) == 0.25f);
    assert_true(kml_act_f32(KML_ACT_HARDSIGM, 2.5f) == 1.0f);
    assert_true(kml_act_f32(KML_ACT_HARDSIGM, -2.5f) == 0.0f);
    assert_true(kml_act_f32(KML_ACT_RELU, -2.0f) == 0.0f);
    assert_true(kml_act_f32(KML_ACT_RELU, 2.0f) == 2.0f);
}

/* ---- building deploy matrices from row-major W[rows][cols] ---- */
typedef struct {
    kml_mat_f32 m;
    float *val;
    uint16_t *ptr;
    uint8_t *idx;
} owned_mat;

static void build_mat(owned_mat *o, const float *W, int rows, int cols, int sparse)
{
    memset(o, 0, sizeof *o);
    o->m.rows = (uint16_t)rows, o->m.cols = (uint16_t)cols;
    o->val = calloc((size_t)rows * cols, sizeof(float));
    if (!sparse) {
        for (int j = 0; j < cols; j++)
            for (int i = 0; i < rows; i++) o->val[j * rows + i] = W[i * cols + j];
        o->m.layout = KML_MAT_DENSE;
    } else {
        o->ptr = calloc((size_t)cols + 1, sizeof(uint16_t));
        o->idx = calloc((size_t)rows * cols, 1);
        int k = 0;
        for (int j = 0; j < cols; j++) {
            for (int i = 0; i < rows; i++)
                if (W[i * cols + j] != 0.0f) o->val[k] = W[i * cols + j], o->idx[k++] = (uint8_t)i;
            o->ptr[j + 1] = (uint16_t)k;
        }
        o->m.layout = KML_MAT_SPARSE;
        o->m.nnz = (uint16_t)k;
        o->m.colptr = o->ptr;
        o->m.idx8 = o->idx;
    }
    o->m.val = o->val;
}

static void free_mat(owned_mat *o)
{
    free(o->val);
    free(o->ptr);
    free(o->idx);
}

static float *rand_matrix(kml_rng *r, int rows, int cols, double scale, double density)
{
    float *W = calloc((size_t)rows * cols, sizeof(float));
    for (int k = 0; k < rows * cols; k++)
        W[k] = kml_rng_uniform(r) < density ? (float)(scale * kml_rng_normal(r)) : 0.0f;
    return W;
}

/* plain double reference: P = A·B (or A) as a dense D×H matrix */
static void dense_product(const float *A, const float *B, int rows, int rank, int cols, double *P)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            double s = 0;
            if (rank == 0) s = A[i * cols + j];
            else
                for (int k = 0; k < rank; k++) s += (double)A[i * rank + k] * B[k * cols + j];
            P[i * cols + j] = s;
        }
}

static double ref_act(int a, double x)
{
    switch (a) {
    case KML_ACT_TANH: return tanh(x);
    case KML_ACT_SIGMOID: return 1 / (1 + exp(-x));
    case KML_ACT_RELU: return x > 0 ? x : 0;
    case KML_ACT_QUANTTANH: return x < -1 ? -1 : (x > 1 ? 1 : x);
    default: return fmin(1, fmax(0, (x + 1) / 2));
    }
}

typedef struct {
    int cell, D, H, C, rW, rU, sparseW, sparseU, norm, gnl, unl;
} cfg_t;

static void check_against_reference(const cfg_t *c, uint64_t seed)
{
    kml_rng r;
    kml_rng_seed(&r, seed);
    int D = c->D, H = c->H, C = c->C, T = 25;
    double dW = c->sparseW ? 0.3 : 1.0, dU = c->sparseU ? 0.3 : 1.0;
    float *W1 = rand_matrix(&r, D, c->rW ? c->rW : H, 0.4, dW);
    float *W2 = c->rW ? rand_matrix(&r, c->rW, H, 0.4, dW) : NULL;
    float *U1 = rand_matrix(&r, H, c->rU ? c->rU : H, 0.3, dU);
    float *U2 = c->rU ? rand_matrix(&r, c->rU, H, 0.3, dU) : NULL;
    float *V = rand_matrix(&r, H, C, 1.0, 1.0), *v = rand_matrix(&r, 1, C, 1.0, 1.0);
    float *bh = rand_matrix(&r, 1, H, 0.5, 1.0), *bg = rand_matrix(&r, 1, H, 0.5, 1.0);
    float *mean = rand_matrix(&r, 1, D, 2.0, 1.0), *sd = rand_matrix(&r, 1, D, 1.0, 1.0);
    for (int i = 0; i < D; i++) sd[i] = 0.5f + fabsf(sd[i]);
    float *X = rand_matrix(&r, T, D, 3.0, 1.0);

    owned_mat mW1, mW2, mU1, mU2, mV;
    kml_rnn_f32 m;
    memset(&m, 0, sizeof m);
    m.version = KML_DEPLOY_FORMAT_VERSION;
    m.cell = (uint8_t)c->cell, m.gate_nl = (uint8_t)c->gnl, m.update_nl = (uint8_t)c->unl;
    m.D = (uint16_t)D, m.H = (uint16_t)H, m.C = (uint16_t)C;
    build_mat(&mW1, W1, D, c->rW ? c->rW : H, c->sparseW);
    m.W.a = mW1.m;
    if (c->rW) build_mat(&mW2, W2, c->rW, H, c->sparseW), m.W.b = mW2.m, m.W.rank = (uint8_t)c->rW;
    build_mat(&mU1, U1, H, c->rU ? c->rU : H, c->sparseU);
    m.U.a = mU1.m;
    if (c->rU) build_mat(&mU2, U2, c->rU, H, c->sparseU), m.U.b = mU2.m, m.U.rank = (uint8_t)c->rU;
    build_mat(&mV, V, H, C, 0);
    m.V = mV.m;
    m.v = v, m.b_h = bh, m.b_g = c->cell == KML_RNN_FASTGRNN ? bg : NULL;
    m.s_alpha = 0.07f, m.s_beta = 0.94f, m.s_zeta = 0.8f, m.s_nu = 0.02f;
    if (c->norm) m.mean = mean, m.std = sd;

    float h[64], buf[256], logits[16];
    kml_rnn_state_f32 st = {h, 64};
    kml_rnn_scratch_f32 sc = {buf, 256};
    assert_int_equal(kml_rnn_init_f32(&m, &st, &sc), KML_OK);

    double *PW = malloc(sizeof(double) * D * H), *PU = malloc(sizeof(double) * H * H);
    dense_product(W1, W2, D, c->rW, H, PW);
    dense_product(U1, U2, H, c->rU, H, PU);
    double hr[64] = {0}, hn[64];
    double worst = 0;
    for (int t = 0; t < T; t++) {
        double x[64];
        for (int i = 0; i < D; i++) x[i] = c->norm ? (X[t * D + i] - (double)mean[i]) / sd[i] : X[t * D + i];
        for (int j = 0; j < H; j++) {
            double a = 0;
            for (int i = 0; i < D; i++) a += x[i] * PW[i * H + j];
            for (int i = 0; i < H; i++) a += hr[i] * PU[i * H + j];
            double cc = ref_act(c->unl, a + bh[j]);
            if (c->cell == KML_RNN_FASTRNN) hn[j] = 0.94 * hr[j] + 0.07 * cc;
            else {
                double z = ref_act(c->gnl, a + bg[j]);
                hn[j] = z * hr[j] + (0.8 * (1 - z) + 0.02) * cc;
            }
        }
        memcpy(hr, hn, sizeof(double) * H);
        kml_rnn_step_f32(&m, X + t * D, &st, &sc);
        for (int j = 0; j < H; j++) worst = fmax(worst, fabs(h[j] - hr[j]));
    }
    assert_true(worst < 2e-5);
    kml_rnn_logits_f32(&m, &st, logits);
    for (int k = 0; k < C; k++) {
        double l = v[k];
        for (int j = 0; j < H; j++) l += hr[j] * V[j * C + k];
        assert_true(fabs(logits[k] - l) < 1e-4);
    }
    float l2[16];
    uint16_t cls = kml_rnn_predict_f32(&m, X, (uint16_t)T, &st, &sc, l2);
    assert_memory_equal(l2, logits, sizeof(float) * C);
    assert_int_equal(cls, kml_argmax_f32(logits, (uint16_t)C));

    free_mat(&mW1), free_mat(&mU1), free_mat(&mV);
    if (c->rW) free_mat(&mW2);
    if (c->rU) free_mat(&mU2);
    free(W1), free(W2), free(U1), free(U2), free(V), free(v), free(bh), free(bg), free(mean), free(sd), free(X);
    free(PW), free(PU);
}

static void test_fastgrnn_full_dense(void **state)
{
    (void)state;
    cfg_t c = {KML_RNN_FASTGRNN, 6, 16, 4, 0, 0, 0, 0, 1, KML_ACT_SIGMOID, KML_ACT_TANH};
    check_against_reference(&c, 1);
}

static void test_fastgrnn_lowrank_sparse(void **state)
{
    (void)state;
    cfg_t c = {KML_RNN_FASTGRNN, 9, 20, 3, 4, 8, 1, 1, 1, KML_ACT_QUANTSIGM, KML_ACT_QUANTTANH};
    check_against_reference(&c, 2);
    cfg_t d = {KML_RNN_FASTGRNN, 5, 12, 2, 0, 6, 1, 0, 0, KML_ACT_TANH, KML_ACT_RELU};
    check_against_reference(&d, 3);
}

static void test_fastrnn_variants(void **state)
{
    (void)state;
    cfg_t c = {KML_RNN_FASTRNN, 7, 16, 5, 0, 0, 0, 0, 0, 0, KML_ACT_TANH};
    check_against_reference(&c, 4);
    cfg_t d = {KML_RNN_FASTRNN, 7, 16, 5, 3, 5, 1, 1, 1, 0, KML_ACT_QUANTTANH};
    check_against_reference(&d, 5);
    cfg_t e = {KML_RNN_FASTRNN, 4, 10, 2, 0, 4, 0, 1, 1, 0, KML_ACT_SIGMOID};
    check_against_reference(&e, 6);
}

static void test_validate_f32_errors(void **state)
{
    (void)state;
    static const float w[4] = {1, 2, 3, 4}, b[2] = {0, 0}, V[4] = {1, 0, 0, 1}, v[2] = {0, 0};
    kml_rnn_f32 m;
    memset(&m, 0, sizeof m);
    m.version = KML_DEPLOY_FORMAT_VERSION;
    m.cell = KML_RNN_FASTRNN, m.update_nl = KML_ACT_TANH;
    m.D = 2, m.H = 2, m.C = 2;
    m.W.a = (kml_mat_f32){2, 2, KML_MAT_DENSE, 0, w, NULL, NULL, NULL, NULL};
    m.U.a = m.W.a;
    m.V = (kml_mat_f32){2, 2, KML_MAT_DENSE, 0, V, NULL, NULL, NULL, NULL};
    m.b_h = b, m.v = v;
    assert_int_equal(kml_rnn_validate_f32(&m), KML_OK);
    kml_rnn_f32 e = m;
    e.update_nl = 9;
    assert_int_equal(kml_rnn_validate_f32(&e), KML_E_NONLIN);
    e = m, e.cell = KML_RNN_FASTGRNN; /* needs b_g */
    assert_int_equal(kml_rnn_validate_f32(&e), KML_E_NULL);
    e = m, e.D = 3;
    assert_int_equal(kml_rnn_validate_f32(&e), KML_E_DIMS);
    e = m, e.mean = b;
    assert_int_equal(kml_rnn_validate_f32(&e), KML_E_NULL);
    e = m, e.W.rank = 1; /* a is 2x2 but rank 1 says 2x1 */
    assert_int_equal(kml_rnn_validate_f32(&e), KML_E_DIMS);
    e = m, e.version = 0;
    assert_int_equal(kml_rnn_validate_f32(&e), KML_E_VERSION);
    float h[2], buf[5];
    kml_rnn_state_f32 st = {h, 2};
    kml_rnn_scratch_f32 sc = {buf, 3};
    assert_int_equal(kml_rnn_init_f32(&m, &st, &sc), KML_E_SCRATCH); /* needs D + H = 4 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expf_accuracy),
        cmocka_unit_test(test_act_accuracy),
        cmocka_unit_test(test_fastgrnn_full_dense),
        cmocka_unit_test(test_fastgrnn_lowrank_sparse),
        cmocka_unit_test(test_fastrnn_variants),
        cmocka_unit_test(test_validate_f32_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
