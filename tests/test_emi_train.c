/* test_emi_train.c: the EMI-RNN driver learns a task made for it. Series of 40 steps where
 * classes 1 and 2 show a 20-step burst (on feature 0 or 1) at a random place and class 0 is
 * noise only: only some windows of a positive bag carry its label, which is what relabelling is
 * for. Checks bag accuracy, that relabelling happened, early-exit savings, the negative-class
 * "none" mode, determinism, and the configuration errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data_test_util.h"
#include "kiloml/emi_train.h"
#include "kiloml/rng.h"

enum { T = 40, F = 2, NC = 3 };

static void make_split(kml_dataset *d, int n, kml_rng *r)
{
    alloc_dataset(d, n, T, F);
    for (int i = 0; i < n; i++) {
        int y = i % NC, s = (int)kml_rng_below(r, 21);
        d->y[i] = y;
        for (int t = 0; t < T; t++)
            for (int f = 0; f < F; f++) {
                float v = (float)(0.7 * kml_rng_normal(r));
                if (y > 0 && f == y - 1 && t >= s && t < s + 20) v += 1.0f;
                d->X[(i * T + t) * F + f] = v;
            }
    }
}

static void make_data(kml_data *d)
{
    memset(d, 0, sizeof *d);
    kml_rng r;
    kml_rng_seed(&r, 2024);
    make_split(&d->train, 360, &r);
    make_split(&d->test, 180, &r);
    d->C = NC;
}

static void config(kml_emi_config *ec, int negative)
{
    kml_emi_config_init(ec);
    ec->train.model.cell = KML_CELL_FASTGRNN;
    ec->train.model.H = 8;
    ec->train.model.gate_nl = KML_NL_SIGMOID;
    ec->train.model.update_nl = KML_NL_TANH;
    ec->train.epochs = 6;
    ec->train.batch = 50;
    ec->train.progress = 0;
    ec->train.threads = 1;
    ec->train.seed = 7;
    ec->window = 10;
    ec->stride = 5;
    ec->k = 2;
    ec->negative = negative;
    ec->rounds = 3;
    ec->frac_emi = 0.6; /* floor(3 * 0.4) = 1 MI round, 2 EMI rounds */
}

static double test_eval(const kml_model *m, const kml_data *d, float p_hat, int negative, kml_emi_result *res)
{
    kml_dataset t;
    kml_error err = {0};
    int idx[180];
    for (int i = 0; i < d->test.n; i++) idx[i] = i;
    assert_int_equal(kml_dataset_subset(&d->test, idx, d->test.n, &t, &err), 0);
    kml_norm_apply(&m->norm, &t);
    kml_bags b;
    assert_int_equal(kml_bags_make(&t, 10, 5, &b, &err), 0);
    assert_int_equal(kml_emi_evaluate(m, &b, &p_hat, 1, 2, negative, res, NULL, NULL, &err), 0);
    kml_bags_free(&b);
    kml_dataset_free(&t);
    return res->accuracy;
}

static void learns_with_negative_class(void **state)
{
    (void)state;
    kml_data d;
    make_data(&d);
    kml_emi_config ec;
    config(&ec, 0);
    kml_model m, m2;
    kml_emi_summary s, s2;
    kml_error err = {0};
    assert_int_equal(kml_emi_train(&ec, &d, &m, &s, &err), 0);
    print_message("  negative 0: val %.3f test %.3f, relabelled %d then %d bags, %.2f s\n", s.train.val_accuracy,
                  s.train.test_accuracy, s.relabelled[0], s.relabelled[1], s.train.train_seconds);
    assert_int_equal(s.mi_rounds, 1);
    assert_int_equal(s.train.epochs, 18);
    assert_true(s.train.test_accuracy >= 0.9);
    assert_true(s.relabelled[0] > 0); /* positive bags found their runs */
    assert_non_null(m.norm.mean);
    kml_emi_result res;
    double acc = test_eval(&m, &d, 0.99f, 0, &res);
    print_message("  p 0.99: accuracy %.3f, early savings %.3f, total %.3f\n", acc, res.savings.early,
                  res.savings.total);
    assert_true(fabs(res.savings.mi - 0.75) < 1e-12);
    assert_true(acc >= 0.85);
    /* at p 0.9 the trained instances stop early most of the time and bags stay right */
    acc = test_eval(&m, &d, 0.9f, 0, &res);
    print_message("  p 0.9: accuracy %.3f, early savings %.3f\n", acc, res.savings.early);
    assert_true(acc >= 0.9);
    assert_true(res.savings.early > 0.3);
    double acc_off = test_eval(&m, &d, 2.0f, 0, &res);
    assert_true(fabs(acc_off - s.train.test_accuracy) < 1e-12);
    assert_true(res.savings.early == 0.0);

    /* the same seed gives the same model, bit for bit */
    assert_int_equal(kml_emi_train(&ec, &d, &m2, &s2, &err), 0);
    assert_int_equal(m.n_params, m2.n_params);
    assert_memory_equal(m.block, m2.block, m.n_params * sizeof(float));
    kml_model_free(&m2);
    kml_model_free(&m);
    kml_data_free(&d);
}

static void learns_without_negative_class(void **state)
{
    (void)state;
    kml_data d;
    make_data(&d);
    kml_emi_config ec;
    config(&ec, KML_EMI_NO_NEGATIVE);
    kml_model m;
    kml_emi_summary s;
    kml_error err = {0};
    assert_int_equal(kml_emi_train(&ec, &d, &m, &s, &err), 0);
    print_message("  negative none: val %.3f test %.3f, relabelled %d then %d bags\n", s.train.val_accuracy,
                  s.train.test_accuracy, s.relabelled[0], s.relabelled[1]);
    assert_true(s.train.test_accuracy >= 0.85);
    assert_true(s.relabelled[0] > 0);
    kml_model_free(&m);
    kml_data_free(&d);
}

static double sum_sq(const kml_model *m, int id)
{
    double s = 0;
    if (!m->p[id]) return 0;
    size_t n = (size_t)m->shape[id].rows * (size_t)m->shape[id].cols;
    for (size_t i = 0; i < n; i++) s += (double)m->p[id][i] * m->p[id][i];
    return s;
}

/* --weight-decay shrinks W, U and V (and only them: the learned scalars are not pulled to 0) */
static void weight_decay_shrinks_weights(void **state)
{
    (void)state;
    kml_data d;
    make_data(&d);
    kml_emi_config ec;
    config(&ec, KML_EMI_NO_NEGATIVE);
    ec.rounds = 1;
    ec.train.epochs = 4;
    kml_model m0, m1;
    kml_emi_summary s;
    kml_error err = {0};
    assert_int_equal(kml_emi_train(&ec, &d, &m0, &s, &err), 0);
    ec.train.optim.weight_decay = 20.0; /* lr 0.01: 20 % of each weight per step */
    assert_int_equal(kml_emi_train(&ec, &d, &m1, &s, &err), 0);
    const int ids[] = {KML_P_W, KML_P_U, KML_P_V};
    for (int i = 0; i < 3; i++) {
        double a = sum_sq(&m0, ids[i]), b = sum_sq(&m1, ids[i]);
        print_message("  |param %d|^2: %.4f without decay, %.4f with\n", ids[i], a, b);
        assert_true(a > 0 && b < 0.5 * a);
    }
    /* zeta and nu (stored before their sigmoid) are not decayed towards 0 */
    assert_true(fabs(m1.p[KML_P_ZETA][0]) > 0.5);
    kml_model_free(&m0);
    kml_model_free(&m1);
    kml_data_free(&d);
}

/* --input-noise, and --input-gain / --input-offset, reach the EMI minibatches: each changes the model, and
 * the same options give the same model again (the draws depend on seed and step only). */
static void input_noise_applied_and_deterministic(void **state)
{
    (void)state;
    kml_data d;
    make_data(&d);
    kml_emi_config ec;
    config(&ec, KML_EMI_NO_NEGATIVE);
    ec.rounds = 1;
    ec.train.epochs = 3;
    kml_model m0, m1, m2;
    kml_emi_summary s;
    kml_error err = {0};
    assert_int_equal(kml_emi_train(&ec, &d, &m0, &s, &err), 0);
    ec.train.input_noise = 0.3;
    assert_int_equal(kml_emi_train(&ec, &d, &m1, &s, &err), 0);
    assert_int_equal(kml_emi_train(&ec, &d, &m2, &s, &err), 0);
    assert_true(memcmp(m0.block, m1.block, m0.n_params * sizeof(float)) != 0);
    assert_memory_equal(m1.block, m2.block, m1.n_params * sizeof(float));
    kml_model_free(&m1);
    kml_model_free(&m2);
    /* --input-gain / --input-offset alike */
    ec.train.input_noise = 0;
    ec.train.input_gain = 0.2;
    ec.train.input_offset = 0.2;
    assert_int_equal(kml_emi_train(&ec, &d, &m1, &s, &err), 0);
    assert_int_equal(kml_emi_train(&ec, &d, &m2, &s, &err), 0);
    assert_true(memcmp(m0.block, m1.block, m0.n_params * sizeof(float)) != 0);
    assert_memory_equal(m1.block, m2.block, m1.n_params * sizeof(float));
    kml_model_free(&m0);
    kml_model_free(&m1);
    kml_model_free(&m2);
    kml_data_free(&d);
}

/* stop_after_round: the first rounds of a longer schedule, figure for figure those of the whole run
 * (the lr decay and the MI/EMI plan stay the whole run's: a 2-round run is another model). */
static void stop_after_round_is_the_runs_beginning(void **state)
{
    (void)state;
    kml_data d;
    make_data(&d);
    kml_emi_config ec;
    config(&ec, KML_EMI_NO_NEGATIVE);
    ec.rounds = 3;
    ec.frac_emi = 0.5;
    ec.train.epochs = 2;
    kml_model full, part, two;
    kml_emi_summary sf, sp, s2;
    kml_error err = {0};
    assert_int_equal(kml_emi_train(&ec, &d, &full, &sf, &err), 0);
    assert_int_equal(sf.rounds_run, 3);
    ec.stop_after_round = 2;
    assert_int_equal(kml_emi_train(&ec, &d, &part, &sp, &err), 0);
    assert_int_equal(sp.rounds, 3);
    assert_int_equal(sp.rounds_run, 2);
    assert_int_equal(sp.mi_rounds, sf.mi_rounds);
    assert_int_equal(sp.train.epochs, 4);
    for (int i = 0; i < 2; i++) {
        assert_true(sp.round_val_accuracy[i] == sf.round_val_accuracy[i]);
        assert_true(sp.round_test_accuracy[i] == sf.round_test_accuracy[i]);
        assert_int_equal(sp.round_active[i], sf.round_active[i]);
    }
    assert_int_equal(sp.relabelled[0], sf.relabelled[0]);
    ec.stop_after_round = 0;
    ec.rounds = 2;
    assert_int_equal(kml_emi_train(&ec, &d, &two, &s2, &err), 0);
    assert_int_equal(part.n_params, two.n_params);
    assert_true(memcmp(part.block, two.block, part.n_params * sizeof(float)) != 0);
    kml_model_free(&two);
    ec.stop_after_round = -1;
    assert_int_equal(kml_emi_train(&ec, &d, &two, &s2, &err), -1);
    assert_non_null(strstr(err.msg, "--stop-after-round"));
    kml_model_free(&full);
    kml_model_free(&part);
    kml_data_free(&d);
}

static void bad_configurations(void **state)
{
    (void)state;
    kml_data d;
    make_data(&d);
    kml_emi_config ec;
    kml_model m;
    kml_emi_summary s;
    kml_error err = {0};
    config(&ec, 0);
    kml_emi_config_init(&ec); /* negative class left unset */
    ec.window = 10;
    ec.stride = 5;
    assert_int_equal(kml_emi_train(&ec, &d, &m, &s, &err), -1);
    assert_non_null(strstr(err.msg, "negative class"));
    config(&ec, 3); /* classes are 0..2 */
    assert_int_equal(kml_emi_train(&ec, &d, &m, &s, &err), -1);
    assert_non_null(strstr(err.msg, "negative class 3"));
    config(&ec, 0);
    ec.window = 0;
    assert_int_equal(kml_emi_train(&ec, &d, &m, &s, &err), -1);
    assert_non_null(strstr(err.msg, "--window"));
    config(&ec, 0);
    ec.frac_emi = 1.5;
    assert_int_equal(kml_emi_train(&ec, &d, &m, &s, &err), -1);
    assert_non_null(strstr(err.msg, "--frac-emi"));
    kml_data_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(learns_with_negative_class),
        cmocka_unit_test(learns_without_negative_class),
        cmocka_unit_test(weight_decay_shrinks_weights),
        cmocka_unit_test(input_noise_applied_and_deterministic),
        cmocka_unit_test(stop_after_round_is_the_runs_beginning),
        cmocka_unit_test(bad_configurations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
