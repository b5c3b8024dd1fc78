/* test_emi_loss.c: the EMI per-step loss. A finite-difference check in double of every parameter's
 * gradient (classifier at every step, step weights, BPTT) in both loss modes for several cells;
 * the float loss the trainer uses agrees with the double one; padded steps and zero-weight
 * instances do not move the loss. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kiloml/cell_f64.h"
#include "kiloml/emi_train.h"
#include "kiloml/rng.h"

enum { W = 5, B = 3, D = 3, Hh = 4, C = 3 };
static const int32_t lens[B] = {5, 3, 1};
static const float inst_w[B] = {1.0f, 0.5f, 1.0f};
static const int32_t labels[B] = {2, 0, 1};

static void make_model(kml_model *m, kml_cell_kind cell, int rank_w, int rank_u, uint64_t seed)
{
    kml_model_config cfg = {0};
    cfg.cell = cell;
    cfg.D = D;
    cfg.H = Hh;
    cfg.C = C;
    cfg.rank_w = rank_w;
    cfg.rank_u = rank_u;
    cfg.gate_nl = KML_NL_SIGMOID;
    cfg.update_nl = KML_NL_TANH;
    kml_error err = {0};
    assert_int_equal(kml_model_alloc(m, &cfg, &err), 0);
    kml_model_init_params(m, seed);
    /* larger recurrent weights than the init so the BPTT path carries real gradient */
    kml_rng r;
    kml_rng_seed(&r, seed + 1);
    for (size_t i = 0; i < m->n_params; i++) m->block[i] += (float)(0.3 * kml_rng_normal(&r));
}

static void make_input(float *Xf, double *Xd, uint64_t seed)
{
    kml_rng r;
    kml_rng_seed(&r, seed);
    for (int i = 0; i < W * B * D; i++) {
        Xf[i] = (float)kml_rng_normal(&r);
        Xd[i] = Xf[i];
    }
    /* padding after each instance's length is zero, as bagging leaves it */
    for (int t = 0; t < W; t++)
        for (int b = 0; b < B; b++)
            if (t >= lens[b])
                for (int f = 0; f < D; f++) Xf[(t * B + b) * D + f] = 0.0f, Xd[(t * B + b) * D + f] = 0.0;
}

static void check_cell(kml_cell_kind cell, int rank_w, int rank_u)
{
    kml_model m;
    make_model(&m, cell, rank_w, rank_u, 11);
    kml_error err = {0};
    kml_model_f64 md, gd;
    assert_int_equal(kml_model_f64_from(&md, &m, &err), 0);
    assert_int_equal(kml_model_f64_alloc(&gd, &m.cfg, &err), 0);
    float Xf[W * B * D];
    double Xd[W * B * D];
    make_input(Xf, Xd, 5);
    kml_emi_work work;
    assert_int_equal(kml_emi_work_alloc(&work, &m.cfg, W, B, &err), 0);
    kml_model gf;
    assert_int_equal(kml_model_alloc(&gf, &m.cfg, &err), 0);

    for (int mode = KML_EMI_LOSS_LAST; mode <= KML_EMI_LOSS_EVERY; mode++) {
        float swf[W * B];
        double swd[W * B];
        kml_emi_step_weights((kml_emi_loss_mode)mode, inst_w, lens, W, B, swf);
        for (int i = 0; i < W * B; i++) swd[i] = swf[i];
        memset(gd.block, 0, gd.n_params * sizeof(double));
        double L = kml_emi_batch_loss_f64(&md, Xd, labels, swd, W, B, &gd);
        assert_true(isfinite(L) && L > 0);
        double worst = 0, worst_abs = 0, gmax_d = 0;
        for (size_t i = 0; i < md.n_params; i++) {
            const double h = 1e-6, keep = md.block[i];
            md.block[i] = keep + h;
            double lp = kml_emi_batch_loss_f64(&md, Xd, labels, swd, W, B, NULL);
            md.block[i] = keep - h;
            double lm = kml_emi_batch_loss_f64(&md, Xd, labels, swd, W, B, NULL);
            md.block[i] = keep;
            double num = (lp - lm) / (2 * h), ana = gd.block[i];
            double e = fabs(num - ana) / (1e-4 + fabs(num) + fabs(ana)); /* 1e-4: floor under FD noise */
            if (e > worst) worst = e;
            worst_abs = fmax(worst_abs, fabs(num - ana));
            gmax_d = fmax(gmax_d, fabs(ana));
        }
        print_message("  %s rank %d/%d mode %s: worst relative error %.2e (absolute %.2e, largest gradient %.3f) over %zu "
                      "parameters\n",
                      kml_cell_name(cell), rank_w, rank_u, mode ? "every-step" : "last-step", worst, worst_abs, gmax_d,
                      md.n_params);
        assert_true(worst < 1e-5);
        assert_true(gmax_d > 1e-2); /* a check on vanishing gradients would prove nothing */

        /* the float loss the trainer runs is the same function */
        memset(gf.block, 0, gf.n_params * sizeof(float));
        double Lf = kml_emi_batch_loss(&m, Xf, labels, swf, W, B, &work, &gf);
        assert_true(fabs(Lf - L) < 1e-5 * (1 + fabs(L)));
        double gmax = 0;
        for (size_t i = 0; i < gd.n_params; i++) gmax = fmax(gmax, fabs(gd.block[i]));
        for (size_t i = 0; i < gd.n_params; i++) assert_true(fabs(gf.block[i] - gd.block[i]) < 1e-4 * (1 + gmax));
    }
    kml_model_free(&gf);
    kml_emi_work_free(&work);
    kml_model_f64_free(&md);
    kml_model_f64_free(&gd);
    kml_model_free(&m);
}

static void gradcheck_fastgrnn(void **state)
{
    (void)state;
    check_cell(KML_CELL_FASTGRNN, 0, 0);
    check_cell(KML_CELL_FASTGRNN, 2, 2);
}

static void gradcheck_others(void **state)
{
    (void)state;
    check_cell(KML_CELL_FASTRNN, 0, 0);
    check_cell(KML_CELL_LSTM, 0, 2);
    check_cell(KML_CELL_GRU, 0, 0);
}

/* what must NOT move the loss: padded steps and zero-weight instances */
static void masks_hold(void **state)
{
    (void)state;
    kml_model m;
    make_model(&m, KML_CELL_FASTGRNN, 0, 0, 3);
    kml_error err = {0};
    kml_emi_work work;
    assert_int_equal(kml_emi_work_alloc(&work, &m.cfg, W, B, &err), 0);
    float X[W * B * D];
    double Xd[W * B * D];
    make_input(X, Xd, 9);
    const float w0[B] = {1.0f, 1.0f, 0.0f}; /* instance 2 left out */
    for (int mode = KML_EMI_LOSS_LAST; mode <= KML_EMI_LOSS_EVERY; mode++) {
        float sw[W * B];
        kml_emi_step_weights((kml_emi_loss_mode)mode, w0, lens, W, B, sw);
        double L0 = kml_emi_batch_loss(&m, X, labels, sw, W, B, &work, NULL);
        float Xp[W * B * D];
        memcpy(Xp, X, sizeof X);
        for (int f = 0; f < D; f++) Xp[(4 * B + 1) * D + f] = 5.0f;  /* instance 1 (len 3), step 4: padding */
        for (int t = 0; t < W; t++) Xp[(t * B + 2) * D] = -3.0f;      /* instance 2: weight 0 */
        int32_t lab[B] = {labels[0], labels[1], (labels[2] + 1) % C};
        double L1 = kml_emi_batch_loss(&m, Xp, lab, sw, W, B, &work, NULL);
        assert_true(fabs(L1 - L0) < 1e-6);
        /* while a valid step of instance 1 does move it */
        Xp[(1 * B + 1) * D] += 1.0f;
        double L2 = kml_emi_batch_loss(&m, Xp, lab, sw, W, B, &work, NULL);
        assert_true(fabs(L2 - L0) > 1e-4);
    }
    /* the last-step loss ignores a wrong label at earlier steps: only the step len-1 row counts */
    float sw_last[W * B], sw_every[W * B];
    kml_emi_step_weights(KML_EMI_LOSS_LAST, w0, lens, W, B, sw_last);
    kml_emi_step_weights(KML_EMI_LOSS_EVERY, w0, lens, W, B, sw_every);
    double Ll = kml_emi_batch_loss(&m, X, labels, sw_last, W, B, &work, NULL);
    double Le = kml_emi_batch_loss(&m, X, labels, sw_every, W, B, &work, NULL);
    assert_true(fabs(Ll - Le) > 1e-4);
    kml_emi_work_free(&work);
    kml_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gradcheck_fastgrnn),
        cmocka_unit_test(gradcheck_others),
        cmocka_unit_test(masks_hold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
