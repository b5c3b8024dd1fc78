/* kiloml/kml_mat.h: weight matrices in flash and the products the cells need.
 *
 * Row-vector convention (as the trainer): y (1×cols) = x (1×rows) · W (rows×cols).
 * All three layouts are stored OUTPUT-MAJOR, so that one output is one contiguous run of flash and
 * one accumulator:
 *   KML_MAT_DENSE   val[j*rows + i] = W[i][j]            (W transposed, cols × rows)
 *   KML_MAT_SPARSE  column lists (CSC): the nonzeros of column j are
 *                   val[k], row index idx[k], for k in [colptr[j], colptr[j+1]);
 *                   colptr has cols+1 entries (uint16, so nnz <= 65535), colptr[0] = 0,
 *                   rows within a column strictly increasing. Row indices are uint8 (idx8)
 *                   when rows <= 256, else uint16 (idx16); the other pointer is NULL.
 *   KML_MAT_BITMAP  the sparsity pattern as one bit per entry: column j owns the RB = ceil(rows/8)
 *                   bytes bitmap[j*RB .. j*RB + RB), bit (i % 8) of byte i / 8 (LSB first) set when
 *                   W[i][j] != 0; the bits of the last byte beyond `rows` are 0. The nonzeros are
 *                   stored in val / w8 / w16 contiguously, column after column, rows increasing
 *                   within a column (the same order as CSC); nnz = the number of set bits.
 *                   No column pointers: the products walk the columns in order (kml_mat_vec_* and
 *                   the cells' unit loops), which is the only access pattern the cells use on a
 *                   U / W factor. kml_mat_dot_col_* on a bitmap matrix first counts the set bits of
 *                   the columns before j (O(j·RB) byte reads): correct, but meant for tests and
 *                   rare calls, not for a per-column loop. colptr / idx8 / idx16 are NULL.
 *                   rows <= KML_BITMAP_MAX_ROWS (2040: at most 255 pattern bytes per column).
 *                   Float path: the kernels and validation accept it (same floats as CSC), but the
 *                   float cell reads W2 / U2 through kml_mat_dot_col_f32 per column (the counting
 *                   above), and `kiloml export` never writes a float bitmap; it is meant for the
 *                   integer path, where the step walks the columns.
 *                   Flash: cols·RB + nnz·(value bytes), against CSC's 2(cols+1) + nnz·(value + index)
 *                   bytes: the smaller one once the density is above about 1/8 (uint8 indices).
 *
 * Float path: val is `const float *`. Integer path: values are int8 (w8, wbits = 8) or int16
 * (w16, wbits = 16), chosen per matrix, in Q q (see kml_q.h).
 *
 * Accumulator bound (integer path): for every column j, Σ_i |w_ij| <= 32768 (in integer units).
 * With |x_i| <= 32768 every partial sum stays within ±2^30, so the int32 accumulator cannot
 * overflow and the rounding shift cannot either; no saturation is needed inside the MAC loop.
 * kml_mat_validate_q checks it once (KML_E_OVERFLOW). For int8 weights it always holds up to
 * 256 rows. The quantizer must pick q so that it holds (kml_mat_colsum_max_q gives the figure).
 *
 * Dimension letters: R rows (input length), K columns (output length), N nonzeros.
 */
#ifndef KILOML_KML_MAT_H
#define KILOML_KML_MAT_H

#include <stdint.h>
#include "kiloml/kml_port.h"

enum { KML_MAT_DENSE = 0, KML_MAT_SPARSE = 1, KML_MAT_BITMAP = 2 };
#define KML_BITMAP_MAX_ROWS 2040

typedef struct kml_mat_f32 {
    uint16_t rows, cols;
    uint8_t layout;            /* KML_MAT_DENSE / KML_MAT_SPARSE / KML_MAT_BITMAP */
    uint16_t nnz;              /* sparse, bitmap: number of stored values; dense: ignored */
    const float *val;          /* flash */
    const uint16_t *colptr;    /* sparse: cols + 1 entries, flash */
    const uint8_t *idx8;       /* sparse, rows <= 256 */
    const uint16_t *idx16;     /* sparse, rows > 256 */
    const uint8_t *bitmap;     /* bitmap: cols * ceil(rows / 8) bytes, flash */
} kml_mat_f32;

typedef struct kml_mat_q {
    uint16_t rows, cols;
    uint8_t layout;            /* KML_MAT_DENSE / KML_MAT_SPARSE / KML_MAT_BITMAP */
    uint8_t wbits;             /* 8: w8 used, 16: w16 used */
    uint8_t q;                 /* fractional bits of the weights */
    uint16_t nnz;
    const int8_t *w8;          /* flash */
    const int16_t *w16;        /* flash */
    const uint16_t *colptr;
    const uint8_t *idx8;
    const uint16_t *idx16;
    const uint8_t *bitmap;     /* bitmap: cols * ceil(rows / 8) bytes, flash */
} kml_mat_q;

/* A linear map x -> x·W: full (rank 0: only `a` is used) or low rank (x·A)·B, never formed.
 * Integer low rank: the intermediate x·A is int16 in Q q_mid (saturated). */
typedef struct kml_lin_f32 {
    uint8_t rank;              /* 0 = full; else = a.cols = b.rows */
    kml_mat_f32 a, b;
} kml_lin_f32;

typedef struct kml_lin_q {
    uint8_t rank;
    uint8_t q_mid;
    kml_mat_q a, b;
} kml_lin_q;

/* ---- float kernels ---- */
/* x[R] · column j of m. */
float kml_mat_dot_col_f32(const kml_mat_f32 *m, const float *x, uint16_t j);
/* y[K] = x[R] · m. */
void kml_mat_vec_f32(const kml_mat_f32 *m, const float *x, float *y);

/* ---- integer kernels ---- */
/* Σ_i x[i]·w_ij as int32 in Q (q_x + m->q). */
int32_t kml_mat_dot_col_q(const kml_mat_q *m, const int16_t *x, uint16_t j);
/* y[K] = sat16(rshift_round(x[R] · m, shift)), i.e. from Q (q_x + m->q) to Q (q_x + m->q - shift). */
void kml_mat_vec_q(const kml_mat_q *m, const int16_t *x, uint8_t shift, int16_t *y);
/* Largest column sum Σ_i |w_ij| in integer units (the accumulator bound above). */
int32_t kml_mat_colsum_max_q(const kml_mat_q *m);

/* Structure checks (pointers, dims, layout, indices, the bound). expect_rows/cols: 0 = any. */
kml_status kml_mat_validate_f32(const kml_mat_f32 *m, uint16_t expect_rows, uint16_t expect_cols);
kml_status kml_mat_validate_q(const kml_mat_q *m, uint16_t expect_rows, uint16_t expect_cols);

/* Bytes the matrix occupies in flash (values + column pointers + indices, or values + bitmap). */
uint32_t kml_mat_flash_bytes_f32(const kml_mat_f32 *m);
uint32_t kml_mat_flash_bytes_q(const kml_mat_q *m);

#endif
