/* test_bag.c: EMI bagging: instance counts, window contents, zero padding, lengths, labels,
 * variable-length series and argument errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "data_test_util.h"
#include "kiloml/bag.h"

/* value of series i, step t, feature f: distinct and never 0 */
static float val(int i, int t, int f) { return (float)(1000 * (i + 1) + 10 * t + f + 1); }

static void make_series(kml_dataset *d, int n, int T, int F)
{
    alloc_dataset(d, n, T, F);
    for (int i = 0; i < n; i++) {
        d->y[i] = i % 3;
        for (int t = 0; t < T; t++)
            for (int f = 0; f < F; f++) d->X[((size_t)i * T + t) * F + f] = val(i, t, f);
    }
}

static void free_series(kml_dataset *d)
{
    free(d->X);
    free(d->y);
    free(d->len);
    free(d->group);
}

static void counts(void **state)
{
    (void)state;
    assert_int_equal(kml_bag_count(128, 48, 16), 6); /* HAR-6, SPEC §4 */
    assert_int_equal(kml_bag_count(130, 48, 16), 7); /* a short last window */
    assert_int_equal(kml_bag_count(48, 48, 16), 1);
    assert_int_equal(kml_bag_count(49, 48, 16), 2);
    assert_int_equal(kml_bag_count(10, 48, 16), 1); /* series shorter than a window: one padded */
    assert_int_equal(kml_bag_count(125, 48, 16), 6); /* DSA-19 T */
    assert_int_equal(kml_bag_count(0, 48, 16), 0);
    assert_int_equal(kml_bag_count(128, 0, 16), 0);
    assert_int_equal(kml_bag_count(128, 48, 0), 0);
}

static void windows_and_padding(void **state)
{
    (void)state;
    kml_dataset d;
    make_series(&d, 3, 11, 2); /* starts 0,3,6,9: the last window holds 2 steps + 2 of padding */
    kml_bags b;
    kml_error err = {0};
    assert_int_equal(kml_bags_make(&d, 4, 3, &b, &err), 0);
    assert_int_equal(b.n_bags, 3);
    assert_int_equal(b.n_inst, 4);
    assert_int_equal(b.inst.n, 12);
    assert_int_equal(b.inst.T, 4);
    assert_int_equal(b.inst.F, 2);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(b.bag_y[i], i % 3);
        assert_int_equal(b.n_valid[i], 4);
        for (int j = 0; j < 4; j++) {
            int r = i * 4 + j;
            assert_int_equal(b.inst.y[r], i % 3);
            assert_true(b.weight[r] == 1.0f);
            assert_int_equal(b.inst.len[r], j < 3 ? 4 : 2);
            for (int t = 0; t < 4; t++)
                for (int f = 0; f < 2; f++) {
                    float got = b.inst.X[((size_t)r * 4 + t) * 2 + f];
                    int src = 3 * j + t;
                    if (src < 11) assert_true(got == val(i, src, f));
                    else assert_true(got == 0.0f);
                }
        }
    }
    kml_bags_free(&b);
    free_series(&d);
}

static void har_shape(void **state)
{
    (void)state;
    kml_dataset d;
    make_series(&d, 2, 128, 9);
    kml_bags b;
    kml_error err = {0};
    assert_int_equal(kml_bags_make(&d, 48, 16, &b, &err), 0);
    assert_int_equal(b.n_inst, 6);
    for (int j = 0; j < 6; j++) {
        assert_int_equal(b.inst.len[6 + j], 48);
        /* first and last step of instance j of bag 1 */
        assert_true(b.inst.X[((size_t)(6 + j) * 48 + 0) * 9 + 4] == val(1, 16 * j, 4));
        assert_true(b.inst.X[((size_t)(6 + j) * 48 + 47) * 9 + 8] == val(1, 16 * j + 47, 8));
    }
    kml_bags_free(&b);
    free_series(&d);
}

static void variable_length(void **state)
{
    (void)state;
    kml_dataset d;
    make_series(&d, 2, 11, 1);
    d.len = malloc(2 * sizeof(int32_t));
    d.len[0] = 5;  /* instances: [0,4) len 4, [3,7) len 2, [6,..) empty, [9,..) empty */
    d.len[1] = 11;
    d.group = malloc(2 * sizeof(int32_t));
    d.group[0] = 7;
    d.group[1] = 9;
    kml_bags b;
    kml_error err = {0};
    assert_int_equal(kml_bags_make(&d, 4, 3, &b, &err), 0);
    assert_int_equal(b.n_valid[0], 2);
    assert_int_equal(b.n_valid[1], 4);
    assert_int_equal(b.inst.len[0], 4);
    assert_int_equal(b.inst.len[1], 2);
    assert_int_equal(b.inst.len[2], 1); /* empty: one zero step, weight 0 */
    assert_true(b.weight[2] == 0.0f && b.weight[3] == 0.0f);
    assert_true(b.weight[1] == 1.0f);
    /* padding of the short instance is zero even though the source has values there */
    assert_true(b.inst.X[1 * 4 + 1] == val(0, 4, 0));
    assert_true(b.inst.X[1 * 4 + 2] == 0.0f);
    for (int t = 0; t < 4; t++) assert_true(b.inst.X[2 * 4 + t] == 0.0f);
    assert_int_equal(b.inst.group[3], 7);
    assert_int_equal(b.inst.group[4], 9);
    /* relabelled state goes back to the bag labels */
    b.inst.y[5] = 2;
    b.weight[5] = 0.0f;
    b.weight[2] = 1.0f;
    kml_bags_reset_labels(&b);
    assert_int_equal(b.inst.y[5], b.bag_y[1]);
    assert_true(b.weight[5] == 1.0f && b.weight[2] == 0.0f);
    kml_bags_free(&b);
    free_series(&d);
}

static void bad_arguments(void **state)
{
    (void)state;
    kml_dataset d;
    make_series(&d, 1, 600, 1);
    kml_bags b;
    kml_error err = {0};
    assert_int_equal(kml_bags_make(&d, 0, 16, &b, &err), -1);
    assert_non_null(strstr(err.msg, "--window"));
    assert_int_equal(kml_bags_make(&d, 48, 0, &b, &err), -1);
    assert_non_null(strstr(err.msg, "--stride"));
    assert_int_equal(kml_bags_make(&d, 2, 2, &b, &err), -1); /* 300 instances */
    assert_non_null(strstr(err.msg, "255"));
    assert_null(b.inst.X);
    free_series(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counts),          cmocka_unit_test(windows_and_padding),
        cmocka_unit_test(har_shape),       cmocka_unit_test(variable_length),
        cmocka_unit_test(bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
