/* cells_f64.c: the double instantiation of the same kernels (kiloml/cell_f64.h), on cblas_dgemm,
 * for the finite-difference gradient checks; plus the double model's allocation. */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cell_layout.h"
#include "cell_threads.h"
#include "param_layout.h"
#include "kiloml/cell_f64.h"

#define REAL double
#define GEMM cblas_dgemm
#define TANH tanh
#define SIGM(x) (1.0 / (1.0 + exp(-(x))))
#define MODEL kml_model_f64
#define KML_API(name) name##_f64
#define KML_VEC_CLONES
#define KML_FP_ENTER(saved) const int saved = 0 /* exact IEEE arithmetic for the checks */
#define KML_FP_LEAVE(saved) (void)saved

#include "gen_cells_all.h"

int kml_model_f64_alloc(kml_model_f64 *m, const kml_model_config *cfg, kml_error *err)
{
    memset(m, 0, sizeof *m);
    if (kml_model_shapes(cfg, m->shape, err) != 0) return -1;
    m->cfg = *cfg;
    size_t off[KML_PARAM_COUNT + 1];
    size_t n = kml_param_layout(m->shape, off);
    m->block = calloc(n, sizeof(double));
    if (!m->block) {
        memset(m, 0, sizeof *m);
        return kml_error_set(err, "model (double): out of memory for %zu parameters", n);
    }
    m->n_params = n;
    for (int i = 0; i < KML_PARAM_COUNT; i++) m->p[i] = off[i + 1] > off[i] ? m->block + off[i] : NULL;
    return 0;
}

int kml_model_f64_from(kml_model_f64 *dst, const kml_model *src, kml_error *err)
{
    if (kml_model_f64_alloc(dst, &src->cfg, err) != 0) return -1;
    for (size_t i = 0; i < src->n_params; i++) dst->block[i] = (double)src->block[i];
    return 0;
}

void kml_model_f64_free(kml_model_f64 *m)
{
    if (!m) return;
    free(m->block);
    memset(m, 0, sizeof *m);
}
