/* test_bptt_clip.c: kml_model.bptt_clip, the bound on each series' dLoss/dh_{t-1} as BPTT carries it
 * back through time.
 * - A bound no row reaches leaves the gradient bit-identical to the exact one (which the gradient
 *   checks prove).
 * - T = 2, one series, loss on h_T only: the gradient is G1 + s·G0, where G1 is the last step's
 *   share, G0 the first step's share for the exact dh_0 and s = min(1, c/||dh_0||). For bounds c below
 *   ||dh_0|| the gradient is therefore affine in c: g(c1) − g(c2) = (c1 − c2)/(c2 − c3) · (g(c2) −
 *   g(c3)) in every entry, and not constant (a clip that did nothing, or scaled by anything but c,
 *   fails). Checked for every cell, full and low rank. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "gradcheck_util.h"

static void grad_at(kml_model_f64 *m, gc_problem *p, double clip, kml_model_f64 *g)
{
    m->bptt_clip = clip;
    memset(g->block, 0, g->n_params * sizeof(double));
    gc_backprop(m, p, g);
}

static void one_cell(kml_cell_kind cell, int rank)
{
    kml_model_config cfg = {cell, 3, 5, 3, rank ? 2 : 0, rank ? 2 : 0, KML_NL_SIGMOID, KML_NL_TANH};
    kml_model_f64 m, g0, ga, gb, gc;
    assert_int_equal(kml_model_f64_alloc(&m, &cfg, NULL), 0);
    gc_random_params(&m, 77 + (uint64_t)cell);
    kml_model_f64_alloc(&g0, &cfg, NULL);
    kml_model_f64_alloc(&ga, &cfg, NULL);
    kml_model_f64_alloc(&gb, &cfg, NULL);
    kml_model_f64_alloc(&gc, &cfg, NULL);
    gc_problem p;
    gc_problem_init(&p, &cfg, 2, 1, GC_LAST, 5);

    grad_at(&m, &p, 0.0, &g0);
    grad_at(&m, &p, 1e30, &ga);
    assert_memory_equal(g0.block, ga.block, g0.n_params * sizeof(double));

    /* ||dh_0|| of this problem, from the exact backward: bounds well below it all clip */
    double c1 = 1e-3, c2 = 2e-3, c3 = 4e-3;
    grad_at(&m, &p, c1, &ga);
    grad_at(&m, &p, c2, &gb);
    grad_at(&m, &p, c3, &gc);
    double moved = 0.0, worst = 0.0, scale = 0.0;
    for (size_t i = 0; i < g0.n_params; i++) {
        double lhs = ga.block[i] - gb.block[i], rhs = (c1 - c2) / (c2 - c3) * (gb.block[i] - gc.block[i]);
        moved = fmax(moved, fabs(gb.block[i] - gc.block[i]));
        worst = fmax(worst, fabs(lhs - rhs));
        scale = fmax(scale, fabs(g0.block[i]));
    }
    assert_true(moved > 1e-9 * scale);          /* the bound changed the gradient */
    assert_true(worst <= 1e-12 * (scale + 1.0)); /* ... exactly in proportion to c */
    gc_problem_free(&p);
    kml_model_f64_free(&m); kml_model_f64_free(&g0); kml_model_f64_free(&ga);
    kml_model_f64_free(&gb); kml_model_f64_free(&gc);
}

static void clip_is_exact_scaling(void **state)
{
    (void)state;
    const kml_cell_kind cells[] = {KML_CELL_FASTRNN, KML_CELL_FASTGRNN, KML_CELL_RNN, KML_CELL_GRU, KML_CELL_LSTM};
    for (size_t k = 0; k < sizeof cells / sizeof cells[0]; k++)
        for (int rank = 0; rank < 2; rank++) one_cell(cells[k], rank);
}

int main(void)
{
    (void)gc_check;   /* gradcheck_util.h's checker: not needed here */
    const struct CMUnitTest tests[] = {cmocka_unit_test(clip_is_exact_scaling)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
