/* cells_f32.c: the float instantiation of every cell, the classifier and the loss (kiloml/cell.h),
 * on cblas_sgemm, with the vectorisable exp/tanh/sigmoid of fastmath_f32.h. The kernels themselves
 * are written once in gen_*.h. */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "cell_layout.h"
#include "fastmath_f32.h"
#include "kiloml/cell.h"

#define REAL float
#define GEMM cblas_sgemm
#define TANH kml_ftanh
#define SIGM kml_fsigm
#define MODEL kml_model
#define KML_API(name) name
/* The hot elementwise loops are compiled for AVX-512, AVX2 and baseline x86-64, chosen at load time.
 * With -std=c11 GCC does not contract a·b + c into FMA, so every clone computes the same bits. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define KML_VEC_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define KML_VEC_CLONES
#endif

#include "gen_cells_all.h"
