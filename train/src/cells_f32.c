/* cells_f32.c: the float instantiation of every cell, the classifier and the loss (kiloml/cell.h),
 * on cblas_sgemm, with the vectorisable exp/tanh/sigmoid of fastmath_f32.h. The kernels themselves
 * are written once in gen_*.h. */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "cell_layout.h"
#include "cell_threads.h"
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

/* Flush denormals to zero inside the cell kernels: gradients that vanish through a plain RNN's
 * or a GRU's recurrence otherwise walk into the denormal range, where each float operation costs
 * some hundred cycles (the plain RNN's backward ran 10x slower). Values below 1.2e-38 become 0;
 * the caller's floating-point state is restored on return. */
#if defined(__x86_64__) || defined(__SSE__)
#include <xmmintrin.h>
#define KML_FP_ENTER(saved) const unsigned saved = _mm_getcsr(); _mm_setcsr(saved | 0x8040u) /* FTZ | DAZ */
#define KML_FP_LEAVE(saved) _mm_setcsr(saved)
#else
#define KML_FP_ENTER(saved) const int saved = 0
#define KML_FP_LEAVE(saved) (void)saved
#endif

#include "gen_cells_all.h"
