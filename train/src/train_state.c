/* train_state.c: write and read the resumable training state (see train_state.h). */
#define _POSIX_C_SOURCE 200809L
#include "train_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char magic[8] = {'K', 'M', 'L', 'S', 'T', 'A', 'T', '6'};

typedef struct {
    int64_t fp[KML_STATE_FP];
    int32_t epochs_done, best_epoch, iht_have_support, pad;
    int64_t step, skipped, opt_t, opt_skipped, opt_clipped, iht_thresholds;
    double best_val, best_loss;
    uint64_t rng[4];
} fixed_part;

static void to_fixed(const kml_train_state *s, fixed_part *f)
{
    memset(f, 0, sizeof *f);
    memcpy(f->fp, s->fp, sizeof f->fp);
    f->epochs_done = s->epochs_done;
    f->best_epoch = s->best_epoch;
    f->iht_have_support = s->iht_have_support;
    f->step = s->step;
    f->skipped = s->skipped;
    f->opt_t = s->opt_t;
    f->opt_skipped = s->opt_skipped;
    f->opt_clipped = s->opt_clipped;
    f->iht_thresholds = s->iht_thresholds;
    f->best_val = s->best_val;
    f->best_loss = s->best_loss;
    memcpy(f->rng, s->rng, sizeof f->rng);
}

int kml_train_state_write(const char *path, const kml_train_state *s, kml_error *err)
{
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp) return kml_error_set(err, "%s: out of memory", path);
    snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        free(tmp);
        return kml_error_set(err, "%s: cannot write the training state", path);
    }
    fixed_part fx;
    to_fixed(s, &fx);
    int ok = fwrite(magic, 1, sizeof magic, f) == sizeof magic && fwrite(&fx, sizeof fx, 1, f) == 1 &&
             fwrite(s->order, sizeof *s->order, s->n_order, f) == s->n_order &&
             fwrite(s->params, sizeof(float), s->n_params, f) == s->n_params &&
             fwrite(s->best, sizeof(float), s->n_params, f) == s->n_params &&
             fwrite(s->opt, sizeof(float), s->n_opt, f) == s->n_opt &&
             fwrite(s->mask, 1, s->n_mask, f) == s->n_mask;
    ok = (fclose(f) == 0) && ok;
    int rc = 0;
    if (!ok) rc = kml_error_set(err, "%s: writing the training state failed (disk full?)", path);
    else if (rename(tmp, path) != 0) rc = kml_error_set(err, "%s: cannot rename %s into place", path, tmp);
    if (rc) remove(tmp);
    free(tmp);
    return rc;
}

int kml_train_state_read(const char *path, kml_train_state *s, kml_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return kml_error_set(err, "%s: cannot open the training state to resume from", path);
    char m[8];
    fixed_part fx;
    int rc = 0;
    if (fread(m, 1, sizeof m, f) != sizeof m || memcmp(m, magic, sizeof m) || fread(&fx, sizeof fx, 1, f) != 1) {
        rc = kml_error_set(err, "%s: not a kiloml training state", path);
    } else if (memcmp(fx.fp, s->fp, sizeof fx.fp)) {
        rc = kml_error_set(err, "%s: written by a run with other data or options; resume with the same command", path);
    } else if (fread(s->order, sizeof *s->order, s->n_order, f) != s->n_order ||
               fread(s->params, sizeof(float), s->n_params, f) != s->n_params ||
               fread(s->best, sizeof(float), s->n_params, f) != s->n_params ||
               fread(s->opt, sizeof(float), s->n_opt, f) != s->n_opt ||
               fread(s->mask, 1, s->n_mask, f) != s->n_mask || fgetc(f) != EOF) {
        rc = kml_error_set(err, "%s: truncated or damaged training state", path);
    } else {
        s->epochs_done = fx.epochs_done;
        s->best_epoch = fx.best_epoch;
        s->iht_have_support = fx.iht_have_support;
        s->step = fx.step;
        s->skipped = fx.skipped;
        s->opt_t = fx.opt_t;
        s->opt_skipped = fx.opt_skipped;
        s->opt_clipped = fx.opt_clipped;
        s->iht_thresholds = fx.iht_thresholds;
        s->best_val = fx.best_val;
        s->best_loss = fx.best_loss;
        memcpy(s->rng, fx.rng, sizeof s->rng);
    }
    fclose(f);
    return rc;
}
