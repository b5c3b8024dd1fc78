/* gen_loss.h: generic body (REAL = float or double), included by cells_f32.c / cells_f64.c.
 * Weighted mean softmax cross-entropy over N rows of C logits, computed in double:
 *   loss = Σ_n w_n·(logsumexp(l_n) − l_n[y_n]) / Σ_n w_n       (rows with w_n <= 0 ignored)
 *   dlogits[n] = w_n·(softmax(l_n) − onehot(y_n)) / Σ w
 * Stable: each row is shifted by its max before exp. Σ w = 0 gives loss 0 and zero gradients. */

static double softmax_xent(const REAL *logits, const int32_t *y, const REAL *weight, int N, int C,
                           REAL *dlogits)
{
    double sw = 0, total = 0;
    for (int n = 0; n < N; n++) {
        const double w = weight ? (double)weight[n] : 1.0;
        if (w > 0) sw += w;
    }
    for (int n = 0; n < N; n++) {
        const REAL *l = logits + (size_t)n * C;
        REAL *d = dlogits + (size_t)n * C;
        const double w = weight ? (double)weight[n] : 1.0;
        if (!(w > 0) || sw <= 0) {
            for (int k = 0; k < C; k++) d[k] = 0;
            continue;
        }
        double mx = l[0];
        for (int k = 1; k < C; k++)
            if (l[k] > mx) mx = l[k];
        double s = 0;
        for (int k = 0; k < C; k++) s += exp((double)l[k] - mx);
        const double lse = mx + log(s), scale = w / sw;
        total += w * (lse - (double)l[y[n]]);
        for (int k = 0; k < C; k++) {
            const double p = exp((double)l[k] - lse);
            d[k] = (REAL)(scale * (p - (k == y[n] ? 1.0 : 0.0)));
        }
    }
    return sw > 0 ? total / sw : 0.0;
}
