/* kml_internal.h: helpers shared by the deploy/ sources, not part of the public surface. */
#ifndef KILOML_KML_INTERNAL_H
#define KILOML_KML_INTERNAL_H

#include "kiloml/kml_mat.h"

/* Column pointers and row indices of a sparse matrix (kml_mat.h), whatever the value type. */
kml_status kml_mat_validate_index_(uint16_t rows, uint16_t cols, uint16_t nnz, const uint16_t *colptr,
                                   const uint8_t *idx8, const uint16_t *idx16);

/* Walks the columns of an integer matrix in order (column 0, 1, ...): the weight and index
 * pointers advance with the columns, so a product over all columns reads each column pointer
 * once and never multiplies an index (kml_mat_vec_q and the cells' per-unit loops use it).
 * kml_colwalk_next_ returns Σ_i x[i]·w_ij of the next column j, the same integer as
 * kml_mat_dot_col_q(m, x, j). */
typedef struct kml_colwalk_ {
    const int8_t *w8;
    const int16_t *w16;
    const uint8_t *i8;
    const uint16_t *i16;
    const uint16_t *cp;  /* sparse: &colptr[j + 1] of the next column j */
    uint16_t rows;
    uint16_t k;          /* sparse: colptr[j] of the next column */
    uint8_t kind;        /* see kml_mat_q.c */
} kml_colwalk_;

void kml_colwalk_init_(kml_colwalk_ *c, const kml_mat_q *m);
int32_t kml_colwalk_next_(kml_colwalk_ *c, const int16_t *x);

#endif
