/* emi_eval.c: EMI-RNN evaluation: every instance forward once, early exit at each threshold of
 * a sweep, bag decisions, accuracy and savings. */
#include "kiloml/emi_train.h"

#include <stdlib.h>
#include <string.h>

#include "kiloml/cell.h"

#define EVAL_BATCH 256

int kml_emi_evaluate(const kml_model *m, const kml_bags *b, const float *p_hat, int n, int k, int negative,
                     kml_emi_result *out, int32_t *bag_pred, int32_t *inst_pred, kml_error *err)
{
    const int W = b->window, C = m->cfg.C;
    const size_t rows = (size_t)b->inst.n;
    if (b->inst.F != m->cfg.D)
        return kml_error_set(err, "EMI evaluation: the data has %d features, the model expects %d", b->inst.F,
                             m->cfg.D);
    if (C > 255) return kml_error_set(err, "EMI evaluation: at most 255 classes (the model has %d)", C);
    for (size_t r = 0; r < rows; r++)
        if (b->inst.y[r] < 0 || b->inst.y[r] >= C)
            return kml_error_set(err, "EMI evaluation: label %d of instance %zu is outside the model's 0..%d",
                                 (int)b->inst.y[r], r, C - 1);
    int Bmax = rows < EVAL_BATCH ? (int)rows : EVAL_BATCH;
    kml_emi_work w;
    if (kml_emi_work_alloc(&w, &m->cfg, W, Bmax, err) != 0) return -1;
    int32_t *pred = malloc((size_t)n * rows * sizeof(int32_t));
    float *prob = malloc((size_t)n * rows * C * sizeof(float));
    int *idx = malloc((size_t)Bmax * sizeof(int));
    if (!pred || !prob || !idx) {
        free(pred);
        free(prob);
        free(idx);
        kml_emi_work_free(&w);
        return kml_error_set(err, "EMI evaluation: out of memory for %zu instances", rows);
    }
    for (int i = 0; i < n; i++) {
        out[i].p_hat = p_hat[i];
        out[i].steps_run = out[i].steps_total = 0;
    }
    int32_t *ytmp = w.y_rows; /* gather wants somewhere to put labels; unused here */
    for (size_t r0 = 0; r0 < rows; r0 += Bmax) {
        int B = rows - r0 < (size_t)Bmax ? (int)(rows - r0) : Bmax;
        for (int i = 0; i < B; i++) idx[i] = (int)(r0 + i);
        kml_emi_gather(b, idx, B, KML_EMI_LOSS_LAST, &w, ytmp);
        kml_cell_forward(m, w.X, W, B, w.cache, w.Hs);
        kml_classifier_forward(m, w.Hs, W * B, w.logits);
        for (int i = 0; i < B; i++) {
            size_t r = r0 + i;
            int bag = (int)(r / b->n_inst), j = (int)(r % b->n_inst);
            int counted = j < b->n_valid[bag];
            for (int s = 0; s < n; s++) {
                int cls;
                int steps = kml_emi_early_exit(w.logits + (size_t)i * C, (size_t)B * C, b->inst.len[r], C,
                                               p_hat[s], &cls, prob + ((size_t)s * rows + r) * C);
                pred[(size_t)s * rows + r] = cls;
                if (counted) {
                    out[s].steps_run += steps;
                    out[s].steps_total += b->inst.len[r];
                }
            }
        }
    }
    for (int s = 0; s < n; s++) {
        out[s].accuracy = kml_emi_decide_bags(b, pred + (size_t)s * rows, prob + (size_t)s * rows * C, C, k,
                                              negative, bag_pred ? bag_pred + (size_t)s * b->n_bags : NULL);
        out[s].savings = kml_emi_savings_of(b->window, b->T, out[s].steps_run, out[s].steps_total);
    }
    if (inst_pred) memcpy(inst_pred, pred, (size_t)n * rows * sizeof(int32_t));
    free(pred);
    free(prob);
    free(idx);
    kml_emi_work_free(&w);
    return 0;
}
