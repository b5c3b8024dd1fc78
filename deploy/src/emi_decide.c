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

/* The run part of the decision, integer only (so the integer path pulls no float code):
 * returns the class whose longest run (>= k) is longest, *tie = 1 when another class has a run
 * as long; -1 when no class other than `negative` has a run of k. */
static int decide_runs(const uint8_t *pred, int n, int C, int k, int negative, int *best_len, int *tie)
{
    int c, best = -1, len_best = 0;
    *tie = 0;
    for (c = 0; c < C; c++) {
        int len;
        if (c == negative) continue;
        len = kml_emi_longest_run(pred, n, c, (int *)0);
        if (len > len_best) {
            len_best = len;
            best = c;
            *tie = 0;
        } else if (len == len_best && len > 0) {
            *tie = 1;
        }
    }
    *best_len = len_best;
    return best >= 0 && len_best >= k ? best : -1;
}

static int most_votes(const uint8_t *pred, int n, int C)
{
    int c, i, best = 0, votes_best = -1;
    for (c = 0; c < C; c++) {
        int votes = 0;
        for (i = 0; i < n; i++) votes += pred[i] == c;
        if (votes > votes_best) {
            votes_best = votes;
            best = c;
        }
    }
    return best;
}

/* The bag decision of both paths: one body over float or uint32_t confidence sums (conf_sum may be
 * NULL), generated twice so that the integer path pulls no float code. */
#define KML_BAG_DECIDE_(NAME, CONF_T)                                                                      \
    int NAME(const uint8_t *pred, int n, int C, int k, int negative, const CONF_T *conf_sum)             \
    {                                                                                                     \
        int c, len, tie, best;                                                                            \
        if (n <= 0) return negative >= 0 ? negative : 0;                                                  \
        best = decide_runs(pred, n, C, k, negative, &len, &tie);                                          \
        if (best >= 0) {                                                                                  \
            if (tie && conf_sum) /* equal runs: the larger summed confidence, else the lower id */        \
                for (c = best + 1; c < C; c++)                                                            \
                    if (c != negative && conf_sum[c] > conf_sum[best] &&                                  \
                        kml_emi_longest_run(pred, n, c, (int *)0) == len)                                 \
                        best = c;                                                                         \
            return best;                                                                                  \
        }                                                                                                 \
        if (negative >= 0) return negative;                                                               \
        if (!conf_sum) return most_votes(pred, n, C);                                                     \
        best = 0;                                                                                         \
        for (c = 1; c < C; c++)                                                                           \
            if (conf_sum[c] > conf_sum[best]) best = c;                                                   \
        return best;                                                                                      \
    }

KML_BAG_DECIDE_(kml_emi_bag_decide, float)
KML_BAG_DECIDE_(kml_emi_bag_decide_q, uint32_t)

/* ---- integer confidence ----
 * e^-d = 2^-(d·log2 e): d to Q12, times log2 e in Q12 (5909), integer part n = a shift, fraction
 * from a 17-entry table of 2^(-i/16) in Q15 with linear interpolation (relative error < 3e-4). */
static const uint16_t pow2_neg_q15[17] KML_FLASH = {32768, 31379, 30048, 28774, 27554, 26386, 25268, 24196, 23170,
                                                     22188, 21247, 20347, 19484, 18658, 17867, 17109, 16384};

/* e^-(d / 2^q) in Q15 for d >= 0 (as an unsigned difference of two int32 logits) */
static int32_t exp_neg_q15(uint32_t d, uint8_t q)
{
    uint32_t d12, u, f;
    int32_t a, b, v;
    uint8_t n;
    if (q >= 12) d12 = d >> (q - 12);
    else if (d > (0xFFFFFFFFu >> (12 - q))) return 0;
    else d12 = d << (12 - q);
    if (d12 > 11u * 4096u) return 0; /* e^-11 < 2^-15 */
    u = (d12 * 5909u) >> 12;           /* Q12 of d·log2 e, < 16·4096 */
    n = (uint8_t)(u >> 12);
    f = u & 4095u;
    a = (int32_t)KML_READ_U16(pow2_neg_q15 + (f >> 8));
    b = (int32_t)KML_READ_U16(pow2_neg_q15 + (f >> 8) + 1);
    v = a - (((a - b) * (int32_t)(f & 255u)) >> 8);
    return v >> n;
}

int32_t kml_emi_tail_q15(const int32_t *logits, int C, uint8_t q, int *top_class)
{
    int c, top = kml_argmax_q32(logits, (uint16_t)C);
    int32_t tail = 0;
    for (c = 0; c < C; c++)
        if (c != top) tail += exp_neg_q15((uint32_t)logits[top] - (uint32_t)logits[c], q);
    if (top_class) *top_class = top;
    return tail;
}

int32_t kml_emi_tail_bound_q15(uint16_t p_q15)
{
    if (p_q15 == 0) return -1; /* early exit off */
    if (p_q15 >= 32768u) return 0;
    return (int32_t)((((uint32_t)32768u - p_q15) << 15) / p_q15);
}

void kml_emi_softmax_q15(const int32_t *logits, int C, uint8_t q, int32_t *prob)
{
    int c, top = kml_argmax_q32(logits, (uint16_t)C);
    int32_t sum = 0;
    for (c = 0; c < C; c++) {
        prob[c] = c == top ? 32768 : exp_neg_q15((uint32_t)logits[top] - (uint32_t)logits[c], q);
        sum += prob[c];
    }
    for (c = 0; c < C; c++) prob[c] = (int32_t)(((uint32_t)prob[c] << 15) / (uint32_t)sum);
}
