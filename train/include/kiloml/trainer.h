/* kiloml/trainer.h: train a recurrent classifier on a kml_data (SPEC §2), predict with it.
 *
 *   kml_train_config tc; kml_train_config_init(&tc);
 *   tc.model.cell = KML_CELL_FASTGRNN; tc.model.H = 32; tc.epochs = 30;
 *   kml_model m; kml_train_summary s; kml_error err;
 *   if (kml_train(&tc, &data, &m, &s, &err) != 0) { ... err.msg ... }
 *   ... m is the best-validation model, with its normalisation; s.test_accuracy ...
 *   kml_model_free(&m);
 *
 * The training split of `data` is split again into fit and validation (stratified, or by group);
 * normalisation statistics come from the fit part only; the model with the best validation
 * accuracy is kept; the test split is evaluated once, at the end, on that model. Deterministic:
 * the same config, data and thread count give the same model, bit for bit. */
#ifndef KILOML_TRAINER_H
#define KILOML_TRAINER_H

#include <stdint.h>
#include <stdio.h>

#include "kiloml/dataset.h"
#include "kiloml/error.h"
#include "kiloml/model.h"
#include "kiloml/optim.h"

/* What a training run produced; written into the model file (the deterministic part). */
typedef struct kml_train_summary {
    int epochs;               /* epochs run */
    int best_epoch;           /* 1-based epoch of the kept model (0 = the initial model) */
    double val_accuracy;      /* of the kept model; -1 when unknown */
    double test_accuracy;     /* of the kept model; -1 when unknown */
    int n_fit, n_val, n_test; /* series in each split */
    uint64_t seed;
    long steps;               /* minibatches run */
    long skipped_steps;       /* minibatches whose loss or gradient norm was NaN/Inf (skipped) */
    double lr;
    int batch;
    kml_opt_kind optimizer;
    double clip;
    double density_w, density_u;
    /* run-dependent (never written to the model file, so model bytes stay reproducible) */
    double train_seconds;
    double samples_per_second;
} kml_train_summary;

void kml_train_summary_init(kml_train_summary *s);

/* Called after every epoch with the best model so far (e.g. to write a checkpoint atomically).
 * A non-zero return stops training with that error. */
typedef int (*kml_checkpoint_fn)(const kml_model *best, const kml_train_summary *s, void *ctx,
                                 kml_error *err);

/* Quantization-aware training (SPEC §3), driven by the caller (quantize/ provides the functions):
 * in epochs e >= start_epoch (0-based), fake(m, ctx) replaces the weights by their fake-quantized
 * copy before every forward (training minibatches and validation) and restore(m, ctx) puts the float
 * weights back before the optimiser step, so the gradient computed through the rounded weights
 * updates the float ones (straight-through). Only those epochs are eligible for model selection.
 * fake == NULL (the default): no QAT. */
typedef struct kml_train_qat {
    int start_epoch;
    /* switch_nl = 1: the model trains with its configured (smooth) nonlinearities up to start_epoch
     * and with gate_nl / update_nl (the PWL forms) from then on; the kept model (from a QAT epoch)
     * carries the PWL ones. 0: the configured nonlinearities throughout. */
    int switch_nl;
    kml_nonlin gate_nl, update_nl;
    void (*fake)(kml_model *m, void *ctx);
    void (*restore)(kml_model *m, void *ctx);
    void *ctx;
} kml_train_qat;

typedef struct kml_train_config {
    kml_model_config model;   /* cell, H, ranks, nonlinearities; D and C come from the data */
    kml_optim_config optim;   /* Adam, lr 1e-2, clip 5, decay ×0.1 at 2/3 of the epochs */
    int epochs;               /* 300 */
    int batch;                /* 100 */
    double density_w, density_u; /* 1 = dense */
    double val_frac;          /* 0.1 */
    int val_by_group;         /* split validation by whole groups (data must carry groups) */
    uint64_t seed;            /* initialisation, validation split and minibatch order */
    int threads;              /* OpenBLAS threads; 0 = leave as is */
    int normalize;            /* 1: z-score inputs with fit-split statistics (default) */
    kml_norm_mode norm_mode;  /* per feature (default) or per step */
    int progress;             /* 1: progress on stderr (live bar on a TTY, else a line per epoch) */
    FILE *log;                /* CSV of the curves, one row per epoch, or NULL */
    double bptt_clip;         /* > 0: bound on each series' ||dLoss/dh|| carried back through time (kml_model.bptt_clip) */
    /* Knowledge distillation (kiloml/distill.h): with teacher set and distill > 0 the loss is
     * (1 − distill)·CE + distill·KD at temperature distill_temp, the teacher's logits taken once on the
     * (raw) fit split through the teacher's own normalisation. The teacher must have the data's D and C. */
    const kml_model *teacher;
    double distill;           /* 0..1 (default 0 = off) */
    double distill_temp;      /* > 0 (default 2) */
    /* Start from another trained model's parameters and input normalisation instead of the seeded
     * initialisation (kiloml/init_from.h): same cell, D, H, C; its ranks may differ. */
    const kml_model *init_from;
    double input_noise;       /* > 0: each training minibatch's (normalised) inputs get N(0, input_noise²)
                               * noise, drawn from (seed, step) alone (so --resume repeats it); 0 = off */
    double input_gain;        /* > 0: each training series' (normalised) feature f is scaled by 1 + N(0, input_gain²) */
    double input_offset;      /* > 0: ... and shifted by N(0, input_offset²), one draw per series and feature for
                               * all its steps (kml_input_jitter); both drawn from (seed, step) alone; 0 = off */
    int log_test;             /* 1: the CSV also gets the test accuracy of every epoch's model (monitoring
                               * only: selection stays on validation; off by default) */
    kml_checkpoint_fn checkpoint;
    void *checkpoint_ctx;
    /* Resumable state (parameters, optimiser moments, IHT support, generator, counters) written
     * atomically after every epoch when state_path is set; with resume = 1 the run continues from
     * it (same data and options required) and ends with the same model an unbroken run gives. */
    const char *state_path;
    int resume;
    /* > 0: stop after epoch stop_after (1-based, counted from the start of the schedule; the lr decay,
     * IHT and QAT phases stay those of `epochs`) and return KML_TRAIN_STOPPED with no model in *out:
     * the state file (state_path, required) then holds the run, and resume = 1 continues it. An
     * interrupted-on-purpose run: time-sliced training, and the first epochs of a long recipe checked
     * against a recorded run (bench/paper --quick). 0 = run every epoch. */
    int stop_after;
    kml_train_qat qat;         /* quantization-aware last phase (off by default) */
} kml_train_config;

void kml_train_config_init(kml_train_config *c);

/* kml_train's return when tc->stop_after ended the run before its last epoch */
#define KML_TRAIN_STOPPED 1

/* Train; on success (0) *out is the best-validation model (caller frees with kml_model_free);
 * KML_TRAIN_STOPPED: stopped by tc->stop_after, *out untouched; -1: error in *err. */
int kml_train(const kml_train_config *tc, const kml_data *data, kml_model *out, kml_train_summary *sum,
              kml_error *err);

/* Class predictions pred[n] for every series of d (already normalised, as the model expects).
 * Uses the valid length of each series. Allocates its own scratch. */
int kml_predict(const kml_model *m, const kml_dataset *d, int32_t *pred, kml_error *err);

/* Logits logits[n][C] for every series of d, after applying m's normalisation to a copy of d. */
int kml_predict_logits(const kml_model *m, const kml_dataset *d, float *logits, kml_error *err);

/* Accuracy of m on d after applying m's normalisation to a copy of d; optionally the predictions
 * (pred[n], may be NULL). */
int kml_evaluate(const kml_model *m, const kml_dataset *d, double *accuracy, int32_t *pred, kml_error *err);

#endif
