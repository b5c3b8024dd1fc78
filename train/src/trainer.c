/* trainer.c: the training loop (SPEC §2): minibatch BPTT, validation-based model selection,
 * IHT phases, clipping/skipping, progress, CSV log and per-epoch checkpoints.
 *
 * Dimension letters: T time steps, B minibatch (b for the current, possibly short, batch),
 * D inputs, H hidden, C classes, P parameter floats. Batches are time-major [T][b][D].
 * One allocation holds every per-run array: optimiser moments, the best parameters, IHT masks
 * and scratch, the batch, the cell cache and states, classifier buffers, the shuffle order. */
#include "kiloml/trainer.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kiloml/cell.h"
#include "kiloml/distill.h"
#include "kiloml/init_from.h"
#include "kiloml/iht.h"
#include "kiloml/rng.h"
#include "input_noise.h"
#include "progress.h"
#include "train_state.h"

#define EVAL_BATCH 256

/* ---- the forward workspace shared by training and prediction ---- */
typedef struct {
    int B;                               /* capacity */
    float *X, *cache, *Hs, *Hsel, *logits;
    int32_t *len;
} fwd_ws;

static size_t fwd_ws_floats(const kml_model_config *c, int T, int B)
{
    return (size_t)T * B * c->D + kml_cell_cache_floats(c, T, B) + (size_t)T * B * c->H + (size_t)B * c->H +
           (size_t)B * c->C;
}

static float *fwd_ws_carve(fwd_ws *w, const kml_model_config *c, int T, int B, float *f)
{
    w->B = B;
    w->X = f; f += (size_t)T * B * c->D;
    w->cache = f; f += kml_cell_cache_floats(c, T, B);
    w->Hs = f; f += (size_t)T * B * c->H;
    w->Hsel = f; f += (size_t)B * c->H;
    w->logits = f; f += (size_t)B * c->C;
    return f;
}

/* Rows idx[0..b-1] of d into w->X time-major; lengths into w->len. */
static void gather(const kml_dataset *d, const int *idx, int b, fwd_ws *w)
{
    int T = d->T, F = d->F;
    for (int i = 0; i < b; i++) {
        const float *src = d->X + (size_t)idx[i] * T * F;
        for (int t = 0; t < T; t++) memcpy(w->X + ((size_t)t * b + i) * F, src + (size_t)t * F, (size_t)F * sizeof(float));
        int L = d->len ? d->len[idx[i]] : T;
        w->len[i] = L < 1 ? 1 : L > T ? T : L;
    }
}

/* Forward the batch already in w; logits for each row read h at len-1. */
static void forward_batch(const kml_model *m, int T, int b, fwd_ws *w)
{
    int H = m->cfg.H;
    kml_cell_forward(m, w->X, T, b, w->cache, w->Hs);
    for (int i = 0; i < b; i++)
        memcpy(w->Hsel + (size_t)i * H, w->Hs + ((size_t)(w->len[i] - 1) * b + i) * H, (size_t)H * sizeof(float));
    kml_classifier_forward(m, w->Hsel, b, w->logits);
}

static int32_t argmax(const float *v, int C)
{
    int32_t k = 0;
    for (int c = 1; c < C; c++)
        if (v[c] > v[k]) k = c;
    return k;
}

/* Predictions for every series of d (and their logits into lg[n][C] when lg is not NULL); returns the
 * mean cross-entropy against d->y. */
static double predict_ws(const kml_model *m, const kml_dataset *d, int32_t *pred, fwd_ws *w, int *idx, float *lg)
{
    int C = m->cfg.C;
    double loss = 0.0;
    for (int s = 0; s < d->n; s += w->B) {
        int b = d->n - s < w->B ? d->n - s : w->B;
        for (int i = 0; i < b; i++) idx[i] = s + i;
        gather(d, idx, b, w);
        forward_batch(m, d->T, b, w);
        if (lg) memcpy(lg + (size_t)s * C, w->logits, (size_t)b * C * sizeof(float));
        for (int i = 0; i < b; i++) {
            const float *z = w->logits + (size_t)i * C;
            int32_t k = argmax(z, C);
            pred[s + i] = k;
            double se = 0.0;
            for (int c = 0; c < C; c++) se += exp((double)z[c] - (double)z[k]);
            int32_t y = d->y[s + i];
            if (y >= 0 && y < C) loss += log(se) + (double)z[k] - (double)z[y];
        }
    }
    return d->n ? loss / d->n : 0.0;
}

static double accuracy_of(const kml_dataset *d, const int32_t *pred)
{
    int ok = 0;
    for (int i = 0; i < d->n; i++) ok += pred[i] == d->y[i];
    return d->n ? (double)ok / d->n : -1.0;
}

static int check_dims(const kml_model *m, const kml_dataset *d, kml_error *err)
{
    if (d->n == 0) return 0;
    if (d->F != m->cfg.D)
        return kml_error_set(err, "data has %d features per step but the model expects D = %d", d->F, m->cfg.D);
    for (int i = 0; i < d->n; i++)
        if (d->y[i] < 0 || d->y[i] >= m->cfg.C)
            return kml_error_set(err, "series %d has label %d, outside the model's %d classes", i, (int)d->y[i],
                                 m->cfg.C);
    return 0;
}

static int predict_impl(const kml_model *m, const kml_dataset *d, int32_t *pred, float *lg, kml_error *err)
{
    if (d->F != m->cfg.D)
        return kml_error_set(err, "data has %d features per step but the model expects D = %d", d->F, m->cfg.D);
    if (d->n == 0) return 0;
    int B = d->n < EVAL_BATCH ? d->n : EVAL_BATCH;
    size_t nf = fwd_ws_floats(&m->cfg, d->T, B);
    float *f = malloc(nf * sizeof(float));
    int32_t *ints = malloc((size_t)2 * B * sizeof(int32_t));
    if (!f || !ints) {
        free(f);
        free(ints);
        return kml_error_set(err, "out of memory for prediction (T=%d, batch %d)", d->T, B);
    }
    fwd_ws w;
    fwd_ws_carve(&w, &m->cfg, d->T, B, f);
    w.len = ints;
    predict_ws(m, d, pred, &w, ints + B, lg);
    free(f);
    free(ints);
    return 0;
}

int kml_predict(const kml_model *m, const kml_dataset *d, int32_t *pred, kml_error *err)
{
    return predict_impl(m, d, pred, NULL, err);
}

static int copy_all(const kml_dataset *src, kml_dataset *dst, kml_error *err)
{
    size_t n = src->n > 0 ? (size_t)src->n : 1;
    int *idx = malloc(n * sizeof(int));
    if (!idx) return kml_error_set(err, "out of memory");
    for (int i = 0; i < src->n; i++) idx[i] = i;
    int rc = kml_dataset_subset(src, idx, src->n, dst, err);
    free(idx);
    return rc;
}

static int norm_fits(const kml_norm *nm, const kml_dataset *d, kml_error *err)
{
    if (!nm->mean || !nm->std) return 0;
    if (nm->F != d->F)
        return kml_error_set(err, "the model normalises %d features but the data has %d", nm->F, d->F);
    return 0;
}

int kml_evaluate(const kml_model *m, const kml_dataset *d, double *accuracy, int32_t *pred, kml_error *err)
{
    if (check_dims(m, d, err) || norm_fits(&m->norm, d, err)) return -1;
    kml_dataset c;
    if (copy_all(d, &c, err)) return -1;
    if (m->norm.mean && m->norm.std) kml_norm_apply(&m->norm, &c);
    int32_t *p = pred ? pred : malloc((size_t)(d->n ? d->n : 1) * sizeof(int32_t));
    int rc = p ? kml_predict(m, &c, p, err) : kml_error_set(err, "out of memory");
    if (rc == 0) *accuracy = accuracy_of(&c, p);
    if (p != pred) free(p);
    kml_dataset_free(&c);
    return rc;
}

int kml_predict_logits(const kml_model *m, const kml_dataset *d, float *logits, kml_error *err)
{
    if (norm_fits(&m->norm, d, err)) return -1;
    kml_dataset c;
    if (copy_all(d, &c, err)) return -1;
    if (m->norm.mean && m->norm.std) kml_norm_apply(&m->norm, &c);
    int32_t *p = malloc((size_t)(d->n ? d->n : 1) * sizeof(int32_t));
    int rc = p ? predict_impl(m, &c, p, logits, err) : kml_error_set(err, "out of memory");
    free(p);
    kml_dataset_free(&c);
    return rc;
}

/* ---- training ---- */
typedef struct {
    kml_dataset fit, val, test;
    kml_model m, g;
    void *block;
    unsigned char *decay_mask;   /* 1 on weight matrices (W, U factors, V), for --weight-decay */
    float *soft;                 /* distillation: the teacher's logits of the fit split [fit.n][C], and */
    float *soft_b, *dkd;         /* a batch's rows of them and the KD gradient [B][C]; NULL when off */
} run_state;

static void run_free(run_state *r)
{
    kml_dataset_free(&r->fit);
    kml_dataset_free(&r->val);
    kml_dataset_free(&r->test);
    kml_model_free(&r->m);
    kml_model_free(&r->g);
    free(r->block);
    free(r->decay_mask);
    free(r->soft);
    free(r->soft_b);
    free(r->dkd);
}

/* A model that shares m's configuration, normalisation and names but whose parameters are `block`. */
static kml_model view_of(const kml_model *m, float *block)
{
    kml_model v = *m;
    v.block = block;
    for (int id = 0; id < KML_PARAM_COUNT; id++)
        v.p[id] = m->p[id] ? block + (m->p[id] - m->block) : NULL;
    return v;
}

static int all_finite(const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i])) return 0;
    return 1;
}

static int validate(const kml_train_config *tc, const kml_data *data, kml_error *err)
{
    if (tc->epochs < 1) return kml_error_set(err, "--epochs: expected at least 1, got %d", tc->epochs);
    if (tc->batch < 1) return kml_error_set(err, "--batch: expected at least 1, got %d", tc->batch);
    if (tc->stop_after < 0)
        return kml_error_set(err, "--stop-after-epoch: expected at least 1, got %d", tc->stop_after);
    if (tc->stop_after > 0 && !tc->state_path)
        return kml_error_set(err, "--stop-after-epoch: needs a training state file to continue from");
    if (!(tc->val_frac >= 0 && tc->val_frac < 1))
        return kml_error_set(err, "--val-frac: expected a fraction in [0, 1), got %g", tc->val_frac);
    if (!(tc->density_w > 0 && tc->density_w <= 1) || !(tc->density_u > 0 && tc->density_u <= 1))
        return kml_error_set(err, "--density-w/--density-u: expected a fraction in (0, 1]");
    if (!(tc->optim.lr > 0)) return kml_error_set(err, "--lr: expected a positive learning rate, got %g", tc->optim.lr);
    if (data->train.n < 2) return kml_error_set(err, "training data: need at least 2 series, got %d", data->train.n);
    if (data->C < 2) return kml_error_set(err, "training data: need at least 2 classes, got %d", data->C);
    if (tc->val_by_group && !data->train.group)
        return kml_error_set(err, "validation by group asked for, but the data has no group column (--group NAME)");
    if (!(tc->distill >= 0 && tc->distill <= 1))
        return kml_error_set(err, "--distill: expected a weight in [0, 1], got %g", tc->distill);
    if (tc->distill > 0) {
        if (!tc->teacher) return kml_error_set(err, "--distill %g without a teacher model (--teacher)", tc->distill);
        if (!(tc->distill_temp > 0))
            return kml_error_set(err, "--temperature: expected a positive temperature, got %g", tc->distill_temp);
        if (tc->teacher->cfg.D != data->train.F || tc->teacher->cfg.C != data->C)
            return kml_error_set(err, "the teacher model has D = %d, C = %d but the data has %d features, %d classes",
                                 tc->teacher->cfg.D, tc->teacher->cfg.C, data->train.F, data->C);
    }
    return 0;
}

/* FNV-1a over the bytes of n floats, continuing from h (v may be NULL when n is 0) */
static uint64_t fnv1a(uint64_t h, const float *v, size_t n)
{
    const unsigned char *b = (const unsigned char *)v;
    for (size_t i = 0; v && i < n * sizeof(float); i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}
#define FNV1A_START 1469598103934665603ull

/* The teacher's logits: part of the training-state fingerprint */
static int64_t soft_hash(const float *v, size_t n) { return (int64_t)(fnv1a(FNV1A_START, v, n) >> 1); }

/* A run's starting parameters and normalisation: part of the fingerprint with --init-from */
static int64_t start_hash(const kml_model *m)
{
    const size_t nn = (size_t)(m->norm.mode == KML_NORM_PER_STEP ? m->norm.T : 1) * m->norm.F;
    uint64_t h = fnv1a(FNV1A_START, m->block, m->n_params);
    h = fnv1a(h, m->norm.mean, m->norm.mean ? nn : 0);
    h = fnv1a(h, m->norm.std, m->norm.std ? nn : 0);
    return (int64_t)(h >> 1);
}

int kml_train(const kml_train_config *tc, const kml_data *data, kml_model *out, kml_train_summary *sum,
              kml_error *err)
{
    memset(out, 0, sizeof *out);
    kml_train_summary_init(sum);
    if (validate(tc, data, err)) return -1;
    double t_start = kml_now_seconds();
    if (tc->threads > 0) openblas_set_num_threads(tc->threads);

    run_state r;
    memset(&r, 0, sizeof r);
    int rc = -1;
    kml_progress pg;
    kml_progress_begin(&pg, tc->progress ? stderr : NULL, tc->epochs, 1);

    /* splits: fit / validation from the training data; a private copy of test */
    if (tc->val_frac > 0) {
        if (kml_split_validation(&data->train, data->C, tc->val_frac, tc->seed, tc->val_by_group, &r.fit, &r.val,
                                 err))
            goto done;
    } else if (copy_all(&data->train, &r.fit, err)) {
        goto done;
    }
    if (r.fit.n < 1) {
        kml_error_set(err, "the validation split left no training series (lower --val-frac)");
        goto done;
    }
    if (copy_all(&data->test, &r.test, err)) goto done;
    if (tc->distill > 0) { /* the teacher's logits of the raw fit split, through its own normalisation */
        r.soft = malloc((size_t)r.fit.n * data->C * sizeof(float));
        if (!r.soft) { kml_error_set(err, "out of memory for the teacher's logits"); goto done; }
        if (kml_predict_logits(tc->teacher, &r.fit, r.soft, err)) goto done;
    }

    /* the model, with its normalisation fitted on the fit split only (or taken from --init-from's model) */
    kml_model_config mc = tc->model;
    mc.D = r.fit.F;
    mc.C = data->C;
    if (kml_model_alloc(&r.m, &mc, err) || kml_model_alloc(&r.g, &mc, err)) goto done;
    kml_model_init_params(&r.m, tc->seed);
    r.m.bptt_clip = tc->bptt_clip;
    if (tc->init_from) { /* its parameters and its normalisation */
        if (kml_model_init_from(&r.m, tc->init_from, err) || norm_fits(&r.m.norm, &r.fit, err)) goto done;
    } else if (tc->normalize && kml_norm_fit(&r.fit, tc->norm_mode, &r.m.norm, err)) {
        goto done;
    }
    if (r.m.norm.mean) {
        kml_norm_apply(&r.m.norm, &r.fit);
        if (r.val.n) kml_norm_apply(&r.m.norm, &r.val);
        if (r.test.n) {
            if (norm_fits(&r.m.norm, &r.test, err)) goto done;
            kml_norm_apply(&r.m.norm, &r.test);
        }
    }
    if (data->class_names) {
        r.m.class_names = calloc((size_t)mc.C, sizeof(char *));
        if (!r.m.class_names) { kml_error_set(err, "out of memory"); goto done; }
        for (int c = 0; c < mc.C; c++) {
            const char *s = data->class_names[c] ? data->class_names[c] : "";
            r.m.class_names[c] = malloc(strlen(s) + 1);
            if (!r.m.class_names[c]) { kml_error_set(err, "out of memory"); goto done; }
            strcpy(r.m.class_names[c], s);
        }
    }
    if (check_dims(&r.m, &r.val, err) || check_dims(&r.m, &r.test, err)) goto done;

    /* one block for the run */
    int T = r.fit.T, B = tc->batch < r.fit.n ? tc->batch : r.fit.n, H = mc.H, C = mc.C;
    if (r.soft) {
        r.soft_b = malloc((size_t)B * C * sizeof(float));
        r.dkd = malloc((size_t)B * C * sizeof(float));
        if (!r.soft_b || !r.dkd) { kml_error_set(err, "out of memory"); goto done; }
    }
    size_t P = r.m.n_params;
    kml_optim_config oc = tc->optim;
    size_t n_opt = kml_optim_state_floats(&oc, P), n_iht = kml_iht_scratch_floats(&r.m);
    size_t n_f = n_opt + P + n_iht + fwd_ws_floats(&mc, T, B) + (size_t)T * B * H /* dHs */ +
                 (size_t)B * C /* dlogits */ + (size_t)B * H /* dHsel */ + kml_cell_scratch_floats(&mc, B);
    int n_rows = r.fit.n > r.val.n ? r.fit.n : r.val.n;
    if (r.test.n > n_rows) n_rows = r.test.n;
    size_t n_i = (size_t)r.fit.n + (size_t)B /* eval idx */ + (size_t)B /* len */ + (size_t)n_rows /* pred */;
    size_t n_b = kml_iht_mask_bytes(&r.m);
    r.block = malloc(n_f * sizeof(float) + n_i * sizeof(int32_t) + n_b + 16);
    if (!r.block) {
        kml_error_set(err, "out of memory for the training block (%zu floats; try a smaller --batch)", n_f);
        goto done;
    }
    float *f = r.block;
    float *opt_state = f; f += n_opt;
    float *best = f; f += P;
    float *iht_scratch = f; f += n_iht;
    fwd_ws w;
    f = fwd_ws_carve(&w, &mc, T, B, f);
    float *dHs = f; f += (size_t)T * B * H;
    float *dlogits = f; f += (size_t)B * C;
    float *dHsel = f; f += (size_t)B * H;
    float *cell_scratch = f; f += kml_cell_scratch_floats(&mc, B);
    int32_t *ip = (int32_t *)f;
    int *order = (int *)ip; ip += r.fit.n;
    int *eidx = (int *)ip; ip += B;
    w.len = ip; ip += B;
    int32_t *pred = ip; ip += n_rows;
    uint8_t *mask = (uint8_t *)ip;

    kml_optim opt;
    kml_optim_init(&opt, &oc, P, opt_state);
    if (oc.weight_decay > 0) {
        /* Decay the weight matrices only: biases and the FastGRNN/FastRNN scalars (zeta, nu,
         * alpha, beta, stored before the sigmoid) would otherwise be pulled to 0, i.e. to a
         * sigmoid of 0.5, which raises nu from 0.018 and loosens the bound on the update. */
        r.decay_mask = calloc(P, 1);
        if (!r.decay_mask) { kml_error_set(err, "out of memory"); goto done; }
        for (int i = 0; i < KML_PARAM_COUNT; i++) {
            kml_param_kind k = kml_param_kind_of((kml_param_id)i);
            if (!r.m.p[i] || i == KML_P_VB || !(k == KML_PK_W || k == KML_PK_U || k == KML_PK_CLASSIFIER)) continue;
            size_t off = (size_t)(r.m.p[i] - r.m.block), n = (size_t)r.m.shape[i].rows * (size_t)r.m.shape[i].cols;
            memset(r.decay_mask + off, 1, n);
        }
        opt.decay_mask = r.decay_mask;
    }
    kml_train_state st;
    memset(&st, 0, sizeof st);
    long per_epoch = (r.fit.n + B - 1) / B, total = per_epoch * (long)tc->epochs;
    kml_iht iht;
    kml_iht_init(&iht, &r.m, tc->density_w, tc->density_u, total, mask, iht_scratch);
    kml_rng rng;
    kml_rng_seed(&rng, tc->seed ^ 0x6b696c6f6d6c2121ull);   /* minibatch order: its own stream */
    for (int i = 0; i < r.fit.n; i++) order[i] = i;
    memcpy(best, r.m.block, P * sizeof(float));
    double best_val = -1.0, best_loss = 0.0;
    int best_epoch = 0, e0 = 0;
    long step = 0, skipped = 0, warned = 0;
    pg.batches = per_epoch;
    {   /* the fingerprint a state file must match */
        int64_t fp[KML_STATE_FP] = {mc.cell, mc.D, mc.H, mc.C, mc.rank_w, mc.rank_u, mc.gate_nl, mc.update_nl,
                                    (int64_t)P, (int64_t)n_opt, (int64_t)n_b, r.fit.n, r.val.n, tc->epochs, B,
                                    (int64_t)tc->seed, oc.kind, tc->normalize, tc->norm_mode};
        double dv[7] = {oc.lr, tc->density_w, tc->density_u, oc.clip, tc->val_frac, tc->bptt_clip, tc->input_noise};
        memcpy(fp + 19, dv, sizeof dv);
        double dd[2] = {tc->distill, tc->distill > 0 ? tc->distill_temp : 0};
        fp[26] = r.soft ? soft_hash(r.soft, (size_t)r.fit.n * C) : 0;
        memcpy(fp + 27, dd, sizeof dd);
        fp[29] = tc->init_from ? start_hash(&r.m) : 0;
        double dj[2] = {tc->input_gain, tc->input_offset};
        memcpy(fp + 30, dj, sizeof dj);
        memcpy(st.fp, fp, sizeof fp);
    }
    st.order = order; st.n_order = (size_t)r.fit.n;
    st.params = r.m.block; st.best = best; st.n_params = P;
    st.opt = opt_state; st.n_opt = n_opt;
    st.mask = mask; st.n_mask = n_b;
    if (tc->resume) {
        if (!tc->state_path) { kml_error_set(err, "resume: no training state file given"); goto done; }
        if (kml_train_state_read(tc->state_path, &st, err)) goto done;
        e0 = st.epochs_done;
        best_epoch = st.best_epoch;
        best_val = st.best_val;
        best_loss = st.best_loss;
        step = (long)st.step;
        skipped = (long)st.skipped;
        opt.t = (long)st.opt_t;
        opt.skipped = (long)st.opt_skipped;
        opt.clipped = (long)st.opt_clipped;
        iht.have_support = st.iht_have_support;
        iht.thresholds = (long)st.iht_thresholds;
        memcpy(rng.s, st.rng, sizeof rng.s);
        sum->epochs = e0;
        sum->best_epoch = best_epoch;
        sum->val_accuracy = best_val;
        sum->steps = step;
        sum->skipped_steps = skipped;
        kml_progress_note(&pg, "resuming from %s after epoch %d of %d", tc->state_path, e0, tc->epochs);
    }
    if (tc->log && e0 == 0)
        fprintf(tc->log, "epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,best_val_accuracy,phase,skipped_steps,"
                         "clipped_steps,grad_norm_mean,grad_norm_max,seconds,samples_per_second%s\n",
                tc->log_test && r.test.n ? ",test_accuracy" : "");

    for (int e = e0; e < tc->epochs; e++) {
        double lr = kml_optim_lr(&oc, e, tc->epochs), t_ep = kml_now_seconds();
        double loss_sum = 0.0, gn_sum = 0.0, gn_max = 0.0;
        long seen = 0, correct = 0, ep_skipped = 0, gn_n = 0;
        if (tc->qat.fake && tc->qat.switch_nl && e >= tc->qat.start_epoch) {
            r.m.cfg.gate_nl = r.g.cfg.gate_nl = tc->qat.gate_nl;   /* the PWL phase (also on resume) */
            r.m.cfg.update_nl = r.g.cfg.update_nl = tc->qat.update_nl;
        }
        kml_rng_shuffle(&rng, order, r.fit.n);
        for (long k = 0; k < per_epoch; k++, step++) {
            int s0 = (int)(k * B), b = r.fit.n - s0 < B ? r.fit.n - s0 : B;
            gather(&r.fit, order + s0, b, &w);
            if (tc->input_gain > 0 || tc->input_offset > 0)
                kml_input_jitter(w.X, T, b, r.fit.F, tc->input_gain, tc->input_offset, tc->seed, step);
            if (tc->input_noise > 0) kml_input_noise(w.X, (size_t)T * b * r.fit.F, tc->input_noise, tc->seed, step);
            int fq = tc->qat.fake && e >= tc->qat.start_epoch; /* QAT: forward/backward on rounded weights */
            if (fq) tc->qat.fake(&r.m, tc->qat.ctx);
            forward_batch(&r.m, T, b, &w);
            int32_t *yb = pred;   /* labels of the batch (pred is free during training) */
            for (int i = 0; i < b; i++) yb[i] = r.fit.y[order[s0 + i]];
            double loss = kml_softmax_xent(w.logits, yb, NULL, b, C, dlogits);
            if (r.soft) { /* (1 − a)·CE + a·KD */
                const double a = tc->distill;
                for (int i = 0; i < b; i++)
                    memcpy(r.soft_b + (size_t)i * C, r.soft + (size_t)order[s0 + i] * C, (size_t)C * sizeof(float));
                double kd = kml_distill_kl(w.logits, r.soft_b, b, C, tc->distill_temp, r.dkd);
                for (size_t k = 0; k < (size_t)b * C; k++) dlogits[k] = (float)((1 - a) * dlogits[k] + a * r.dkd[k]);
                loss = (1 - a) * loss + a * kd;
            }
            int took = 0;
            if (isfinite(loss)) {
                for (int i = 0; i < b; i++) correct += argmax(w.logits + (size_t)i * C, C) == yb[i];
                loss_sum += loss * b;
                seen += b;
                memset(r.g.block, 0, P * sizeof(float));
                kml_classifier_backward(&r.m, w.Hsel, dlogits, b, dHsel, &r.g);
                memset(dHs, 0, (size_t)T * b * H * sizeof(float));
                for (int i = 0; i < b; i++)
                    memcpy(dHs + ((size_t)(w.len[i] - 1) * b + i) * H, dHsel + (size_t)i * H, (size_t)H * sizeof(float));
                kml_cell_backward(&r.m, w.X, T, b, w.cache, w.Hs, dHs, cell_scratch, &r.g);
                if (fq) tc->qat.restore(&r.m, tc->qat.ctx); /* straight-through: step the float weights */
                fq = 0;
                took = kml_optim_step(&opt, r.m.block, r.g.block, lr);
                if (took) {
                    gn_sum += opt.last_norm;
                    gn_n++;
                    if (opt.last_norm > gn_max) gn_max = opt.last_norm;
                }
            }
            if (!took) {
                skipped++;
                ep_skipped++;
                if (warned++ < 5)
                    kml_progress_note(&pg, "step %ld (epoch %d, batch %ld): %s is not finite; step skipped", step + 1,
                                      e + 1, k + 1, isfinite(loss) ? "the gradient norm" : "the loss");
            }
            if (fq) tc->qat.restore(&r.m, tc->qat.ctx);
            kml_iht_after_step(&iht, &r.m, step);
            double el = kml_now_seconds() - t_ep;
            kml_progress_batch(&pg, e, k, seen ? loss_sum / seen : NAN, seen ? (double)correct / seen : 0,
                               el > 0 ? (double)(s0 + b) / el : 0);
        }
        if (ep_skipped == per_epoch) {
            kml_progress_end(&pg);
            kml_error_set(err, "training diverged: every step of epoch %d had a non-finite loss or gradient "
                               "(%ld steps skipped in all); try a lower --lr or --clip",
                          e + 1, skipped);
            goto done;
        }
        if (!all_finite(r.m.block, P)) {
            kml_progress_end(&pg);
            kml_error_set(err, "training diverged: parameters became non-finite in epoch %d", e + 1);
            goto done;
        }
        /* model selection on validation; with IHT only models of the sparse phase are eligible */
        double val = -1.0, val_loss = 0.0;
        int qat_epoch = tc->qat.fake && e >= tc->qat.start_epoch;
        if (r.val.n) {
            if (qat_epoch) tc->qat.fake(&r.m, tc->qat.ctx);
            val_loss = predict_ws(&r.m, &r.val, pred, &w, eidx, NULL);
            if (qat_epoch) tc->qat.restore(&r.m, tc->qat.ctx);
            val = accuracy_of(&r.val, pred);
        }
        int eligible = (!iht.enabled || kml_iht_phase(&iht, step - 1) == 2) && (!tc->qat.fake || qat_epoch);
        int is_best = 0;
        /* ties in accuracy (common once validation saturates) go to the lower validation loss */
        if (eligible && (best_epoch == 0 || val > best_val || (val == best_val && val_loss < best_loss) || !r.val.n)) {
            best_val = val;
            best_loss = val_loss;
            best_epoch = e + 1;
            memcpy(best, r.m.block, P * sizeof(float));
            is_best = 1;
        }
        double secs = kml_now_seconds() - t_ep, sps = secs > 0 ? r.fit.n / secs : 0;
        double tr_loss = seen ? loss_sum / seen : NAN, tr_acc = seen ? (double)correct / seen : 0;
        kml_progress_epoch(&pg, e, lr, tr_loss, tr_acc, val, is_best, sps, skipped);
        double test_acc = -1.0;
        if (tc->log && tc->log_test && r.test.n) {   /* monitoring only: never feeds the selection above */
            if (qat_epoch) tc->qat.fake(&r.m, tc->qat.ctx);
            predict_ws(&r.m, &r.test, pred, &w, eidx, NULL);
            if (qat_epoch) tc->qat.restore(&r.m, tc->qat.ctx);
            test_acc = accuracy_of(&r.test, pred);
        }
        if (tc->log) {
            fprintf(tc->log, "%d,%.6g,%.6f,%.6f,", e + 1, lr, tr_loss, tr_acc);
            if (val >= 0) fprintf(tc->log, "%.6f,%.6f,%.6f,", val_loss, val, best_val);
            else fprintf(tc->log, ",,,");
            fprintf(tc->log, "%d,%ld,%ld,%.4g,%.4g,%.3f,%.1f", kml_iht_phase(&iht, step - 1) + 1, skipped, opt.clipped,
                    gn_n ? gn_sum / gn_n : 0.0, gn_max, secs, sps);
            if (test_acc >= 0) fprintf(tc->log, ",%.6f", test_acc);
            fputc('\n', tc->log);
            fflush(tc->log);
        }
        sum->epochs = e + 1;
        sum->best_epoch = best_epoch;
        sum->val_accuracy = best_val;
        sum->steps = step;
        sum->skipped_steps = skipped;
        if (tc->state_path) {
            st.epochs_done = e + 1;
            st.best_epoch = best_epoch;
            st.best_val = best_val;
            st.best_loss = best_loss;
            st.step = step;
            st.skipped = skipped;
            st.opt_t = opt.t;
            st.opt_skipped = opt.skipped;
            st.opt_clipped = opt.clipped;
            st.iht_have_support = iht.have_support;
            st.iht_thresholds = iht.thresholds;
            memcpy(st.rng, rng.s, sizeof st.rng);
            if (kml_train_state_write(tc->state_path, &st, err)) {
                kml_progress_end(&pg);
                goto done;
            }
        }
        if (tc->checkpoint && best_epoch) {
            kml_model v = view_of(&r.m, best);
            if (tc->checkpoint(&v, sum, tc->checkpoint_ctx, err)) {
                kml_progress_end(&pg);
                goto done;
            }
        }
        if (e + 1 == tc->stop_after && e + 1 < tc->epochs) {
            kml_progress_end(&pg);
            kml_progress_note(&pg, "stopped after epoch %d of %d; the state is in %s", e + 1, tc->epochs,
                              tc->state_path);
            rc = KML_TRAIN_STOPPED;
            goto done;
        }
    }
    kml_progress_end(&pg);

    /* the kept model; test accuracy once */
    memcpy(r.m.block, best, P * sizeof(float));
    double test = -1.0;
    if (r.test.n) {
        predict_ws(&r.m, &r.test, pred, &w, eidx, NULL);
        test = accuracy_of(&r.test, pred);
    }
    sum->test_accuracy = test;
    sum->n_fit = r.fit.n;
    sum->n_val = r.val.n;
    sum->n_test = r.test.n;
    sum->seed = tc->seed;
    sum->lr = oc.lr;
    sum->batch = tc->batch;
    sum->optimizer = oc.kind;
    sum->clip = oc.clip;
    sum->density_w = tc->density_w;
    sum->density_u = tc->density_u;
    sum->train_seconds = kml_now_seconds() - t_start;
    sum->samples_per_second = sum->train_seconds > 0 ? (double)r.fit.n * sum->epochs / sum->train_seconds : 0;
    *out = r.m;                    /* moved: parameters, normalisation, class names */
    memset(&r.m, 0, sizeof r.m);
    rc = 0;
done:
    run_free(&r);
    return rc;
}
