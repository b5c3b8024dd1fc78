/* test_data_fuzz.c: malformed input never crashes the loaders. A valid CSV and a valid HDF5 file are
 * mutated many times with a seeded generator (byte flips, inserted delimiters/quotes/newlines, truncation);
 * each load must either succeed with a consistent dataset or fail with a one-line message naming the file.
 * Run under the sanitizer build this also catches out-of-bounds reads and leaks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <hdf5.h>
#include <stdlib.h>

#include "data_test_util.h"
#include "kiloml/dataset.h"
#include "kiloml/rng.h"

#define CSV_PATH "data_fuzz_case.csv"
#define H5_SRC "data_fuzz_src.h5"
#define H5_PATH "data_fuzz_case.h5"

static void check_loaded_or_named(const kml_data_opts *o)
{
    kml_data d;
    kml_error err = {{0}};
    if (kml_data_load(o, &d, &err) == 0) {
        /* consistent shapes, labels in range, lengths in range */
        const kml_dataset *s[2] = {&d.train, &d.test};
        for (int k = 0; k < 2; k++) {
            assert_true(s[k]->n >= 0);
            if (s[k]->n == 0) continue;
            assert_true(s[k]->T >= 1 && s[k]->F >= 1);
            for (int i = 0; i < s[k]->n; i++) {
                assert_true(s[k]->y[i] >= 0 && s[k]->y[i] < d.C);
                if (s[k]->len) assert_true(s[k]->len[i] >= 1 && s[k]->len[i] <= s[k]->T);
            }
        }
        kml_data_free(&d);
    } else {
        assert_true(strlen(err.msg) > 0);
        if (!strstr(err.msg, o->path)) fail_msg("error does not name the file: %s", err.msg);
        if (strchr(err.msg, '\n') || strchr(err.msg, '\r')) fail_msg("error is not one line: %s", err.msg);
    }
}

static char *valid_csv(size_t *n)
{
    static const char head[] = "label,subject,t0_f0,t0_f1,t1_f0,t1_f1,t2_f0,t2_f1\n";
    size_t cap = 4096, used = 0;
    char *b = malloc(cap);
    memcpy(b, head, sizeof head - 1);
    used = sizeof head - 1;
    for (int i = 0; i < 24; i++)
        used += (size_t)snprintf(b + used, cap - used, "%d,%d,%d.5,-%d,\"%d\",1e-3,2,%d\r\n", i % 3, i % 4, i, i,
                                 i * 2, i % 7);
    *n = used;
    return b;
}

static void csv_mutations(void **state)
{
    (void)state;
    size_t n;
    char *base = valid_csv(&n);
    char *buf = malloc(n + 64);
    static const char inserts[] = ",;\t\"\n\r x-.eE0";
    kml_rng r;
    kml_rng_seed(&r, 2024);
    for (int iter = 0; iter < 400; iter++) {
        memcpy(buf, base, n);
        size_t m = n;
        int edits = 1 + (int)kml_rng_below(&r, 4);
        for (int e = 0; e < edits; e++) {
            size_t at = kml_rng_below(&r, (uint32_t)m);
            switch (kml_rng_below(&r, 4)) {
            case 0: /* replace a byte by anything */
                buf[at] = (char)kml_rng_below(&r, 256);
                break;
            case 1: /* replace by a structural character */
                buf[at] = inserts[kml_rng_below(&r, sizeof inserts - 1)];
                break;
            case 2: /* insert a structural character */
                if (m < n + 60) {
                    memmove(buf + at + 1, buf + at, m - at);
                    buf[at] = inserts[kml_rng_below(&r, sizeof inserts - 1)];
                    m++;
                }
                break;
            default: /* truncate */
                m = at;
                break;
            }
            if (m == 0) break;
        }
        write_file(CSV_PATH, buf, m);
        kml_data_opts o;
        kml_data_opts_init(&o);
        o.path = CSV_PATH;
        o.timesteps = 3;
        o.skip_cols = "1";
        o.layout = iter % 5 == 4 ? KML_LAYOUT_LONG : KML_LAYOUT_WIDE;
        check_loaded_or_named(&o);
    }
    free(buf);
    free(base);
}

static void h5_truncations_and_flips(void **state)
{
    (void)state;
    hid_t f = H5Fcreate(H5_SRC, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(f >= 0);
    float x[8 * 5 * 2];
    int32_t y[8];
    for (int i = 0; i < 80; i++) x[i] = (float)i;
    for (int i = 0; i < 8; i++) y[i] = i % 2;
    hsize_t dx[3] = {8, 5, 2}, dy[1] = {8};
    hid_t sx = H5Screate_simple(3, dx, NULL), sy = H5Screate_simple(1, dy, NULL);
    hid_t ds = H5Dcreate2(f, "X_train", H5T_IEEE_F32LE, sx, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, x);
    H5Dclose(ds);
    ds = H5Dcreate2(f, "y_train", H5T_STD_I32LE, sy, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, y);
    H5Dclose(ds);
    H5Sclose(sx);
    H5Sclose(sy);
    H5Fclose(f);

    FILE *in = fopen(H5_SRC, "rb");
    assert_non_null(in);
    fseek(in, 0, SEEK_END);
    long size = ftell(in);
    fseek(in, 0, SEEK_SET);
    char *base = malloc((size_t)size), *buf = malloc((size_t)size);
    assert_int_equal(fread(base, 1, (size_t)size, in), (size_t)size);
    fclose(in);

    kml_data_opts o;
    kml_data_opts_init(&o);
    o.path = H5_PATH;
    /* truncations at many lengths */
    for (long cut = 0; cut < size; cut += size / 40 + 1) {
        write_file(H5_PATH, base, (size_t)cut);
        check_loaded_or_named(&o);
    }
    /* flips in the raw data region only (the last bytes hold X and y): the library then reads wrong values,
     * which must still be checked (labels, shapes) rather than trusted */
    kml_rng r;
    kml_rng_seed(&r, 7);
    for (int iter = 0; iter < 60; iter++) {
        memcpy(buf, base, (size_t)size);
        long at = size - 1 - (long)kml_rng_below(&r, 8 * 4 + 80 * 4);
        buf[at] = (char)kml_rng_below(&r, 256);
        write_file(H5_PATH, buf, (size_t)size);
        check_loaded_or_named(&o);
    }
    free(base);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csv_mutations),
        cmocka_unit_test(h5_truncations_and_flips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
