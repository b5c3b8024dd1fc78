/* emi_decide.c: EMI-RNN confidence (softmax on kml_expf, no libm), longest runs and the bag decision.
 * Freestanding C99 (see kiloml/emi.h). */
#include "kiloml/emi.h"
#include "kiloml/kml_rnn.h"

float kml_emi_softmax_f32(const float *logits, int C, float *prob, int *top_class)
{
    int c, top = 0;
    float mx = logits[0], sum = 0.0f;
    for (c = 1; c < C; c++)
        if (logits[c] > mx) {
            mx = logits[c];
            top = c;
        }
    for (c = 0; c < C; c++) {
        float e = kml_expf(logits[c] - mx);
        if (prob) prob[c] = e;
        sum += e;
    }
    if (prob)
        for (c = 0; c < C; c++) prob[c] /= sum;
    if (top_class) *top_class = top;
    return 1.0f / sum; /* e^0 / sum */
}

int kml_emi_longest_run(const uint8_t *pred, int n, int cls, int *start)
{
    int i, best = 0, best_start = -1, run = 0;
    for (i = 0; i < n; i++) {
        run = pred[i] == cls ? run + 1 : 0;
        if (run > best) {
            best = run;
            best_start = i - run + 1;
        }
    }
    if (start) *start = best_start;
    return best;
}

int kml_emi_bag_decide(const uint8_t *pred, int n, int C, int k, int negative, const float *conf_sum)
{
    int c, best = -1, best_len = 0;
    if (n <= 0) return negative >= 0 ? negative : 0;
    for (c = 0; c < C; c++) {
        int len;
        if (c == negative) continue;
        len = kml_emi_longest_run(pred, n, c, (int *)0);
        if (len > best_len || (len == best_len && len > 0 && conf_sum && conf_sum[c] > conf_sum[best])) {
            best_len = len;
            best = c;
        }
    }
    if (best >= 0 && best_len >= k) return best;
    if (negative >= 0) return negative;
    /* no negative class: largest summed confidence (or, without confidences, the most votes) */
    best = 0;
    if (conf_sum) {
        for (c = 1; c < C; c++)
            if (conf_sum[c] > conf_sum[best]) best = c;
    } else {
        int votes_best = -1;
        for (c = 0; c < C; c++) {
            int i, votes = 0;
            for (i = 0; i < n; i++) votes += pred[i] == c;
            if (votes > votes_best) {
                votes_best = votes;
                best = c;
            }
        }
    }
    return best;
}
