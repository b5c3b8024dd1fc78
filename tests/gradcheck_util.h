/* gradcheck_util.h: finite-difference gradient checks of the whole chain
 *   X → cell (forward) → Hsel → classifier → softmax cross-entropy
 * in double, on the double instantiation of the very kernels training uses (kiloml/cell_f64.h).
 * Two read-outs: LAST (the classifier reads h_T only) and EVERY (every step of every series,
 * as EMI's per-step loss: dHs nonzero at all steps), with per-row weights, some of them 0.
 * Included by the test_gradcheck_*.c programs; everything static. */
#ifndef KML_TEST_GRADCHECK_UTIL_H
#define KML_TEST_GRADCHECK_UTIL_H

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiloml/cell.h"
#include "kiloml/cell_f64.h"
#include "kiloml/model.h"
#include "kiloml/rng.h"

typedef enum { GC_LAST = 0, GC_EVERY = 1 } gc_readout;

typedef struct gc_problem {
    kml_model_config cfg;
    int T, B;
    gc_readout readout;
    double *X;   /* [T][B][D] */
    int32_t *y;  /* one label per classifier row */
    double *w;   /* one weight per classifier row */
    /* workspace */
    double *cache, *scratch, *Hs, *dHs, *logits, *dlogits, *dHsel;
} gc_problem;

static int gc_rows(const gc_problem *p) { return p->readout == GC_EVERY ? p->T * p->B : p->B; }

static void gc_problem_init(gc_problem *p, const kml_model_config *cfg, int T, int B, gc_readout ro,
                            uint64_t seed)
{
    memset(p, 0, sizeof *p);
    p->cfg = *cfg;
    p->T = T;
    p->B = B;
    p->readout = ro;
    kml_rng r;
    kml_rng_seed(&r, seed);
    const size_t TB = (size_t)T * B, H = (size_t)cfg->H;
    const int N = gc_rows(p);
    p->X = malloc(TB * cfg->D * sizeof(double));
    for (size_t i = 0; i < TB * cfg->D; i++) p->X[i] = kml_rng_normal(&r);
    p->y = malloc((size_t)N * sizeof(int32_t));
    p->w = malloc((size_t)N * sizeof(double));
    for (int n = 0; n < N; n++) {
        p->y[n] = (int32_t)kml_rng_below(&r, (uint32_t)cfg->C);
        p->w[n] = (n % 5 == 3) ? 0.0 : 0.5 + kml_rng_uniform(&r);
    }
    p->cache = malloc((kml_cell_cache_floats(cfg, T, B) + 1) * sizeof(double));
    p->scratch = malloc((kml_cell_scratch_floats(cfg, B) + 1) * sizeof(double));
    p->Hs = malloc(TB * H * sizeof(double));
    p->dHs = malloc(TB * H * sizeof(double));
    p->logits = malloc((size_t)N * cfg->C * sizeof(double));
    p->dlogits = malloc((size_t)N * cfg->C * sizeof(double));
    p->dHsel = malloc((size_t)N * H * sizeof(double));
}

static void gc_problem_free(gc_problem *p)
{
    free(p->X); free(p->y); free(p->w); free(p->cache); free(p->scratch);
    free(p->Hs); free(p->dHs); free(p->logits); free(p->dlogits); free(p->dHsel);
    memset(p, 0, sizeof *p);
}

static const double *gc_hsel(const gc_problem *p)
{
    return p->readout == GC_EVERY ? p->Hs : p->Hs + (size_t)(p->T - 1) * p->B * p->cfg.H;
}

static double gc_loss(const kml_model_f64 *m, gc_problem *p)
{
    kml_cell_forward_f64(m, p->X, p->T, p->B, p->cache, p->Hs);
    kml_classifier_forward_f64(m, gc_hsel(p), gc_rows(p), p->logits);
    return kml_softmax_xent_f64(p->logits, p->y, p->w, gc_rows(p), p->cfg.C, p->dlogits);
}

/* grad += dLoss/dθ (grad must be zeroed by the caller for a plain gradient). */
static double gc_backprop(const kml_model_f64 *m, gc_problem *p, kml_model_f64 *grad)
{
    const double loss = gc_loss(m, p);
    const size_t TBH = (size_t)p->T * p->B * p->cfg.H, BH = (size_t)p->B * p->cfg.H;
    kml_classifier_backward_f64(m, gc_hsel(p), p->dlogits, gc_rows(p), p->dHsel, grad);
    memset(p->dHs, 0, TBH * sizeof(double));
    if (p->readout == GC_EVERY)
        memcpy(p->dHs, p->dHsel, TBH * sizeof(double));
    else
        memcpy(p->dHs + TBH - BH, p->dHsel, BH * sizeof(double));
    kml_cell_backward_f64(m, p->X, p->T, p->B, p->cache, p->Hs, p->dHs, p->scratch, grad);
    return loss;
}

/* Random parameters that exercise every region: matrices N(0, 0.4²), biases N(0.3, 0.4²) (a little
 * open, so relu gates are not all shut), scalars N(0, 1). */
static void gc_random_params(kml_model_f64 *m, uint64_t seed)
{
    kml_rng r;
    kml_rng_seed(&r, seed);
    for (int i = 0; i < KML_PARAM_COUNT; i++) {
        size_t n = (size_t)m->shape[i].rows * m->shape[i].cols;
        double sd = kml_param_kind_of((kml_param_id)i) == KML_PK_SCALAR ? 1.0 : 0.4;
        double mu = kml_param_kind_of((kml_param_id)i) == KML_PK_BIAS ? 0.3 : 0.0;
        for (size_t k = 0; k < n; k++) m->p[i][k] = mu + sd * kml_rng_normal(&r);
    }
}

#ifndef GC_EPS
#define GC_EPS 2e-5 /* the larger of the two steps */
#endif
#define GC_REL_TOL 1e-6
#define GC_ABS_TOL 1e-9

typedef struct gc_result {
    double max_rel;     /* max |num − ana| / max(|num|, |ana|) over entries with max(|num|,|ana|) > 1e-4 */
    int failures;       /* entries with |num − ana| > GC_REL_TOL·max(|num|,|ana|) + GC_ABS_TOL
                         * + 8·DBL_EPSILON·|loss|/GC_EPS (the rounding floor of the differences) */
    int zero_tensors;   /* present tensors whose whole gradient is ~0 (a check that cannot fail) */
    char first[256];    /* the first failure, for the message */
} gc_result;

/* Central difference of the loss in one entry with step h. */
static double gc_central(kml_model_f64 *m, gc_problem *p, double *x, double h)
{
    const double keep = *x;
    *x = keep + h;
    const double lp = gc_loss(m, p);
    *x = keep - h;
    const double lm = gc_loss(m, p);
    *x = keep;
    return (lp - lm) / (2 * h);
}

/* Richardson-extrapolated central differences, (4·D(ε/2) − D(ε))/3 (truncation O(ε⁴); plain
 * central differences at ε = 1e-5 were off by 3e-6 relative on T = 21 low-rank FastGRNN, exactly
 * their ε² term), over EVERY entry of every present tensor. */
static gc_result gc_check(kml_model_f64 *m, gc_problem *p)
{
    gc_result res = {0};
    kml_model_f64 g;
    kml_model_f64_alloc(&g, &m->cfg, NULL);
    const double loss = gc_backprop(m, p, &g);
    /* differences of losses cannot resolve better than their rounding: a few ulps of |loss| over
     * the smaller step */
    const double abs_tol = GC_ABS_TOL + 8 * DBL_EPSILON * fabs(loss) / GC_EPS;
    for (int i = 0; i < KML_PARAM_COUNT; i++) {
        size_t n = (size_t)m->shape[i].rows * m->shape[i].cols;
        if (!n) continue;
        double norm = 0;
        for (size_t k = 0; k < n; k++) {
            const double d1 = gc_central(m, p, &m->p[i][k], GC_EPS);
            const double d2 = gc_central(m, p, &m->p[i][k], GC_EPS / 2);
            const double num = (4 * d2 - d1) / 3, ana = g.p[i][k];
            const double diff = fabs(num - ana), big = fmax(fabs(num), fabs(ana));
            norm += ana * ana;
            if (diff > GC_REL_TOL * big + abs_tol) {
                if (!res.failures)
                    snprintf(res.first, sizeof res.first, "%s[%zu]: numeric %.12g analytic %.12g",
                             kml_param_name((kml_param_id)i), k, num, ana);
                res.failures++;
            }
            if (big > 1e-4 && diff / big > res.max_rel) res.max_rel = diff / big;
        }
        if (sqrt(norm) < 1e-7) res.zero_tensors++;
    }
    kml_model_f64_free(&g);
    return res;
}

#endif
