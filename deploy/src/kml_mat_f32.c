/* kml_mat_f32.c: float products over weight matrices in flash (layouts in kml_mat.h).
 * Dimension letters: R rows (input length), K columns (outputs). */
#include "kiloml/kml_mat.h"
#include "kml_internal.h"

/* Bitmap column (kml_mat.h): the nonzeros at *wp in row order, advanced past them; the same
 * products added in the same order as the CSC loop, so the same float. */
static float dot_bitmap_f32(const uint8_t *bm, const float **wp, const float *x, uint16_t R)
{
    float acc = 0.0f;
    const float *w = *wp;
    uint16_t r;
    for (r = 0; r < R; r = (uint16_t)(r + 8), bm++) {
        uint8_t b = KML_READ_U8(bm);
        const float *xp = x + r;
        for (; b; b >>= 1, xp++)
            if (b & 1) {
                acc += KML_READ_F32(w) * *xp;
                w++;
            }
    }
    *wp = w;
    return acc;
}

float kml_mat_dot_col_f32(const kml_mat_f32 *m, const float *x, uint16_t j)
{
    float acc = 0.0f;
    if (m->layout == KML_MAT_BITMAP) {
        uint16_t RB = KML_BITMAP_COL_BYTES(m->rows);
        const float *w = m->val + kml_bitmap_count_(m->bitmap, (uint32_t)j * RB);
        return dot_bitmap_f32(m->bitmap + (uint32_t)j * RB, &w, x, m->rows);
    }
    if (m->layout == KML_MAT_DENSE) {
        const float *w = m->val + (uint32_t)j * m->rows;
        uint16_t i;
        for (i = 0; i < m->rows; i++) acc += KML_READ_F32(w + i) * x[i];
    } else {
        uint16_t k = KML_READ_U16(m->colptr + j), end = KML_READ_U16(m->colptr + j + 1);
        if (m->idx8)
            for (; k < end; k++) acc += KML_READ_F32(m->val + k) * x[KML_READ_U8(m->idx8 + k)];
        else
            for (; k < end; k++) acc += KML_READ_F32(m->val + k) * x[KML_READ_U16(m->idx16 + k)];
    }
    return acc;
}

void kml_mat_vec_f32(const kml_mat_f32 *m, const float *x, float *y)
{
    uint16_t j;
    if (m->layout == KML_MAT_BITMAP) { /* walk the columns in order: no counting */
        const float *w = m->val;
        const uint8_t *bm = m->bitmap;
        uint16_t RB = KML_BITMAP_COL_BYTES(m->rows);
        for (j = 0; j < m->cols; j++, bm += RB) y[j] = dot_bitmap_f32(bm, &w, x, m->rows);
        return;
    }
    for (j = 0; j < m->cols; j++) y[j] = kml_mat_dot_col_f32(m, x, j);
}

kml_status kml_mat_validate_f32(const kml_mat_f32 *m, uint16_t expect_rows, uint16_t expect_cols)
{
    if (!m) return KML_E_NULL;
    if (m->rows == 0 || m->cols == 0) return KML_E_DIMS;
    if ((expect_rows && m->rows != expect_rows) || (expect_cols && m->cols != expect_cols)) return KML_E_DIMS;
    if (!m->val) return KML_E_NULL;
    if (m->layout == KML_MAT_DENSE) return (uint32_t)m->rows * m->cols > 65535u ? KML_E_DIMS : KML_OK;
    if (m->layout == KML_MAT_SPARSE)
        return kml_mat_validate_index_(m->rows, m->cols, m->nnz, m->colptr, m->idx8, m->idx16);
    if (m->layout == KML_MAT_BITMAP) return kml_mat_validate_bitmap_(m->rows, m->cols, m->nnz, m->bitmap);
    return KML_E_LAYOUT;
}

uint32_t kml_mat_flash_bytes_f32(const kml_mat_f32 *m)
{
    if (m->layout == KML_MAT_DENSE) return (uint32_t)m->rows * m->cols * 4u;
    if (m->layout == KML_MAT_BITMAP) return (uint32_t)m->nnz * 4u + (uint32_t)m->cols * KML_BITMAP_COL_BYTES(m->rows);
    return (uint32_t)m->nnz * (4u + (m->rows <= 256 ? 1u : 2u)) + 2u * ((uint32_t)m->cols + 1u);
}
