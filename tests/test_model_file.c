/* test_model_file.c: .kml round trip (bit-exact, with normalisation, class names and summary),
 * identical bytes for the same model, and every rejection message. */
#include <hdf5.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "kiloml/model_file.h"
#include "data_test_util.h"

#define DIR KML_BINARY_DIR "/tests"

static void make_model(kml_model *m, kml_cell_kind cell, int rw, int ru, int per_step)
{
    kml_model_config c = {cell, 9, 16, 3, rw, ru, KML_NL_QUANTSIGM, KML_NL_QUANTTANH};
    kml_error err;
    assert_int_equal(kml_model_alloc(m, &c, &err), 0);
    kml_model_init_params(m, 42);
    m->block[0] = NAN;            /* odd values survive bit for bit */
    m->block[1] = -0.0f;
    m->block[2] = 1e-40f;         /* subnormal */
    m->norm.mode = per_step ? KML_NORM_PER_STEP : KML_NORM_PER_FEATURE;
    m->norm.T = 5;
    m->norm.F = 9;
    size_t n = per_step ? 45 : 9;
    m->norm.mean = malloc(n * sizeof(float));
    m->norm.std = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) { m->norm.mean[i] = (float)i * 0.1f - 1.f; m->norm.std[i] = 1.f + (float)i; }
    m->class_names = calloc(3, sizeof(char *));
    const char *names[3] = {"walking", "sitting", "ünïcode"};
    for (int i = 0; i < 3; i++) { m->class_names[i] = malloc(strlen(names[i]) + 1); strcpy(m->class_names[i], names[i]); }
}

static void assert_same(const kml_model *a, const kml_model *b)
{
    assert_memory_equal(&a->cfg, &b->cfg, sizeof a->cfg);
    assert_int_equal(a->n_params, b->n_params);
    for (int id = 0; id < KML_PARAM_COUNT; id++) {
        assert_int_equal(a->shape[id].rows, b->shape[id].rows);
        assert_int_equal(a->shape[id].cols, b->shape[id].cols);
    }
    assert_memory_equal(a->block, b->block, a->n_params * sizeof(float));
    assert_int_equal(a->norm.mode, b->norm.mode);
    size_t n = (size_t)a->norm.F * (a->norm.mode == KML_NORM_PER_STEP ? (size_t)a->norm.T : 1);
    assert_memory_equal(a->norm.mean, b->norm.mean, n * sizeof(float));
    assert_memory_equal(a->norm.std, b->norm.std, n * sizeof(float));
    for (int i = 0; i < a->cfg.C; i++) assert_string_equal(a->class_names[i], b->class_names[i]);
}

static void round_trip(void **state)
{
    (void)state;
    struct { kml_cell_kind c; int rw, ru, ps; } cases[] = {
        {KML_CELL_FASTGRNN, 5, 8, 0}, {KML_CELL_FASTRNN, 0, 0, 1}, {KML_CELL_GRU, 0, 4, 0}, {KML_CELL_LSTM, 3, 0, 1}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        kml_model m, r;
        make_model(&m, cases[k].c, cases[k].rw, cases[k].ru, cases[k].ps);
        kml_train_summary s, rs;
        kml_train_summary_init(&s);
        s.epochs = 7; s.best_epoch = 5; s.val_accuracy = 0.9375; s.test_accuracy = 0.875; s.seed = 1234567890123ull;
        s.steps = 700; s.skipped_steps = 2; s.lr = 0.005; s.batch = 64; s.optimizer = KML_OPT_NESTEROV;
        s.density_w = 0.2; s.density_u = 0.3; s.n_fit = 90; s.n_val = 10; s.n_test = 30;
        kml_error err = {{0}};
        const char *p = DIR "/mf_round.kml";
        assert_int_equal(kml_model_file_write(p, &m, &s, NULL, NULL, &err), 0);
        if (kml_model_file_read(p, &r, &rs, &err)) fail_msg("%s", err.msg);
        assert_same(&m, &r);
        assert_int_equal(rs.epochs, 7);
        assert_int_equal(rs.best_epoch, 5);
        assert_true(rs.val_accuracy == 0.9375 && rs.test_accuracy == 0.875 && rs.lr == 0.005);
        assert_true(rs.seed == 1234567890123ull);
        assert_int_equal(rs.skipped_steps, 2);
        assert_int_equal(rs.optimizer, KML_OPT_NESTEROV);
        assert_int_equal(rs.n_test, 30);
        /* the same model twice: the same bytes (no time stamps) */
        const char *p2 = DIR "/mf_round2.kml";
        assert_int_equal(kml_model_file_write(p2, &r, &rs, NULL, NULL, &err), 0);
        unsigned char *a, *b;
        long na = read_file(p, &a), nb = read_file(p2, &b);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, (size_t)na);
        free(a); free(b);
        /* no temporary left behind */
        char tmp[512];
        snprintf(tmp, sizeof tmp, "%s.tmp%ld", p, (long)getpid());
        assert_int_not_equal(access(tmp, F_OK), 0);
        kml_model_free(&m);
        kml_model_free(&r);
        remove(p); remove(p2);
    }
}

/* ---- rejections: tamper with a good file through the HDF5 API ---- */
static const char *good = DIR "/mf_good.kml";
static const char *bad = DIR "/mf_bad.kml";

static void copy_good(void)
{
    unsigned char *a;
    long n = read_file(good, &a);
    FILE *f = fopen(bad, "wb");
    fwrite(a, 1, (size_t)n, f);
    fclose(f);
    free(a);
}

static void expect_reject(const char *path, const char *needle)
{
    kml_model m;
    kml_error err = {{0}};
    assert_int_equal(kml_model_file_read(path, &m, NULL, &err), -1);
    if (!strstr(err.msg, needle)) fail_msg("message '%s' lacks '%s'", err.msg, needle);
    assert_non_null(strstr(err.msg, path));
    assert_null(m.block);
}

static void set_str_attr(hid_t f, const char *name, const char *v)
{
    H5Adelete(f, name);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(v));
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, v);
    H5Aclose(a); H5Sclose(sp); H5Tclose(t);
}

static void rejections(void **state)
{
    (void)state;
    kml_model m;
    make_model(&m, KML_CELL_FASTGRNN, 0, 0, 0);
    kml_error err;
    assert_int_equal(kml_model_file_write(good, &m, NULL, NULL, NULL, &err), 0);
    kml_model_free(&m);

    expect_reject(DIR "/mf_does_not_exist.kml", "cannot open");
    FILE *f = fopen(bad, "w");
    fputs("label,x\n1,2\n", f);
    fclose(f);
    expect_reject(bad, "not an HDF5 file");

    /* an HDF5 file that is not a model */
    hid_t h = H5Fcreate(bad, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    H5Fclose(h);
    expect_reject(bad, "not a kiloml model");

    copy_good();
    h = H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
    set_str_attr(h, "kiloml_format", "onnx");
    H5Fclose(h);
    expect_reject(bad, "kiloml_format is 'onnx'");

    copy_good();
    h = H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
    H5Adelete(h, "format_version");
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(h, "format_version", H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    int two = 2;
    H5Awrite(a, H5T_NATIVE_INT, &two);
    H5Aclose(a); H5Sclose(sp);
    H5Fclose(h);
    expect_reject(bad, "format_version 2 is not supported");

    copy_good();
    h = H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
    H5Ldelete(h, "U", H5P_DEFAULT);
    H5Fclose(h);
    expect_reject(bad, "missing parameter dataset 'U'");

    copy_good();
    h = H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
    H5Ldelete(h, "V", H5P_DEFAULT);
    hsize_t dims[2] = {3, 16};
    sp = H5Screate_simple(2, dims, NULL);
    hid_t d = H5Dcreate2(h, "V", H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(d); H5Sclose(sp);
    H5Fclose(h);
    expect_reject(bad, "dataset 'V' has shape 3x16, expected 16x3");

    copy_good();
    h = H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
    set_str_attr(h, "cell", "transformer");
    H5Fclose(h);
    expect_reject(bad, "unknown cell 'transformer'");

    copy_good();
    h = H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
    H5Adelete(h, "H");
    H5Fclose(h);
    expect_reject(bad, "missing attribute 'H'");

    /* a truncated file */
    unsigned char *bytes;
    long n = read_file(good, &bytes);
    f = fopen(bad, "wb");
    fwrite(bytes, 1, (size_t)n / 2, f);
    fclose(f);
    free(bytes);
    kml_model r;
    kml_error e2 = {{0}};
    assert_int_equal(kml_model_file_read(bad, &r, NULL, &e2), -1);
    assert_non_null(strstr(e2.msg, bad));

    /* writing into a folder that does not exist fails cleanly */
    make_model(&m, KML_CELL_FASTGRNN, 0, 0, 0);
    assert_int_equal(kml_model_file_write(DIR "/no/such/dir/m.kml", &m, NULL, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "cannot create"));
    kml_model_free(&m);
    remove(good);
    remove(bad);
}

static int add_quant(hid_t file, void *ctx, kml_error *err)
{
    (void)err;
    int *called = ctx;
    hid_t g = H5Gcreate2(file, "quant", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return -1;
    H5Gclose(g);
    (*called)++;
    return 0;
}

static int fail_extra(hid_t file, void *ctx, kml_error *err)
{
    (void)file; (void)ctx;
    return kml_error_set(err, "quant: shift out of range");
}

static void extra_group(void **state)
{
    (void)state;
    kml_model m, r;
    make_model(&m, KML_CELL_FASTRNN, 0, 0, 0);
    kml_error err;
    int called = 0;
    const char *p = DIR "/mf_extra.kml";
    assert_int_equal(kml_model_file_write(p, &m, NULL, add_quant, &called, &err), 0);
    assert_int_equal(called, 1);
    assert_int_equal(kml_model_file_read(p, &r, NULL, &err), 0);   /* the reader ignores /quant */
    hid_t h = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(H5Lexists(h, "quant", H5P_DEFAULT) > 0);
    H5Fclose(h);
    kml_model_free(&r);
    /* a failing hook: error passed on, no file and no temporary left */
    remove(p);
    assert_int_equal(kml_model_file_write(p, &m, NULL, fail_extra, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "shift out of range"));
    assert_int_not_equal(access(p, F_OK), 0);
    kml_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(rejections),
        cmocka_unit_test(extra_group),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
