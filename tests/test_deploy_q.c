/* test_deploy_q.c: the integer kernels of deploy/ against golden values worked out in plain Python
 * integers (tests/golden/deploy_q_golden.py -> deploy_q_golden.h), hand-worked examples, saturation
 * and rounding edges, and the checks of kml_rnn_validate_q. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kiloml/deploy.h"
#include "golden/deploy_q_golden.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static void test_rshift_round_golden(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_OF(g_rsr); k++) {
        int32_t got = kml_rshift_round(g_rsr[k][0], (uint8_t)g_rsr[k][1]);
        if (got != g_rsr[k][2]) fail_msg("rshift_round(%d, %d) = %d, expected %d", g_rsr[k][0], g_rsr[k][1], got, g_rsr[k][2]);
    }
    /* by hand: half rounds up (towards +inf), also for negatives */
    assert_int_equal(kml_rshift_round(3, 1), 2);   /* 1.5 -> 2 */
    assert_int_equal(kml_rshift_round(-3, 1), -1); /* -1.5 -> -1 */
    assert_int_equal(kml_rshift_round(-5, 2), -1); /* -1.25 -> -1 */
    assert_int_equal(kml_rshift_round(-6, 2), -1); /* -1.5 -> -1 */
    assert_int_equal(kml_rshift_round(-7, 2), -2); /* -1.75 -> -2 */
}

/* the per-step form: the same integer for every |v| <= 2^30 and every shift, edges included */
static void test_rshift_round_bias(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_OF(g_rsr); k++) {
        int32_t v = g_rsr[k][0];
        uint8_t s = (uint8_t)g_rsr[k][1];
        if (v > (1L << 30) || v < -(1L << 30)) continue;
        assert_int_equal(kml_rshift_round_b(v, s, kml_round_bias(s)), g_rsr[k][2]);
    }
    const int32_t vs[] = {0, 1, -1, 2, -2, 3, -3, 5, -5, 6, -6, 7, -7, 12345, -12345, 0x3fffffffL, -0x3fffffffL,
                          0x40000000L, -0x40000000L, 0x20000000L, -0x20000001L};
    for (uint8_t s = 0; s <= KML_Q_MAX_SHIFT; s++)
        for (size_t k = 0; k < N_OF(vs); k++) {
            int32_t want = kml_rshift_round(vs[k], s), got = kml_rshift_round_b(vs[k], s, kml_round_bias(s));
            if (got != want) fail_msg("rshift_round_b(%d, %d) = %d, rshift_round %d", vs[k], s, got, want);
        }
    assert_int_equal(kml_round_bias(0), 0);
    assert_int_equal(kml_round_bias(1), 1);
    assert_int_equal(kml_round_bias(30), 1L << 29);
}

static void test_sat16_edges(void **state)
{
    (void)state;
    assert_int_equal(kml_sat16(32767), 32767);
    assert_int_equal(kml_sat16(32768), 32767);
    assert_int_equal(kml_sat16(-32768), -32768);
    assert_int_equal(kml_sat16(-32769), -32768);
    assert_int_equal(kml_sat16(INT32_MAX), 32767);
    assert_int_equal(kml_sat16(INT32_MIN), -32768);
    assert_int_equal(kml_sat16(-5), -5);
}

static void test_quant_act_golden(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_OF(g_qact); k++) {
        const int32_t *r = g_qact[k];
        int16_t t = kml_quant_tanh_q(r[0], (uint8_t)r[1], (uint8_t)r[2]);
        int16_t s = kml_quant_sigm_q(r[0], (uint8_t)r[1], (uint8_t)r[2]);
        if (t != r[3] || s != r[4])
            fail_msg("x=%d qa=%d qg=%d: tanh %d (exp %d) sigm %d (exp %d)", r[0], r[1], r[2], t, r[3], s, r[4]);
    }
    /* by hand, Q12 -> Q14: 0.5 -> quantTanh 0.5 = 8192, quantSigm 0.75 = 12288; 3.0 -> 1, 1 */
    assert_int_equal(kml_quant_tanh_q(2048, 12, 14), 8192);
    assert_int_equal(kml_quant_sigm_q(2048, 12, 14), 12288);
    assert_int_equal(kml_quant_tanh_q(3 * 4096, 12, 14), 16384);
    assert_int_equal(kml_quant_sigm_q(3 * 4096, 12, 14), 16384);
    assert_int_equal(kml_quant_tanh_q(-3 * 4096, 12, 14), -16384);
    assert_int_equal(kml_quant_sigm_q(-3 * 4096, 12, 14), 0);
    /* Q12 -> Q10: 1/4096 * 3 = 0.000732 -> 0.75 units of Q10 -> rounds to 1 */
    assert_int_equal(kml_quant_tanh_q(3, 12, 10), 1);
    /* quantSigm(0) = 0.5 exactly in any format */
    assert_int_equal(kml_quant_sigm_q(0, 9, 13), 4096);
}

static void test_hard_sigm_golden(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_OF(g_hsig); k++) {
        const int32_t *r = g_hsig[k];
        int16_t s = kml_hard_sigm_q(r[0], (uint8_t)r[1], (uint8_t)r[2]);
        if (s != r[3]) fail_msg("x=%d qa=%d qg=%d: hardSigm %d (exp %d)", r[0], r[1], r[2], s, r[3]);
    }
    /* by hand, Q12 -> Q14: hardSigm(0.5) = 0.625 = 10240, (-1) = 0.25 = 4096, (2) = 1, (-2) = 0, (0) = 0.5 */
    assert_int_equal(kml_hard_sigm_q(2048, 12, 14), 10240);
    assert_int_equal(kml_hard_sigm_q(-4096, 12, 14), 4096);
    assert_int_equal(kml_hard_sigm_q(2 * 4096, 12, 14), 16384);
    assert_int_equal(kml_hard_sigm_q(5 * 4096, 12, 14), 16384);
    assert_int_equal(kml_hard_sigm_q(-2 * 4096, 12, 14), 0);
    assert_int_equal(kml_hard_sigm_q(0, 9, 13), 4096);
    /* Q12 -> Q10: 3/4096 / 4 = 0.000183 -> 0.19 units of Q10 on top of 512 -> 512; 9/4096 -> 512.56 -> 513 */
    assert_int_equal(kml_hard_sigm_q(3, 12, 10), 512);
    assert_int_equal(kml_hard_sigm_q(9, 12, 10), 513);
}

/* tanh / sigmoid by table: the Python golden values (independent integers), the table itself against
 * libm, and the properties that matter for a model: within 4e-4 (+ half an output unit) of the true
 * function over the whole range, monotone, odd (tanh) / complementary (sigmoid), saturating. */
static void test_smooth_act_golden(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_OF(g_stab); k++) {
        const int32_t *r = g_stab[k];
        int16_t t = kml_tanh_q(r[0], (uint8_t)r[1], (uint8_t)r[2]), s = kml_sigm_q(r[0], (uint8_t)r[1], (uint8_t)r[2]);
        if (t != r[3] || s != r[4])
            fail_msg("x=%d qa=%d qg=%d: tanh %d sigm %d (exp %d, %d)", r[0], r[1], r[2], t, s, r[3], r[4]);
    }
    for (int k = 0; k < KML_TANH_TAB_N; k++) {
        long want = lround(tanh(k / 16.0) * 32768.0);
        if (want > 32767) want = 32767;
        assert_int_equal(kml_tanh_tab_q15[k], want);
    }
    const uint8_t qas[] = {8, 11, 12, 13, 19, 22}, qgs[] = {14, 13, 12};
    for (size_t a = 0; a < sizeof qas; a++)
        for (size_t g = 0; g < sizeof qgs; g++) {
            const uint8_t qa = qas[a], qg = qgs[g];
            const double one_a = ldexp(1, qa), one_g = ldexp(1, qg);
            const int32_t lim = (int32_t)(8 * one_a), stride = qa > 14 ? 1 << (qa - 13) : 1;
            double worst_t = 0, worst_s = 0;
            int16_t prev_t = -32768, prev_s = -1;
            for (int32_t x = -lim; x <= lim; x += stride) {
                const int16_t t = kml_tanh_q(x, qa, qg), s = kml_sigm_q(x, qa, qg);
                worst_t = fmax(worst_t, fabs(t / one_g - tanh(x / one_a)));
                worst_s = fmax(worst_s, fabs(s / one_g - 1 / (1 + exp(-x / one_a))));
                if (t < prev_t || s < prev_s) fail_msg("qa %d qg %d: not monotone at x = %d", qa, qg, x);
                prev_t = t, prev_s = s;
                assert_int_equal(kml_tanh_q(-x, qa, qg), -t);
                const int16_t sm = kml_sigm_q(-x, qa, qg);
                if (abs(s + sm - (1 << qg)) > 1) fail_msg("qa %d qg %d x %d: sigm(x) + sigm(-x) = %d", qa, qg, x, s + sm);
            }
            if (worst_t > 4e-4 + 0.5 / one_g || worst_s > 2e-4 + 0.5 / one_g)
                fail_msg("qa %d qg %d: worst error tanh %.2e sigm %.2e", qa, qg, worst_t, worst_s);
            assert_int_equal(kml_tanh_q(1 << 30, qa, qg), 1 << qg);
            assert_int_equal(kml_sigm_q(-(1 << 30), qa, qg), 0);
        }
}

static void test_norm_golden(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_OF(g_norm); k++) {
        const int32_t *r = g_norm[k];
        int16_t got = kml_norm_q((int16_t)r[0], (int16_t)r[1], (int16_t)r[2], (uint8_t)r[3]);
        if (got != r[4]) fail_msg("norm(%d, %d, %d, %d) = %d, expected %d", r[0], r[1], r[2], r[3], got, r[4]);
    }
    /* by hand: (100 - 20) * 1000 / 256 = 312.5 -> 313 */
    assert_int_equal(kml_norm_q(100, 20, 1000, 8), 313);
}

/* A 3x2 dense int8 matrix, worked by hand: W = [[1, -2], [3, 4], [-5, 6]] (rows i, cols j), stored
 * output-major: col 0 = {1, 3, -5}, col 1 = {-2, 4, 6}. x = {100, -200, 300}.
 * col 0: 100 - 600 - 1500 = -2000; col 1: -200 - 800 + 1800 = 800. */
static const int8_t hand_w8[6] = {1, 3, -5, -2, 4, 6};

static void test_dense_dot_by_hand(void **state)
{
    (void)state;
    kml_mat_q m = {3, 2, KML_MAT_DENSE, 8, 0, 0, hand_w8, NULL, NULL, NULL, NULL, NULL};
    int16_t x[3] = {100, -200, 300}, y[2];
    assert_int_equal(kml_mat_validate_q(&m, 3, 2), KML_OK);
    assert_int_equal(kml_mat_dot_col_q(&m, x, 0), -2000);
    assert_int_equal(kml_mat_dot_col_q(&m, x, 1), 800);
    kml_mat_vec_q(&m, x, 4, y); /* -2000/16 = -125, 800/16 = 50 */
    assert_int_equal(y[0], -125);
    assert_int_equal(y[1], 50);
    /* int8 extremes against int16 extremes: -128 * -32768 three times = 12582912 */
    static const int8_t wmin[3] = {-128, -128, -128};
    kml_mat_q e = {3, 1, KML_MAT_DENSE, 8, 0, 0, wmin, NULL, NULL, NULL, NULL, NULL};
    int16_t xm[3] = {-32768, -32768, -32768};
    assert_int_equal(kml_mat_dot_col_q(&e, xm, 0), 12582912);
    int16_t xp[3] = {32767, -32768, 2}; /* -128*32767 + 128*32768 - 256 = -128 */
    assert_int_equal(kml_mat_dot_col_q(&e, xp, 0), -128);
    /* int16 weights: (-32768)(-32768) + 32767(-32768) + (-32768)(32767) + 255(-257) + (-256)(255) + 1(-1)
     * = 1073741824 - 2 * 1073709056 - 65535 - 65280 - 1 = -1073807104 */
    static const int16_t w16[6] = {-32768, 32767, -32768, 255, -256, 1};
    kml_mat_q d16 = {6, 1, KML_MAT_DENSE, 16, 0, 0, NULL, w16, NULL, NULL, NULL, NULL};
    int16_t x16[6] = {-32768, -32768, 32767, -257, 255, -1};
    assert_int_equal(kml_mat_dot_col_q(&d16, x16, 0), -1073807104);
}

/* The same W as a sparse int16 matrix with a zero: W = [[0, -2], [3, 0], [-5, 6]] ->
 * col 0 rows {1, 2} values {3, -5}; col 1 rows {0, 2} values {-2, 6}. */
static const int16_t sp_w16[4] = {3, -5, -2, 6};
static const uint8_t sp_idx[4] = {1, 2, 0, 2};
static const uint16_t sp_ptr[3] = {0, 2, 4};

static void test_sparse_dot_and_saturation(void **state)
{
    (void)state;
    kml_mat_q m = {3, 2, KML_MAT_SPARSE, 16, 0, 4, NULL, sp_w16, sp_ptr, sp_idx, NULL, NULL};
    int16_t x[3] = {100, -200, 300}, y[2];
    assert_int_equal(kml_mat_validate_q(&m, 3, 2), KML_OK);
    assert_int_equal(kml_mat_dot_col_q(&m, x, 0), -600 - 1500);
    assert_int_equal(kml_mat_dot_col_q(&m, x, 1), -200 + 1800);
    /* saturation when narrowing: x = 32767 everywhere, shift 0: col 0 = -2*32767, col 1 = 4*32767 */
    int16_t xs[3] = {32767, 32767, 32767};
    kml_mat_vec_q(&m, xs, 0, y);
    assert_int_equal(y[0], -32768);
    assert_int_equal(y[1], 32767);
    kml_mat_vec_q(&m, xs, 2, y); /* -65534/4 = -16383.5 -> -16383 (half up); 131068/4 = 32767 */
    assert_int_equal(y[0], -16383);
    assert_int_equal(y[1], 32767);
}

static void test_sparse_uint16_index(void **state)
{
    (void)state;
    /* 300 rows: indices must be uint16. Column 0 uses rows 0 and 299. */
    static const int8_t w[2] = {2, -3};
    static const uint16_t idx[2] = {0, 299};
    static const uint16_t ptr[2] = {0, 2};
    static int16_t x[300];
    x[0] = 7;
    x[299] = 11;
    kml_mat_q m = {300, 1, KML_MAT_SPARSE, 8, 0, 2, w, NULL, ptr, NULL, idx, NULL};
    assert_int_equal(kml_mat_validate_q(&m, 300, 1), KML_OK);
    assert_int_equal(kml_mat_dot_col_q(&m, x, 0), 14 - 33);
    kml_mat_q bad = m;
    bad.idx16 = NULL;
    bad.idx8 = (const uint8_t *)idx;
    assert_int_equal(kml_mat_validate_q(&bad, 300, 1), KML_E_NULL);
}

static void test_validate_matrix_errors(void **state)
{
    (void)state;
    kml_mat_q m = {3, 2, KML_MAT_SPARSE, 16, 0, 4, NULL, sp_w16, sp_ptr, sp_idx, NULL, NULL};
    assert_int_equal(kml_mat_validate_q(&m, 3, 3), KML_E_DIMS);
    static const uint8_t unsorted[4] = {2, 1, 0, 2};
    kml_mat_q u = m;
    u.idx8 = unsorted;
    assert_int_equal(kml_mat_validate_q(&u, 3, 2), KML_E_INDEX);
    static const uint8_t out_of_range[4] = {1, 3, 0, 2};
    u.idx8 = out_of_range;
    assert_int_equal(kml_mat_validate_q(&u, 3, 2), KML_E_INDEX);
    static const uint16_t bad_ptr[3] = {0, 3, 2};
    kml_mat_q p = m;
    p.colptr = bad_ptr;
    assert_int_equal(kml_mat_validate_q(&p, 3, 2), KML_E_INDEX);
    p.nnz = 5;
    p.colptr = sp_ptr;
    assert_int_equal(kml_mat_validate_q(&p, 3, 2), KML_E_INDEX);
    kml_mat_q b = m;
    b.wbits = 12;
    assert_int_equal(kml_mat_validate_q(&b, 3, 2), KML_E_LAYOUT);
    /* the accumulator bound: a column sum of 3 * 11000 = 33000 > 32768 */
    static const int16_t big[3] = {11000, -11000, 11000};
    kml_mat_q o = {3, 1, KML_MAT_DENSE, 16, 0, 0, NULL, big, NULL, NULL, NULL, NULL};
    assert_int_equal(kml_mat_colsum_max_q(&o), 33000);
    assert_int_equal(kml_mat_validate_q(&o, 3, 1), KML_E_OVERFLOW);
    static const int16_t ok[3] = {10000, -10000, 12768};
    o.w16 = ok;
    assert_int_equal(kml_mat_validate_q(&o, 3, 1), KML_OK);
}

#include "golden/deploy_q_models.h"

static void run_golden(const kml_rnn_q *m, const int16_t *X, const int16_t *hs, const int32_t *logits_exp, int T)
{
    int16_t h[16], buf[64];
    int32_t logits[8];
    kml_rnn_state_q st = {h, 16};
    kml_rnn_scratch_q sc = {buf, 64};
    assert_int_equal(kml_rnn_validate_q(m), KML_OK);
    assert_int_equal(kml_rnn_init_q(m, &st, &sc), KML_OK);
    for (int t = 0; t < T; t++) {
        kml_rnn_step_q(m, X + t * m->D, &st, &sc);
        for (int j = 0; j < m->H; j++)
            if (h[j] != hs[t * m->H + j]) fail_msg("step %d unit %d: h = %d, expected %d", t, j, h[j], hs[t * m->H + j]);
    }
    kml_rnn_logits_q(m, &st, logits);
    for (int k = 0; k < m->C; k++) assert_int_equal(logits[k], logits_exp[k]);
    /* the window call is the same loop */
    int32_t l2[8];
    uint16_t cls = kml_rnn_predict_q(m, X, (uint16_t)T, &st, &sc, l2);
    assert_memory_equal(l2, logits, sizeof(int32_t) * m->C);
    assert_int_equal(cls, kml_argmax_q32(logits_exp, m->C));
}

static void test_golden_fastgrnn_lowrank_sparse_norm(void **state)
{
    (void)state;
    kml_rnn_q m = model_ga();
    run_golden(&m, ga_X, ga_hs, ga_logits, 4);
}

static void test_golden_fastrnn_lowrank_u(void **state)
{
    (void)state;
    kml_rnn_q m = model_ra();
    run_golden(&m, ra_X, ra_hs, ra_logits, 4);
}

static void test_golden_fastgrnn_tanh_gate(void **state)
{
    (void)state;
    kml_rnn_q m = model_gt();
    run_golden(&m, gt_X, gt_hs, gt_logits, 4);
}

static void test_golden_fastgrnn_hardsigm_gate(void **state)
{
    (void)state;
    kml_rnn_q m = model_gh();
    run_golden(&m, gh_X, gh_hs, gh_logits, 4);
}

static void test_golden_fastrnn_hardsigm_update(void **state)
{
    (void)state;
    kml_rnn_q m = model_rh();
    run_golden(&m, rh_X, rh_hs, rh_logits, 4);
}

/* models with tanh / sigmoid by table: exact on the runtime with the tables, refused at init by one
 * built without them (KML_SMOOTH_ACT=0, tests/deploy_nosmooth.cmake) */
static void run_golden_smooth(const kml_rnn_q *m, const int16_t *X, const int16_t *hs, const int32_t *logits_exp)
{
#if defined(KML_SMOOTH_ACT) && !KML_SMOOTH_ACT
    int16_t h[16], buf[64];
    kml_rnn_state_q st = {h, 16};
    kml_rnn_scratch_q sc = {buf, 64};
    (void)X, (void)hs, (void)logits_exp;
    assert_int_equal(kml_rnn_validate_q(m), KML_E_NONLIN);
    assert_int_equal(kml_rnn_init_q(m, &st, &sc), KML_E_NONLIN);
#else
    run_golden(m, X, hs, logits_exp, 4);
#endif
}

static void test_golden_fastgrnn_smooth_by_table(void **state)
{
    (void)state;
    kml_rnn_q m = model_gs();
    run_golden_smooth(&m, gs_X, gs_hs, gs_logits);
}

static void test_golden_fastrnn_tanh_q20(void **state)
{
    (void)state;
    kml_rnn_q m = model_rs();
    run_golden_smooth(&m, rs_X, rs_hs, rs_logits);
}

/* The ±2^28 clamp of each projected term, worked by hand. FastGRNN D = H = C = 1, every format Q14,
 * weights int16 in Q0 = -32768 (column sums exactly at the 32768 bound), U low rank 1 with q_mid = 14,
 * so every shift is 0; b = 0, σ(ζ) = 0, σ(ν) = 1: h' = z·h + c.
 *   step 1, x = -32768: x·W = 2^30 -> 2^28; h = 0 so h·U = 0; z = c = 1: h = 16384 (1.0).
 *   step 2, x = -32768: x·W = 2^30 -> 2^28; mid = sat16(16384 · -32768) = -32768, mid·U2 = 2^30 -> 2^28.
 *     With the clamp a = 2^29: z = c = 1, h = 1 + 1 = 32768 -> saturates to 32767.
 *     Without it 2^30 + 2^30 overflows int32 (to -2^31): z = 0, c = -1, h = -16384. */
static void test_term_clamp_and_state_saturation(void **state)
{
    (void)state;
    static const int16_t wmin[1] = {-32768};
    static const int16_t zero16[1] = {0};
    static const int8_t one8[1] = {1};
    static const int32_t zero32[1] = {0};
    kml_rnn_q m;
    memset(&m, 0, sizeof m);
    m.version = KML_DEPLOY_FORMAT_VERSION;
    m.cell = KML_RNN_FASTGRNN, m.gate_nl = KML_ACT_QUANTSIGM, m.update_nl = KML_ACT_QUANTTANH;
    m.D = m.H = m.C = 1;
    m.q_in = m.q_x = m.q_h = m.q_a = m.q_g = 14;
    m.W.a = (kml_mat_q){1, 1, KML_MAT_DENSE, 16, 0, 0, NULL, wmin, NULL, NULL, NULL, NULL};
    m.U.rank = 1, m.U.q_mid = 14;
    m.U.a = m.W.a, m.U.b = m.W.a;
    m.b_h = zero16, m.b_g = zero16;
    m.s_zeta = 0, m.s_nu = 16384;
    m.V = (kml_mat_q){1, 1, KML_MAT_DENSE, 8, 0, 0, one8, NULL, NULL, NULL, NULL, NULL};
    m.v = zero32;
    int16_t h[1], buf[8], x[1] = {-32768};
    kml_rnn_state_q st = {h, 1};
    kml_rnn_scratch_q sc = {buf, 8};
    assert_int_equal(kml_rnn_init_q(&m, &st, &sc), KML_OK);
    kml_rnn_step_q(&m, x, &st, &sc);
    assert_int_equal(h[0], 16384);
    kml_rnn_step_q(&m, x, &st, &sc);
    assert_int_equal(h[0], 32767);
}

static void test_validate_model_errors(void **state)
{
    (void)state;
    kml_rnn_q good = model_ga(), m;
    int16_t h[16], buf[64];
    kml_rnn_state_q st = {h, 16};
    kml_rnn_scratch_q sc = {buf, 64};
    assert_int_equal(kml_rnn_validate_q(NULL), KML_E_NULL);
    m = good, m.version = 99;
    assert_int_equal(kml_rnn_validate_q(&m), KML_E_VERSION);
    m = good, m.cell = 7;
    assert_int_equal(kml_rnn_validate_q(&m), KML_E_CELL);
    m = good, m.update_nl = KML_ACT_RELU; /* no integer relu */
    assert_int_equal(kml_rnn_validate_q(&m), KML_E_NONLIN);
    m = good, m.gate_nl = 9;
    assert_int_equal(kml_rnn_validate_q(&m), KML_E_NONLIN);
    m = good, m.update_nl = KML_ACT_TANH, m.gate_nl = KML_ACT_SIGMOID; /* by table */
#if defined(KML_SMOOTH_ACT) && !KML_SMOOTH_ACT
    assert_int_equal(kml_rnn_validate_q(&m), KML_E_NONLIN); /* a runtime built without the tables */
    m = good, m.gate_nl = KML_ACT_SIGMOID;
    assert_int_equal(kml_rnn_validate_q(&m), KML_E_NONLIN);
#else
    assert_int_equal(kml_rnn_validate_q(&m), KML_OK);
#endif
    m = good, m.q_g = 15;
    assert_int_equal(kml_rnn_validate_q(&m), KML_E_QFORMAT);
    m = good, m.q_a = 20; /* q_mid + B.q - q_a = 11 + 12 - 20 = 3 fine, q_x + ... full? W low rank; U: 13+13-20 = 6 ok */
    assert_int_equal(kml_rnn_validate_q(&m), KML_OK);
    m = good, m.q_a = 24; /* 11 + 12 - 24 < 0 */
    assert_int_equal(kml_rnn_validate_q(&m), KML_E_QFORMAT);
    m = good, m.W.q_mid = 20;
    assert_int_equal(kml_rnn_validate_q(&m), KML_E_QFORMAT);
    m = good, m.s_zeta = (int16_t)(16384 + 1);
    assert_int_equal(kml_rnn_validate_q(&m), KML_E_QFORMAT);
    m = good, m.b_g = NULL;
    assert_int_equal(kml_rnn_validate_q(&m), KML_E_NULL);
    m = good, m.W.b.rows = 4; /* disagrees with the rank */
    assert_int_equal(kml_rnn_validate_q(&m), KML_E_DIMS);
    m = good, m.V.layout = KML_MAT_SPARSE;
    assert_int_not_equal(kml_rnn_validate_q(&m), KML_OK);
    m = good, m.norm_s = NULL;
    assert_int_equal(kml_rnn_validate_q(&m), KML_E_NULL);
    /* buffers */
    m = good;
    assert_int_equal(kml_rnn_scratch_elems_q(&m), 6 + 3 + 0 + 10);
    kml_rnn_scratch_q small = {buf, 18};
    assert_int_equal(kml_rnn_init_q(&m, &st, &small), KML_E_SCRATCH);
    kml_rnn_state_q sst = {h, 9};
    assert_int_equal(kml_rnn_init_q(&m, &sst, &sc), KML_E_SCRATCH);
    kml_rnn_state_q nst = {NULL, 16};
    assert_int_equal(kml_rnn_init_q(&m, &nst, &sc), KML_E_NULL);
    assert_string_equal(kml_status_name(KML_E_OVERFLOW), "KML_E_OVERFLOW");
}

static void test_flash_bytes(void **state)
{
    (void)state;
    kml_rnn_q m = model_ra();
    /* W 5x8 int8 = 40; U.a sparse 8 rows: nnz*(1+1) + 2*(2+1); U.b 2x8 = 16; V 8x4 = 32; b_h 16; v 16 */
    uint32_t exp = 40 + RA_U_A_NNZ * 2 + 6 + 16 + 32 + 16 + 16;
    assert_int_equal(kml_rnn_flash_bytes_q(&m), exp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rshift_round_golden),
        cmocka_unit_test(test_rshift_round_bias),
        cmocka_unit_test(test_sat16_edges),
        cmocka_unit_test(test_quant_act_golden),
        cmocka_unit_test(test_hard_sigm_golden),
        cmocka_unit_test(test_smooth_act_golden),
        cmocka_unit_test(test_norm_golden),
        cmocka_unit_test(test_dense_dot_by_hand),
        cmocka_unit_test(test_sparse_dot_and_saturation),
        cmocka_unit_test(test_sparse_uint16_index),
        cmocka_unit_test(test_validate_matrix_errors),
        cmocka_unit_test(test_golden_fastgrnn_lowrank_sparse_norm),
        cmocka_unit_test(test_golden_fastrnn_lowrank_u),
        cmocka_unit_test(test_golden_fastgrnn_tanh_gate),
        cmocka_unit_test(test_golden_fastgrnn_hardsigm_gate),
        cmocka_unit_test(test_golden_fastrnn_hardsigm_update),
        cmocka_unit_test(test_golden_fastgrnn_smooth_by_table),
        cmocka_unit_test(test_golden_fastrnn_tanh_q20),
        cmocka_unit_test(test_term_clamp_and_state_saturation),
        cmocka_unit_test(test_validate_model_errors),
        cmocka_unit_test(test_flash_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
