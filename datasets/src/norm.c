/* norm.c: z-score normalisation fitted on the training split, and per-feature statistics.
 *
 * Statistics cover the valid steps only (t < len[i]); padding steps are neither counted nor changed by
 * fitting, and apply() writes 0 into them so padding stays neutral after normalisation. Sums are kept in
 * double, two passes (mean, then squared deviations). */
#include "kiloml/dataset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A std below this (a constant feature) is replaced by 1, so apply() never divides by ~0. */
#define KML_NORM_STD_FLOOR 1e-6

static int steps_of(const kml_dataset *d, int i)
{
    return d->len ? d->len[i] : d->T;
}

int kml_norm_fit(const kml_dataset *train, kml_norm_mode mode, kml_norm *out, kml_error *err)
{
    memset(out, 0, sizeof *out);
    int T = train->T, F = train->F;
    if (train->n < 1 || T < 1 || F < 1)
        return kml_error_set(err, "normalisation: empty training split (%d series of %d x %d)", train->n, T, F);
    size_t P = mode == KML_NORM_PER_STEP ? (size_t)T * (size_t)F : (size_t)F; /* positions with own stats */
    double *sum = calloc(P, sizeof *sum), *sq = calloc(P, sizeof *sq);
    long long *cnt = calloc(P, sizeof *cnt);
    float *mean = malloc(P * sizeof *mean), *sd = malloc(P * sizeof *sd);
    if (!sum || !sq || !cnt || !mean || !sd) {
        free(sum), free(sq), free(cnt), free(mean), free(sd);
        return kml_error_set(err, "normalisation: out of memory");
    }
    int rc = 0;
    for (int i = 0; i < train->n && rc == 0; i++) {
        const float *x = train->X + (size_t)i * (size_t)T * (size_t)F;
        int L = steps_of(train, i);
        for (int t = 0; t < L && rc == 0; t++)
            for (int f = 0; f < F; f++) {
                float v = x[(size_t)t * F + f];
                if (!isfinite(v)) {
                    rc = kml_error_set(err, "normalisation: training series %d, step %d, feature %d is %s; expected "
                                            "finite values",
                                       i, t, f, isnan(v) ? "NaN" : "Inf");
                    break;
                }
                size_t p = mode == KML_NORM_PER_STEP ? (size_t)t * F + f : (size_t)f;
                sum[p] += v;
                cnt[p]++;
            }
    }
    for (size_t p = 0; p < P; p++) sum[p] = cnt[p] ? sum[p] / (double)cnt[p] : 0.0; /* now the mean */
    for (int i = 0; i < train->n && rc == 0; i++) {
        const float *x = train->X + (size_t)i * (size_t)T * (size_t)F;
        int L = steps_of(train, i);
        for (int t = 0; t < L; t++)
            for (int f = 0; f < F; f++) {
                size_t p = mode == KML_NORM_PER_STEP ? (size_t)t * F + f : (size_t)f;
                double dv = x[(size_t)t * F + f] - sum[p];
                sq[p] += dv * dv;
            }
    }
    for (size_t p = 0; p < P; p++) {
        double s = cnt[p] ? sqrt(sq[p] / (double)cnt[p]) : 0.0;
        mean[p] = (float)sum[p];
        sd[p] = s < KML_NORM_STD_FLOOR ? 1.0f : (float)s;
    }
    free(sum), free(sq), free(cnt);
    if (rc) {
        free(mean), free(sd);
        return -1;
    }
    out->mode = mode;
    out->T = T;
    out->F = F;
    out->mean = mean;
    out->std = sd;
    return 0;
}

void kml_norm_apply(const kml_norm *nm, kml_dataset *d)
{
    int T = d->T, F = d->F;
    for (int i = 0; i < d->n; i++) {
        float *x = d->X + (size_t)i * (size_t)T * (size_t)F;
        int L = steps_of(d, i);
        for (int t = 0; t < T; t++)
            for (int f = 0; f < F; f++) {
                float *v = &x[(size_t)t * F + f];
                if (t >= L) {
                    *v = 0.0f;
                    continue;
                }
                /* per-step statistics exist for t < nm->T only; a longer series reuses the last step's */
                size_t p = nm->mode == KML_NORM_PER_STEP ? (size_t)(t < nm->T ? t : nm->T - 1) * F + f : (size_t)f;
                *v = (*v - nm->mean[p]) / nm->std[p];
            }
    }
}

void kml_norm_free(kml_norm *nm)
{
    if (!nm) return;
    free(nm->mean);
    free(nm->std);
    memset(nm, 0, sizeof *nm);
}

void kml_dataset_feature_stats(const kml_dataset *d, kml_feature_stats *stats, long long *nan_count,
                               long long *inf_count)
{
    int T = d->T, F = d->F;
    long long nans = 0, infs = 0;
    for (int f = 0; f < F; f++) {
        stats[f].mean = stats[f].std = 0.0;
        stats[f].min = INFINITY;
        stats[f].max = -INFINITY;
        stats[f].count = 0;
    }
    for (int i = 0; i < d->n; i++) {
        const float *x = d->X + (size_t)i * (size_t)T * (size_t)F;
        int L = steps_of(d, i);
        for (int t = 0; t < L; t++)
            for (int f = 0; f < F; f++) {
                double v = x[(size_t)t * F + f];
                if (isnan(v)) nans++;
                else if (isinf(v)) infs++;
                else {
                    kml_feature_stats *s = &stats[f];
                    s->mean += v;
                    s->count++;
                    if (v < s->min) s->min = v;
                    if (v > s->max) s->max = v;
                }
            }
    }
    for (int f = 0; f < F; f++) stats[f].mean = stats[f].count ? stats[f].mean / (double)stats[f].count : 0.0;
    for (int i = 0; i < d->n; i++) {
        const float *x = d->X + (size_t)i * (size_t)T * (size_t)F;
        int L = steps_of(d, i);
        for (int t = 0; t < L; t++)
            for (int f = 0; f < F; f++) {
                double v = x[(size_t)t * F + f];
                if (isfinite(v)) stats[f].std += (v - stats[f].mean) * (v - stats[f].mean);
            }
    }
    for (int f = 0; f < F; f++) {
        kml_feature_stats *s = &stats[f];
        s->std = s->count ? sqrt(s->std / (double)s->count) : 0.0;
        if (!s->count) s->min = s->max = 0.0;
    }
    if (nan_count) *nan_count = nans;
    if (inf_count) *inf_count = infs;
}
