/* test_deploy_close.c: the integer path of deploy/ tracks the float path on a random FastGRNN /
 * FastRNN (low-rank sparse W, full U, normalisation, quantTanh/quantSigm) quantized here with a
 * plain per-tensor rule (largest q that fits the weight width and the accumulator bound).
 * Measures the largest |h_q / 2^q_h - h_f| over 40 steps and the class agreement over 200 windows. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kiloml/deploy.h"
#include "kiloml/rng.h"

enum { D = 9, H = 24, C = 4, RW = 4, T = 40, NSEQ = 200, Q_IN = 8 };

typedef struct {
    float *W;  /* row-major rows × cols */
    int rows, cols, sparse;
    /* float deploy form */
    float *fval;
    uint16_t *ptr;
    uint8_t *idx;
    int nnz;
    kml_mat_f32 f;
    /* integer deploy form */
    int8_t *w8;
    int16_t *w16;
    kml_mat_q q;
} mat_t;

static void mat_make(mat_t *m, kml_rng *r, int rows, int cols, double scale, double density, int sparse)
{
    memset(m, 0, sizeof *m);
    m->rows = rows, m->cols = cols, m->sparse = sparse;
    m->W = calloc((size_t)rows * cols, sizeof(float));
    for (int k = 0; k < rows * cols; k++)
        m->W[k] = kml_rng_uniform(r) < density ? (float)(scale * kml_rng_normal(r)) : 0.0f;
    /* order of stored values: output-major, zeros skipped when sparse */
    m->fval = calloc((size_t)rows * cols, sizeof(float));
    m->ptr = calloc((size_t)cols + 1, sizeof(uint16_t));
    m->idx = calloc((size_t)rows * cols, 1);
    int k = 0;
    for (int j = 0; j < cols; j++) {
        for (int i = 0; i < rows; i++) {
            float w = m->W[i * cols + j];
            if (sparse && w == 0.0f) continue;
            m->fval[k] = w;
            m->idx[k++] = (uint8_t)i;
        }
        m->ptr[j + 1] = (uint16_t)k;
    }
    m->nnz = k;
    m->f = (kml_mat_f32){(uint16_t)rows, (uint16_t)cols, (uint8_t)(sparse ? KML_MAT_SPARSE : KML_MAT_DENSE),
                         (uint16_t)k, m->fval, sparse ? m->ptr : NULL, sparse ? m->idx : NULL, NULL, NULL};
}

/* Largest q with every |w|·2^q <= 2^(bits-1) - 1 and every column Σ|w|·2^q <= 32768. */
static void mat_quantize(mat_t *m, int bits)
{
    double wmax = 0, colmax = 0;
    for (int j = 0; j < m->cols; j++) {
        double s = 0;
        for (int k = m->ptr[j]; k < m->ptr[j + 1]; k++) s += fabs(m->fval[k]), wmax = fmax(wmax, fabs(m->fval[k]));
        colmax = fmax(colmax, s);
    }
    int q = 0;
    double lim = (1 << (bits - 1)) - 1;
    while (q < 24 && wmax * ldexp(1, q + 1) <= lim && colmax * ldexp(1, q + 1) <= 32768 - m->rows) q++;
    m->w8 = calloc((size_t)m->nnz + 1, 1);
    m->w16 = calloc((size_t)m->nnz + 1, 2);
    for (int k = 0; k < m->nnz; k++) {
        long v = lround(ldexp(m->fval[k], q));
        m->w8[k] = (int8_t)v;
        m->w16[k] = (int16_t)v;
    }
    m->q = (kml_mat_q){(uint16_t)m->rows, (uint16_t)m->cols, (uint8_t)(m->sparse ? KML_MAT_SPARSE : KML_MAT_DENSE),
                       (uint8_t)bits, (uint8_t)q, (uint16_t)m->nnz, bits == 8 ? m->w8 : NULL, bits == 16 ? m->w16 : NULL,
                       m->sparse ? m->ptr : NULL, m->sparse ? m->idx : NULL, NULL, NULL};
}

static void mat_free(mat_t *m)
{
    free(m->W), free(m->fval), free(m->ptr), free(m->idx), free(m->w8), free(m->w16);
}

static int16_t q16(double v, int q) { return (int16_t)lround(ldexp(v, q)); }

static void run_closeness(int cell, int bits_w, double *worst_h, double *agree)
{
    kml_rng r;
    kml_rng_seed(&r, 77 + (uint64_t)cell);
    mat_t W1, W2, U, V;
    mat_make(&W1, &r, D, RW, 0.5, 0.6, 1);
    mat_make(&W2, &r, RW, H, 0.5, 0.6, 1);
    mat_make(&U, &r, H, H, 0.25, 1.0, 0);
    mat_make(&V, &r, H, C, 1.0, 1.0, 0);
    mat_quantize(&W1, bits_w), mat_quantize(&W2, bits_w), mat_quantize(&U, 16), mat_quantize(&V, 16);
    float bh[H], bg[H], v[C], mean[D], sd[D];
    int16_t bhq[H], bgq[H], nm[D], ns[D];
    int32_t vq[C];
    const int q_x = 12, q_h = 13, q_a = 12, q_g = 14, q_mid = 12, nshift = 8;
    for (int j = 0; j < H; j++) {
        bh[j] = (float)(0.3 * kml_rng_normal(&r)), bg[j] = (float)(0.3 * kml_rng_normal(&r));
        bhq[j] = q16(bh[j], q_a), bgq[j] = q16(bg[j], q_a);
    }
    for (int k = 0; k < C; k++) v[k] = (float)kml_rng_normal(&r), vq[k] = (int32_t)lround(ldexp(v[k], q_h + V.q.q));
    for (int i = 0; i < D; i++) {
        mean[i] = (float)(3 * kml_rng_normal(&r)), sd[i] = (float)(0.5 + 2 * kml_rng_uniform(&r));
        nm[i] = q16(mean[i], Q_IN);
        ns[i] = (int16_t)lround(ldexp(1.0 / sd[i], nshift + q_x - Q_IN));
    }
    const float sa = 0.08f, sb = 0.93f, sz = 0.85f, sn = 0.03f;

    kml_rnn_f32 mf;
    memset(&mf, 0, sizeof mf);
    mf.version = KML_DEPLOY_FORMAT_VERSION;
    mf.cell = (uint8_t)cell, mf.gate_nl = KML_ACT_QUANTSIGM, mf.update_nl = KML_ACT_QUANTTANH;
    mf.D = D, mf.H = H, mf.C = C;
    mf.W.rank = RW, mf.W.a = W1.f, mf.W.b = W2.f, mf.U.a = U.f, mf.V = V.f;
    mf.b_h = bh, mf.b_g = bg, mf.v = v, mf.mean = mean, mf.std = sd;
    mf.s_alpha = sa, mf.s_beta = sb, mf.s_zeta = sz, mf.s_nu = sn;

    kml_rnn_q mq;
    memset(&mq, 0, sizeof mq);
    mq.version = KML_DEPLOY_FORMAT_VERSION;
    mq.cell = (uint8_t)cell, mq.gate_nl = KML_ACT_QUANTSIGM, mq.update_nl = KML_ACT_QUANTTANH;
    mq.D = D, mq.H = H, mq.C = C;
    mq.q_in = Q_IN, mq.q_x = q_x, mq.q_h = q_h, mq.q_a = q_a, mq.q_g = q_g;
    mq.W.rank = RW, mq.W.q_mid = q_mid, mq.W.a = W1.q, mq.W.b = W2.q, mq.U.a = U.q, mq.V = V.q;
    mq.b_h = bhq, mq.b_g = bgq, mq.v = vq, mq.norm_m = nm, mq.norm_s = ns, mq.norm_shift = nshift;
    mq.s_alpha = q16(sa, q_g), mq.s_beta = q16(sb, q_g), mq.s_zeta = q16(sz, q_g), mq.s_nu = q16(sn, q_g);

    float hf[H], bf[64], lf[C];
    int16_t hq[H], bq[64];
    int32_t lq[C];
    kml_rnn_state_f32 sf = {hf, H};
    kml_rnn_scratch_f32 cf = {bf, 64};
    kml_rnn_state_q sq = {hq, H};
    kml_rnn_scratch_q cq = {bq, 64};
    assert_int_equal(kml_rnn_init_f32(&mf, &sf, &cf), KML_OK);
    assert_int_equal(kml_rnn_init_q(&mq, &sq, &cq), KML_OK);

    int same = 0;
    *worst_h = 0;
    for (int s = 0; s < NSEQ; s++) {
        kml_rnn_reset_f32(&mf, &sf);
        kml_rnn_reset_q(&mq, &sq);
        for (int t = 0; t < T; t++) {
            int16_t xr[D];
            float xf[D];
            for (int i = 0; i < D; i++) {
                xr[i] = q16(mean[i] + sd[i] * kml_rng_normal(&r), Q_IN);
                xf[i] = (float)ldexp(xr[i], -Q_IN); /* the same sample on both paths */
            }
            kml_rnn_step_f32(&mf, xf, &sf, &cf);
            kml_rnn_step_q(&mq, xr, &sq, &cq);
            for (int j = 0; j < H; j++) *worst_h = fmax(*worst_h, fabs(ldexp(hq[j], -q_h) - hf[j]));
        }
        kml_rnn_logits_f32(&mf, &sf, lf);
        kml_rnn_logits_q(&mq, &sq, lq);
        same += kml_argmax_f32(lf, C) == kml_argmax_q32(lq, C);
    }
    *agree = (double)same / NSEQ;
    mat_free(&W1), mat_free(&W2), mat_free(&U), mat_free(&V);
}

/* Measured (seed fixed): int8 W -> FastGRNN 0.089 / 98.5 %, FastRNN 0.017 / 99.5 %;
 * int16 W -> 0.0071 / 100 %, 0.0030 / 100 %. The ten-fold drop with int16 weights shows the gap is
 * weight rounding, not arithmetic: the integer kernels themselves are pinned by test_deploy_q. */
static void check(int cell, int bits, double max_h, double min_agree)
{
    double worst, agree;
    run_closeness(cell, bits, &worst, &agree);
    printf("# %s, int%d W: max |h_q - h_f| = %.5f over %d steps x %d windows, class agreement %.1f %%\n",
           cell == KML_RNN_FASTGRNN ? "fastgrnn" : "fastrnn", bits, worst, T, NSEQ, 100 * agree);
    assert_true(worst < max_h);
    assert_true(worst > 0); /* the paths really are different arithmetic */
    assert_true(agree >= min_agree);
}

static void test_fastgrnn_int_tracks_float(void **state)
{
    (void)state;
    check(KML_RNN_FASTGRNN, 8, 0.15, 0.96);
    check(KML_RNN_FASTGRNN, 16, 0.012, 0.99);
}

static void test_fastrnn_int_tracks_float(void **state)
{
    (void)state;
    check(KML_RNN_FASTRNN, 8, 0.03, 0.97);
    check(KML_RNN_FASTRNN, 16, 0.006, 0.99);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fastgrnn_int_tracks_float),
        cmocka_unit_test(test_fastrnn_int_tracks_float),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
