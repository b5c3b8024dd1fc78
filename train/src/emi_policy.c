/* emi_policy.c: EMI-RNN relabelling, per-step loss weights, early exit over logits, bag
 * decisions and savings (kiloml/emi_train.h). */
#include "kiloml/emi_train.h"

#include <string.h>

int kml_emi_relabel(kml_bags *b, const int32_t *pred, int k, int negative)
{
    uint8_t run[256];
    int changed = 0;
    for (int i = 0; i < b->n_bags; i++) {
        int label = b->bag_y[i], n = b->n_valid[i];
        if (label == negative) continue;
        size_t r0 = (size_t)i * b->n_inst;
        for (int j = 0; j < n; j++) run[j] = pred[r0 + j] == label;
        int start, len = kml_emi_longest_run(run, n, 1, &start);
        if (len < k || len < 1) continue;
        for (int j = 0; j < n; j++) {
            int inside = j >= start && j < start + len;
            if (inside) {
                b->inst.y[r0 + j] = label;
                b->weight[r0 + j] = 1.0f;
            } else if (negative >= 0) {
                b->inst.y[r0 + j] = negative;
                b->weight[r0 + j] = 1.0f;
            } else {
                b->inst.y[r0 + j] = label;
                b->weight[r0 + j] = 0.0f;
            }
        }
        changed++;
    }
    return changed;
}

void kml_emi_step_weights(kml_emi_loss_mode mode, const float *inst_w, const int32_t *len, int W, int B,
                          float *step_w)
{
    memset(step_w, 0, (size_t)W * B * sizeof(float));
    for (int b = 0; b < B; b++) {
        int L = len ? len[b] : W;
        if (L > W) L = W;
        if (L < 1) continue;
        if (mode == KML_EMI_LOSS_LAST) {
            step_w[(size_t)(L - 1) * B + b] = inst_w[b];
        } else {
            for (int t = 0; t < L; t++) step_w[(size_t)t * B + b] = inst_w[b];
        }
    }
}

int kml_emi_early_exit(const float *logits, size_t row_stride, int len, int C, float p_hat, int *cls,
                       float *prob)
{
    int t, c = 0;
    for (t = 0; t < len; t++) {
        float top = kml_emi_softmax_f32(logits + (size_t)t * row_stride, C, prob, &c);
        if (top >= p_hat) break;
    }
    *cls = c;
    return t < len ? t + 1 : len;
}

double kml_emi_decide_bags(const kml_bags *b, const int32_t *pred, const float *prob, int C, int k,
                           int negative, int32_t *bag_pred)
{
    uint8_t p8[256];
    float conf_buf[256], *conf = prob && C <= 256 ? conf_buf : NULL;
    int correct = 0;
    for (int i = 0; i < b->n_bags; i++) {
        size_t r0 = (size_t)i * b->n_inst;
        int n = b->n_valid[i];
        if (conf) memset(conf, 0, (size_t)C * sizeof(float));
        for (int j = 0; j < n; j++) {
            p8[j] = (uint8_t)pred[r0 + j];
            if (conf)
                for (int c = 0; c < C; c++) conf[c] += prob[(r0 + j) * C + c];
        }
        int d = kml_emi_bag_decide(p8, n, C, k, negative, conf);
        if (bag_pred) bag_pred[i] = d;
        correct += d == b->bag_y[i];
    }
    return b->n_bags ? (double)correct / b->n_bags : 0.0;
}

kml_emi_savings kml_emi_savings_of(int window, int T, long long steps_run, long long steps_total)
{
    kml_emi_savings s;
    s.mi = T > 0 && window < T ? 1.0 - (double)window / T : 0.0;
    s.early = steps_total > 0 ? 1.0 - (double)steps_run / (double)steps_total : 0.0;
    s.total = 1.0 - (1.0 - s.mi) * (1.0 - s.early);
    return s;
}
