/* init_from.c: see kiloml/init_from.h. */
#include "kiloml/init_from.h"

#include <stdlib.h>
#include <string.h>

#include "kiloml/svd.h"

/* the map a model's W (or U) slot computes, rows × cols in double: the matrix itself or F1·F2 */
static double *effective(const kml_model *m, kml_param_id full, kml_param_id f1, kml_param_id f2, int *rows,
                         int *cols)
{
    if (m->p[full]) {
        const kml_param_shape s = m->shape[full];
        double *a = malloc((size_t)s.rows * s.cols * sizeof *a);
        if (!a) return NULL;
        for (size_t i = 0; i < (size_t)s.rows * s.cols; i++) a[i] = m->p[full][i];
        *rows = s.rows;
        *cols = s.cols;
        return a;
    }
    const kml_param_shape s1 = m->shape[f1], s2 = m->shape[f2];
    double *a = calloc((size_t)s1.rows * s2.cols, sizeof *a);
    if (!a) return NULL;
    for (int i = 0; i < s1.rows; i++)
        for (int k = 0; k < s1.cols; k++) {
            const double x = m->p[f1][(size_t)i * s1.cols + k];
            for (int j = 0; j < s2.cols; j++) a[(size_t)i * s2.cols + j] += x * m->p[f2][(size_t)k * s2.cols + j];
        }
    *rows = s1.rows;
    *cols = s2.cols;
    return a;
}

static int carry_matrix(kml_model *dst, const kml_model *src, kml_param_id full, kml_param_id f1, kml_param_id f2,
                        kml_error *err)
{
    int rows = 0, cols = 0;
    double *a = effective(src, full, f1, f2, &rows, &cols);
    if (!a) return kml_error_set(err, "--init-from: out of memory");
    int rc = 0;
    if (dst->p[full]) {
        for (size_t i = 0; i < (size_t)rows * cols; i++) dst->p[full][i] = (float)a[i];
    } else {
        const int r = dst->shape[f1].cols;
        float *w1 = dst->p[f1];
        for (int i = 0; i < rows; i++) /* zero extra columns: the product stays exact when r > min(rows, cols) */
            for (int c = 0; c < r; c++) w1[(size_t)i * r + c] = 0.0f;
        if (kml_lowrank_factors(a, rows, cols, r, w1, dst->p[f2]))
            rc = kml_error_set(err, "--init-from: the %s matrix of the source model is not finite (no SVD)",
                               kml_param_name(full));
    }
    free(a);
    return rc;
}

static int copy_norm(kml_norm *dst, const kml_norm *src, kml_error *err)
{
    kml_norm_free(dst);
    memset(dst, 0, sizeof *dst);
    if (!src->mean || !src->std) return 0;
    const size_t n = (size_t)(src->mode == KML_NORM_PER_STEP ? src->T : 1) * src->F;
    dst->mean = malloc(n * sizeof(float));
    dst->std = malloc(n * sizeof(float));
    if (!dst->mean || !dst->std) {
        kml_norm_free(dst);
        return kml_error_set(err, "--init-from: out of memory");
    }
    memcpy(dst->mean, src->mean, n * sizeof(float));
    memcpy(dst->std, src->std, n * sizeof(float));
    dst->mode = src->mode;
    dst->T = src->T;
    dst->F = src->F;
    return 0;
}

int kml_model_init_from(kml_model *dst, const kml_model *src, kml_error *err)
{
    const kml_model_config *a = &dst->cfg, *b = &src->cfg;
    if (a->cell != b->cell)
        return kml_error_set(err, "--init-from: the source model is a %s, this run trains a %s", kml_cell_name(b->cell),
                             kml_cell_name(a->cell));
    if (a->D != b->D || a->H != b->H || a->C != b->C)
        return kml_error_set(err, "--init-from: the source model has D = %d, H = %d, C = %d; this run has D = %d, H = %d, C = %d",
                             b->D, b->H, b->C, a->D, a->H, a->C);
    if (carry_matrix(dst, src, KML_P_W, KML_P_W1, KML_P_W2, err) ||
        carry_matrix(dst, src, KML_P_U, KML_P_U1, KML_P_U2, err))
        return -1;
    for (int i = 0; i < KML_PARAM_COUNT; i++) {
        const kml_param_kind k = kml_param_kind_of((kml_param_id)i);
        if (k == KML_PK_W || k == KML_PK_U || !dst->p[i]) continue;
        /* same cell, H, D, C: every other tensor has the same shape in both */
        memcpy(dst->p[i], src->p[i], (size_t)dst->shape[i].rows * dst->shape[i].cols * sizeof(float));
    }
    return copy_norm(&dst->norm, &src->norm, err);
}
