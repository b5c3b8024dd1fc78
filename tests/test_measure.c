/* test_measure.c: `kiloml export --measure` underneath (kiloml/measure.h). A FastGRNN float model
 * and an integer one (from tools/kml_devgen) exported for each simulated target are built into
 * firmware, run in simavr / QEMU and compared with the host build: every window must agree, the
 * header's self-check must pass on the device, and the figures must be plausible (non-zero,
 * within the 32 KB / 2 KB budget). It also writes
 * measure_model.kml for the CLI test in tests/device.cmake, and checks the test-window writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kiloml/header.h"
#include "kiloml/measure.h"
#include "kiloml/model_file.h"

#define DIR KML_BINARY_DIR "/tests"

static void make_model(kml_model *m)
{
    kml_model_config c = {KML_CELL_FASTGRNN, 9, 16, 3, 0, 4, KML_NL_QUANTSIGM, KML_NL_QUANTTANH};
    kml_error err;
    assert_int_equal(kml_model_alloc(m, &c, &err), 0);
    kml_model_init_params(m, 7);
}

static void measure_on(kml_target t, const char *header)
{
    kml_error err = {{0}};
#ifndef KML_DEVICE_TESTS_ON
    printf("SKIP %s: device tests are off (KML_DEVICE_TESTS=OFF or no cross toolchain found)\n", kml_target_name(t));
    skip();
#endif
    if (kml_measure_available(t, &err)) {
        printf("SKIP %s: %s\n", kml_target_name(t), err.msg);
        skip();
    }
    kml_model m;
    make_model(&m);
    kml_header_opts ho;
    kml_header_opts_init(&ho);
    ho.name = "MEAS";
    ho.target = t;
    assert_int_equal(kml_header_write_model(header, &m, &ho, NULL, &err), 0);
    kml_model_free(&m);

    kml_measure_opts o;
    kml_measure_opts_init(&o);
    o.target = t;
    o.header = header;
    o.name = "MEAS";
    o.windows = 8;
    kml_measure_result r;
    int rc = kml_measure(&o, &r, &err);
    if (rc) printf("measure failed: %s\n", err.msg);
    assert_int_equal(rc, 0);
    kml_measure_print(stdout, &r);
    assert_string_equal(r.target, kml_target_name(t));
    assert_int_equal(r.n, 9);           /* the header's test input + 8 windows */
    assert_int_equal(r.agree, r.n);
    assert_int_equal(r.selfcheck, 1);
    assert_int_equal(r.fits, 1);
    assert_true(r.flash_bytes > 1000 && r.flash_bytes <= 32768);
    assert_true(r.stack_bytes > 16 && r.ram_bytes == r.ram_static_bytes + r.stack_bytes);
    /* state + scratch of a D=9, H=16, rU=4 float model alone is (16 + 9 + 4 + 16) * 4 bytes */
    assert_true(r.ram_static_bytes >= 180);
    assert_true(r.cycles_per_step > 1000);
    assert_true(r.cycles_per_window > 16 * r.cycles_per_step * 9 / 10);
    assert_int_equal(r.cycles_exact, t == KML_TARGET_ATMEGA328P);
    assert_true(r.ms_per_window > 0.0);
}

/* an integer header (tools/kml_devgen.c writes it with kml_header_write_q): bit-exact windows */
static void measure_integer_on(kml_target t)
{
    kml_error err = {{0}};
#ifndef KML_DEVICE_TESTS_ON
    printf("SKIP %s: device tests are off\n", kml_target_name(t));
    skip();
#endif
    if (kml_measure_available(t, &err)) {
        printf("SKIP %s: %s\n", kml_target_name(t), err.msg);
        skip();
    }
    char header[512], cmd[1024];
    snprintf(header, sizeof header, DIR "/measure_q_%s.h", kml_target_name(t));
    snprintf(cmd, sizeof cmd,
             KML_BINARY_DIR "/kml_devgen model --cell fastgrnn --D 6 --H 16 --C 4 --rank-u 4 --density-w 50 "
                            "--w16-u --T 20 --seed 9 --name QM -o %s",
             header);
    assert_int_equal(system(cmd), 0);
    kml_measure_opts o;
    kml_measure_opts_init(&o);
    o.target = t;
    o.header = header;
    o.name = "QM";
    o.windows = 6;
    kml_measure_result r;
    int rc = kml_measure(&o, &r, &err);
    if (rc) printf("measure failed: %s\n", err.msg);
    assert_int_equal(rc, 0);
    kml_measure_print(stdout, &r);
    assert_int_equal(r.n, 7);
    assert_int_equal(r.agree, 7);
    assert_int_equal(r.selfcheck, 1);
    assert_int_equal(r.fits, 1);
    /* integer state + scratch: (16 + 6 + 0 + 4 + 16) * 2 bytes */
    assert_true(r.ram_static_bytes >= 84);
    assert_true(r.cycles_per_step > 500 && r.cycles_per_window > 20 * r.cycles_per_step * 9 / 10);
}

static void test_measure_integer_atmega328p(void **state)
{
    (void)state;
    measure_integer_on(KML_TARGET_ATMEGA328P);
}

static void test_measure_integer_cortex_m0plus(void **state)
{
    (void)state;
    measure_integer_on(KML_TARGET_CORTEX_M0PLUS);
}

/* A header whose own test input (600 steps × 16 features, 19 KB) cannot fit beside the model
 * (int16 U, 8 KB): --measure must rebuild without it (selfcheck = -1) and still run, compare
 * and time the extra windows. */
static void test_measure_falls_back(void **state)
{
    (void)state;
    kml_error err = {{0}};
#ifndef KML_DEVICE_TESTS_ON
    skip();
#endif
    if (kml_measure_available(KML_TARGET_ATMEGA328P, &err)) skip();
    const char *header = DIR "/measure_big.h";
    assert_int_equal(system(KML_BINARY_DIR "/kml_devgen model --cell fastgrnn --D 16 --H 64 --C 4 --w16-u "
                                           "--T 600 --seed 4 --name BIG -o " DIR "/measure_big.h"),
                     0);
    kml_measure_opts o;
    kml_measure_opts_init(&o);
    o.target = KML_TARGET_ATMEGA328P;
    o.header = header;
    o.name = "BIG";
    o.T = 100;
    kml_measure_result r;
    int rc = kml_measure(&o, &r, &err);
    if (rc) printf("measure failed: %s\n", err.msg);
    assert_int_equal(rc, 0);
    kml_measure_print(stdout, &r);
    assert_int_equal(r.selfcheck, -1);
    assert_int_equal(r.extra_windows, 3); /* 12 KB of 100-step windows */
    assert_int_equal(r.n, 3);
    assert_int_equal(r.agree, 3);
    assert_true(r.flash_bytes > 8192 && r.flash_bytes <= 32768);
    assert_true(r.cycles_per_window > 90 * r.cycles_per_step);
}

static void test_measure_atmega328p(void **state)
{
    (void)state;
    measure_on(KML_TARGET_ATMEGA328P, DIR "/measure_avr.h");
}

/* (the float header on cortex-m0plus runs in device_cli_export_measure_cortex-m0plus) */

static void test_measure_rejects(void **state)
{
    (void)state;
    kml_error err = {{0}};
    assert_int_equal(kml_measure_available(KML_TARGET_HOST, &err), -1);
    assert_non_null(strstr(err.msg, "--target"));
    kml_measure_opts o;
    kml_measure_opts_init(&o);
    o.header = DIR "/no_such_header.h";
    o.name = "X";
    kml_measure_result r;
    if (kml_measure_available(o.target, &err)) skip();
    assert_int_equal(kml_measure(&o, &r, &err), -1);
    assert_non_null(strstr(err.msg, "no_such_header.h"));
}

static void test_vectors_writer(void **state)
{
    (void)state;
    kml_rng a, b;
    kml_rng_seed(&a, 3);
    kml_rng_seed(&b, 3);
    kml_error err = {{0}};
    assert_int_equal(kml_measure_write_vectors(DIR "/vec_a.h", 0, 2, 5, 3, 8, &a, &err), 0);
    assert_int_equal(kml_measure_write_vectors(DIR "/vec_b.h", 0, 2, 5, 3, 8, &b, &err), 0);
    FILE *fa = fopen(DIR "/vec_a.h", "r"), *fb = fopen(DIR "/vec_b.h", "r");
    assert_non_null(fa);
    assert_non_null(fb);
    char la[4096], lb[4096];
    size_t na = fread(la, 1, sizeof la - 1, fa), nb = fread(lb, 1, sizeof lb - 1, fb);
    fclose(fa);
    fclose(fb);
    la[na] = lb[nb] = 0;
    /* same seed, same windows (only the file name in the comment differs) */
    assert_string_equal(strstr(la, "#define"), strstr(lb, "#define"));
    assert_non_null(strstr(la, "kml_vec_x[30] KML_FLASH"));
    /* |x| <= 6.0 in Q8 */
    const char *p = strchr(strstr(la, "KML_FLASH"), '{') + 1;
    for (int k = 0; k < 30; k++) {
        long v = strtol(p, (char **)&p, 10);
        assert_true(v >= -1536 && v <= 1536);
        p++;
    }
    assert_int_equal(kml_measure_write_vectors(DIR "/vec_c.h", 0, 0, 5, 3, 8, &a, &err), -1);
}

/* the .kml the CLI test (device_cli_export_measure) exports and measures */
static void test_write_cli_model(void **state)
{
    (void)state;
    kml_model m;
    make_model(&m);
    kml_error err = {{0}};
    assert_int_equal(kml_model_file_write(DIR "/measure_model.kml", &m, NULL, NULL, NULL, &err), 0);
    kml_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_writer),
        cmocka_unit_test(test_measure_rejects),
        cmocka_unit_test(test_write_cli_model),
        cmocka_unit_test(test_measure_atmega328p),
        cmocka_unit_test(test_measure_integer_atmega328p),
        cmocka_unit_test(test_measure_integer_cortex_m0plus),
        cmocka_unit_test(test_measure_falls_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
