/* test_data_h5.c: the HDF5 loader on files written here with the HDF5 C API: float and integer X, label
 * names, lengths, groups, test datasets or a held-out split; one test per bad file (missing dataset,
 * wrong rank, N mismatch, not HDF5, bad labels and lengths); the shipped fsdd file and the shared ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <hdf5.h>
#include <stdlib.h>

#include "data_test_util.h"
#include "kiloml/dataset.h"

#define P(name) "data_h5_" name ".h5"

static hid_t create(const char *path)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(f >= 0);
    return f;
}

static void put(hid_t f, const char *name, hid_t file_type, hid_t mem_type, int rank, const hsize_t *dims,
                const void *data)
{
    hid_t s = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate2(f, name, file_type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(d >= 0);
    assert_true(H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Dclose(d);
    H5Sclose(s);
}

/* X (n, T, F) float with X[i][t][f] = 100 i + 10 t + f, y[i] = i % C. */
static void put_xy(hid_t f, const char *xname, const char *yname, int n, int T, int F, int C)
{
    float *x = malloc((size_t)n * T * F * sizeof *x);
    int32_t *y = malloc((size_t)n * sizeof *y);
    for (int i = 0; i < n; i++) {
        y[i] = i % C;
        for (int t = 0; t < T; t++)
            for (int k = 0; k < F; k++) x[((size_t)i * T + t) * F + k] = (float)(100 * i + 10 * t + k);
    }
    hsize_t dx[3] = {(hsize_t)n, (hsize_t)T, (hsize_t)F}, dy[1] = {(hsize_t)n};
    put(f, xname, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 3, dx, x);
    put(f, yname, H5T_STD_I32LE, H5T_NATIVE_INT32, 1, dy, y);
    free(x);
    free(y);
}

static kml_data_opts opts(const char *path)
{
    kml_data_opts o;
    kml_data_opts_init(&o);
    o.path = path;
    return o;
}

/* ---- good paths ---- */

static void float_x_with_test_split(void **state)
{
    (void)state;
    hid_t f = create(P("float"));
    put_xy(f, "X_train", "y_train", 6, 4, 3, 3);
    put_xy(f, "X_test", "y_test", 2, 4, 3, 3);
    H5Fclose(f);
    kml_data_opts o = opts(P("float"));
    kml_data d;
    load_ok(&o, &d);
    assert_int_equal(d.train.n, 6);
    assert_int_equal(d.train.T, 4);
    assert_int_equal(d.train.F, 3);
    assert_int_equal(d.test.n, 2);
    assert_int_equal(d.test_held_out, 0);
    assert_int_equal(d.C, 3);
    assert_null(d.train.len);
    assert_null(d.train.group);
    assert_float_equal(d.train.X[(5 * 4 + 2) * 3 + 1], 521.0f, 0);
    assert_int_equal(d.train.y[4], 1);
    kml_data_free(&d);
}

static void integer_x_read_as_float(void **state)
{
    (void)state;
    hid_t f = create(P("int"));
    uint16_t x[2 * 3 * 2] = {0, 1, 2, 3, 4, 5, 1023, 1000, 65535, 7, 8, 9};
    int64_t y[2] = {1, 0};
    hsize_t dx[3] = {2, 3, 2}, dy[1] = {2};
    put(f, "X_train", H5T_STD_U16LE, H5T_NATIVE_UINT16, 3, dx, x);
    put(f, "y_train", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, dy, y);
    H5Fclose(f);
    kml_data_opts o = opts(P("int"));
    o.test_path = P("int"); /* no X_test: a --test-data HDF5 file falls back to X_train */
    kml_data d;
    load_ok(&o, &d);
    assert_int_equal(d.train.n, 2);
    for (int i = 0; i < 12; i++) assert_float_equal(d.train.X[i], (float)x[i], 0);
    assert_int_equal(d.train.y[0], 1);
    assert_int_equal(d.C, 2);
    kml_data_free(&d);
}

static void label_and_x_names(void **state)
{
    (void)state;
    hid_t f = create(P("names"));
    put_xy(f, "feat_train", "y_train", 4, 2, 1, 2);
    put_xy(f, "feat_test", "y_test", 4, 2, 1, 2);
    int32_t y2[4] = {4, 4, 0, 4};
    hsize_t dy[1] = {4};
    put(f, "y2_train", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, dy, y2);
    put(f, "y2_test", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, dy, y2);
    H5Fclose(f);
    kml_data_opts o = opts(P("names"));
    o.x_name = "feat";
    o.labels = "y2";
    kml_data d;
    load_ok(&o, &d);
    assert_int_equal(d.C, 5);
    assert_int_equal(d.train.y[2], 0);
    assert_int_equal(d.test.y[3], 4);
    kml_data_free(&d);
}

static void lengths_and_groups(void **state)
{
    (void)state;
    hid_t f = create(P("len"));
    put_xy(f, "X_train", "y_train", 3, 5, 1, 2);
    int32_t len[3] = {5, 1, 3}, subj[3] = {7, 7, 9};
    hsize_t d1[1] = {3};
    put(f, "lengths_train", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, d1, len);
    put(f, "subject_train", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, d1, subj);
    H5Fclose(f);
    kml_data_opts o = opts(P("len"));
    o.group_name = "subject";
    o.test_path = P("len");
    kml_data d;
    load_ok(&o, &d);
    assert_non_null(d.train.len);
    assert_int_equal(d.train.len[1], 1);
    assert_int_equal(d.train.len[2], 3);
    assert_non_null(d.train.group);
    assert_int_equal(d.train.group[2], 9);
    kml_data_free(&d);
}

static void held_out_when_no_test_datasets(void **state)
{
    (void)state;
    hid_t f = create(P("noteset"));
    put_xy(f, "X_train", "y_train", 40, 2, 1, 4);
    H5Fclose(f);
    kml_data_opts o = opts(P("noteset"));
    kml_data a, b;
    load_ok(&o, &a);
    load_ok(&o, &b);
    assert_int_equal(a.test_held_out, 1);
    assert_int_equal(a.test.n, 8);
    assert_int_equal(a.train.n, 32);
    int cnt[4];
    kml_dataset_class_counts(&a.test, 4, cnt);
    for (int c = 0; c < 4; c++) assert_int_equal(cnt[c], 2);
    for (int i = 0; i < a.test.n * 2; i++) assert_float_equal(a.test.X[i], b.test.X[i], 0);
    kml_data_free(&a);
    kml_data_free(&b);
}

/* ---- bad files, one case each ---- */

static void missing_x(void **state)
{
    (void)state;
    hid_t f = create(P("nox"));
    int32_t v[2] = {0, 1};
    hsize_t d1[1] = {2};
    put(f, "audio", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, d1, v);
    put(f, "label", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, d1, v);
    H5Fclose(f);
    kml_data_opts o = opts(P("nox"));
    EXPECT_ERROR(&o, P("nox"), "dataset 'X_train' not found", "the file holds: audio, label");
}

static void missing_labels(void **state)
{
    (void)state;
    hid_t f = create(P("noy"));
    put_xy(f, "X_train", "y_train", 4, 2, 1, 2);
    H5Fclose(f);
    kml_data_opts o = opts(P("noy"));
    o.labels = "y2";
    EXPECT_ERROR(&o, P("noy"), "dataset 'y2_train' not found", "--labels");
}

static void missing_group(void **state)
{
    (void)state;
    hid_t f = create(P("nogrp"));
    put_xy(f, "X_train", "y_train", 4, 2, 1, 2);
    H5Fclose(f);
    kml_data_opts o = opts(P("nogrp"));
    o.group_name = "speaker";
    EXPECT_ERROR(&o, P("nogrp"), "dataset 'speaker_train' not found", "--group");
}

static void wrong_rank(void **state)
{
    (void)state;
    hid_t f = create(P("rank"));
    float x[6] = {0};
    int32_t y[2] = {0, 1};
    hsize_t dx[2] = {2, 3}, dy[1] = {2};
    put(f, "X_train", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dx, x);
    put(f, "y_train", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, dy, y);
    H5Fclose(f);
    kml_data_opts o = opts(P("rank"));
    EXPECT_ERROR(&o, P("rank"), "dataset 'X_train' has rank 2 (shape 2 x 3), expected rank 3");
}

static void n_differs(void **state)
{
    (void)state;
    hid_t f = create(P("ndiff"));
    float x[4 * 2] = {0};
    int32_t y[3] = {0, 1, 0};
    hsize_t dx[3] = {4, 2, 1}, dy[1] = {3};
    put(f, "X_train", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 3, dx, x);
    put(f, "y_train", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, dy, y);
    H5Fclose(f);
    kml_data_opts o = opts(P("ndiff"));
    EXPECT_ERROR(&o, P("ndiff"), "'X_train' has 4 series but 'y_train' has 3 entries");
}

static void not_hdf5(void **state)
{
    (void)state;
    write_text(P("text"), "this is not an HDF5 file\n1,2,3\n");
    kml_data_opts o = opts(P("text"));
    EXPECT_ERROR(&o, P("text"), "not an HDF5 file");
}

static void truncated_hdf5(void **state)
{
    (void)state;
    hid_t f = create(P("trunc_src"));
    put_xy(f, "X_train", "y_train", 50, 20, 3, 2);
    H5Fclose(f);
    FILE *in = fopen(P("trunc_src"), "rb");
    assert_non_null(in);
    char buf[1200];
    size_t got = fread(buf, 1, sizeof buf, in);
    fclose(in);
    write_file(P("trunc"), buf, got);
    kml_data_opts o = opts(P("trunc"));
    EXPECT_ERROR(&o, P("trunc"));
}

static void negative_label(void **state)
{
    (void)state;
    hid_t f = create(P("neg"));
    float x[3] = {0};
    int32_t y[3] = {0, -2, 1};
    hsize_t dx[3] = {3, 1, 1}, dy[1] = {3};
    put(f, "X_train", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 3, dx, x);
    put(f, "y_train", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, dy, y);
    H5Fclose(f);
    kml_data_opts o = opts(P("neg"));
    EXPECT_ERROR(&o, P("neg"), "y_train[1] = -2 is out of range", "negative labels");
}

static void label_too_large(void **state)
{
    (void)state;
    hid_t f = create(P("huge"));
    float x[2] = {0};
    int64_t y[2] = {0, 5000000000LL};
    hsize_t dx[3] = {2, 1, 1}, dy[1] = {2};
    put(f, "X_train", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 3, dx, x);
    put(f, "y_train", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, dy, y);
    H5Fclose(f);
    kml_data_opts o = opts(P("huge"));
    EXPECT_ERROR(&o, P("huge"), "y_train[1] = 5000000000 is out of range", "0..65535");
}

static void fractional_float_label(void **state)
{
    (void)state;
    hid_t f = create(P("fl"));
    float x[2] = {0};
    double y[2] = {1.0, 0.5};
    hsize_t dx[3] = {2, 1, 1}, dy[1] = {2};
    put(f, "X_train", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 3, dx, x);
    put(f, "y_train", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dy, y);
    H5Fclose(f);
    kml_data_opts o = opts(P("fl"));
    EXPECT_ERROR(&o, P("fl"), "y_train[1] = 0.5 is not an integer");
}

static void length_out_of_range(void **state)
{
    (void)state;
    hid_t f = create(P("badlen"));
    put_xy(f, "X_train", "y_train", 3, 4, 1, 2);
    int32_t len[3] = {4, 5, 1};
    hsize_t d1[1] = {3};
    put(f, "lengths_train", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, d1, len);
    H5Fclose(f);
    kml_data_opts o = opts(P("badlen"));
    EXPECT_ERROR(&o, P("badlen"), "lengths_train[1] = 5 is out of range", "length in 1..4");
}

static void test_shape_differs(void **state)
{
    (void)state;
    hid_t f = create(P("shape"));
    put_xy(f, "X_train", "y_train", 3, 4, 2, 2);
    put_xy(f, "X_test", "y_test", 3, 5, 2, 2);
    H5Fclose(f);
    kml_data_opts o = opts(P("shape"));
    EXPECT_ERROR(&o, P("shape"), "test series are 5 steps x 2 features but training series");
}

static void x_test_without_y_test(void **state)
{
    (void)state;
    hid_t f = create(P("noytest"));
    put_xy(f, "X_train", "y_train", 3, 4, 2, 2);
    put_xy(f, "X_test", "yy", 3, 4, 2, 2);
    H5Fclose(f);
    kml_data_opts o = opts(P("noytest"));
    EXPECT_ERROR(&o, P("noytest"), "dataset 'y_test' not found");
}

/* ---- the shipped and shared files ---- */

static void shipped_fsdd(void **state)
{
    (void)state;
    kml_data_opts o = opts(KML_SOURCE_DIR "/datasets/fsdd/fsdd_logmel.h5");
    kml_data d;
    load_ok(&o, &d);
    assert_int_equal(d.train.n, 2700);
    assert_int_equal(d.test.n, 300);
    assert_int_equal(d.train.T, 99);
    assert_int_equal(d.train.F, 32);
    assert_int_equal(d.C, 10);
    int cnt[10];
    kml_dataset_class_counts(&d.test, 10, cnt);
    for (int c = 0; c < 10; c++) assert_int_equal(cnt[c], 30);
    kml_data_free(&d);
}

static int shared_present(const char *rel, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", KML_SHARED_DATASETS, rel);
    FILE *f = fopen(path, "rb");
    if (!f) {
        print_message("skipped: %s not found (KML_SHARED_DATASETS=%s)\n", rel, KML_SHARED_DATASETS);
        return 0;
    }
    fclose(f);
    return 1;
}

static void shared_har2_with_subjects(void **state)
{
    (void)state;
    char path[1024];
    if (!shared_present("har/har.h5", path, sizeof path)) skip();
    kml_data_opts o = opts(path);
    o.labels = "y2";
    o.group_name = "subject";
    kml_data d;
    load_ok(&o, &d);
    assert_int_equal(d.C, 2);
    int cnt[2];
    kml_dataset_class_counts(&d.train, 2, cnt);
    assert_int_equal(cnt[0], 3636);
    assert_int_equal(cnt[1], 3779);
    kml_dataset_class_counts(&d.test, 2, cnt);
    assert_int_equal(cnt[0], 1472);
    assert_int_equal(cnt[1], 1524);
    assert_non_null(d.test.group);
    kml_data_free(&d);
}

static void shared_fsdd_audio_explains(void **state)
{
    (void)state;
    char path[1024];
    if (!shared_present("fsdd/fsdd_audio.h5", path, sizeof path)) skip();
    kml_data_opts o = opts(path);
    EXPECT_ERROR(&o, "fsdd_audio.h5", "dataset 'X_train' not found", "audio", "offset");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(float_x_with_test_split),
        cmocka_unit_test(integer_x_read_as_float),
        cmocka_unit_test(label_and_x_names),
        cmocka_unit_test(lengths_and_groups),
        cmocka_unit_test(held_out_when_no_test_datasets),
        cmocka_unit_test(missing_x),
        cmocka_unit_test(missing_labels),
        cmocka_unit_test(missing_group),
        cmocka_unit_test(wrong_rank),
        cmocka_unit_test(n_differs),
        cmocka_unit_test(not_hdf5),
        cmocka_unit_test(truncated_hdf5),
        cmocka_unit_test(negative_label),
        cmocka_unit_test(label_too_large),
        cmocka_unit_test(fractional_float_label),
        cmocka_unit_test(length_out_of_range),
        cmocka_unit_test(test_shape_differs),
        cmocka_unit_test(x_test_without_y_test),
        cmocka_unit_test(shipped_fsdd),
        cmocka_unit_test(shared_har2_with_subjects),
        cmocka_unit_test(shared_fsdd_audio_explains),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
