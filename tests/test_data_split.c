/* test_data_split.c: validation splits (stratified proportions, whole groups, seeded), subsets, class counts,
 * normalisation (per feature, per step, padding excluded and zeroed) and the per-feature statistics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kiloml/dataset.h"

/* n series of T x F; X[i][t][f] = i (so a row identifies its series); y[i] from labels; group[i] = i / per. */
static kml_dataset make(int n, int T, int F, const int32_t *labels, int per_group)
{
    kml_dataset d = {0};
    d.n = n;
    d.T = T;
    d.F = F;
    d.X = malloc((size_t)n * T * F * sizeof *d.X);
    d.y = malloc((size_t)n * sizeof *d.y);
    for (int i = 0; i < n; i++) {
        d.y[i] = labels[i];
        for (int k = 0; k < T * F; k++) d.X[(size_t)i * T * F + k] = (float)i;
    }
    if (per_group > 0) {
        d.group = malloc((size_t)n * sizeof *d.group);
        for (int i = 0; i < n; i++) d.group[i] = 1000 + i / per_group;
    }
    return d;
}

static void stratified_split_proportions(void **state)
{
    (void)state;
    /* classes 0, 1, 2 with 100, 50, 10 series, interleaved */
    int32_t y[160];
    int k = 0;
    for (int i = 0; i < 100; i++) y[k++] = 0;
    for (int i = 0; i < 50; i++) y[k++] = 1;
    for (int i = 0; i < 10; i++) y[k++] = 2;
    kml_dataset all = make(160, 2, 1, y, 0);
    kml_dataset fit, val;
    kml_error err = {{0}};
    assert_int_equal(kml_split_validation(&all, 3, 0.2, 5, 0, &fit, &val, &err), 0);
    int cv[3], cf[3];
    kml_dataset_class_counts(&val, 3, cv);
    kml_dataset_class_counts(&fit, 3, cf);
    assert_int_equal(cv[0], 20);
    assert_int_equal(cv[1], 10);
    assert_int_equal(cv[2], 2);
    assert_int_equal(cf[0], 80);
    assert_int_equal(cf[1], 40);
    assert_int_equal(cf[2], 8);
    /* a partition of the rows, labels travel with their series */
    int seen[160] = {0};
    for (int i = 0; i < fit.n; i++) {
        int r = (int)fit.X[i * 2];
        seen[r]++;
        assert_int_equal(fit.y[i], y[r]);
    }
    for (int i = 0; i < val.n; i++) seen[(int)val.X[i * 2]]++;
    for (int i = 0; i < 160; i++) assert_int_equal(seen[i], 1);

    /* same seed -> same split; another seed -> another split */
    kml_dataset fit2, val2, fit3, val3;
    assert_int_equal(kml_split_validation(&all, 3, 0.2, 5, 0, &fit2, &val2, &err), 0);
    assert_int_equal(kml_split_validation(&all, 3, 0.2, 6, 0, &fit3, &val3, &err), 0);
    assert_memory_equal(val.X, val2.X, (size_t)val.n * 2 * sizeof(float));
    assert_int_equal(val3.n, val.n);
    assert_true(memcmp(val.X, val3.X, (size_t)val.n * 2 * sizeof(float)) != 0);
    kml_dataset_free(&fit);
    kml_dataset_free(&val);
    kml_dataset_free(&fit2);
    kml_dataset_free(&val2);
    kml_dataset_free(&fit3);
    kml_dataset_free(&val3);
    kml_dataset_free(&all);
}

static void group_split_keeps_groups_whole(void **state)
{
    (void)state;
    int32_t y[120];
    for (int i = 0; i < 120; i++) y[i] = i % 3;
    kml_dataset all = make(120, 1, 1, y, 10); /* 12 groups of 10 */
    kml_dataset fit, val;
    kml_error err = {{0}};
    assert_int_equal(kml_split_validation(&all, 3, 0.25, 1, 1, &fit, &val, &err), 0);
    assert_int_equal(val.n, 30); /* whole groups of 10 until 25 % of 120 */
    assert_int_equal(fit.n, 90);
    assert_non_null(val.group);
    for (int i = 0; i < val.n; i++)
        for (int j = 0; j < fit.n; j++) assert_int_not_equal(val.group[i], fit.group[j]);
    /* every group present in val is there with all 10 members */
    for (int i = 0; i < val.n; i++) {
        int c = 0;
        for (int j = 0; j < val.n; j++) c += val.group[j] == val.group[i];
        assert_int_equal(c, 10);
    }
    /* the group ids follow their rows */
    for (int i = 0; i < val.n; i++) assert_int_equal(val.group[i], 1000 + (int)val.X[i] / 10);
    kml_dataset_free(&fit);
    kml_dataset_free(&val);

    /* one group only: no validation split possible */
    kml_dataset one = make(5, 1, 1, y, 100);
    assert_int_equal(kml_split_validation(&one, 3, 0.2, 1, 1, &fit, &val, &err), -1);
    assert_non_null(strstr(err.msg, "only 1 distinct group"));
    kml_dataset_free(&one);
    /* no groups at all */
    kml_dataset none = make(5, 1, 1, y, 0);
    assert_int_equal(kml_split_validation(&none, 3, 0.2, 1, 1, &fit, &val, &err), -1);
    assert_non_null(strstr(err.msg, "no group ids"));
    kml_dataset_free(&none);
    kml_dataset_free(&all);
}

static void subset_copies_rows(void **state)
{
    (void)state;
    int32_t y[4] = {0, 1, 2, 1};
    kml_dataset all = make(4, 2, 3, y, 2);
    all.len = malloc(4 * sizeof *all.len);
    for (int i = 0; i < 4; i++) all.len[i] = 1 + i % 2;
    int idx[3] = {3, 0, 3};
    kml_dataset s;
    kml_error err = {{0}};
    assert_int_equal(kml_dataset_subset(&all, idx, 3, &s, &err), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.y[0], 1);
    assert_int_equal(s.y[1], 0);
    assert_int_equal(s.len[0], 2);
    assert_int_equal(s.group[0], 1001);
    assert_float_equal(s.X[6 * 2 + 5], 3.0f, 0);
    s.X[0] = -1; /* a copy, not a view */
    assert_float_equal(all.X[3 * 6], 3.0f, 0);
    int bad[1] = {4};
    kml_dataset t;
    assert_int_equal(kml_dataset_subset(&all, bad, 1, &t, &err), -1);
    assert_non_null(strstr(err.msg, "out of range"));
    int counts[3];
    kml_dataset_class_counts(&all, 3, counts);
    assert_int_equal(counts[0], 1);
    assert_int_equal(counts[1], 2);
    assert_int_equal(counts[2], 1);
    kml_dataset_free(&s);
    kml_dataset_free(&all);
}

/* 2 series x 3 steps x 2 features; series 1 has len 2, its step 2 is padding holding 999. */
static kml_dataset norm_fixture(void)
{
    static const float x[12] = {1, 10, 2, 20, 3, 30, /* series 0 */
                                5, 50, 7, 70, 999, 999 /* series 1, last step padding */};
    int32_t y[2] = {0, 1};
    kml_dataset d = make(2, 3, 2, y, 0);
    memcpy(d.X, x, sizeof x);
    d.len = malloc(2 * sizeof *d.len);
    d.len[0] = 3;
    d.len[1] = 2;
    return d;
}

static void norm_per_feature(void **state)
{
    (void)state;
    kml_dataset d = norm_fixture();
    kml_norm nm;
    kml_error err = {{0}};
    assert_int_equal(kml_norm_fit(&d, KML_NORM_PER_FEATURE, &nm, &err), 0);
    /* feature 0 valid values 1,2,3,5,7: mean 3.6, population var (6.76+2.56+0.36+1.96+11.56)/5 = 4.64 */
    assert_float_equal(nm.mean[0], 3.6f, 1e-6);
    assert_float_equal(nm.std[0], sqrtf(4.64f), 1e-5);
    assert_float_equal(nm.mean[1], 36.0f, 1e-5);
    assert_float_equal(nm.std[1], 10.0f * sqrtf(4.64f), 1e-4);
    kml_norm_apply(&nm, &d);
    assert_float_equal(d.X[0], (1 - 3.6f) / sqrtf(4.64f), 1e-6);
    assert_float_equal(d.X[9], (70 - 36.0f) / (10.0f * sqrtf(4.64f)), 1e-6);
    assert_float_equal(d.X[10], 0.0f, 0); /* padding zeroed, not normalised */
    assert_float_equal(d.X[11], 0.0f, 0);
    kml_norm_free(&nm);
    kml_dataset_free(&d);
}

static void norm_per_step_and_constant_feature(void **state)
{
    (void)state;
    kml_dataset d = norm_fixture();
    kml_norm nm;
    kml_error err = {{0}};
    assert_int_equal(kml_norm_fit(&d, KML_NORM_PER_STEP, &nm, &err), 0);
    assert_int_equal(nm.T, 3);
    /* step 0 feature 0: values 1, 5 -> mean 3, std 2 */
    assert_float_equal(nm.mean[0], 3.0f, 1e-6);
    assert_float_equal(nm.std[0], 2.0f, 1e-6);
    /* step 2: only series 0 is valid -> mean = its value, std 0 floored to 1 */
    assert_float_equal(nm.mean[4], 3.0f, 0);
    assert_float_equal(nm.std[4], 1.0f, 0);
    assert_float_equal(nm.mean[5], 30.0f, 0);
    kml_norm_apply(&nm, &d);
    assert_float_equal(d.X[2], (2 - 4.5f) / 2.5f, 1e-6);
    assert_float_equal(d.X[4], 0.0f, 0);
    assert_float_equal(d.X[10], 0.0f, 0);
    kml_norm_free(&nm);
    kml_dataset_free(&d);
}

static void norm_rejects_nan(void **state)
{
    (void)state;
    kml_dataset d = norm_fixture();
    d.X[3] = NAN;
    kml_norm nm;
    kml_error err = {{0}};
    assert_int_equal(kml_norm_fit(&d, KML_NORM_PER_FEATURE, &nm, &err), -1);
    assert_non_null(strstr(err.msg, "series 0, step 1, feature 1 is NaN"));
    kml_dataset_free(&d);
}

static void feature_stats_skip_padding_and_count_nan(void **state)
{
    (void)state;
    kml_dataset d = norm_fixture();
    d.X[2] = NAN;      /* series 0 step 1 feature 0 */
    d.X[3] = INFINITY; /* series 0 step 1 feature 1 */
    kml_feature_stats st[2];
    long long nans = -1, infs = -1;
    kml_dataset_feature_stats(&d, st, &nans, &infs);
    assert_int_equal(nans, 1);
    assert_int_equal(infs, 1);
    assert_int_equal(st[0].count, 4); /* 1, 3, 5, 7 */
    assert_float_equal(st[0].mean, 4.0, 1e-12);
    assert_float_equal(st[0].std, sqrt(5.0), 1e-12);
    assert_float_equal(st[0].min, 1.0, 0);
    assert_float_equal(st[0].max, 7.0, 0); /* 999 is padding */
    assert_float_equal(st[1].max, 70.0, 0);
    kml_dataset_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stratified_split_proportions),
        cmocka_unit_test(group_split_keeps_groups_whole),
        cmocka_unit_test(subset_copies_rows),
        cmocka_unit_test(norm_per_feature),
        cmocka_unit_test(norm_per_step_and_constant_feature),
        cmocka_unit_test(norm_rejects_nan),
        cmocka_unit_test(feature_stats_skip_padding_and_count_nan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
