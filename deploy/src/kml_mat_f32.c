/* kml_mat_f32.c: float products over weight matrices in flash (layouts in kml_mat.h).
 * Dimension letters: R rows (input length), K columns (outputs). */
#include "kiloml/kml_mat.h"
#include "kml_internal.h"

float kml_mat_dot_col_f32(const kml_mat_f32 *m, const float *x, uint16_t j)
{
    float acc = 0.0f;
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
    return KML_E_LAYOUT;
}

uint32_t kml_mat_flash_bytes_f32(const kml_mat_f32 *m)
{
    if (m->layout == KML_MAT_DENSE) return (uint32_t)m->rows * m->cols * 4u;
    return (uint32_t)m->nnz * (4u + (m->rows <= 256 ? 1u : 2u)) + 2u * ((uint32_t)m->cols + 1u);
}
