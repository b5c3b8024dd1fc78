/* kiloml/init_from.h: start a model from another trained model's parameters (train --init-from).
 *
 * The two models must have the same cell, D, H and C; ranks and nonlinearities may differ. Each
 * recurrent matrix is carried over as the linear map it computes: a full matrix is copied, or
 * multiplied out from its factors; a low-rank target gets the balanced factors of that map's best
 * rank-r approximation (kiloml/svd.h). So a full-rank source and a target of rank min(rows, cols)
 * compute the same function, and a smaller rank keeps the largest singular directions. Biases, the
 * cell scalars and the classifier are copied, and so is the source's input normalisation (it is part
 * of the function the parameters compute). */
#ifndef KILOML_INIT_FROM_H
#define KILOML_INIT_FROM_H

#include "kiloml/error.h"
#include "kiloml/model.h"

/* dst is allocated for its configuration (and usually seeded by kml_model_init_params: a target rank
 * above min(rows, cols) keeps the seeded values in its extra rows of the second factor, with zero
 * extra columns in the first, so the product is exact and the extra directions can still grow).
 * Returns 0, or -1 with err saying which dimension differs. */
int kml_model_init_from(kml_model *dst, const kml_model *src, kml_error *err);

#endif
