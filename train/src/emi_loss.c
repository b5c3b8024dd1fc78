/* emi_loss.c: the EMI-RNN per-step loss of one minibatch (forward, classifier at every step,
 * weighted cross-entropy, BPTT) and the gather of instances into time-major batches.
 * Dimension letters: W window steps, B instances, F features, H hidden, C classes. */
#include "kiloml/emi_train.h"

#include <stdlib.h>
#include <string.h>

#include <math.h>

#include "kiloml/cell.h"
#include "kiloml/cell_f64.h"

int kml_emi_work_alloc(kml_emi_work *w, const kml_model_config *cfg, int W, int B_max, kml_error *err)
{
    memset(w, 0, sizeof *w);
    size_t rows = (size_t)W * B_max;
    w->W = W;
    w->B_max = B_max;
    w->X = malloc(rows * cfg->D * sizeof(float));
    w->cache = malloc((kml_cell_cache_floats(cfg, W, B_max) + 1) * sizeof(float));
    w->Hs = malloc(rows * cfg->H * sizeof(float));
    w->dHs = malloc(rows * cfg->H * sizeof(float));
    w->logits = malloc(rows * cfg->C * sizeof(float));
    w->dlogits = malloc(rows * cfg->C * sizeof(float));
    w->scratch = malloc((kml_cell_scratch_floats(cfg, B_max) + 1) * sizeof(float));
    w->step_w = malloc(rows * sizeof(float));
    w->y_rows = malloc(rows * sizeof(int32_t));
    w->inst_w = malloc((size_t)B_max * sizeof(float));
    w->len = malloc((size_t)B_max * sizeof(int32_t));
    if (!w->inst_w || !w->len || !w->X || !w->cache || !w->Hs || !w->dHs || !w->logits || !w->dlogits || !w->scratch || !w->step_w ||
        !w->y_rows) {
        kml_emi_work_free(w);
        return kml_error_set(err, "EMI: out of memory for minibatch buffers (%d steps x %d instances)", W,
                             B_max);
    }
    return 0;
}

void kml_emi_work_free(kml_emi_work *w)
{
    free(w->X);
    free(w->cache);
    free(w->Hs);
    free(w->dHs);
    free(w->logits);
    free(w->dlogits);
    free(w->scratch);
    free(w->step_w);
    free(w->y_rows);
    free(w->inst_w);
    free(w->len);
    memset(w, 0, sizeof *w);
}

double kml_emi_batch_loss(const kml_model *m, const float *X, const int32_t *y, const float *step_w, int W,
                          int B, kml_emi_work *work, kml_model *grad)
{
    const int N = W * B;
    kml_cell_forward(m, X, W, B, work->cache, work->Hs);
    /* every step of every instance is a classifier row: Hs[W][B][H] is already [N][H] */
    kml_classifier_forward(m, work->Hs, N, work->logits);
    for (int t = 0; t < W; t++) memcpy(work->y_rows + (size_t)t * B, y, (size_t)B * sizeof(int32_t));
    double loss = kml_softmax_xent(work->logits, work->y_rows, step_w, N, m->cfg.C, work->dlogits);
    if (!grad) return loss;
    kml_classifier_backward(m, work->Hs, work->dlogits, N, work->dHs, grad);
    kml_cell_backward(m, X, W, B, work->cache, work->Hs, work->dHs, work->scratch, grad);
    return loss;
}

double kml_emi_batch_loss_f64(const kml_model_f64 *m, const double *X, const int32_t *y, const double *step_w,
                              int W, int B, kml_model_f64 *grad)
{
    const int N = W * B, H = m->cfg.H, C = m->cfg.C;
    double *cache = malloc((kml_cell_cache_floats(&m->cfg, W, B) + 1) * sizeof(double));
    double *Hs = malloc((size_t)N * H * sizeof(double)), *dHs = malloc((size_t)N * H * sizeof(double));
    double *logits = malloc((size_t)N * C * sizeof(double)), *dlogits = malloc((size_t)N * C * sizeof(double));
    double *scratch = malloc((kml_cell_scratch_floats(&m->cfg, B) + 1) * sizeof(double));
    int32_t *y_rows = malloc((size_t)N * sizeof(int32_t));
    double loss = NAN;
    if (cache && Hs && dHs && logits && dlogits && scratch && y_rows) {
        kml_cell_forward_f64(m, X, W, B, cache, Hs);
        kml_classifier_forward_f64(m, Hs, N, logits);
        for (int t = 0; t < W; t++) memcpy(y_rows + (size_t)t * B, y, (size_t)B * sizeof(int32_t));
        loss = kml_softmax_xent_f64(logits, y_rows, step_w, N, C, dlogits);
        if (grad) {
            kml_classifier_backward_f64(m, Hs, dlogits, N, dHs, grad);
            kml_cell_backward_f64(m, X, W, B, cache, Hs, dHs, scratch, grad);
        }
    }
    free(cache);
    free(Hs);
    free(dHs);
    free(logits);
    free(dlogits);
    free(scratch);
    free(y_rows);
    return loss;
}

void kml_emi_gather(const kml_bags *b, const int *rows, int B, kml_emi_loss_mode mode, kml_emi_work *work,
                    int32_t *y)
{
    const int W = b->window, F = b->inst.F;
    for (int i = 0; i < B; i++) {
        size_t r = (size_t)rows[i];
        const float *src = b->inst.X + r * W * F;
        for (int t = 0; t < W; t++)
            memcpy(work->X + ((size_t)t * B + i) * F, src + (size_t)t * F, (size_t)F * sizeof(float));
        y[i] = b->inst.y[r];
        work->inst_w[i] = b->weight[r];
        work->len[i] = b->inst.len[r];
    }
    kml_emi_step_weights(mode, work->inst_w, work->len, W, B, work->step_w);
}
