/* param_layout.h (private to train/): where each parameter sits in a model's one contiguous block,
 * shared by the float model (model.c) and the double one (cells_f64.c). */
#ifndef KML_PARAM_LAYOUT_H
#define KML_PARAM_LAYOUT_H

#include <stddef.h>

#include "kiloml/model.h"

/* Parameters in order, each rows·cols elements: parameter i occupies elements off[i] .. off[i+1]-1
 * (empty when off[i+1] == off[i]); returns the total, off[KML_PARAM_COUNT]. */
size_t kml_param_layout(const kml_param_shape shape[KML_PARAM_COUNT], size_t off[KML_PARAM_COUNT + 1]);

#endif
