/* test_emi_decide.c: the device-side EMI rules (deploy/ kiloml/emi.h): the softmax
 * confidence, longest runs and the bag decision on hand-made prediction patterns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "kiloml/emi.h"

static void softmax_confidence(void **state)
{
    (void)state;
    const float logits[4] = {1.0f, 3.0f, -2.0f, 3.0f - 1e-3f};
    float p[4];
    int top = -1;
    float conf = kml_emi_softmax_f32(logits, 4, p, &top);
    double z = exp(1.0) + exp(3.0) + exp(-2.0) + exp(3.0 - 1e-3);
    assert_int_equal(top, 1);
    assert_true(fabs(conf - exp(3.0) / z) < 1e-6);
    double s = 0;
    for (int c = 0; c < 4; c++) {
        s += p[c];
        assert_true(fabs(p[c] - exp((double)logits[c]) / z) < 1e-6);
    }
    assert_true(fabs(s - 1.0) < 1e-6);
    /* huge logits do not overflow; ties go to the lower class */
    const float big[3] = {1e30f, 1e30f, -1e30f};
    conf = kml_emi_softmax_f32(big, 3, NULL, &top);
    assert_int_equal(top, 0);
    assert_true(fabs(conf - 0.5f) < 1e-6);
}

static void longest_runs(void **state)
{
    (void)state;
    const uint8_t p[8] = {1, 1, 0, 2, 2, 2, 1, 1};
    int start = 99;
    assert_int_equal(kml_emi_longest_run(p, 8, 2, &start), 3);
    assert_int_equal(start, 3);
    assert_int_equal(kml_emi_longest_run(p, 8, 1, &start), 2);
    assert_int_equal(start, 0); /* the earliest of two equal runs */
    assert_int_equal(kml_emi_longest_run(p, 8, 5, &start), 0);
    assert_int_equal(start, -1);
    assert_int_equal(kml_emi_longest_run(p, 0, 1, NULL), 0);
}

static void decide_with_negative(void **state)
{
    (void)state;
    /* class 0 negative, k = 2 */
    const uint8_t a[6] = {0, 0, 0, 3, 3, 0}; /* run of 3 (negative) does not count; 3 has 2 */
    assert_int_equal(kml_emi_bag_decide(a, 6, 4, 2, 0, NULL), 3);
    assert_int_equal(kml_emi_bag_decide(a, 6, 4, 3, 0, NULL), 0); /* k = 3 not reached */
    const uint8_t b[6] = {1, 0, 2, 0, 1, 0};                      /* no run >= 2 */
    assert_int_equal(kml_emi_bag_decide(b, 6, 4, 2, 0, NULL), 0);
    const uint8_t c[6] = {1, 1, 0, 2, 2, 2};
    assert_int_equal(kml_emi_bag_decide(c, 6, 4, 2, 0, NULL), 2); /* longest run wins */
    /* a negative class other than 0 (HAR's WALKING is class 0: not a negative class) */
    const uint8_t d[6] = {0, 0, 5, 5, 5, 5};
    assert_int_equal(kml_emi_bag_decide(d, 6, 6, 2, 5, NULL), 0);
    assert_int_equal(kml_emi_bag_decide(d, 0, 6, 2, 5, NULL), 5);
}

static void decide_without_negative(void **state)
{
    (void)state;
    const uint8_t a[6] = {4, 4, 1, 2, 4, 1};
    assert_int_equal(kml_emi_bag_decide(a, 6, 6, 2, KML_EMI_NO_NEGATIVE, NULL), 4);
    /* no run reaches k = 3: the largest summed confidence decides, even over the most votes */
    float conf[6] = {0, 2.5f, 0, 0, 2.4f, 0};
    assert_int_equal(kml_emi_bag_decide(a, 6, 6, 3, KML_EMI_NO_NEGATIVE, conf), 1);
    assert_int_equal(kml_emi_bag_decide(a, 6, 6, 3, KML_EMI_NO_NEGATIVE, NULL), 4); /* most votes */
    /* equal runs: the larger confidence breaks the tie, else the lower id */
    const uint8_t t[4] = {1, 1, 3, 3};
    float ct[4] = {0, 1.0f, 0, 1.5f};
    assert_int_equal(kml_emi_bag_decide(t, 4, 4, 2, KML_EMI_NO_NEGATIVE, ct), 3);
    assert_int_equal(kml_emi_bag_decide(t, 4, 4, 2, KML_EMI_NO_NEGATIVE, NULL), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(softmax_confidence),
        cmocka_unit_test(longest_runs),          cmocka_unit_test(decide_with_negative),
        cmocka_unit_test(decide_without_negative),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
