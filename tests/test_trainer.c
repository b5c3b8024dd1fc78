/* test_trainer.c: the training loop end to end on small real and synthetic data: it learns
 * (spoken digits), it is deterministic (same seed, same model bytes), it reads h at len-1 for
 * variable-length series, IHT reaches the asked density, non-finite steps are skipped and counted,
 * a run where every step is non-finite stops with an error, checkpoints and the CSV log happen. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "data_test_util.h"
#include "kiloml/iht.h"
#include "kiloml/model_file.h"
#include "kiloml/rng.h"
#include "kiloml/trainer.h"

#define DIR KML_BINARY_DIR "/tests"
#include "fsdd_fixture.h"

/* A seeded random subset of 1500 training and 300 test series of the shipped FSDD set, each with
 * its real length. */
static kml_data fsdd;
static int fsdd_ok;

static int load_fsdd(void **state)
{
    (void)state;
    if (kml_test_fsdd_load(&fsdd, 11, 1500, 300, "test_trainer")) return -1;
    fsdd_ok = 1;
    return 0;
}

static int free_fsdd(void **state)
{
    (void)state;
    kml_data_free(&fsdd);
    return 0;
}

static void small_config(kml_train_config *tc)
{
    kml_train_config_init(tc);
    tc->model.cell = KML_CELL_FASTGRNN;
    tc->model.H = 16;
    tc->epochs = 2;
    tc->batch = 50;
    tc->seed = 5;
    tc->threads = 1;
}

static void train_to_file(const kml_train_config *tc, const kml_data *d, const char *path, kml_train_summary *s)
{
    kml_model m;
    kml_error err = {{0}};
    if (kml_train(tc, d, &m, s, &err)) fail_msg("train: %s", err.msg);
    if (kml_model_file_write(path, &m, s, NULL, NULL, &err)) fail_msg("write: %s", err.msg);
    kml_model_free(&m);
}

static void deterministic_bytes(void **state)
{
    (void)state;
    kml_train_config tc;
    small_config(&tc);
    tc.model.rank_w = 4;
    tc.density_u = 0.5;
    kml_train_summary s1, s2, s3;
    train_to_file(&tc, &fsdd, DIR "/tr_a.kml", &s1);
    train_to_file(&tc, &fsdd, DIR "/tr_b.kml", &s2);
    tc.seed = 6;
    train_to_file(&tc, &fsdd, DIR "/tr_c.kml", &s3);
    unsigned char *a, *b, *c;
    long na = read_file(DIR "/tr_a.kml", &a), nb = read_file(DIR "/tr_b.kml", &b), nc = read_file(DIR "/tr_c.kml", &c);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, (size_t)na);
    assert_true(na != nc || memcmp(a, c, (size_t)na) != 0);   /* another seed, another model */
    assert_true(s1.val_accuracy == s2.val_accuracy && s1.test_accuracy == s2.test_accuracy);
    free(a); free(b); free(c);
    remove(DIR "/tr_a.kml"); remove(DIR "/tr_b.kml"); remove(DIR "/tr_c.kml");
}

/* FastGRNN H=32 on 1500 spoken digits (real lengths), 12 epochs: >= 85 % of 300 test digits (chance 10 %). */
static void learns_spoken_digits(void **state)
{
    (void)state;
    kml_train_config tc;
    small_config(&tc);
    tc.model.H = 32;
    tc.epochs = 12;
    tc.optim.decay_epoch = 0;
    kml_model m;
    kml_train_summary s;
    kml_error err = {{0}};
    if (kml_train(&tc, &fsdd, &m, &s, &err)) fail_msg("%s", err.msg);
    fprintf(stderr, "fsdd subset: val %.3f test %.3f (%d fit, %d val, %d test), %.1f s\n", s.val_accuracy,
            s.test_accuracy, s.n_fit, s.n_val, s.n_test, s.train_seconds);
    assert_int_equal(s.n_fit + s.n_val, 1500);
    assert_int_equal(s.n_test, 300);
    assert_int_equal(s.steps, 12 * ((s.n_fit + 49) / 50));
    assert_true(s.test_accuracy >= 0.85);   /* measured 0.94 (seed 5) */
    /* kml_evaluate on the raw test data agrees with the trainer's own test figure */
    double acc;
    assert_int_equal(kml_evaluate(&m, &fsdd.test, &acc, NULL, &err), 0);
    assert_true(fabs(acc - s.test_accuracy) < 1e-12);
    kml_model_free(&m);
}

/* Labels live at the last VALID step; the padding after it says the opposite. */
static void make_varlen(kml_data *d, int n, kml_rng *r)
{
    memset(d, 0, sizeof *d);
    d->C = 2;
    kml_dataset *parts[2] = {&d->train, &d->test};
    for (int k = 0; k < 2; k++) {
        kml_dataset *s = parts[k];
        s->n = k ? n / 2 : n;
        s->T = 12;
        s->F = 2;
        s->X = calloc((size_t)s->n * 24, sizeof(float));
        s->y = calloc((size_t)s->n, sizeof(int32_t));
        s->len = calloc((size_t)s->n, sizeof(int32_t));
        for (int i = 0; i < s->n; i++) {
            int L = 3 + (int)kml_rng_below(r, 8), y = (int)kml_rng_below(r, 2);
            s->y[i] = y;
            s->len[i] = L;
            float *x = s->X + (size_t)i * 24;
            for (int t = 0; t < 12; t++) {
                x[t * 2] = (float)(kml_rng_uniform(r) - 0.5);
                x[t * 2 + 1] = t < L - 1 ? 0.0f : t == L - 1 ? (y ? 2.0f : -2.0f) : (y ? -3.0f : 3.0f);
            }
        }
    }
}

static void variable_length_reads_last_valid_step(void **state)
{
    (void)state;
    kml_rng r;
    kml_rng_seed(&r, 9);
    kml_data d;
    make_varlen(&d, 600, &r);
    kml_train_config tc;
    small_config(&tc);
    tc.normalize = 0;   /* keep the adversarial padding */
    tc.epochs = 8;
    kml_model m;
    kml_train_summary s;
    kml_error err = {{0}};
    if (kml_train(&tc, &d, &m, &s, &err)) fail_msg("%s", err.msg);
    assert_true(s.test_accuracy >= 0.97);
    /* data that does not fit the model is refused with a reason */
    kml_dataset wrong = d.test;
    wrong.F = 3;
    wrong.n = 2;
    double acc;
    assert_int_equal(kml_evaluate(&m, &wrong, &acc, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "features per step"));
    wrong = d.test;
    wrong.y[0] = 7;
    assert_int_equal(kml_evaluate(&m, &wrong, &acc, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "label 7"));
    kml_model_free(&m);
    kml_data_free(&d);
}

static void iht_density_reached(void **state)
{
    (void)state;
    kml_train_config tc;
    small_config(&tc);
    tc.model.H = 20;
    tc.model.rank_u = 5;
    tc.density_w = 0.2;
    tc.density_u = 0.3;
    tc.epochs = 3;
    kml_model m;
    kml_train_summary s;
    kml_error err = {{0}};
    if (kml_train(&tc, &fsdd, &m, &s, &err)) fail_msg("%s", err.msg);
    assert_int_equal(s.best_epoch, 3);   /* only sparse-phase models are eligible */
    struct { kml_param_id id; double d; } want[] = {{KML_P_W, 0.2}, {KML_P_U1, 0.3}, {KML_P_U2, 0.3}};
    for (int k = 0; k < 3; k++) {
        size_t n = (size_t)m.shape[want[k].id].rows * m.shape[want[k].id].cols, nz = 0;
        for (size_t i = 0; i < n; i++) nz += m.p[want[k].id][i] != 0.0f;
        assert_int_equal(nz, (size_t)ceil(want[k].d * n - 1e-9));
    }
    size_t nb = (size_t)m.shape[KML_P_BG].cols, nzb = 0;
    for (size_t i = 0; i < nb; i++) nzb += m.p[KML_P_BG][i] != 0.0f;
    assert_int_equal(nzb, nb);
    kml_model_free(&m);
}

static void nonfinite_steps_skipped(void **state)
{
    (void)state;
    kml_rng r;
    kml_rng_seed(&r, 2);
    kml_data d;
    make_varlen(&d, 200, &r);
    d.train.X[0] = NAN;   /* series 0 poisons the one batch it lands in, each epoch */
    kml_train_config tc;
    small_config(&tc);
    tc.normalize = 0;
    tc.val_frac = 0;
    tc.epochs = 3;
    kml_model m;
    kml_train_summary s;
    kml_error err = {{0}};
    if (kml_train(&tc, &d, &m, &s, &err)) fail_msg("%s", err.msg);
    assert_int_equal(s.skipped_steps, 3);
    assert_int_equal(s.steps, 3 * 4);
    for (size_t i = 0; i < m.n_params; i++) assert_true(isfinite(m.block[i]));
    kml_model_free(&m);
    /* every series poisoned: every step skipped, the run stops and says why */
    for (int i = 0; i < d.train.n; i++) d.train.X[(size_t)i * 24] = NAN;
    assert_int_equal(kml_train(&tc, &d, &m, &s, &err), -1);
    assert_non_null(strstr(err.msg, "diverged"));
    kml_data_free(&d);
}

/* --weight-decay shrinks the weight matrices (W, U, V) but leaves the biases and the FastGRNN
 * scalars zeta / nu alone: with clipping at 1e-6 the gradient barely moves anything, so after
 * 12 steps at lr 0.5, wd 1 (x0.5 per step) the matrices are ~4000x smaller and the rest is as initialised. */
static void weight_decay_spares_biases_and_scalars(void **state)
{
    (void)state;
    kml_rng r;
    kml_rng_seed(&r, 3);
    kml_data d;
    make_varlen(&d, 200, &r);
    kml_train_config tc;
    small_config(&tc);
    tc.val_frac = 0;
    tc.epochs = 3;
    tc.optim.kind = KML_OPT_NESTEROV;
    tc.optim.lr = 0.5;
    tc.optim.clip = 1e-6;
    tc.optim.decay_epoch = 0;
    tc.optim.weight_decay = 1.0;
    kml_model m, init;
    kml_train_summary s;
    kml_error err = {{0}};
    if (kml_train(&tc, &d, &m, &s, &err)) fail_msg("%s", err.msg);
    assert_int_equal(s.steps, 12);
    if (kml_model_alloc(&init, &m.cfg, &err)) fail_msg("%s", err.msg);
    kml_model_init_params(&init, tc.seed);
    const kml_param_id mats[] = {KML_P_W, KML_P_U, KML_P_V};
    for (int k = 0; k < 3; k++) {
        size_t n = (size_t)m.shape[mats[k]].rows * (size_t)m.shape[mats[k]].cols;
        double a = 0, b = 0;
        for (size_t i = 0; i < n; i++) {
            a += fabs(m.p[mats[k]][i]);
            b += fabs(init.p[mats[k]][i]);
        }
        assert_true(b > 0);
        assert_true(a < b * 1e-3);
    }
    assert_float_equal(m.p[KML_P_ZETA][0], init.p[KML_P_ZETA][0], 1e-4f);
    assert_float_equal(m.p[KML_P_NU][0], init.p[KML_P_NU][0], 1e-4f);
    assert_float_equal(m.p[KML_P_BG][0], init.p[KML_P_BG][0], 1e-4f);
    kml_model_free(&m);
    kml_model_free(&init);
    kml_data_free(&d);
}

typedef struct { int calls; int fail_at; int last_best; } ck_state;
static int ck(const kml_model *best, const kml_train_summary *s, void *ctx, kml_error *err)
{
    ck_state *c = ctx;
    c->calls++;
    c->last_best = s->best_epoch;
    assert_non_null(best->block);
    if (c->calls == c->fail_at) return kml_error_set(err, "disk full");
    return 0;
}

static void checkpoint_and_log(void **state)
{
    (void)state;
    kml_rng r;
    kml_rng_seed(&r, 4);
    kml_data d;
    make_varlen(&d, 200, &r);
    kml_train_config tc;
    small_config(&tc);
    tc.epochs = 3;
    ck_state c = {0, 0, 0};
    tc.checkpoint = ck;
    tc.checkpoint_ctx = &c;
    tc.log = fopen(DIR "/tr_log.csv", "w+");
    assert_non_null(tc.log);
    kml_model m;
    kml_train_summary s;
    kml_error err = {{0}};
    if (kml_train(&tc, &d, &m, &s, &err)) fail_msg("%s", err.msg);
    assert_int_equal(c.calls, 3);
    assert_int_equal(c.last_best, s.best_epoch);
    rewind(tc.log);
    char line[512];
    int lines = 0;
    while (fgets(line, sizeof line, tc.log)) {
        if (lines == 0) assert_non_null(strstr(line, "epoch,lr,train_loss"));
        lines++;
    }
    assert_int_equal(lines, 4);
    fclose(tc.log);
    remove(DIR "/tr_log.csv");
    kml_model_free(&m);
    /* a failing checkpoint stops training with its message */
    tc.log = NULL;
    c.calls = 0;
    c.fail_at = 2;
    assert_int_equal(kml_train(&tc, &d, &m, &s, &err), -1);
    assert_string_equal(err.msg, "disk full");
    assert_int_equal(c.calls, 2);
    kml_data_free(&d);
}

/* --log-test adds each epoch's test accuracy to the CSV and changes nothing else: the same model bytes as a
 * run without it, and the row of the kept epoch carries the test accuracy the run reports. */
static void log_test_is_monitoring_only(void **state)
{
    (void)state;
    kml_train_config tc;
    small_config(&tc);
    tc.epochs = 3;
    kml_train_summary s1, s2;
    train_to_file(&tc, &fsdd, DIR "/tr_lt_a.kml", &s1);
    tc.log_test = 1;
    tc.log = fopen(DIR "/tr_lt.csv", "w+");
    assert_non_null(tc.log);
    train_to_file(&tc, &fsdd, DIR "/tr_lt_b.kml", &s2);
    unsigned char *a, *b;
    long na = read_file(DIR "/tr_lt_a.kml", &a), nb = read_file(DIR "/tr_lt_b.kml", &b);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, (size_t)na);
    assert_true(s1.test_accuracy == s2.test_accuracy);
    rewind(tc.log);
    char line[1024];
    int row = 0, seen_best = 0;
    while (fgets(line, sizeof line, tc.log)) {
        char *last = strrchr(line, ',');
        assert_non_null(last);
        if (row == 0) assert_string_equal(last, ",test_accuracy\n");
        else if (row == s2.best_epoch) {
            assert_true(fabs(atof(last + 1) - s2.test_accuracy) < 1e-6);
            seen_best = 1;
        }
        row++;
    }
    assert_int_equal(row, 4);
    assert_true(seen_best);
    fclose(tc.log);
    free(a); free(b);
    remove(DIR "/tr_lt.csv"); remove(DIR "/tr_lt_a.kml"); remove(DIR "/tr_lt_b.kml");
}

/* QAT with switch_nl: the epochs before the QAT phase train the smooth cell (the same first-epoch
 * loss as a smooth run, not the PWL run's), the QAT epochs the PWL one, and the kept model is PWL. */
static void qat_noop(kml_model *m, void *ctx) { (void)m; (void)ctx; }

static double first_epoch_loss(kml_train_config *tc, const kml_data *d, kml_model *m)
{
    kml_train_summary s;
    kml_error err = {{0}};
    tc->log = tmpfile();
    assert_non_null(tc->log);
    if (kml_train(tc, d, m, &s, &err)) fail_msg("%s", err.msg);
    rewind(tc->log);
    char line[1024];
    assert_non_null(fgets(line, sizeof line, tc->log));   /* header */
    assert_non_null(fgets(line, sizeof line, tc->log));   /* epoch 1: epoch,lr,train_loss,... */
    fclose(tc->log);
    tc->log = NULL;
    char *p = strchr(strchr(line, ',') + 1, ',') + 1;
    return atof(p);
}

static void qat_switches_to_pwl_in_its_phase(void **state)
{
    (void)state;
    kml_rng r;
    kml_rng_seed(&r, 9);
    kml_data d;
    make_varlen(&d, 200, &r);
    kml_train_config tc;
    small_config(&tc);
    tc.epochs = 2;
    tc.qat.fake = qat_noop;
    tc.qat.restore = qat_noop;
    tc.qat.start_epoch = 1;
    kml_model smooth, pwl, sw;
    double l_smooth = first_epoch_loss(&tc, &d, &smooth);
    tc.model.gate_nl = KML_NL_QUANTSIGM;
    tc.model.update_nl = KML_NL_QUANTTANH;
    double l_pwl = first_epoch_loss(&tc, &d, &pwl);
    tc.model.gate_nl = KML_NL_SIGMOID;
    tc.model.update_nl = KML_NL_TANH;
    tc.qat.switch_nl = 1;
    tc.qat.gate_nl = KML_NL_QUANTSIGM;
    tc.qat.update_nl = KML_NL_QUANTTANH;
    double l_sw = first_epoch_loss(&tc, &d, &sw);
    assert_true(l_sw == l_smooth);
    assert_true(l_sw != l_pwl);
    assert_int_equal(sw.cfg.gate_nl, KML_NL_QUANTSIGM);
    assert_int_equal(sw.cfg.update_nl, KML_NL_QUANTTANH);
    assert_int_equal(smooth.cfg.gate_nl, KML_NL_SIGMOID);
    /* the second (QAT) epoch of the switched run trained the PWL cell: its model differs from the smooth run's */
    assert_true(memcmp(sw.block, smooth.block, sw.n_params * sizeof(float)) != 0);
    kml_model_free(&smooth); kml_model_free(&pwl); kml_model_free(&sw);
    kml_data_free(&d);
}

/* Train tc on d with its state file st, "killed" by the checkpoint after epoch 2, then resumed: the result
 * must equal the unbroken run's model `want` and summary `ws` (parameters, kept epoch, steps, test
 * accuracy). Leaves tc resuming from st, so a caller can change an option and expect a refusal. */
static void break_and_resume(kml_train_config *tc, const kml_data *d, const char *st, const kml_model *want,
                             const kml_train_summary *ws)
{
    kml_model m;
    kml_train_summary s;
    kml_error err = {{0}};
    remove(st);
    tc->state_path = st;
    ck_state c = {0, 2, 0};
    tc->checkpoint = ck;
    tc->checkpoint_ctx = &c;
    assert_int_equal(kml_train(tc, d, &m, &s, &err), -1);
    tc->checkpoint = NULL;
    tc->resume = 1;
    if (kml_train(tc, d, &m, &s, &err)) fail_msg("%s", err.msg);
    assert_int_equal(want->n_params, m.n_params);
    assert_memory_equal(want->block, m.block, m.n_params * sizeof(float));
    assert_int_equal(ws->best_epoch, s.best_epoch);
    assert_int_equal(ws->steps, s.steps);
    assert_true(ws->test_accuracy == s.test_accuracy);
    kml_model_free(&m);
}

/* A run stopped after epoch 2 and resumed ends with the same model as an unbroken run. */
static void resume_matches_unbroken_run(void **state)
{
    (void)state;
    kml_rng r;
    kml_rng_seed(&r, 8);
    kml_data d;
    make_varlen(&d, 300, &r);
    kml_train_config tc;
    small_config(&tc);
    tc.epochs = 5;
    tc.density_w = 0.5;   /* IHT support and phases must survive the break too */
    tc.model.rank_u = 3;
    kml_model a, b;
    kml_train_summary sa, sb;
    kml_error err = {{0}};
    if (kml_train(&tc, &d, &a, &sa, &err)) fail_msg("%s", err.msg);

    const char *st = DIR "/tr_resume.state";
    break_and_resume(&tc, &d, st, &a, &sa);
    /* a state from other options is refused */
    tc.epochs = 6;
    assert_int_equal(kml_train(&tc, &d, &b, &sb, &err), -1);
    assert_non_null(strstr(err.msg, "other data or options"));
    remove(st);
    kml_model_free(&a);
    kml_data_free(&d);
}

/* The deterministic columns of a CSV log (epoch .. grad_norm_max: the first 12; the last two are
 * wall-clock figures), one string per data line, at most n lines; returns the line count. */
static int log_lines(FILE *f, char out[][256], int n)
{
    char line[512];
    int k = 0;
    rewind(f);
    if (!fgets(line, sizeof line, f)) return 0; /* header */
    while (k < n && fgets(line, sizeof line, f)) {
        char *c = line;
        for (int commas = 0; *c && commas < 12; c++) commas += *c == ',';
        size_t len = (size_t)(c - line);
        if (len >= 256) len = 255;
        memcpy(out[k], line, len);
        out[k][len] = '\0';
        k++;
    }
    return k;
}

/* stop_after: the run ends after that epoch with KML_TRAIN_STOPPED and no model, its log holds exactly
 * the unbroken run's first epochs (same schedule: lr decay and IHT phases of the full --epochs), and a
 * resume ends with the unbroken run's model. Without a state file it is refused; at the last epoch it
 * is a normal run. */
static void stop_after_epoch_then_resume(void **state)
{
    (void)state;
    kml_rng r;
    kml_rng_seed(&r, 12);
    kml_data d;
    make_varlen(&d, 300, &r);
    kml_train_config tc;
    small_config(&tc);
    tc.epochs = 6;
    tc.density_w = 0.5;
    kml_model a, b;
    kml_train_summary sa, sb;
    kml_error err = {{0}};
    FILE *full = tmpfile(), *part = tmpfile();
    assert_non_null(full);
    assert_non_null(part);
    tc.log = full;
    if (kml_train(&tc, &d, &a, &sa, &err)) fail_msg("%s", err.msg);

    const char *st = DIR "/tr_stop.state";
    remove(st);
    tc.stop_after = 2;
    assert_int_equal(kml_train(&tc, &d, &b, &sb, &err), -1); /* no state file to continue from */
    assert_non_null(strstr(err.msg, "state file"));
    tc.state_path = st;
    tc.log = part;
    b.block = (float *)&b;
    int rc = kml_train(&tc, &d, &b, &sb, &err);
    assert_int_equal(rc, KML_TRAIN_STOPPED);
    assert_null(b.block); /* no model (nothing for the caller to free) */
    FILE *sf = fopen(st, "rb");
    assert_non_null(sf);
    fclose(sf);
    static char lf[6][256], lp[6][256];
    assert_int_equal(log_lines(full, lf, 6), 6);
    assert_int_equal(log_lines(part, lp, 6), 2);
    assert_string_equal(lf[0], lp[0]);
    assert_string_equal(lf[1], lp[1]);
    assert_true(strncmp(lp[1], "2,", 2) == 0);

    /* resumed to the end: the unbroken run's model and the rest of its log */
    tc.stop_after = 0;
    tc.resume = 1;
    if (kml_train(&tc, &d, &b, &sb, &err)) fail_msg("%s", err.msg);
    assert_memory_equal(a.block, b.block, a.n_params * sizeof(float));
    assert_int_equal(sa.best_epoch, sb.best_epoch);
    assert_int_equal(log_lines(part, lp, 6), 6);
    for (int i = 0; i < 6; i++) assert_string_equal(lf[i], lp[i]);
    kml_model_free(&b);

    /* stop_after at the last epoch: nothing to stop, a normal run */
    remove(st);
    tc.resume = 0;
    tc.stop_after = tc.epochs;
    tc.log = NULL;
    if (kml_train(&tc, &d, &b, &sb, &err)) fail_msg("%s", err.msg);
    assert_memory_equal(a.block, b.block, a.n_params * sizeof(float));
    kml_model_free(&b);
    remove(st);
    fclose(full);
    fclose(part);
    kml_model_free(&a);
    kml_data_free(&d);
}

/* --input-noise: the noise changes the model (so it is applied), the same options give the same bytes,
 * a run broken after epoch 2 and resumed ends as the unbroken one (the draws depend on seed and step
 * only), and a state written with another noise is refused. */
static void input_noise_applied_deterministic_resumable(void **state)
{
    (void)state;
    kml_rng r;
    kml_rng_seed(&r, 9);
    kml_data d;
    make_varlen(&d, 300, &r);
    kml_train_config tc;
    small_config(&tc);
    tc.epochs = 4;
    kml_model a, b, c;
    kml_train_summary sa, sb, sc;
    kml_error err = {{0}};
    if (kml_train(&tc, &d, &a, &sa, &err)) fail_msg("%s", err.msg);
    tc.input_noise = 0.3;
    if (kml_train(&tc, &d, &b, &sb, &err)) fail_msg("%s", err.msg);
    assert_int_equal(a.n_params, b.n_params);
    assert_true(memcmp(a.block, b.block, a.n_params * sizeof(float)) != 0);
    if (kml_train(&tc, &d, &c, &sc, &err)) fail_msg("%s", err.msg);
    assert_memory_equal(b.block, c.block, b.n_params * sizeof(float));
    kml_model_free(&c);

    const char *st = DIR "/tr_noise.state";
    break_and_resume(&tc, &d, st, &b, &sb);
    tc.input_noise = 0.2;
    assert_int_equal(kml_train(&tc, &d, &c, &sc, &err), -1);
    assert_non_null(strstr(err.msg, "other data or options"));
    remove(st);
    tc.state_path = NULL;
    tc.resume = 0;
    kml_model_free(&b);

    /* --input-gain / --input-offset alike: another model, the same one twice, resumable, fingerprinted */
    tc.input_noise = 0;
    tc.input_gain = 0.2;
    tc.input_offset = 0.3;
    if (kml_train(&tc, &d, &b, &sb, &err)) fail_msg("%s", err.msg);
    assert_true(memcmp(a.block, b.block, a.n_params * sizeof(float)) != 0);
    if (kml_train(&tc, &d, &c, &sc, &err)) fail_msg("%s", err.msg);
    assert_memory_equal(b.block, c.block, b.n_params * sizeof(float));
    kml_model_free(&c);
    break_and_resume(&tc, &d, st, &b, &sb);
    tc.input_offset = 0.25;
    assert_int_equal(kml_train(&tc, &d, &c, &sc, &err), -1);
    assert_non_null(strstr(err.msg, "other data or options"));
    remove(st);
    kml_model_free(&a);
    kml_model_free(&b);
    kml_data_free(&d);
}

/* --teacher / --distill: weight 0 leaves the run byte-identical to one without a teacher; a positive weight
 * changes the model and repeats exactly; break-and-resume equals the unbroken run and a state from another
 * weight is refused; a teacher of other dimensions and a weight without a teacher are refused by name. */
static void distillation_from_a_teacher(void **state)
{
    (void)state;
    kml_rng r;
    kml_rng_seed(&r, 10);
    kml_data d;
    make_varlen(&d, 300, &r);
    kml_train_config tc;
    small_config(&tc);
    tc.epochs = 3;
    kml_model teacher, a, b, c;
    kml_train_summary sa, sb, sc;
    kml_error err = {{0}};
    tc.model.H = 24;
    tc.seed = 77;
    if (kml_train(&tc, &d, &teacher, &sa, &err)) fail_msg("%s", err.msg);
    small_config(&tc);
    tc.epochs = 3;
    if (kml_train(&tc, &d, &a, &sa, &err)) fail_msg("%s", err.msg);
    tc.teacher = &teacher;
    tc.distill = 0;
    if (kml_train(&tc, &d, &b, &sb, &err)) fail_msg("%s", err.msg);
    assert_memory_equal(a.block, b.block, a.n_params * sizeof(float));
    kml_model_free(&b);
    tc.distill = 0.7;
    if (kml_train(&tc, &d, &b, &sb, &err)) fail_msg("%s", err.msg);
    assert_true(memcmp(a.block, b.block, a.n_params * sizeof(float)) != 0);
    if (kml_train(&tc, &d, &c, &sc, &err)) fail_msg("%s", err.msg);
    assert_memory_equal(b.block, c.block, b.n_params * sizeof(float));
    kml_model_free(&c);

    const char *st = DIR "/tr_kd.state";
    break_and_resume(&tc, &d, st, &b, &sb);
    tc.distill = 0.6;
    assert_int_equal(kml_train(&tc, &d, &c, &sc, &err), -1);
    assert_non_null(strstr(err.msg, "other data or options"));
    remove(st);
    tc.state_path = NULL;
    tc.resume = 0;

    teacher.cfg.C += 1; /* a teacher of other classes */
    assert_int_equal(kml_train(&tc, &d, &c, &sc, &err), -1);
    assert_non_null(strstr(err.msg, "teacher"));
    teacher.cfg.C -= 1;
    tc.teacher = NULL;
    assert_int_equal(kml_train(&tc, &d, &c, &sc, &err), -1);
    assert_non_null(strstr(err.msg, "--teacher"));
    kml_model_free(&teacher);
    kml_model_free(&a);
    kml_model_free(&b);
    kml_data_free(&d);
}

/* --init-from: a run at a vanishing learning rate stays at its starting point, so its model computes the
 * source's function: the same parameters from a full-rank source into its own configuration, the same
 * logits (to float rounding) through factors of U of rank H, the source's normalisation carried along;
 * W cut to rank 1 (of 2) keeps W's largest singular direction (W1·W2 = that rank-1 term); a state file
 * started from another source is refused on resume; a source of another H is refused by name. */
static void init_from_a_trained_model(void **state)
{
    (void)state;
    kml_rng r;
    kml_rng_seed(&r, 12);
    kml_data d;
    make_varlen(&d, 300, &r);
    for (int i = 0; i < d.train.n * 24; i++) d.train.X[i] = 3.0f * d.train.X[i] + 1.0f;  /* off-centre: the norm matters */
    for (int i = 0; i < d.test.n * 24; i++) d.test.X[i] = 3.0f * d.test.X[i] + 1.0f;
    kml_train_config tc;
    small_config(&tc);
    tc.epochs = 3;
    kml_model src, m;
    kml_train_summary s;
    kml_error err = {{0}};
    if (kml_train(&tc, &d, &src, &s, &err)) fail_msg("%s", err.msg);
    float *want = malloc((size_t)d.test.n * 2 * sizeof(float)), *got = malloc((size_t)d.test.n * 2 * sizeof(float));
    if (kml_predict_logits(&src, &d.test, want, &err)) fail_msg("%s", err.msg);

    small_config(&tc);
    tc.epochs = 1;
    tc.seed = 99;             /* another seed: nothing of its own initialisation may survive */
    tc.optim.lr = 1e-30;
    tc.init_from = &src;
    if (kml_train(&tc, &d, &m, &s, &err)) fail_msg("%s", err.msg);
    assert_int_equal(m.n_params, src.n_params);
    for (size_t i = 0; i < m.n_params; i++) assert_true(fabsf(m.block[i] - src.block[i]) <= 1e-6f * (1 + fabsf(src.block[i])));
    assert_memory_equal(m.norm.mean, src.norm.mean, 2 * sizeof(float));
    assert_memory_equal(m.norm.std, src.norm.std, 2 * sizeof(float));
    kml_model_free(&m);

    tc.model.rank_u = 16;     /* U as factors of full rank: the same function */
    if (kml_train(&tc, &d, &m, &s, &err)) fail_msg("%s", err.msg);
    if (kml_predict_logits(&m, &d.test, got, &err)) fail_msg("%s", err.msg);
    double worst = 0;
    for (int i = 0; i < d.test.n * 2; i++) worst = fmax(worst, fabs((double)got[i] - want[i]) / (1 + fabs((double)want[i])));
    print_message("U as rank-16 factors: worst logit difference %.2e\n", worst);
    assert_true(worst < 1e-4);
    kml_model_free(&m);

    tc.model.rank_w = 1;      /* W (2 x 16) cut to its largest singular direction */
    if (kml_train(&tc, &d, &m, &s, &err)) fail_msg("%s", err.msg);
    {
        const float *w = src.p[KML_P_W];
        double g[4] = {0}; /* W Wᵀ (2 x 2): its top eigenvector is W's first left singular vector */
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 2; b++)
                for (int j = 0; j < 16; j++) g[a * 2 + b] += (double)w[a * 16 + j] * w[b * 16 + j];
        const double tr = g[0] + g[3], det = g[0] * g[3] - g[1] * g[2], l1 = tr / 2 + sqrt(tr * tr / 4 - det);
        double u0 = g[1], u1 = l1 - g[0], nu = sqrt(u0 * u0 + u1 * u1);
        if (nu < 1e-12) u0 = 1, u1 = 0, nu = 1;
        u0 /= nu, u1 /= nu;
        for (int a = 0; a < 2; a++)
            for (int j = 0; j < 16; j++) {
                const double proj = (a ? u1 : u0) * (u0 * w[j] + u1 * w[16 + j]);   /* u uᵀ W */
                const double got1 = (double)m.p[KML_P_W1][a] * m.p[KML_P_W2][j];
                if (fabs(got1 - proj) > 1e-5) fail_msg("W1 W2 [%d][%d] = %g, rank-1 SVD term %g", a, j, got1, proj);
            }
    }
    kml_model_free(&m);

    /* resume: the state's run started from src; the same run from another source is refused */
    kml_model other;
    if (kml_model_copy(&other, &src, &err)) fail_msg("%s", err.msg);
    other.p[KML_P_BG][0] += 0.5f;
    tc.model.rank_w = 0;
    tc.epochs = 3;            /* break_and_resume stops after epoch 2 */
    tc.optim.lr = 1e-2;
    if (kml_train(&tc, &d, &m, &s, &err)) fail_msg("%s", err.msg);
    const char *st = DIR "/tr_init.state";
    break_and_resume(&tc, &d, st, &m, &s);
    kml_model_free(&m);
    tc.init_from = &other;
    assert_int_equal(kml_train(&tc, &d, &m, &s, &err), -1);
    assert_non_null(strstr(err.msg, "other data or options"));
    remove(st);
    tc.state_path = NULL;
    tc.resume = 0;
    kml_model_free(&other);

    tc.init_from = &src;
    tc.model.H = 17;
    assert_int_equal(kml_train(&tc, &d, &m, &s, &err), -1);
    assert_non_null(strstr(err.msg, "--init-from"));
    assert_non_null(strstr(err.msg, "H = 16"));
    free(want);
    free(got);
    kml_model_free(&src);
    kml_data_free(&d);
}

int main(void)
{
    const struct CMUnitTest fsdd_tests[] = {
        cmocka_unit_test(deterministic_bytes),
        cmocka_unit_test(learns_spoken_digits),
        cmocka_unit_test(iht_density_reached),
        cmocka_unit_test(log_test_is_monitoring_only),
    };
    const struct CMUnitTest synth_tests[] = {
        cmocka_unit_test(variable_length_reads_last_valid_step),
        cmocka_unit_test(nonfinite_steps_skipped),
        cmocka_unit_test(weight_decay_spares_biases_and_scalars),
        cmocka_unit_test(checkpoint_and_log),
        cmocka_unit_test(qat_switches_to_pwl_in_its_phase),
        cmocka_unit_test(resume_matches_unbroken_run),
        cmocka_unit_test(stop_after_epoch_then_resume),
        cmocka_unit_test(input_noise_applied_deterministic_resumable),
        cmocka_unit_test(distillation_from_a_teacher),
        cmocka_unit_test(init_from_a_trained_model),
    };
    int rc = cmocka_run_group_tests(synth_tests, NULL, NULL);
    return rc | cmocka_run_group_tests(fsdd_tests, load_fsdd, free_fsdd);
}
