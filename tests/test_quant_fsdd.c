/* test_quant_fsdd.c: models trained with quantSigm / quantTanh on the shipped spoken-digit set
 * (datasets/fsdd), quantized: the integer predictions (deploy's kernels) agree with the float ones
 * (the trainer's forward) within a stated count; the quantizer's own float simulation matches the
 * trainer's forward. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiloml/fakequant.h"
#include "kiloml/qmodel.h"
#include "kiloml/quantize.h"
#include "kiloml/rng.h"
#include "kiloml/trainer.h"

#include "fsdd_fixture.h"

static kml_data fsdd;

/* 1500 training and 300 test clips (seeded), each with its real length. */
static int load(void **state)
{
    (void)state;
    return kml_test_fsdd_load(&fsdd, 3, 1500, 300, "test_quant_fsdd");
}

static int unload(void **state)
{
    (void)state;
    kml_data_free(&fsdd);
    return 0;
}

static void train_qat(kml_model *m, int H, int rW, int rU, double sW, double sU, int epochs, kml_fakequant *fq,
                      int qat_epochs, kml_train_summary *out)
{
    kml_train_config tc;
    kml_train_config_init(&tc);
    tc.model.cell = KML_CELL_FASTGRNN;
    tc.model.H = H;
    tc.model.rank_w = rW;
    tc.model.rank_u = rU;
    tc.model.gate_nl = KML_NL_QUANTSIGM;
    tc.model.update_nl = KML_NL_QUANTTANH;
    tc.density_w = sW;
    tc.density_u = sU;
    tc.epochs = epochs;
    tc.batch = 50;
    tc.seed = 5;
    tc.threads = 1;
    tc.optim.decay_epoch = 0;
    if (fq) {
        tc.qat.start_epoch = epochs - qat_epochs;
        tc.qat.fake = kml_fakequant_apply;
        tc.qat.restore = kml_fakequant_restore;
        tc.qat.ctx = fq;
    }
    kml_train_summary s;
    kml_error err = {{0}};
    if (kml_train(&tc, &fsdd, m, &s, &err)) fail_msg("%s", err.msg);
    fprintf(stderr, "  trained H=%d rW=%d rU=%d sW=%.2f sU=%.2f: test %.3f\n", H, rW, rU, sW, sU, s.test_accuracy);
    assert_true(s.test_accuracy >= 0.6); /* a model that learned something: chance is 0.1 */
    if (out) *out = s;
}

static void train(kml_model *m, int H, int rW, int rU, double sW, double sU, int epochs)
{
    train_qat(m, H, rW, rU, sW, sU, epochs, NULL, 0, NULL);
}

/* integer vs float (trainer's kml_evaluate) on the 300 test clips */
static void compare(const kml_model *m, int bits, int max_disagree)
{
    kml_quant_opts o;
    kml_quant_opts_init(&o);
    o.bits = bits;
    o.max_val = 300;
    kml_qmodel qm;
    kml_quant_report rep;
    kml_error err = {{0}};
    if (kml_quantize(m, &fsdd.train, &o, &qm, &rep, &err)) fail_msg("%s", err.msg);
    assert_int_equal(kml_rnn_validate_q(&qm.q), KML_OK);
    int n = fsdd.test.n;
    int32_t *pf = malloc(n * sizeof(int32_t)), *pq = malloc(n * sizeof(int32_t));
    double acc;
    assert_int_equal(kml_evaluate(m, &fsdd.test, &acc, pf, &err), 0);
    assert_int_equal(kml_qmodel_predict(&qm, &fsdd.test, pq, &err), 0);
    int dis = 0, cq = 0;
    for (int i = 0; i < n; i++) {
        dis += pf[i] != pq[i];
        cq += pq[i] == fsdd.test.y[i];
    }
    kml_qsize sz;
    kml_qmodel_size(&qm, &sz);
    fprintf(stderr, "  %d-bit: float %.3f integer %.3f, %d / %d disagreements, %u bytes (val carve: %d)\n", bits, acc,
            (double)cq / n, dis, n, sz.flash_bytes, rep.val_disagree);
    assert_true(dis <= max_disagree);
    free(pf);
    free(pq);
    kml_qmodel_free(&qm);
}

/* The quantizer's float simulation (calibration, disagreement during the search) is the trainer's
 * model: the same predictions on every test clip but at most one (float vs double rounding). */
static void float_simulation_matches_trainer(const kml_model *m)
{
    int n = fsdd.test.n;
    int32_t *pf = malloc(n * sizeof(int32_t)), *ps = malloc(n * sizeof(int32_t));
    double acc;
    kml_error err = {{0}};
    assert_int_equal(kml_evaluate(m, &fsdd.test, &acc, pf, &err), 0);
    assert_int_equal(kml_float_predict(m, &fsdd.test, ps, &err), 0);
    int diff = 0;
    for (int i = 0; i < n; i++) diff += pf[i] != ps[i];
    assert_true(diff <= 1);
    free(pf);
    free(ps);
}

/* Dense FastGRNN H=32: 8-bit within 12 of 300 (measured 1-6), 16-bit within 4 (measured 0-1). */
static void dense_fastgrnn(void **state)
{
    (void)state;
    kml_model m;
    train(&m, 32, 0, 0, 1, 1, 8);
    float_simulation_matches_trainer(&m);
    compare(&m, 8, 12);
    compare(&m, 16, 4);
    kml_model_free(&m);
}

/* Low rank + IHT sparse (the compressed shape): 8-bit within 15 of 300. */
static void compressed_fastgrnn(void **state)
{
    (void)state;
    kml_model m;
    train(&m, 32, 8, 8, 0.5, 0.5, 9);
    float_simulation_matches_trainer(&m);
    compare(&m, 8, 15);
    kml_model_free(&m);
}

/* QAT (last 3 of 8 epochs on 8-bit rounded weights): the hook ran on every minibatch and validation of
 * those epochs, the kept model comes from them, and its 8-bit integer model stays within 12 of 300. */
static void qat_fastgrnn(void **state)
{
    (void)state;
    kml_model m;
    kml_fakequant fq;
    kml_fakequant_init(&fq, 8);
    kml_train_summary s;
    train_qat(&m, 32, 0, 0, 1, 1, 8, &fq, 3, &s);
    assert_int_equal(fq.failed, 0);
    assert_int_equal(fq.applied, 3 * ((s.n_fit + 49) / 50) + 3); /* minibatches + one validation per epoch */
    assert_true(s.best_epoch >= 6);
    compare(&m, 8, 12);
    kml_fakequant_free(&fq);
    kml_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dense_fastgrnn),
        cmocka_unit_test(compressed_fastgrnn),
        cmocka_unit_test(qat_fastgrnn),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
