/* test_data_features.c: --features (kml_features_parse, kml_dataset_select_features, kml_data_load):
 * indices and ranges in the order given, every malformed or out-of-range list refused by name, the
 * syntax-only check, and a load of the shipped spoken-digit set whose kept features are the original
 * values, moved, in train and test alike. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kiloml/dataset.h"

#define FSDD KML_SOURCE_DIR "/datasets/fsdd/fsdd_logmel.h5"

static void parse_lists(void **state)
{
    (void)state;
    int *idx, n;
    kml_error err;
    assert_int_equal(kml_features_parse("0-2,7,4-5", 8, &idx, &n, &err), 0);
    const int want[] = {0, 1, 2, 7, 4, 5};
    assert_int_equal(n, 6);
    assert_memory_equal(idx, want, sizeof want);
    free(idx);
    assert_int_equal(kml_features_parse("3", 4, &idx, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(idx[0], 3);
    free(idx);
    /* syntax only */
    assert_int_equal(kml_features_parse("1-3,90", 0, &idx, &n, &err), 0);
    assert_null(idx);
    const struct { const char *spec, *says; } bad[] = {
        {"", "got ''"},          {"1,", "trailing comma"}, {"a", "expected 0-based"}, {"3-1", "a <= b"},
        {"1-", "a <= b"},        {"-1", "expected 0-based"}, {"1;2", "expected 0-based"}, {"0-8", "data has 8 features"},
        {"2,1-3", "feature 2 twice"}, {" 1", "expected 0-based"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        if (kml_features_parse(bad[k].spec, 8, &idx, &n, &err) != -1) fail_msg("'%s' accepted", bad[k].spec);
        if (!strstr(err.msg, bad[k].says) || !strstr(err.msg, "--features"))
            fail_msg("'%s': message '%s' lacks '%s'", bad[k].spec, err.msg, bad[k].says);
        assert_null(idx);
    }
}

static void select_moves_values(void **state)
{
    (void)state;
    kml_dataset d = {2, 3, 4, NULL, NULL, NULL, NULL};
    d.X = malloc(24 * sizeof(float));
    for (int i = 0; i < 24; i++) d.X[i] = (float)i;
    const int idx[] = {3, 1};
    kml_error err;
    assert_int_equal(kml_dataset_select_features(&d, idx, 2, &err), 0);
    assert_int_equal(d.F, 2);
    for (int s = 0; s < 6; s++) {
        assert_true(d.X[2 * s] == (float)(4 * s + 3));
        assert_true(d.X[2 * s + 1] == (float)(4 * s + 1));
    }
    free(d.X);
}

static void load_keeps_chosen_features(void **state)
{
    (void)state;
    kml_data_opts o;
    kml_data_opts_init(&o);
    o.path = FSDD;
    kml_data all, sub;
    kml_error err;
    if (kml_data_load(&o, &all, &err)) {
        print_message("skipped: %s\n", err.msg);
        skip();
    }
    o.features = "5,0-2";
    if (kml_data_load(&o, &sub, &err)) fail_msg("%s", err.msg);
    const int idx[] = {5, 0, 1, 2};
    const kml_dataset *a[2] = {&all.train, &all.test}, *b[2] = {&sub.train, &sub.test};
    for (int p = 0; p < 2; p++) {
        assert_int_equal(b[p]->F, 4);
        assert_int_equal(b[p]->n, a[p]->n);
        assert_int_equal(b[p]->T, a[p]->T);
        assert_memory_equal(b[p]->y, a[p]->y, (size_t)a[p]->n * sizeof(int32_t));
        for (size_t s = 0; s < (size_t)a[p]->n * a[p]->T; s++)
            for (int k = 0; k < 4; k++)
                if (b[p]->X[s * 4 + k] != a[p]->X[s * a[p]->F + idx[k]]) fail_msg("split %d step %zu feature %d", p, s, k);
    }
    kml_data_free(&sub);
    o.features = "0-31,32";
    assert_int_equal(kml_data_load(&o, &sub, &err), -1);
    assert_non_null(strstr(err.msg, "data has 32 features"));
    kml_data_free(&all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_lists),
        cmocka_unit_test(select_moves_values),
        cmocka_unit_test(load_keeps_chosen_features),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
