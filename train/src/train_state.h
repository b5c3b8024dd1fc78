/* train_state.h (private to train/): the resumable state of a training run, written after every
 * epoch (atomically: temporary + rename) and read back by --resume. Binary, native byte order:
 * it is a scratch file for continuing a run on the same machine, not an exchange format. */
#ifndef KILOML_TRAIN_STATE_H
#define KILOML_TRAIN_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "kiloml/error.h"

#define KML_STATE_FP 32

typedef struct kml_train_state {
    int64_t fp[KML_STATE_FP];   /* fingerprint of the run configuration; must match to resume */
    int32_t epochs_done, best_epoch, iht_have_support, pad;
    int64_t step, skipped, opt_t, opt_skipped, opt_clipped, iht_thresholds;
    double best_val, best_loss;
    uint64_t rng[4];
    /* arrays (not owned): sizes are part of the fingerprint */
    int32_t *order; size_t n_order;
    float *params, *best; size_t n_params;
    float *opt; size_t n_opt;
    uint8_t *mask; size_t n_mask;
} kml_train_state;

int kml_train_state_write(const char *path, const kml_train_state *s, kml_error *err);
/* Fills s's scalars and copies the arrays into s's (already sized) buffers; the fingerprint in s
 * must equal the file's. Returns 0, or -1 with err naming the file and the problem. */
int kml_train_state_read(const char *path, kml_train_state *s, kml_error *err);

#endif
