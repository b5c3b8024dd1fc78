/* cells_f32.c: the float instantiation of every cell, the classifier and the loss (kiloml/cell.h),
 * on cblas_sgemm. The kernels themselves are written once in gen_*.h. */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "cell_layout.h"
#include "kiloml/cell.h"

#define REAL float
#define GEMM cblas_sgemm
#define EXP expf
#define TANH tanhf
#define MODEL kml_model
#define KML_API(name) name

#include "gen_cells_all.h"
