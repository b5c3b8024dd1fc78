/* test_measure_stream.c: the byte stream `kiloml export --measure --data` sends through the
 * simulated chip's UART (kml_measure_write_stream; format in examples/firmware/model_main.c):
 * little-endian uint16 N, then per window uint16 T and T*D int16 = kml_q_input(x, q_in) of the
 * raw floats, time-major, only the window's own T steps; bad lengths are refused and leave no
 * file behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "kiloml/measure.h"
#include "kiloml/qmodel.h"

#define DIR KML_BINARY_DIR "/tests"

static unsigned char *slurp(const char *path, long *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)*n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)*n, f), (size_t)*n);
    fclose(f);
    return b;
}

static int get16(const unsigned char *b, long *pos)
{
    int v = b[*pos] | b[*pos + 1] << 8;
    *pos += 2;
    return v;
}

static void test_stream_format(void **state)
{
    (void)state;
    enum { N = 3, TM = 5, D = 2, Q = 10 };
    float x[N * TM * D];
    for (int k = 0; k < N * TM * D; k++) x[k] = (float)(k - 13) * 0.37f + (k % 3 == 0 ? 40.0f : 0.0f);
    x[3] = -100.0f;                        /* saturates at -32768 */
    x[4] = 0.5f / 1024.0f;                 /* rounds half away from zero */
    const int32_t len[N] = {5, 2, 4};
    const char *path = DIR "/stream_test.bin";
    kml_error err = {{0}};
    assert_int_equal(kml_measure_write_stream(path, x, len, TM, N, D, Q, &err), 0);
    long n, pos = 0;
    unsigned char *b = slurp(path, &n);
    assert_int_equal(n, 2 + N * 2 + (5 + 2 + 4) * D * 2);
    assert_int_equal(get16(b, &pos), N);
    for (int w = 0; w < N; w++) {
        assert_int_equal(get16(b, &pos), len[w]);
        for (int k = 0; k < len[w] * D; k++) {
            int16_t got = (int16_t)get16(b, &pos);
            assert_int_equal(got, kml_q_input(x[w * TM * D + k], Q));
        }
    }
    assert_int_equal(pos, n);
    /* the saturated and the rounded values, spelled out */
    pos = 4;
    assert_int_equal((int16_t)(b[4 + 6] | b[4 + 7] << 8), -32768);
    assert_int_equal((int16_t)(b[4 + 8] | b[4 + 9] << 8), 1);
    free(b);

    /* no lengths: every window has TM steps */
    assert_int_equal(kml_measure_write_stream(path, x, NULL, TM, N, D, Q, &err), 0);
    b = slurp(path, &n);
    assert_int_equal(n, 2 + N * (2 + TM * D * 2));
    pos = 2;
    assert_int_equal(get16(b, &pos), TM);
    free(b);
    remove(path);
}

static void test_stream_rejects(void **state)
{
    (void)state;
    float x[8] = {0};
    const int32_t bad[2] = {2, 3}; /* 3 > T_max 2 */
    const char *path = DIR "/stream_bad.bin";
    remove(path);
    kml_error err = {{0}};
    assert_int_equal(kml_measure_write_stream(path, x, bad, 2, 2, 2, 8, &err), -1);
    assert_non_null(strstr(err.msg, "window 1 has 3 steps"));
    assert_int_not_equal(access(path, F_OK), 0);
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_int_not_equal(access(tmp, F_OK), 0);
    assert_int_equal(kml_measure_write_stream(path, x, NULL, 2, 0, 2, 8, &err), -1);
    assert_int_equal(kml_measure_write_stream(path, x, NULL, 2, 70000, 2, 8, &err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_format),
        cmocka_unit_test(test_stream_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
