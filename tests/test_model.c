/* test_model.c: shapes per the table in model.h, names, validation, SPEC §1 initialisation,
 * deep copy, MAC and byte counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kiloml/model.h"

static kml_model_config cfg_of(kml_cell_kind c, int D, int H, int C, int rw, int ru)
{
    kml_model_config cfg = {c, D, H, C, rw, ru, KML_NL_SIGMOID, KML_NL_TANH};
    return cfg;
}

static void names_round_trip(void **state)
{
    (void)state;
    for (int c = 0; c < KML_CELL_COUNT; c++) {
        kml_cell_kind k;
        assert_int_equal(kml_cell_parse(kml_cell_name((kml_cell_kind)c), &k), 0);
        assert_int_equal(k, c);
    }
    for (int n = 0; n < KML_NL_COUNT; n++) {
        kml_nonlin k;
        assert_int_equal(kml_nonlin_parse(kml_nonlin_name((kml_nonlin)n), &k), 0);
        assert_int_equal(k, n);
    }
    kml_cell_kind k;
    kml_nonlin nl;
    assert_string_equal(kml_cell_name(KML_CELL_FASTGRNN), "fastgrnn");
    assert_string_equal(kml_nonlin_name(KML_NL_QUANTSIGM), "quantsigm");
    assert_int_equal(kml_cell_parse("lstm", &k), 0);
    assert_int_equal(k, KML_CELL_LSTM);
    assert_int_equal(kml_cell_parse("LSTMx", &k), -1);
    assert_int_equal(kml_cell_parse(NULL, &k), -1);
    assert_int_equal(kml_nonlin_parse("quanttanh", &nl), 0);
    assert_int_equal(nl, KML_NL_QUANTTANH);
    assert_int_equal(kml_nonlin_parse("softplus", &nl), -1);
    assert_string_equal(kml_param_name(KML_P_BU), "b_u");
    assert_string_equal(kml_param_name(KML_P_VB), "v");
    assert_int_equal(kml_param_kind_of(KML_P_W2), KML_PK_W);
    assert_int_equal(kml_param_kind_of(KML_P_U1), KML_PK_U);
    assert_int_equal(kml_param_kind_of(KML_P_NU), KML_PK_SCALAR);
    assert_int_equal(kml_param_kind_of(KML_P_V), KML_PK_CLASSIFIER);
    assert_int_equal(kml_cell_gates(KML_CELL_GRU), 3);
    assert_int_equal(kml_cell_gates(KML_CELL_LSTM), 4);
    assert_int_equal(kml_cell_gates(KML_CELL_FASTGRNN), 1);
}

static void expect_shape(const kml_param_shape *s, kml_param_id id, int r, int c)
{
    assert_int_equal(s[id].rows, r);
    assert_int_equal(s[id].cols, c);
}

static void shapes_follow_table(void **state)
{
    (void)state;
    kml_param_shape s[KML_PARAM_COUNT];
    kml_error err = {{0}};
    kml_model_config cfg = cfg_of(KML_CELL_FASTGRNN, 9, 80, 2, 5, 40);
    assert_int_equal(kml_model_shapes(&cfg, s, &err), 0);
    expect_shape(s, KML_P_W, 0, 0);
    expect_shape(s, KML_P_W1, 9, 5);
    expect_shape(s, KML_P_W2, 5, 80);
    expect_shape(s, KML_P_U, 0, 0);
    expect_shape(s, KML_P_U1, 80, 40);
    expect_shape(s, KML_P_U2, 40, 80);
    expect_shape(s, KML_P_B, 0, 0);
    expect_shape(s, KML_P_BG, 1, 80);
    expect_shape(s, KML_P_BH, 1, 80);
    expect_shape(s, KML_P_ZETA, 1, 1);
    expect_shape(s, KML_P_NU, 1, 1);
    expect_shape(s, KML_P_ALPHA, 0, 0);
    expect_shape(s, KML_P_V, 80, 2);
    expect_shape(s, KML_P_VB, 1, 2);

    cfg = cfg_of(KML_CELL_GRU, 3, 4, 5, 0, 2);
    assert_int_equal(kml_model_shapes(&cfg, s, &err), 0);
    expect_shape(s, KML_P_W, 3, 12);
    expect_shape(s, KML_P_U1, 4, 2);
    expect_shape(s, KML_P_U2, 2, 12);
    expect_shape(s, KML_P_B, 1, 12);
    expect_shape(s, KML_P_BU, 1, 12);
    expect_shape(s, KML_P_BG, 0, 0);

    cfg = cfg_of(KML_CELL_LSTM, 3, 4, 5, 0, 0);
    assert_int_equal(kml_model_shapes(&cfg, s, &err), 0);
    expect_shape(s, KML_P_W, 3, 16);
    expect_shape(s, KML_P_U, 4, 16);
    expect_shape(s, KML_P_B, 1, 16);
    expect_shape(s, KML_P_BU, 0, 0);

    cfg = cfg_of(KML_CELL_FASTRNN, 3, 4, 2, 0, 0);
    assert_int_equal(kml_model_shapes(&cfg, s, &err), 0);
    expect_shape(s, KML_P_ALPHA, 1, 1);
    expect_shape(s, KML_P_BETA, 1, 1);
    expect_shape(s, KML_P_B, 1, 4);
}

static void alloc_is_one_zeroed_block(void **state)
{
    (void)state;
    kml_error err = {{0}};
    kml_model m;
    kml_model_config cfg = cfg_of(KML_CELL_FASTGRNN, 9, 80, 2, 5, 40);
    assert_int_equal(kml_model_alloc(&m, &cfg, &err), 0);
    /* 45 + 400 + 3200 + 3200 + 80 + 80 + 1 + 1 + 160 + 2 */
    assert_int_equal(m.n_params, 7169);
    assert_int_equal(kml_model_float_bytes(&m), 7169 * 4);
    assert_int_equal(kml_model_macs_per_step(&m), 9 * 5 + 5 * 80 + 80 * 40 + 40 * 80);
    size_t seen = 0;
    for (int i = 0; i < KML_PARAM_COUNT; i++) {
        size_t n = (size_t)m.shape[i].rows * m.shape[i].cols;
        if (n == 0) {
            assert_null(m.p[i]);
            continue;
        }
        assert_true(m.p[i] >= m.block && m.p[i] + n <= m.block + m.n_params);
        seen += n;
    }
    assert_int_equal(seen, m.n_params);
    for (size_t k = 0; k < m.n_params; k++) assert_true(m.block[k] == 0.0f);
    kml_model_free(&m);
    assert_null(m.block);
    kml_model_free(&m); /* freeing twice is harmless */

    cfg = cfg_of(KML_CELL_LSTM, 10, 20, 3, 0, 0);
    assert_int_equal(kml_model_alloc(&m, &cfg, &err), 0);
    assert_int_equal(kml_model_macs_per_step(&m), 10 * 80 + 20 * 80);
    kml_model_free(&m);
}

static void bad_configs_rejected(void **state)
{
    (void)state;
    kml_error err = {{0}};
    kml_model m;
    kml_model_config cfg = cfg_of(KML_CELL_FASTGRNN, 9, 80, 1, 0, 0);
    assert_int_equal(kml_model_alloc(&m, &cfg, &err), -1);
    assert_non_null(strstr(err.msg, "C (classes) = 1"));
    assert_null(m.block);
    cfg = cfg_of(KML_CELL_FASTGRNN, 9, 80, 2, -1, 0);
    assert_int_equal(kml_model_alloc(&m, &cfg, &err), -1);
    assert_non_null(strstr(err.msg, "rank_w = -1"));
    cfg = cfg_of(KML_CELL_FASTGRNN, 0, 80, 2, 0, 0);
    assert_int_equal(kml_model_alloc(&m, &cfg, &err), -1);
    assert_non_null(strstr(err.msg, "D (input features) = 0"));
    cfg = cfg_of((kml_cell_kind)7, 9, 80, 2, 0, 0);
    assert_int_equal(kml_model_alloc(&m, &cfg, &err), -1);
    assert_non_null(strstr(err.msg, "cell = 7"));
    cfg = cfg_of(KML_CELL_GRU, 9, 80, 2, 0, 0);
    cfg.update_nl = (kml_nonlin)9;
    assert_int_equal(kml_model_alloc(&m, &cfg, &err), -1);
    assert_non_null(strstr(err.msg, "update_nonlin = 9"));
}

static void init_follows_spec(void **state)
{
    (void)state;
    kml_error err = {{0}};
    kml_model a, b;
    kml_model_config cfg = cfg_of(KML_CELL_FASTGRNN, 30, 64, 4, 0, 0);
    assert_int_equal(kml_model_alloc(&a, &cfg, &err), 0);
    assert_int_equal(kml_model_alloc(&b, &cfg, &err), 0);
    kml_model_init_params(&a, 5);
    kml_model_init_params(&b, 5);
    assert_memory_equal(a.block, b.block, a.n_params * sizeof(float));
    kml_model_init_params(&b, 6);
    assert_memory_not_equal(a.block, b.block, a.n_params * sizeof(float));

    /* W and U: N(0, 0.1^2) */
    for (int id = KML_P_W; id <= KML_P_U; id += KML_P_U - KML_P_W) {
        size_t n = (size_t)a.shape[id].rows * a.shape[id].cols;
        double s = 0, s2 = 0;
        for (size_t k = 0; k < n; k++) {
            s += a.p[id][k];
            s2 += (double)a.p[id][k] * a.p[id][k];
        }
        double mean = s / n, sd = sqrt(s2 / n - mean * mean);
        assert_true(fabs(mean) < 0.01);
        assert_true(fabs(sd - 0.1) < 0.01);
    }
    /* V: N(0, 1/H) */
    {
        size_t n = (size_t)a.cfg.H * a.cfg.C;
        double s2 = 0;
        for (size_t k = 0; k < n; k++) s2 += (double)a.p[KML_P_V][k] * a.p[KML_P_V][k];
        assert_true(fabs(sqrt(s2 / n) - 1.0 / 8.0) < 0.02);
    }
    for (int j = 0; j < 64; j++) {
        assert_true(a.p[KML_P_BG][j] == 1.0f);
        assert_true(a.p[KML_P_BH][j] == 1.0f);
    }
    for (int c = 0; c < 4; c++) assert_true(a.p[KML_P_VB][c] == 0.0f);
    assert_true(a.p[KML_P_ZETA][0] == 1.0f);
    assert_true(a.p[KML_P_NU][0] == -4.0f);
    kml_model_free(&a);
    kml_model_free(&b);

    cfg = cfg_of(KML_CELL_FASTRNN, 3, 5, 2, 2, 2);
    assert_int_equal(kml_model_alloc(&a, &cfg, &err), 0);
    kml_model_init_params(&a, 1);
    assert_true(a.p[KML_P_ALPHA][0] == -3.0f);
    assert_true(a.p[KML_P_BETA][0] == 3.0f);
    for (int j = 0; j < 5; j++) assert_true(a.p[KML_P_B][j] == 1.0f);
    int nonzero = 0;
    for (int k = 0; k < 6; k++) nonzero += a.p[KML_P_W1][k] != 0.0f;
    assert_true(nonzero == 6);
    kml_model_free(&a);

    cfg = cfg_of(KML_CELL_GRU, 3, 5, 2, 0, 0);
    assert_int_equal(kml_model_alloc(&a, &cfg, &err), 0);
    kml_model_init_params(&a, 1);
    for (int j = 0; j < 15; j++) {
        assert_true(a.p[KML_P_B][j] == 1.0f);
        assert_true(a.p[KML_P_BU][j] == 0.0f);
    }
    kml_model_free(&a);
}

static void copy_is_deep(void **state)
{
    (void)state;
    kml_error err = {{0}};
    kml_model a, b;
    kml_model_config cfg = cfg_of(KML_CELL_LSTM, 3, 4, 2, 2, 0);
    assert_int_equal(kml_model_alloc(&a, &cfg, &err), 0);
    kml_model_init_params(&a, 9);
    a.norm.mode = KML_NORM_PER_STEP;
    a.norm.T = 2;
    a.norm.F = 3;
    a.norm.mean = calloc(6, sizeof(float));
    a.norm.std = calloc(6, sizeof(float));
    for (int k = 0; k < 6; k++) {
        a.norm.mean[k] = (float)k;
        a.norm.std[k] = 1.0f + (float)k;
    }
    a.class_names = calloc(2, sizeof(char *));
    a.class_names[0] = malloc(4);
    a.class_names[1] = malloc(4);
    strcpy(a.class_names[0], "yes");
    strcpy(a.class_names[1], "no");

    assert_int_equal(kml_model_copy(&b, &a, &err), 0);
    assert_int_equal(b.n_params, a.n_params);
    assert_memory_equal(b.block, a.block, a.n_params * sizeof(float));
    assert_ptr_not_equal(b.block, a.block);
    for (int i = 0; i < KML_PARAM_COUNT; i++) {
        if (!a.p[i]) {
            assert_null(b.p[i]);
            continue;
        }
        assert_int_equal(b.p[i] - b.block, a.p[i] - a.block);
    }
    assert_int_equal(b.norm.mode, KML_NORM_PER_STEP);
    assert_memory_equal(b.norm.std, a.norm.std, 6 * sizeof(float));
    assert_ptr_not_equal(b.norm.std, a.norm.std);
    assert_string_equal(b.class_names[1], "no");
    assert_ptr_not_equal(b.class_names[1], a.class_names[1]);
    b.block[0] += 1.0f;
    assert_true(a.block[0] != b.block[0]);
    kml_model_free(&a);
    kml_model_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_round_trip),
        cmocka_unit_test(shapes_follow_table),
        cmocka_unit_test(alloc_is_one_zeroed_block),
        cmocka_unit_test(bad_configs_rejected),
        cmocka_unit_test(init_follows_spec),
        cmocka_unit_test(copy_is_deep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
