/* kml_internal.h: helpers shared by the deploy/ sources, not part of the public surface. */
#ifndef KILOML_KML_INTERNAL_H
#define KILOML_KML_INTERNAL_H

#include "kiloml/kml_mat.h"

/* Column pointers and row indices of a sparse matrix (kml_mat.h), whatever the value type. */
kml_status kml_mat_validate_index_(uint16_t rows, uint16_t cols, uint16_t nnz, const uint16_t *colptr,
                                   const uint8_t *idx8, const uint16_t *idx16);

#endif
