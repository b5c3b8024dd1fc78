/* emi_driver.c: the EMI-RNN training driver (SPEC §4): rounds of training on instances with the
 * current labels (MI-RNN last-step loss first, then EMI every-step loss), best checkpoint per round
 * by validation BAG accuracy, relabelling between rounds. The optimiser, the learning-rate
 * schedule and IHT are the trainer's (kiloml/optim.h, kiloml/iht.h). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "kiloml/emi_train.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kiloml/iht.h"
#include "kiloml/optim.h"
#include "kiloml/rng.h"
#include "input_noise.h"

#define KML_EMI_NEGATIVE_UNSET (-2)
#define NEVER_EARLY 2.0f /* a threshold no probability reaches: the last step decides */

void kml_emi_config_init(kml_emi_config *c)
{
    memset(c, 0, sizeof *c);
    kml_train_config_init(&c->train);
    c->window = 0;
    c->stride = 0;
    c->k = 2;
    c->negative = KML_EMI_NEGATIVE_UNSET;
    c->rounds = 4;
    c->frac_emi = 0.5;
}

/* Everything a run owns, freed in one place, and the loop's state. */
typedef struct run {
    kml_dataset fit, val, test;
    kml_norm norm;
    kml_bags fb, vb, tb;
    kml_model m, g, best;
    kml_emi_work work;
    float *opt_state, *iht_scratch;
    uint8_t *iht_mask;
    unsigned char *decay_mask; /* 1 on the weight matrices (W, U factors, V) for --weight-decay */
    int *active, *batch_rows;
    int32_t *y, *inst_pred;
    kml_optim opt;
    kml_iht iht;
    kml_rng rng;
    int spe;   /* minibatches per epoch, fixed so that the IHT phases are exact */
    long step; /* minibatches so far */
    double noise;  /* --input-noise sigma (0 = off) */
    double gain, offset; /* --input-gain, --input-offset (0 = off) */
    uint64_t seed; /* of the noise draws */
} run;

static void run_free(run *r)
{
    kml_dataset_free(&r->fit);
    kml_dataset_free(&r->val);
    kml_dataset_free(&r->test);
    kml_norm_free(&r->norm);
    kml_bags_free(&r->fb);
    kml_bags_free(&r->vb);
    kml_bags_free(&r->tb);
    kml_model_free(&r->m);
    kml_model_free(&r->g);
    kml_model_free(&r->best);
    kml_emi_work_free(&r->work);
    free(r->opt_state);
    free(r->iht_scratch);
    free(r->iht_mask);
    free(r->decay_mask);
    free(r->active);
    free(r->batch_rows);
    free(r->y);
    free(r->inst_pred);
}

static int check_config(const kml_emi_config *ec, const kml_data *data, kml_error *err)
{
    if (ec->window < 1) return kml_error_set(err, "EMI: --window must be >= 1 (got %d)", ec->window);
    if (ec->stride < 1) return kml_error_set(err, "EMI: --stride must be >= 1 (got %d)", ec->stride);
    if (ec->k < 1) return kml_error_set(err, "EMI: --k must be >= 1 (got %d)", ec->k);
    if (ec->rounds < 1 || ec->rounds > 64)
        return kml_error_set(err, "EMI: --rounds must be in 1..64 (got %d)", ec->rounds);
    if (ec->stop_after_round < 0)
        return kml_error_set(err, "EMI: --stop-after-round must be at least 1 (got %d)", ec->stop_after_round);
    if (!(ec->frac_emi >= 0.0 && ec->frac_emi <= 1.0))
        return kml_error_set(err, "EMI: --frac-emi must be in [0, 1] (got %g)", ec->frac_emi);
    if (ec->negative == KML_EMI_NEGATIVE_UNSET)
        return kml_error_set(err, "EMI: the negative class must be chosen (a class id, or none)");
    if (ec->negative != KML_EMI_NO_NEGATIVE && (ec->negative < 0 || ec->negative >= data->C))
        return kml_error_set(err, "EMI: negative class %d is not one of the data's classes 0..%d", ec->negative,
                             data->C - 1);
    if (data->C > 255) return kml_error_set(err, "EMI: at most 255 classes (the data has %d)", data->C);
    if (ec->train.epochs < 1) return kml_error_set(err, "EMI: --epochs must be >= 1");
    if (ec->train.batch < 1) return kml_error_set(err, "EMI: --batch must be >= 1");
    if (!ec->val && !(ec->train.val_frac > 0.0 && ec->train.val_frac < 1.0))
        return kml_error_set(err, "EMI: the validation fraction must be in (0, 1): rounds select by it");
    if (ec->val && (ec->val->F != data->train.F || ec->val->n < 1))
        return kml_error_set(err, "EMI: the validation set has %d series of %d features; expected >= 1 of %d",
                             ec->val->n, ec->val->F, data->train.F);
    return 0;
}

static int copy_dataset(const kml_dataset *src, kml_dataset *dst, kml_error *err)
{
    memset(dst, 0, sizeof *dst);
    if (src->n < 1) return 0;
    int *idx = malloc((size_t)src->n * sizeof(int));
    if (!idx) return kml_error_set(err, "EMI: out of memory");
    for (int i = 0; i < src->n; i++) idx[i] = i;
    int rc = kml_dataset_subset(src, idx, src->n, dst, err);
    free(idx);
    return rc;
}

/* Splits, normalisation with fit statistics only (before bagging: padding stays 0), bags. */
static int prepare_data(run *r, const kml_emi_config *ec, const kml_data *data, kml_error *err)
{
    const kml_train_config *tc = &ec->train;
    if (ec->val) {
        if (copy_dataset(&data->train, &r->fit, err) != 0 || copy_dataset(ec->val, &r->val, err) != 0) return -1;
    } else if (kml_split_validation(&data->train, data->C, tc->val_frac, tc->seed, tc->val_by_group, &r->fit,
                                    &r->val, err) != 0) {
        return -1;
    }
    if (copy_dataset(&data->test, &r->test, err) != 0) return -1;
    if (tc->normalize) {
        if (kml_norm_fit(&r->fit, tc->norm_mode, &r->norm, err) != 0) return -1;
        kml_norm_apply(&r->norm, &r->fit);
        kml_norm_apply(&r->norm, &r->val);
        if (r->test.n > 0) kml_norm_apply(&r->norm, &r->test);
    }
    if (kml_bags_make(&r->fit, ec->window, ec->stride, &r->fb, err) != 0 ||
        kml_bags_make(&r->val, ec->window, ec->stride, &r->vb, err) != 0)
        return -1;
    if (r->test.n > 0 && kml_bags_make(&r->test, ec->window, ec->stride, &r->tb, err) != 0) return -1;
    return 0;
}

/* Model (seeded init), gradient, best checkpoint, optimiser and IHT state, minibatch buffers. */
static int prepare_model(run *r, const kml_emi_config *ec, const kml_data *data, kml_error *err)
{
    const kml_train_config *tc = &ec->train;
    kml_model_config cfg = tc->model;
    cfg.D = data->train.F;
    cfg.C = data->C;
    if (kml_model_alloc(&r->m, &cfg, err) != 0 || kml_model_alloc(&r->g, &cfg, err) != 0) return -1;
    kml_model_init_params(&r->m, tc->seed);
    if (kml_model_copy(&r->best, &r->m, err) != 0) return -1;
    const int rows = r->fb.inst.n;
    const int B = tc->batch < rows ? tc->batch : rows;
    r->spe = (rows + B - 1) / B;
    r->opt_state = calloc(kml_optim_state_floats(&tc->optim, r->m.n_params) + 1, sizeof(float));
    r->iht_mask = malloc(kml_iht_mask_bytes(&r->m) + 1);
    r->iht_scratch = malloc((kml_iht_scratch_floats(&r->m) + 1) * sizeof(float));
    r->active = malloc((size_t)rows * sizeof(int));
    r->batch_rows = malloc((size_t)B * sizeof(int));
    r->y = malloc((size_t)B * sizeof(int32_t));
    r->inst_pred = malloc((size_t)rows * sizeof(int32_t));
    if (!r->opt_state || !r->iht_mask || !r->iht_scratch || !r->active || !r->batch_rows || !r->y || !r->inst_pred)
        return kml_error_set(err, "EMI: out of memory for %d instances", rows);
    if (kml_emi_work_alloc(&r->work, &cfg, ec->window, B, err) != 0) return -1;
    kml_optim_init(&r->opt, &tc->optim, r->m.n_params, r->opt_state);
    if (tc->optim.weight_decay > 0) {
        /* as the trainer: the weight matrices only, not biases or the cell's scalars */
        r->decay_mask = calloc(r->m.n_params, 1);
        if (!r->decay_mask) return kml_error_set(err, "EMI: out of memory");
        for (int i = 0; i < KML_PARAM_COUNT; i++) {
            kml_param_kind k = kml_param_kind_of((kml_param_id)i);
            if (!r->m.p[i] || i == KML_P_VB || !(k == KML_PK_W || k == KML_PK_U || k == KML_PK_CLASSIFIER)) continue;
            size_t off = (size_t)(r->m.p[i] - r->m.block), n = (size_t)r->m.shape[i].rows * (size_t)r->m.shape[i].cols;
            memset(r->decay_mask + off, 1, n);
        }
        r->opt.decay_mask = r->decay_mask;
    }
    kml_iht_init(&r->iht, &r->m, tc->density_w, tc->density_u, (long)r->spe * tc->epochs * ec->rounds, r->iht_mask,
                 r->iht_scratch);
    kml_rng_seed(&r->rng, tc->seed ^ 0x454d492d524e4eull); /* "EMI-RNN": the minibatch order */
    r->noise = tc->input_noise;
    r->gain = tc->input_gain;
    r->offset = tc->input_offset;
    r->seed = tc->seed;
    return 0;
}

/* One epoch over the instances of weight > 0 in spe minibatches; returns the mean loss. A
 * non-finite loss skips the step (counted in opt.skipped), as a non-finite gradient does. */
static double train_epoch(run *r, const kml_train_qat *qat, int fq, kml_emi_loss_mode mode, double lr)
{
    const int rows = r->fb.inst.n, W = r->fb.window;
    int n_active = 0, loss_n = 0;
    double loss_sum = 0;
    for (int i = 0; i < rows; i++)
        if (r->fb.weight[i] > 0.0f) r->active[n_active++] = i;
    kml_rng_shuffle(&r->rng, r->active, n_active);
    const int Beff = (n_active + r->spe - 1) / r->spe;
    for (int s = 0; s < r->spe; s++, r->step++) {
        int lo = s * Beff, hi = lo + Beff < n_active ? lo + Beff : n_active;
        if (hi > lo) {
            memcpy(r->batch_rows, r->active + lo, (size_t)(hi - lo) * sizeof(int));
            kml_emi_gather(&r->fb, r->batch_rows, hi - lo, mode, &r->work, r->y);
            if (r->gain > 0 || r->offset > 0)
                kml_input_jitter(r->work.X, W, hi - lo, r->m.cfg.D, r->gain, r->offset, r->seed, r->step);
            if (r->noise > 0)
                kml_input_noise(r->work.X, (size_t)W * (hi - lo) * r->m.cfg.D, r->noise, r->seed, r->step);
            memset(r->g.block, 0, r->g.n_params * sizeof(float));
            if (fq) qat->fake(&r->m, qat->ctx); /* QAT: forward/backward on the rounded weights */
            double loss = kml_emi_batch_loss(&r->m, r->work.X, r->y, r->work.step_w, W, hi - lo, &r->work, &r->g);
            if (fq) qat->restore(&r->m, qat->ctx); /* straight-through: the float weights take the step */
            if (isfinite(loss)) {
                loss_sum += loss;
                loss_n++;
                kml_optim_step(&r->opt, r->m.block, r->g.block, lr);
            } else {
                r->opt.skipped++;
            }
        }
        kml_iht_after_step(&r->iht, &r->m, r->step);
    }
    return loss_n ? loss_sum / loss_n : 0.0;
}

/* Bag accuracy of the current model on b, last-step predictions (instance ones into inst_pred). */
static double bag_accuracy(run *r, const kml_emi_config *ec, const kml_bags *b, int32_t *inst_pred, kml_error *err)
{
    float never = NEVER_EARLY;
    kml_emi_result res;
    if (kml_emi_evaluate(&r->m, b, &never, 1, ec->k, ec->negative, &res, NULL, inst_pred, err) != 0) return -1;
    return res.accuracy;
}

/* The rounds: train, keep the best validation checkpoint, go on from it, relabel. */
static int run_rounds(run *r, const kml_emi_config *ec, kml_emi_summary *sum, kml_error *err)
{
    const kml_train_config *tc = &ec->train;
    const int total_epochs = tc->epochs * ec->rounds;
    sum->rounds = ec->rounds;
    sum->mi_rounds = (int)floor(ec->rounds * (1.0 - ec->frac_emi) + 1e-9);
    sum->rounds_run = ec->stop_after_round > 0 && ec->stop_after_round < ec->rounds ? ec->stop_after_round : ec->rounds;
    for (int round = 0; round < sum->rounds_run; round++) {
        kml_emi_loss_mode mode = round < sum->mi_rounds ? KML_EMI_LOSS_LAST : KML_EMI_LOSS_EVERY;
        double best_acc = -1;
        int active = 0;
        for (int i = 0; i < r->fb.inst.n; i++) active += r->fb.weight[i] > 0.0f;
        if (round < 64) sum->round_active[round] = active;
        /* QAT (tc->qat.fake set): epochs from qat.start_epoch on (global count) train and validate on
         * the rounded weights; in a round that has such epochs only they are eligible */
        const int round_qat = tc->qat.fake && (round + 1) * tc->epochs > tc->qat.start_epoch;
        for (int e = 0; e < tc->epochs; e++) {
            const int epoch = round * tc->epochs + e; /* global, for the lr schedule */
            const int fq = tc->qat.fake && epoch >= tc->qat.start_epoch;
            double loss = train_epoch(r, &tc->qat, fq, mode, kml_optim_lr(&tc->optim, epoch, total_epochs));
            if (fq) tc->qat.fake(&r->m, tc->qat.ctx);
            double acc = bag_accuracy(r, ec, &r->vb, NULL, err);
            if (fq) tc->qat.restore(&r->m, tc->qat.ctx);
            if (acc < 0) return -1;
            if ((fq || !round_qat) && acc > best_acc) {
                best_acc = acc;
                sum->train.best_epoch = epoch + 1;
                memcpy(r->best.block, r->m.block, r->m.n_params * sizeof(float));
            }
            if (tc->progress)
                fprintf(stderr, "emi round %d/%d (%s) epoch %d/%d  loss %.4f  val bag acc %.4f  best %.4f%s\n",
                        round + 1, ec->rounds, mode == KML_EMI_LOSS_LAST ? "MI" : "EMI", e + 1, tc->epochs, loss, acc,
                        best_acc, r->opt.skipped ? "  (skipped steps)" : "");
            sum->train.epochs = epoch + 1;
            sum->train.val_accuracy = best_acc;
            if (tc->checkpoint && tc->checkpoint(&r->best, &sum->train, tc->checkpoint_ctx, err) != 0) return -1;
        }
        memcpy(r->m.block, r->best.block, r->m.n_params * sizeof(float));
        if (round < 64) {
            sum->round_val_accuracy[round] = best_acc;
            sum->round_test_accuracy[round] = -1;
            if (r->tb.n_bags > 0 && (sum->round_test_accuracy[round] = bag_accuracy(r, ec, &r->tb, NULL, err)) < 0)
                return -1;
        }
        if (round + 1 < sum->rounds_run) {
            double fit_acc = bag_accuracy(r, ec, &r->fb, r->inst_pred, err);
            if (fit_acc < 0) return -1;
            sum->relabelled[round] = kml_emi_relabel(&r->fb, r->inst_pred, ec->k, ec->negative);
            if (tc->progress)
                fprintf(stderr, "emi round %d: fit bag acc %.4f, a run of >= %d found in %d of %d bags\n", round + 1,
                        fit_acc, ec->k, sum->relabelled[round], r->fb.n_bags);
        }
    }
    return 0;
}

static char **copy_names(char *const *names, int C)
{
    char **out = calloc((size_t)C, sizeof(char *));
    for (int c = 0; out && c < C; c++) {
        size_t n = strlen(names[c]) + 1;
        out[c] = malloc(n);
        if (!out[c]) {
            while (c-- > 0) free(out[c]);
            free(out);
            return NULL;
        }
        memcpy(out[c], names[c], n);
    }
    return out;
}

int kml_emi_train(const kml_emi_config *ec, const kml_data *data, kml_model *out, kml_emi_summary *sum,
                  kml_error *err)
{
    const kml_train_config *tc = &ec->train;
    run r;
    memset(&r, 0, sizeof r);
    memset(out, 0, sizeof *out);
    memset(sum, 0, sizeof *sum);
    kml_train_summary_init(&sum->train);
    if (check_config(ec, data, err) != 0) return -1;
    if (tc->threads > 0) openblas_set_num_threads(tc->threads);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (prepare_data(&r, ec, data, err) != 0 || prepare_model(&r, ec, data, err) != 0 ||
        run_rounds(&r, ec, sum, err) != 0)
        goto fail;

    /* the last round's best checkpoint, tested once */
    kml_train_summary *ts = &sum->train;
    if (r.tb.n_bags > 0 && (ts->test_accuracy = bag_accuracy(&r, ec, &r.tb, NULL, err)) < 0) goto fail;
    if (data->class_names && !(r.m.class_names = copy_names(data->class_names, data->C))) {
        kml_error_set(err, "EMI: out of memory");
        goto fail;
    }
    ts->n_fit = r.fit.n;
    ts->n_val = r.val.n;
    ts->n_test = r.test.n;
    ts->seed = tc->seed;
    ts->steps = r.step;
    ts->skipped_steps = r.opt.skipped;
    ts->lr = tc->optim.lr;
    ts->batch = tc->batch;
    ts->optimizer = tc->optim.kind;
    ts->clip = tc->optim.clip;
    ts->density_w = tc->density_w;
    ts->density_u = tc->density_u;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ts->train_seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    ts->samples_per_second = ts->train_seconds > 0 ? (double)r.fb.inst.n * ts->epochs / ts->train_seconds : 0;

    *out = r.m; /* hand the model over, with the fit normalisation */
    memset(&r.m, 0, sizeof r.m);
    out->norm = r.norm;
    memset(&r.norm, 0, sizeof r.norm);
    run_free(&r);
    return 0;
fail:
    run_free(&r);
    return -1;
}
