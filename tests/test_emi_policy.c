/* test_emi_policy.c: relabelling (Algorithm 1, with and without a negative class), the per-step
 * loss masks, early exit over per-step logits, bag accuracy and the savings arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kiloml/emi_train.h"

/* n bags of 6 instances, labels given; features irrelevant */
static void make_bags(kml_bags *b, int n, const int32_t *labels)
{
    kml_dataset d = {0};
    d.n = n;
    d.T = 128;
    d.F = 1;
    d.X = calloc((size_t)n * 128, sizeof(float));
    d.y = malloc(n * sizeof(int32_t));
    memcpy(d.y, labels, n * sizeof(int32_t));
    kml_error err = {0};
    assert_int_equal(kml_bags_make(&d, 48, 16, b, &err), 0);
    assert_int_equal(b->n_inst, 6);
    free(d.X);
    free(d.y);
}

static void relabel_negative_class(void **state)
{
    (void)state;
    const int32_t labels[3] = {2, 0, 1};
    kml_bags b;
    make_bags(&b, 3, labels);
    const int32_t pred[18] = {0, 2, 2, 1, 2, 0,  /* bag 0 (label 2): run 2 at 1..2 */
                              1, 1, 1, 1, 1, 1,  /* bag 1 (label 0 = negative): untouched */
                              1, 0, 1, 0, 1, 0}; /* bag 2 (label 1): no run >= 2 */
    assert_int_equal(kml_emi_relabel(&b, pred, 2, 0), 1);
    const int32_t want[18] = {0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1};
    for (int r = 0; r < 18; r++) {
        assert_int_equal(b.inst.y[r], want[r]);
        assert_true(b.weight[r] == 1.0f);
    }
    /* a later round without a run >= k leaves the previous labels as they are */
    const int32_t pred2[18] = {2, 0, 0, 2, 0, 2, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0};
    assert_int_equal(kml_emi_relabel(&b, pred2, 2, 0), 1); /* only bag 2 (run of 3) */
    for (int r = 0; r < 6; r++) assert_int_equal(b.inst.y[r], want[r]);
    const int32_t want2[6] = {1, 1, 1, 0, 0, 0};
    for (int j = 0; j < 6; j++) assert_int_equal(b.inst.y[12 + j], want2[j]);
    /* k = 3 would not have relabelled bag 0 */
    kml_bags_reset_labels(&b);
    assert_int_equal(kml_emi_relabel(&b, pred, 3, 0), 0);
    for (int j = 0; j < 6; j++) assert_int_equal(b.inst.y[j], 2);
    kml_bags_free(&b);
}

static void relabel_no_negative(void **state)
{
    (void)state;
    const int32_t labels[2] = {0, 4};
    kml_bags b;
    make_bags(&b, 2, labels);
    /* bag 0 label 0 is NOT negative here (HAR-6: class 0 is WALKING) */
    const int32_t pred[12] = {3, 0, 0, 0, 3, 0, 4, 4, 1, 4, 4, 4};
    assert_int_equal(kml_emi_relabel(&b, pred, 2, KML_EMI_NO_NEGATIVE), 2);
    const float w[12] = {0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1};
    for (int r = 0; r < 12; r++) {
        assert_int_equal(b.inst.y[r], labels[r / 6]); /* labels never change */
        assert_true(b.weight[r] == w[r]);
    }
    kml_bags_free(&b);
}

static void loss_masks(void **state)
{
    (void)state;
    const float iw[3] = {1.0f, 0.0f, 0.5f};
    const int32_t len[3] = {4, 4, 2};
    float sw[4 * 3];
    kml_emi_step_weights(KML_EMI_LOSS_LAST, iw, len, 4, 3, sw);
    /* [t][b] */
    const float last[12] = {0, 0, 0, 0, 0, 0.5f, 0, 0, 0, 1, 0, 0};
    for (int i = 0; i < 12; i++) assert_true(sw[i] == last[i]);
    kml_emi_step_weights(KML_EMI_LOSS_EVERY, iw, len, 4, 3, sw);
    const float every[12] = {1, 0, 0.5f, 1, 0, 0.5f, 1, 0, 0, 1, 0, 0};
    for (int i = 0; i < 12; i++) assert_true(sw[i] == every[i]);
    kml_emi_step_weights(KML_EMI_LOSS_LAST, iw, NULL, 4, 3, sw);
    for (int i = 0; i < 9; i++) assert_true(sw[i] == 0.0f);
    assert_true(sw[9] == 1.0f && sw[10] == 0.0f && sw[11] == 0.5f);
}

static void early_exit(void **state)
{
    (void)state;
    /* 4 steps, 3 classes, stored time-major with 2 instances per step (row stride 2*C) */
    float lg[4][2][3] = {0};
    lg[1][0][2] = 2.0f;  /* p(2) = e^2/(e^2+2) = 0.787 */
    lg[2][0][1] = 6.0f;  /* p(1) = e^6/(e^6+2) = 0.995 */
    lg[3][0][0] = 9.0f;
    float p[3];
    int cls = -1;
    assert_int_equal(kml_emi_early_exit(&lg[0][0][0], 6, 4, 3, 0.99f, &cls, p), 3);
    assert_int_equal(cls, 1);
    assert_true(fabs(p[1] - exp(6.0) / (exp(6.0) + 2)) < 1e-6);
    assert_int_equal(kml_emi_early_exit(&lg[0][0][0], 6, 4, 3, 0.7f, &cls, p), 2);
    assert_int_equal(cls, 2);
    assert_int_equal(kml_emi_early_exit(&lg[0][0][0], 6, 4, 3, 1.5f, &cls, p), 4); /* never early */
    assert_int_equal(cls, 0);
    assert_int_equal(kml_emi_early_exit(&lg[0][0][0], 6, 2, 3, 0.99f, &cls, p), 2); /* short: last */
    assert_int_equal(cls, 2);
    /* instance 1 is all zeros: uniform, never confident, runs every step */
    assert_int_equal(kml_emi_early_exit(&lg[0][1][0], 6, 4, 3, 0.5f, &cls, p), 4);
}

static void bag_accuracy(void **state)
{
    (void)state;
    const int32_t labels[3] = {1, 2, 0};
    kml_bags b;
    make_bags(&b, 3, labels);
    const int32_t pred[18] = {1, 1, 0, 0, 0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0, 0, 0, 0};
    int32_t bp[3];
    /* negative 0, k 2: bag 0 -> 1 (right), bag 1 -> 0 (wrong), bag 2 -> 0 (right) */
    assert_true(fabs(kml_emi_decide_bags(&b, pred, NULL, 3, 2, 0, bp) - 2.0 / 3) < 1e-12);
    assert_int_equal(bp[0], 1);
    assert_int_equal(bp[1], 0);
    assert_int_equal(bp[2], 0);
    /* no negative: class 0 competes (bag 0's run of four 0s beats its two 1s), and bag 1, with
     * no run >= 2, falls back to summed confidence, which favours class 2 */
    float prob[18 * 3];
    for (int r = 0; r < 18; r++)
        for (int c = 0; c < 3; c++) prob[r * 3 + c] = c == pred[r] ? 0.6f : 0.2f;
    for (int j = 0; j < 6; j++) prob[(6 + j) * 3 + 2] += 0.3f; /* bag 1 leans to class 2 */
    assert_true(fabs(kml_emi_decide_bags(&b, pred, prob, 3, 2, KML_EMI_NO_NEGATIVE, bp) - 2.0 / 3) < 1e-12);
    assert_int_equal(bp[0], 0);
    assert_int_equal(bp[1], 2);
    assert_int_equal(bp[2], 0);
    kml_bags_free(&b);
}

static void savings(void **state)
{
    (void)state;
    kml_emi_savings s = kml_emi_savings_of(48, 128, 144, 288);
    assert_true(fabs(s.mi - 0.625) < 1e-12);
    assert_true(fabs(s.early - 0.5) < 1e-12);
    assert_true(fabs(s.total - 0.8125) < 1e-12);
    s = kml_emi_savings_of(128, 128, 10, 10);
    assert_true(s.mi == 0.0 && s.early == 0.0 && s.total == 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(relabel_negative_class), cmocka_unit_test(relabel_no_negative),
        cmocka_unit_test(loss_masks),             cmocka_unit_test(early_exit),
        cmocka_unit_test(bag_accuracy),           cmocka_unit_test(savings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
