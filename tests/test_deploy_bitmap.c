/* test_deploy_bitmap.c: the KML_MAT_BITMAP layout of deploy/ (kml_mat.h).
 *
 * Kernel parity: seeded random matrices of several shapes (rows not a multiple of 8, rows = 1,
 * rows > 256, empty and full columns, densities 0 to 1), int8 and int16: the bitmap kernels give
 * exactly the integers of the dense kernels on the densified matrix and of the CSC kernels
 * (kml_mat_dot_col_q per column, kml_mat_vec_q with a rounding shift, the accumulator bound
 * kml_mat_colsum_max_q); the float kernels give the same floats as CSC and dense. Validation
 * refuses a bitmap whose set bits disagree with nnz, a bit beyond `rows`, a NULL bitmap, and a
 * column over the accumulator bound. Flash bytes are the real array sizes.
 * Dimension letters: R rows, K columns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kiloml/deploy.h"
#include "kiloml/rng.h"

/* One matrix in the three layouts, built from the same dense weights. */
typedef struct {
    int R, K, bits;
    long *w;              /* dense, output-major w[j*R + i] */
    int8_t *d8, *s8;      /* dense / sparse values */
    int16_t *d16, *s16;
    float *df, *sf;
    uint16_t *ptr;
    uint8_t *idx8;
    uint16_t *idx16;
    uint8_t *bm;
    int nnz;
    kml_mat_q dense, csc, bitmap;
    kml_mat_f32 fdense, fcsc, fbitmap;
} trio;

/* Column kinds: pct < 0 picks per column among empty, full and random at |pct|. */
static void trio_make(trio *t, kml_rng *r, int R, int K, int bits, int pct)
{
    memset(t, 0, sizeof *t);
    t->R = R, t->K = K, t->bits = bits;
    size_t n = (size_t)R * K, RB = ((size_t)R + 7) / 8;
    long amp = bits == 8 ? 127 : 32768 / R; /* int16: keep every column sum <= 32768 */
    if (bits == 16 && amp > 32767) amp = 32767;
    t->w = calloc(n, sizeof *t->w);
    t->d8 = calloc(n, 1), t->s8 = calloc(n + 1, 1);
    t->d16 = calloc(n, 2), t->s16 = calloc(n + 1, 2);
    t->df = calloc(n, sizeof(float)), t->sf = calloc(n + 1, sizeof(float));
    t->ptr = calloc((size_t)K + 1, 2);
    t->idx8 = calloc(n + 1, 1), t->idx16 = calloc(n + 1, 2);
    t->bm = calloc((size_t)K * RB, 1);
    assert_true(t->w && t->d8 && t->s8 && t->d16 && t->s16 && t->df && t->sf && t->ptr && t->idx8 && t->idx16 && t->bm);
    int k = 0;
    for (int j = 0; j < K; j++) {
        int p = pct;
        if (pct < 0) {
            int kind = (int)kml_rng_below(r, 4);
            p = kind == 0 ? 0 : kind == 1 ? 100 : -pct;
        }
        t->ptr[j] = (uint16_t)k;
        for (int i = 0; i < R; i++) {
            long v = 0;
            if ((int)kml_rng_below(r, 100) < p)
                while (v == 0) v = (long)kml_rng_below(r, (uint32_t)(2 * amp + 1)) - amp;
            t->w[(size_t)j * R + i] = v;
            t->d8[(size_t)j * R + i] = (int8_t)v, t->d16[(size_t)j * R + i] = (int16_t)v;
            t->df[(size_t)j * R + i] = (float)v / 64.0f;
            if (!v) continue;
            t->s8[k] = (int8_t)v, t->s16[k] = (int16_t)v, t->sf[k] = (float)v / 64.0f;
            t->idx8[k] = (uint8_t)i, t->idx16[k] = (uint16_t)i;
            t->bm[(size_t)j * RB + (size_t)i / 8] |= (uint8_t)(1u << (i % 8));
            k++;
        }
    }
    t->ptr[K] = (uint16_t)k;
    t->nnz = k;
    kml_mat_q base = {(uint16_t)R, (uint16_t)K, KML_MAT_DENSE, (uint8_t)bits, 3, 0, NULL, NULL, NULL, NULL, NULL, NULL};
    t->dense = t->csc = t->bitmap = base;
    t->dense.w8 = bits == 8 ? t->d8 : NULL, t->dense.w16 = bits == 16 ? t->d16 : NULL;
    t->csc.layout = KML_MAT_SPARSE, t->csc.nnz = (uint16_t)k, t->csc.colptr = t->ptr;
    t->csc.w8 = bits == 8 ? t->s8 : NULL, t->csc.w16 = bits == 16 ? t->s16 : NULL;
    if (R <= 256) t->csc.idx8 = t->idx8;
    else t->csc.idx16 = t->idx16;
    t->bitmap.layout = KML_MAT_BITMAP, t->bitmap.nnz = (uint16_t)k, t->bitmap.bitmap = t->bm;
    t->bitmap.w8 = t->csc.w8, t->bitmap.w16 = t->csc.w16;
    kml_mat_f32 fb = {(uint16_t)R, (uint16_t)K, KML_MAT_DENSE, 0, t->df, NULL, NULL, NULL, NULL};
    t->fdense = t->fcsc = t->fbitmap = fb;
    t->fcsc.layout = KML_MAT_SPARSE, t->fcsc.nnz = (uint16_t)k, t->fcsc.val = t->sf, t->fcsc.colptr = t->ptr;
    if (R <= 256) t->fcsc.idx8 = t->idx8;
    else t->fcsc.idx16 = t->idx16;
    t->fbitmap.layout = KML_MAT_BITMAP, t->fbitmap.nnz = (uint16_t)k, t->fbitmap.val = t->sf, t->fbitmap.bitmap = t->bm;
}

static void trio_free(trio *t)
{
    free(t->w), free(t->d8), free(t->s8), free(t->d16), free(t->s16), free(t->df), free(t->sf);
    free(t->ptr), free(t->idx8), free(t->idx16), free(t->bm);
}

static void check_trio(trio *t, kml_rng *r)
{
    int R = t->R, K = t->K;
    assert_int_equal(kml_mat_validate_q(&t->bitmap, (uint16_t)R, (uint16_t)K), KML_OK);
    assert_int_equal(kml_mat_validate_q(&t->csc, (uint16_t)R, (uint16_t)K), KML_OK);
    assert_int_equal(kml_mat_validate_f32(&t->fbitmap, (uint16_t)R, (uint16_t)K), KML_OK);
    /* flash: values + one bit per entry, rounded up to whole bytes per column */
    uint32_t wb = (uint32_t)t->bits / 8u, RB = ((uint32_t)R + 7u) / 8u;
    assert_int_equal(kml_mat_flash_bytes_q(&t->bitmap), (uint32_t)t->nnz * wb + (uint32_t)K * RB);
    assert_int_equal(kml_mat_flash_bytes_f32(&t->fbitmap), (uint32_t)t->nnz * 4u + (uint32_t)K * RB);
    assert_int_equal(kml_mat_colsum_max_q(&t->bitmap), kml_mat_colsum_max_q(&t->dense));
    assert_int_equal(kml_mat_colsum_max_q(&t->bitmap), kml_mat_colsum_max_q(&t->csc));
    int16_t *x = malloc(sizeof(int16_t) * (size_t)R);
    float *xf = malloc(sizeof(float) * (size_t)R);
    int16_t *yd = malloc(2 * (size_t)K), *yc = malloc(2 * (size_t)K), *yb = malloc(2 * (size_t)K);
    float *fd = malloc(sizeof(float) * (size_t)K), *fc = malloc(sizeof(float) * (size_t)K),
          *fbm = malloc(sizeof(float) * (size_t)K);
    assert_true(x && xf && yd && yc && yb && fd && fc && fbm);
    for (int trial = 0; trial < 3; trial++) {
        for (int i = 0; i < R; i++) {
            /* trial 0: extremes of int16, else random */
            x[i] = trial == 0 ? (int16_t)(i % 2 ? 32767 : -32768) : (int16_t)((long)kml_rng_below(r, 65536) - 32768);
            xf[i] = (float)x[i] / 256.0f;
        }
        for (int j = 0; j < K; j++) {
            int64_t ref = 0;
            for (int i = 0; i < R; i++) ref += (int64_t)t->w[(size_t)j * R + i] * x[i];
            int32_t b = kml_mat_dot_col_q(&t->bitmap, x, (uint16_t)j);
            assert_true((int64_t)b == ref);
            assert_int_equal(b, kml_mat_dot_col_q(&t->dense, x, (uint16_t)j));
            assert_int_equal(b, kml_mat_dot_col_q(&t->csc, x, (uint16_t)j));
            float f = kml_mat_dot_col_f32(&t->fbitmap, xf, (uint16_t)j);
            float g = kml_mat_dot_col_f32(&t->fcsc, xf, (uint16_t)j);
            assert_memory_equal(&f, &g, sizeof f);
        }
        for (uint8_t shift = 0; shift <= 12; shift = (uint8_t)(shift + 6)) {
            kml_mat_vec_q(&t->dense, x, shift, yd);
            kml_mat_vec_q(&t->csc, x, shift, yc);
            kml_mat_vec_q(&t->bitmap, x, shift, yb);
            assert_memory_equal(yb, yd, 2 * (size_t)K);
            assert_memory_equal(yb, yc, 2 * (size_t)K);
        }
        kml_mat_vec_f32(&t->fdense, xf, fd);
        kml_mat_vec_f32(&t->fcsc, xf, fc);
        kml_mat_vec_f32(&t->fbitmap, xf, fbm);
        assert_memory_equal(fbm, fc, sizeof(float) * (size_t)K);
        /* dense adds the zero products too: the same float (x finite, adding +0 or -0 changes nothing
         * but the sign of a zero sum) */
        for (int j = 0; j < K; j++) assert_true(fbm[j] == fd[j]);
    }
    free(x), free(xf), free(yd), free(yc), free(yb), free(fd), free(fc), free(fbm);
}

static void test_parity_shapes(void **state)
{
    (void)state;
    static const int shapes[][3] = {
        /* R, K, density % (< 0: empty / full / random columns mixed) */
        {1, 1, 100}, {1, 7, 50},   {1, 5, -50},  {7, 3, 40},   {8, 4, 30},    {9, 5, -30},  {13, 11, 0},
        {16, 16, 100}, {40, 80, 30}, {80, 40, 30}, {80, 40, -20}, {33, 17, 5}, {300, 3, 20}, {256, 2, -60},
    };
    kml_rng r;
    kml_rng_seed(&r, 42);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int bits = 8; bits <= 16; bits += 8) {
            trio t;
            trio_make(&t, &r, shapes[s][0], shapes[s][1], bits, shapes[s][2]);
            check_trio(&t, &r);
            trio_free(&t);
        }
}

/* The bitmap kernels read only the set bits' values: a pattern of one bit at each position of a
 * byte, and all eight, checked against hand sums. */
static void test_bit_positions(void **state)
{
    (void)state;
    int16_t x[10] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
    for (int b = 0; b < 10; b++) {
        uint8_t bm[2] = {0, 0};
        bm[b / 8] = (uint8_t)(1u << (b % 8));
        int8_t w8[1] = {-3};
        kml_mat_q m = {10, 1, KML_MAT_BITMAP, 8, 0, 1, w8, NULL, NULL, NULL, NULL, bm};
        assert_int_equal(kml_mat_validate_q(&m, 10, 1), KML_OK);
        assert_int_equal(kml_mat_dot_col_q(&m, x, 0), -3 * x[b]);
    }
    uint8_t all[2] = {0xFF, 0x03};
    int16_t w16[10] = {1, -1, 2, -2, 3, -3, 4, -4, 5, -5};
    kml_mat_q m = {10, 1, KML_MAT_BITMAP, 16, 0, 10, NULL, w16, NULL, NULL, NULL, all};
    int32_t want = 0;
    for (int i = 0; i < 10; i++) want += w16[i] * x[i];
    assert_int_equal(kml_mat_dot_col_q(&m, x, 0), want);
}

static void test_validate_rejects(void **state)
{
    (void)state;
    /* 10 rows x 2 columns: 2 bytes per column, bits 10..15 of each column's second byte unused */
    uint8_t bm[4] = {0x05, 0x02, 0x80, 0x00}; /* column 0: rows 0, 2, 9; column 1: row 7 */
    int8_t w[4] = {1, 2, 3, 4};
    kml_mat_q m = {10, 2, KML_MAT_BITMAP, 8, 0, 4, w, NULL, NULL, NULL, NULL, bm};
    assert_int_equal(kml_mat_validate_q(&m, 10, 2), KML_OK);
    assert_int_equal(kml_mat_flash_bytes_q(&m), 4u + 4u);
    kml_mat_q bad = m;
    bad.nnz = 3; /* set bits 4 != nnz */
    assert_int_equal(kml_mat_validate_q(&bad, 0, 0), KML_E_INDEX);
    bad.nnz = 5;
    assert_int_equal(kml_mat_validate_q(&bad, 0, 0), KML_E_INDEX);
    uint8_t stray[4] = {0x05, 0x06, 0x80, 0x00}; /* bit 10 of column 0: a row that does not exist */
    bad = m;
    bad.nnz = 5;
    bad.bitmap = stray;
    assert_int_equal(kml_mat_validate_q(&bad, 0, 0), KML_E_INDEX);
    uint8_t stray_last[4] = {0x05, 0x02, 0x80, 0x80}; /* bit 15 of the last column */
    bad.bitmap = stray_last;
    assert_int_equal(kml_mat_validate_q(&bad, 0, 0), KML_E_INDEX);
    bad = m;
    bad.bitmap = NULL;
    assert_int_equal(kml_mat_validate_q(&bad, 0, 0), KML_E_NULL);
    bad = m;
    bad.w8 = NULL;
    assert_int_equal(kml_mat_validate_q(&bad, 0, 0), KML_E_NULL);
    /* too tall for a bitmap (2041 rows: 256 pattern bytes per column) */
    static uint8_t tall_bm[256];
    kml_mat_q tall = {2041, 1, KML_MAT_BITMAP, 8, 0, 0, w, NULL, NULL, NULL, NULL, tall_bm};
    assert_int_equal(kml_mat_validate_q(&tall, 0, 0), KML_E_DIMS);
    tall.rows = 2040;
    assert_int_equal(kml_mat_validate_q(&tall, 0, 0), KML_OK);
    bad = m;
    bad.layout = 3; /* no fourth layout */
    assert_int_equal(kml_mat_validate_q(&bad, 0, 0), KML_E_LAYOUT);
    /* accumulator bound on a bitmap column: 3 x 16384 > 32768 */
    uint8_t full[1] = {0x07};
    int16_t big[3] = {16384, 16384, 16384};
    kml_mat_q o = {3, 1, KML_MAT_BITMAP, 16, 0, 3, NULL, big, NULL, NULL, NULL, full};
    assert_int_equal(kml_mat_colsum_max_q(&o), 3 * 16384);
    assert_int_equal(kml_mat_validate_q(&o, 0, 0), KML_E_OVERFLOW);
    /* float: the same checks */
    float fv[4] = {1, 2, 3, 4};
    kml_mat_f32 f = {10, 2, KML_MAT_BITMAP, 4, fv, NULL, NULL, NULL, bm};
    assert_int_equal(kml_mat_validate_f32(&f, 10, 2), KML_OK);
    f.nnz = 2;
    assert_int_equal(kml_mat_validate_f32(&f, 10, 2), KML_E_INDEX);
    f.nnz = 4;
    f.bitmap = NULL;
    assert_int_equal(kml_mat_validate_f32(&f, 10, 2), KML_E_NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parity_shapes),
        cmocka_unit_test(test_bit_positions),
        cmocka_unit_test(test_validate_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
