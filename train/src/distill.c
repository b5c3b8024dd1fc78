/* distill.c: see kiloml/distill.h. */
#include "kiloml/distill.h"

#include <math.h>
#include <stddef.h>

/* log Σ_k exp(v_k / T), shifted by the row's max */
static double lse_t(const float *v, int C, double T)
{
    double mx = (double)v[0] / T, s = 0;
    for (int k = 1; k < C; k++)
        if ((double)v[k] / T > mx) mx = (double)v[k] / T;
    for (int k = 0; k < C; k++) s += exp((double)v[k] / T - mx);
    return mx + log(s);
}

double kml_distill_kl(const float *z, const float *t, int N, int C, double T, float *dz)
{
    double total = 0;
    for (int n = 0; n < N; n++) {
        const float *zn = z + (size_t)n * C, *tn = t + (size_t)n * C;
        float *dn = dz + (size_t)n * C;
        const double lz = lse_t(zn, C, T), lt = lse_t(tn, C, T);
        for (int k = 0; k < C; k++) {
            const double lp = (double)zn[k] / T - lz, lq = (double)tn[k] / T - lt, q = exp(lq);
            total += q * (lq - lp);
            dn[k] = (float)(T * (exp(lp) - q) / N);
        }
    }
    return N > 0 ? T * T * total / N : 0.0;
}
