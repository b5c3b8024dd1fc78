/* test_emi_stream_q.c: the integer EMI path of deploy/: the integer confidence test against the
 * float softmax, Q15 probabilities, the integer bag decision against the float one, and the
 * integer stream against a direct step-by-step reference on a hand-built quantized FastGRNN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kiloml/deploy.h"
#include "kiloml/emi.h"
#include "kiloml/rng.h"

static void tail_matches_float(void **state)
{
    (void)state;
    kml_rng r;
    kml_rng_seed(&r, 1);
    const uint8_t qs[4] = {0, 8, 13, 20};
    double worst = 0;
    int disagree = 0, n = 0;
    for (int qi = 0; qi < 4; qi++)
        for (int it = 0; it < 3000; it++) {
            const int C = 2 + (int)kml_rng_below(&r, 6);
            int32_t lq[8];
            float lf[8];
            double scale = 0.3 + 4.0 * kml_rng_uniform(&r);
            for (int c = 0; c < C; c++) {
                double l = scale * kml_rng_normal(&r);
                lq[c] = (int32_t)lrint(l * ldexp(1.0, qs[qi]));
                lf[c] = (float)(lq[c] / ldexp(1.0, qs[qi]));
            }
            int top_q, top_f;
            double tail = kml_emi_tail_q15(lq, C, qs[qi], &top_q) / 32768.0;
            double top_p = kml_emi_softmax_f32(lf, C, NULL, &top_f);
            double tail_f = 1.0 / top_p - 1.0;
            assert_int_equal(top_q, top_f);
            double e = fabs(tail - tail_f) / (C - 1);
            if (e > worst) worst = e;
            /* the decision "top >= 0.9" agrees except within the approximation's reach */
            int conf_q = kml_emi_tail_q15(lq, C, qs[qi], NULL) <= kml_emi_tail_bound_q15(29491); /* 0.9 */
            int conf_f = top_p >= 0.9f;
            if (conf_q != conf_f && fabs(tail_f - (1 - 0.9) / 0.9) > 2e-3) disagree++;
            n++;
            /* Q15 probabilities */
            int32_t pq[8];
            float pf[8];
            kml_emi_softmax_q15(lq, C, qs[qi], pq);
            kml_emi_softmax_f32(lf, C, pf, NULL);
            int32_t sum = 0;
            for (int c = 0; c < C; c++) {
                sum += pq[c];
                assert_true(fabs(pq[c] / 32768.0 - pf[c]) < 2e-3);
            }
            assert_true(abs(sum - 32768) <= C);
        }
    print_message("  worst tail error per class %.2e over %d logit vectors\n", worst, n);
    assert_true(worst < 1e-3);
    assert_int_equal(disagree, 0);
}

static void bounds(void **state)
{
    (void)state;
    assert_int_equal(kml_emi_tail_bound_q15(32440), (int32_t)(((32768 - 32440) << 15) / 32440)); /* 0.99 */
    assert_true(abs(kml_emi_tail_bound_q15(32440) - (int)lrint((1 - 32440 / 32768.0) / (32440 / 32768.0) * 32768)) <= 1);
    assert_int_equal(kml_emi_tail_bound_q15(32768), 0);
    assert_int_equal(kml_emi_tail_bound_q15(0), -1); /* off: a tail is never negative */
    assert_int_equal(kml_emi_tail_bound_q15(16384), 32768); /* p = 1/2: tail <= 1 */
    const int32_t equal[3] = {5000, 5000, 5000};
    assert_int_equal(kml_emi_tail_q15(equal, 3, 12, NULL), 65536); /* two terms of e^0 */
    const int32_t far[2] = {0, -(30 << 12)};
    int top;
    assert_int_equal(kml_emi_tail_q15(far, 2, 12, &top), 0);
    assert_int_equal(top, 0);
    /* the difference needs 32 bits unsigned: (2^32 - 1) / 2^30 = 4.0, e^-4 = 600.2 / 32768 */
    const int32_t extreme[2] = {INT32_MIN, INT32_MAX};
    assert_true(abs(kml_emi_tail_q15(extreme, 2, 30, &top) - 600) <= 1);
    assert_int_equal(top, 1);
}

static void decide_q_matches_float(void **state)
{
    (void)state;
    kml_rng r;
    kml_rng_seed(&r, 2);
    for (int it = 0; it < 5000; it++) {
        int n = 1 + (int)kml_rng_below(&r, 8), C = 2 + (int)kml_rng_below(&r, 5), k = 1 + (int)kml_rng_below(&r, 3);
        int neg = (int)kml_rng_below(&r, (uint32_t)C + 1) - 1;
        uint8_t pred[8];
        float cf[8];
        uint32_t cq[8];
        for (int i = 0; i < n; i++) pred[i] = (uint8_t)kml_rng_below(&r, (uint32_t)C);
        for (int c = 0; c < C; c++) {
            cq[c] = kml_rng_below(&r, 50) * 1000u;
            cf[c] = (float)cq[c];
        }
        assert_int_equal(kml_emi_bag_decide_q(pred, n, C, k, neg, cq), kml_emi_bag_decide(pred, n, C, k, neg, cf));
        assert_int_equal(kml_emi_bag_decide_q(pred, n, C, k, neg, NULL), kml_emi_bag_decide(pred, n, C, k, neg, NULL));
    }
}

/* ---- a hand-built quantized FastGRNN ---- */
enum { D = 3, H = 6, C = 4, T = 22, WIN = 8, STR = 4, NI = 5, NB = 30 };
static int8_t Wq[H * D], Uq[H * H], Vq[C * H];
static int16_t bh[H], bg[H];
static int32_t vq[C];

static kml_rnn_q make_q(uint64_t seed)
{
    kml_rng r;
    kml_rng_seed(&r, seed);
    for (int i = 0; i < H * D; i++) Wq[i] = (int8_t)lrint(fmax(-127, fmin(127, 40 * kml_rng_normal(&r))));
    for (int i = 0; i < H * H; i++) Uq[i] = (int8_t)lrint(fmax(-127, fmin(127, 30 * kml_rng_normal(&r))));
    for (int i = 0; i < C * H; i++) Vq[i] = (int8_t)lrint(fmax(-127, fmin(127, 60 * kml_rng_normal(&r))));
    for (int i = 0; i < H; i++) bh[i] = (int16_t)lrint(1000 * kml_rng_normal(&r)), bg[i] = (int16_t)lrint(1000 * kml_rng_normal(&r));
    for (int c = 0; c < C; c++) vq[c] = (int32_t)lrint(100000 * kml_rng_normal(&r));
    kml_rnn_q m;
    memset(&m, 0, sizeof m);
    m.version = KML_DEPLOY_FORMAT_VERSION;
    m.cell = KML_RNN_FASTGRNN;
    m.gate_nl = KML_ACT_QUANTSIGM;
    m.update_nl = KML_ACT_QUANTTANH;
    m.D = D, m.H = H, m.C = C;
    m.q_x = 11, m.q_h = 13, m.q_a = 12, m.q_g = 14;
    m.W.a = (kml_mat_q){D, H, KML_MAT_DENSE, 8, 6, 0, Wq, NULL, NULL, NULL, NULL, NULL};
    m.U.a = (kml_mat_q){H, H, KML_MAT_DENSE, 8, 6, 0, Uq, NULL, NULL, NULL, NULL, NULL};
    m.b_h = bh, m.b_g = bg;
    m.s_zeta = 12000, m.s_nu = 400;
    m.V = (kml_mat_q){H, C, KML_MAT_DENSE, 8, 5, 0, Vq, NULL, NULL, NULL, NULL, NULL};
    m.v = vq;
    assert_int_equal(kml_rnn_validate_q(&m), KML_OK);
    return m;
}

static int ref_instance_q(const kml_rnn_q *m, const int16_t *X, int j, uint16_t p_q15, int *steps, int32_t *prob)
{
    int16_t h[H], scr[64];
    int32_t logits[C];
    kml_rnn_state_q st = {h, H};
    kml_rnn_scratch_q sc = {scr, 64};
    int start = j * STR, len = T - start < WIN ? T - start : WIN, cls = 0, i;
    kml_rnn_reset_q(m, &st);
    for (i = 0; i < len; i++) {
        kml_rnn_step_q(m, X + (size_t)(start + i) * D, &st, &sc);
        kml_rnn_logits_q(m, &st, logits);
        if (kml_emi_tail_q15(logits, C, kml_rnn_logit_q(m), &cls) <= kml_emi_tail_bound_q15(p_q15)) {
            i++;
            break;
        }
    }
    kml_emi_softmax_q15(logits, C, kml_rnn_logit_q(m), prob);
    *steps = i;
    return cls;
}

static void stream_q_matches_reference(void **state)
{
    (void)state;
    kml_rnn_q m = make_q(5);
    kml_rng r;
    kml_rng_seed(&r, 6);
    int16_t *X = malloc(sizeof(int16_t) * NB * T * D);
    for (int i = 0; i < NB * T * D; i++) X[i] = (int16_t)lrint(fmax(-32768, fmin(32767, 2048 * kml_rng_normal(&r))));
    const kml_emi_cfg cfg = {T, WIN, STR, NI, 2, KML_EMI_NO_NEGATIVE};
    const uint16_t p_q15 = 31130; /* 0.95 */
    int16_t ring[KML_EMI_RING_ELEMS(WIN, D)], h[H], scr[64];
    int32_t cbuf[KML_EMI_CBUF_ELEMS(C)];
    uint8_t pred[NI];
    kml_emi_stream_q s;
    assert_int_equal(kml_emi_stream_init_q(&s, &m, &cfg, p_q15, ring, h, H, scr, 64, cbuf, pred), KML_OK);
    long early = 0, steps_total = 0;
    int labels_seen[C] = {0};
    for (int b = 0; b < NB; b++) {
        const int16_t *Xb = X + (size_t)b * T * D;
        uint8_t want[NI];
        uint32_t conf[C] = {0};
        for (int j = 0; j < NI; j++) {
            int steps;
            int32_t prob[C];
            want[j] = (uint8_t)ref_instance_q(&m, Xb, j, p_q15, &steps, prob);
            for (int c = 0; c < C; c++) conf[c] += (uint32_t)prob[c];
            early += steps < (T - j * STR < WIN ? T - j * STR : WIN);
            steps_total += steps;
        }
        int want_label = kml_emi_bag_decide_q(want, NI, C, 2, KML_EMI_NO_NEGATIVE, conf);
        int16_t label = -1;
        for (int t = 0; t < T; t++) {
            int rc = kml_emi_push_q(&s, Xb + (size_t)t * D, &label);
            assert_int_equal(rc, t + 1 == T ? KML_EMI_BAG_DONE
                                            : (t + 1 >= WIN && (t + 1 - WIN) % STR == 0 ? KML_EMI_INSTANCE_DONE
                                                                                        : KML_EMI_PENDING));
        }
        assert_int_equal(label, want_label);
        assert_memory_equal(pred, want, NI);
        labels_seen[label]++;
    }
    assert_int_equal(s.steps_run, steps_total);
    print_message("  %ld of %d instances stopped early; %u of %u steps\n", early, NB * NI, (unsigned)s.steps_run,
                  (unsigned)s.steps_full);
    assert_true(early > 5 && early < NB * NI - 5);
    /* early exit off runs every step */
    assert_int_equal(kml_emi_stream_init_q(&s, &m, &cfg, 0, ring, h, H, scr, 64, cbuf, pred), KML_OK);
    for (int t = 0; t < T; t++) kml_emi_push_q(&s, X + (size_t)t * D, NULL);
    assert_int_equal(s.steps_run, s.steps_full);
    assert_int_equal(s.steps_full, 4 * WIN + (T - 4 * STR));
    free(X);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tail_matches_float),
        cmocka_unit_test(bounds),
        cmocka_unit_test(decide_q_matches_float),
        cmocka_unit_test(stream_q_matches_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
