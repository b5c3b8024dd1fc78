/* header_layout.h: descriptor sizes per target (header_layout.c); private to export/ and its tests. */
#ifndef KILOML_HEADER_LAYOUT_H
#define KILOML_HEADER_LAYOUT_H

#include <stddef.h>
#include "kiloml/header.h"

typedef enum {
    KML_LAYOUT_MAT_F32, KML_LAYOUT_MAT_Q, KML_LAYOUT_LIN_F32, KML_LAYOUT_LIN_Q, KML_LAYOUT_RNN_F32, KML_LAYOUT_RNN_Q
} kml_layout_struct;

/* sizeof(the struct) as the target's compiler lays it out (KML_TARGET_HOST: this compiler). */
size_t kml_layout_size(kml_layout_struct which, kml_target t);

#endif
