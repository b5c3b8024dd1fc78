/* test_svd.c: the Jacobi SVD (kiloml/svd.h) on tall, wide, square and rank-deficient matrices: U·S·Vᵀ
 * gives A back, U and V have orthonormal columns, the singular values come sorted and match a matrix
 * built with known ones; the rank-r factors are balanced, reproduce a rank-r matrix exactly and leave
 * the Eckart–Young error (the discarded singular values) on a full one; a non-finite matrix fails. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kiloml/rng.h"
#include "kiloml/svd.h"

static double *randmat(kml_rng *r, int m, int n)
{
    double *a = malloc((size_t)m * n * sizeof *a);
    for (int i = 0; i < m * n; i++) a[i] = kml_rng_normal(r);
    return a;
}

/* max |A − U S Vᵀ|, max |UᵀU − I|, max |VᵀV − I| */
static void check_decomposition(const double *a, int m, int n)
{
    const int k = m < n ? m : n;
    double *u = malloc((size_t)m * k * sizeof *u), *s = malloc((size_t)k * sizeof *s), *v = malloc((size_t)n * k * sizeof *v);
    assert_int_equal(kml_svd(a, m, n, u, s, v), 0);
    double scale = 0;
    for (int i = 0; i < m * n; i++) scale = fmax(scale, fabs(a[i]));
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double x = 0;
            for (int c = 0; c < k; c++) x += u[i * k + c] * s[c] * v[j * k + c];
            if (fabs(x - a[i * n + j]) > 1e-10 * (scale + 1)) fail_msg("%dx%d: A[%d][%d] %g, U S V' %g", m, n, i, j, a[i * n + j], x);
        }
    for (int c = 0; c < k; c++) {
        assert_true(s[c] >= 0);
        if (c) assert_true(s[c] <= s[c - 1]);
        for (int d = 0; d < k; d++) {
            double uu = 0, vv = 0;
            for (int i = 0; i < m; i++) uu += u[i * k + c] * u[i * k + d];
            for (int j = 0; j < n; j++) vv += v[j * k + c] * v[j * k + d];
            /* a zero singular value has a zero left vector: only the nonzero ones are orthonormal */
            if (s[c] > 1e-12 * s[0] && s[d] > 1e-12 * s[0]) assert_true(fabs(uu - (c == d)) < 1e-10);
            assert_true(fabs(vv - (c == d)) < 1e-10);
        }
    }
    free(u), free(s), free(v);
}

static void reconstructs_tall_wide_square(void **state)
{
    (void)state;
    kml_rng r;
    kml_rng_seed(&r, 3);
    const int dims[][2] = {{1, 1}, {1, 6}, {6, 1}, {9, 80}, {80, 9}, {40, 40}, {7, 5}, {80, 240}};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        double *a = randmat(&r, dims[i][0], dims[i][1]);
        check_decomposition(a, dims[i][0], dims[i][1]);
        free(a);
    }
}

/* A = Q1 · diag(5, 3, 1, 0.5, 0) · Q2ᵀ with Q1, Q2 orthonormal columns (Gram–Schmidt of random ones) */
static void known_singular_values(void **state)
{
    (void)state;
    kml_rng r;
    kml_rng_seed(&r, 4);
    const int m = 12, n = 8, k = 5;
    const double want[5] = {5, 3, 1, 0.5, 0};
    double q1[12 * 5], q2[8 * 5];
    double *cols[2] = {q1, q2};
    const int rows[2] = {m, n};
    for (int w = 0; w < 2; w++) {
        double *q = cols[w];
        for (int i = 0; i < rows[w] * k; i++) q[i] = kml_rng_normal(&r);
        for (int c = 0; c < k; c++) {
            for (int d = 0; d < c; d++) {
                double dot = 0;
                for (int i = 0; i < rows[w]; i++) dot += q[i * k + c] * q[i * k + d];
                for (int i = 0; i < rows[w]; i++) q[i * k + c] -= dot * q[i * k + d];
            }
            double nn = 0;
            for (int i = 0; i < rows[w]; i++) nn += q[i * k + c] * q[i * k + c];
            for (int i = 0; i < rows[w]; i++) q[i * k + c] /= sqrt(nn);
        }
    }
    double a[12 * 8] = {0};
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
            for (int c = 0; c < k; c++) a[i * n + j] += q1[i * k + c] * want[c] * q2[j * k + c];
    double u[12 * 8], s[8], v[8 * 8];
    assert_int_equal(kml_svd(a, m, n, u, s, v), 0);
    for (int c = 0; c < k; c++) assert_true(fabs(s[c] - want[c]) < 1e-12);
    for (int c = k; c < n; c++) assert_true(s[c] < 1e-12);
    check_decomposition(a, m, n);

    /* rank 4 (its true rank): the factors give A back to float rounding, and are balanced (each
     * factor's column / row c has norm sqrt(s_c)) */
    float f1[12 * 4], f2[4 * 8];
    assert_int_equal(kml_lowrank_factors(a, m, n, 4, f1, f2), 0);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double x = 0;
            for (int c = 0; c < 4; c++) x += (double)f1[i * 4 + c] * f2[c * n + j];
            assert_true(fabs(x - a[i * n + j]) < 1e-6);
        }
    for (int c = 0; c < 4; c++) {
        double c1 = 0, c2 = 0;
        for (int i = 0; i < m; i++) c1 += (double)f1[i * 4 + c] * f1[i * 4 + c];
        for (int j = 0; j < n; j++) c2 += (double)f2[c * n + j] * f2[c * n + j];
        assert_true(fabs(c1 - want[c]) < 1e-5 && fabs(c2 - want[c]) < 1e-5);
    }
}

/* Rank r of a full random matrix: ‖A − F1F2‖²_F equals the sum of the discarded s_c² (Eckart–Young);
 * a rank above min(m, n) leaves the caller's extra column / row untouched. */
static void truncation_error_is_the_discarded_values(void **state)
{
    (void)state;
    kml_rng r;
    kml_rng_seed(&r, 5);
    const int m = 20, n = 9;
    double *a = randmat(&r, m, n), s[9], u[20 * 9], v[9 * 9];
    assert_int_equal(kml_svd(a, m, n, u, s, v), 0);
    for (int rk = 1; rk <= 9; rk++) {
        float *f1 = malloc((size_t)m * rk * sizeof *f1), *f2 = malloc((size_t)rk * n * sizeof *f2);
        assert_int_equal(kml_lowrank_factors(a, m, n, rk, f1, f2), 0);
        double e = 0, want = 0;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double x = 0;
                for (int c = 0; c < rk; c++) x += (double)f1[i * rk + c] * f2[c * n + j];
                e += (x - a[i * n + j]) * (x - a[i * n + j]);
            }
        for (int c = rk; c < 9; c++) want += s[c] * s[c];
        if (fabs(e - want) > 1e-5 * (1 + want)) fail_msg("rank %d: error %g, discarded %g", rk, e, want);
        free(f1), free(f2);
    }
    float f1[20 * 11], f2[11 * 9];
    for (int i = 0; i < 20 * 11; i++) f1[i] = 7.0f;
    for (int i = 0; i < 11 * 9; i++) f2[i] = 7.0f;
    assert_int_equal(kml_lowrank_factors(a, m, n, 11, f1, f2), 0);
    for (int i = 0; i < m; i++) assert_true(f1[i * 11 + 9] == 7.0f && f1[i * 11 + 10] == 7.0f);
    for (int j = 0; j < n; j++) assert_true(f2[9 * n + j] == 7.0f && f2[10 * n + j] == 7.0f);
    a[17] = NAN;
    assert_int_equal(kml_lowrank_factors(a, m, n, 3, f1, f2), -1);
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reconstructs_tall_wide_square),
        cmocka_unit_test(known_singular_values),
        cmocka_unit_test(truncation_error_is_the_discarded_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
