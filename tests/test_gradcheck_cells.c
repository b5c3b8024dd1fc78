/* test_gradcheck_cells.c: finite-difference checks, in double, of every cell's backward
 * (the same source as the float training kernels, instantiated with REAL = double):
 * every cell × {W full, low rank} × {U full, low rank} × every gate nonlinearity × every update
 * nonlinearity (the cells without a gate: every update nonlinearity), each with the classifier
 * reading the last step only and reading every step (EMI's per-step loss, dHs nonzero everywhere),
 * per-row weights with some zeros. Every entry of every tensor is perturbed.
 * Tolerance: |num − ana| <= 1e-6·max(|num|, |ana|) + 1e-9 + 8·DBL_EPSILON·|loss|/ε, with num the
 * Richardson extrapolation of central differences at ε = 2e-5 and 1e-5 (truncation O(ε⁴)). The
 * last term is the rounding floor of differences of losses; it matters only where a relu gate
 * lets h grow into the thousands (GRU, loss in the hundreds).
 * relu and the clip forms: the fixed seeds put no pre-activation within ε of a kink (0 or ±1); a
 * kink crossed would show as a failure (the kink set has measure zero), not be skipped silently.
 * Each check also asserts that no present tensor has an all-zero gradient (that check could not fail). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gradcheck_util.h"

static int check_config_b(kml_cell_kind cell, int rw, int ru, kml_nonlin g, kml_nonlin f, int T, int B,
                          uint64_t seed, double *worst)
{
    kml_model_config cfg = {cell, 3, 4, 3, rw, ru, g, f};
    kml_model_f64 m;
    kml_error err = {{0}};
    assert_int_equal(kml_model_f64_alloc(&m, &cfg, &err), 0);
    gc_random_params(&m, seed);
    int bad = 0;
    for (int ro = GC_LAST; ro <= GC_EVERY; ro++) {
        gc_problem p;
        gc_problem_init(&p, &cfg, T, B, (gc_readout)ro, seed + 1000);
        gc_result r = gc_check(&m, &p);
        if (r.failures || r.zero_tensors) {
            print_error("%s rW=%d rU=%d gate=%s update=%s T=%d B=%d readout=%s: %d failures, %d zero tensors; %s\n",
                        kml_cell_name(cell), rw, ru, kml_nonlin_name(g), kml_nonlin_name(f), T, B,
                        ro == GC_EVERY ? "every" : "last", r.failures, r.zero_tensors, r.first);
            bad++;
        }
        if (r.max_rel > *worst) *worst = r.max_rel;
        gc_problem_free(&p);
    }
    kml_model_f64_free(&m);
    return bad;
}

static int check_config(kml_cell_kind cell, int rw, int ru, kml_nonlin g, kml_nonlin f, int T, uint64_t seed,
                        double *worst)
{
    return check_config_b(cell, rw, ru, g, f, T, 3, seed, worst);
}

static void check_cell(kml_cell_kind cell)
{
    const int has_gate = cell == KML_CELL_FASTGRNN || cell == KML_CELL_GRU || cell == KML_CELL_LSTM;
    static const int ranks[4][2] = {{0, 0}, {2, 0}, {0, 3}, {2, 3}};
    int bad = 0, n = 0;
    double worst = 0;
    uint64_t seed = 100 * (uint64_t)cell;
    /* the nonlinearities up to quantSigm first (their seeds as before hardSigm was added), then every
     * pair with hardSigm in it except with a relu gate (whose dead units leave zero tensors) */
    for (int r = 0; r < 4; r++)
        for (int g = 0; g < (has_gate ? KML_NL_HARDSIGM : 1); g++)
            for (int f = 0; f < KML_NL_HARDSIGM; f++) {
                kml_nonlin gate = has_gate ? (kml_nonlin)g : KML_NL_SIGMOID;
                bad += check_config(cell, ranks[r][0], ranks[r][1], gate, (kml_nonlin)f, 5, ++seed, &worst);
                n++;
            }
    for (int r = 0; r < 4; r++)
        for (int g = 0; g < (has_gate ? KML_NL_COUNT : 1); g++)
            for (int f = 0; f < KML_NL_COUNT; f++) {
                kml_nonlin gate = has_gate ? (kml_nonlin)g : KML_NL_SIGMOID;
                if ((gate != KML_NL_HARDSIGM && f != KML_NL_HARDSIGM) || gate == KML_NL_RELU) continue;
                bad += check_config(cell, ranks[r][0], ranks[r][1], gate, (kml_nonlin)f, 5, 7000 + ++seed, &worst);
                n++;
            }
    /* more steps than one backward chunk (16), with a partial chunk */
    bad += check_config(cell, 2, 3, KML_NL_SIGMOID, KML_NL_TANH, 37, ++seed, &worst);
    n++;
    print_message("%-8s %3d configurations x 2 read-outs, worst relative error %.2e\n", kml_cell_name(cell), n,
                  worst);
    assert_int_equal(bad, 0);
}

/* The same checks with the batch split between worker threads (17 rows: 8 + 9 with 2 workers,
 * 5 + 6 + 6 ... with 3 is below the 8-row minimum, so 3 asks give 2), full and low rank, T past
 * a chunk: the per-worker bias and scalar sums and the shared chunk accumulation. */
static void gradcheck_threaded(void **state)
{
    (void)state;
    int bad = 0;
    double worst = 0;
    for (int threads = 2; threads <= 3; threads++) {
        kml_cell_set_threads(threads);
        for (int cell = 0; cell < KML_CELL_COUNT; cell++) {
            bad += check_config_b((kml_cell_kind)cell, 0, 0, KML_NL_SIGMOID, KML_NL_TANH, 5, 17, 900 + cell, &worst);
            bad += check_config_b((kml_cell_kind)cell, 2, 3, KML_NL_SIGMOID, KML_NL_TANH, 21, 17, 950 + cell, &worst);
        }
    }
    kml_cell_set_threads(0);
    print_message("threaded (B=17, 2 workers): worst relative error %.2e\n", worst);
    assert_int_equal(bad, 0);
}

static void gradcheck_fastrnn(void **s) { (void)s; check_cell(KML_CELL_FASTRNN); }
static void gradcheck_fastgrnn(void **s) { (void)s; check_cell(KML_CELL_FASTGRNN); }
static void gradcheck_rnn(void **s) { (void)s; check_cell(KML_CELL_RNN); }
static void gradcheck_gru(void **s) { (void)s; check_cell(KML_CELL_GRU); }
static void gradcheck_lstm(void **s) { (void)s; check_cell(KML_CELL_LSTM); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gradcheck_fastrnn), cmocka_unit_test(gradcheck_fastgrnn), cmocka_unit_test(gradcheck_rnn),
        cmocka_unit_test(gradcheck_gru),     cmocka_unit_test(gradcheck_lstm),    cmocka_unit_test(gradcheck_threaded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
