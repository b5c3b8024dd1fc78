/* gen_classifier.h: generic body (REAL = float or double), included by cells_f32.c / cells_f64.c.
 * Classifier, N rows, H hidden, C classes:
 *   logits[N][C] = Hsel[N][H]·V + v
 *   dHsel = dlogits·Vᵀ;  dV += Hselᵀ·dlogits;  dv += Σ_rows dlogits */

static void classifier_forward(REAL *const *P, int H, int C, const REAL *Hsel, int N, REAL *logits)
{
    if (N <= 0) return;
    const REAL *v = P[KML_P_VB];
    mm(0, 0, N, C, H, Hsel, P[KML_P_V], 0, logits);
    for (int n = 0; n < N; n++)
        for (int k = 0; k < C; k++) logits[(size_t)n * C + k] += v[k];
}

static void classifier_backward(REAL *const *P, REAL *const *Gp, int H, int C, const REAL *Hsel,
                                const REAL *dlogits, int N, REAL *dHsel)
{
    if (N <= 0) return;
    mm(0, 1, N, H, C, dlogits, P[KML_P_V], 0, dHsel);
    mm(1, 0, H, C, N, Hsel, dlogits, 1, Gp[KML_P_V]);
    REAL *gv = Gp[KML_P_VB];
    for (int n = 0; n < N; n++)
        for (int k = 0; k < C; k++) gv[k] += dlogits[(size_t)n * C + k];
}
