/* calib.c: the float FastRNN / FastGRNN forward of one series at a time (SPEC §1), used to
 * observe the ranges the integer formats must hold and to give the float predictions the integer
 * model is compared with. Accumulates in double; follows the same step order as deploy's kernels
 * (a = x·W + h·U computed once, low rank as (x·W1)·W2, never formed).
 * Dimension letters: T steps, D inputs, H hidden, C classes, rW / rU ranks. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kiloml/qmodel.h"

static double nonlin(kml_nonlin nl, double x)
{
    switch (nl) {
    case KML_NL_TANH: return tanh(x);
    case KML_NL_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case KML_NL_RELU: return x > 0 ? x : 0;
    case KML_NL_QUANTTANH: return x < -1 ? -1 : (x > 1 ? 1 : x);
    case KML_NL_QUANTSIGM: {
        double y = (x + 1) * 0.5;
        return y < 0 ? 0 : (y > 1 ? 1 : y);
    }
    case KML_NL_HARDSIGM: {
        double y = x * 0.25 + 0.5;
        return y < 0 ? 0 : (y > 1 ? 1 : y);
    }
    default: return x;
    }
}

static double sigm(double x) { return 1.0 / (1.0 + exp(-x)); }

static void upd(double *mx, double v)
{
    v = fabs(v);
    if (v > *mx) *mx = v;
}

/* y[K] = x[R] · M (M row-major R×K) */
static void vecmat(const double *x, const float *M, int R, int K, double *y)
{
    for (int j = 0; j < K; j++) y[j] = 0;
    for (int i = 0; i < R; i++) {
        if (x[i] == 0) continue;
        const float *row = M + (size_t)i * K;
        for (int j = 0; j < K; j++) y[j] += x[i] * row[j];
    }
}

typedef struct {
    double *x, *mw, *mu, *aw, *au, *h, *hn;
} fwd_buf;

/* One series (steps t < T of X[T][F], raw). Writes logits[C]; updates cal when not NULL. */
static void forward_one(const kml_model *m, const float *X, int T, fwd_buf *b, double *logits, kml_calib *cal)
{
    const kml_model_config *c = &m->cfg;
    int D = c->D, H = c->H, C = c->C, rW = c->rank_w, rU = c->rank_u;
    const kml_norm *nm = &m->norm;
    double s1 = 0, s2 = 0; /* σ(α), σ(β) or σ(ζ), σ(ν) */
    if (c->cell == KML_CELL_FASTRNN) {
        s1 = sigm(m->p[KML_P_ALPHA][0]);
        s2 = sigm(m->p[KML_P_BETA][0]);
    } else {
        s1 = sigm(m->p[KML_P_ZETA][0]);
        s2 = sigm(m->p[KML_P_NU][0]);
    }
    const float *bh = c->cell == KML_CELL_FASTRNN ? m->p[KML_P_B] : m->p[KML_P_BH];
    const float *bg = m->p[KML_P_BG];
    for (int j = 0; j < H; j++) b->h[j] = 0;
    for (int t = 0; t < T; t++) {
        const float *xr = X + (size_t)t * D;
        for (int f = 0; f < D; f++) {
            double v = xr[f];
            if (cal) upd(&cal->raw, v);
            if (nm->mean) {
                size_t k = nm->mode == KML_NORM_PER_STEP ? (size_t)t * D + f : (size_t)f;
                v = (v - nm->mean[k]) / nm->std[k];
            }
            b->x[f] = v;
            if (cal) upd(&cal->x, v);
        }
        if (rW) {
            vecmat(b->x, m->p[KML_P_W1], D, rW, b->mw);
            vecmat(b->mw, m->p[KML_P_W2], rW, H, b->aw);
            if (cal)
                for (int k = 0; k < rW; k++) upd(&cal->mid_w, b->mw[k]);
        } else {
            vecmat(b->x, m->p[KML_P_W], D, H, b->aw);
        }
        if (rU) {
            vecmat(b->h, m->p[KML_P_U1], H, rU, b->mu);
            vecmat(b->mu, m->p[KML_P_U2], rU, H, b->au);
            if (cal)
                for (int k = 0; k < rU; k++) upd(&cal->mid_u, b->mu[k]);
        } else {
            vecmat(b->h, m->p[KML_P_U], H, H, b->au);
        }
        for (int j = 0; j < H; j++) {
            double a = b->aw[j] + b->au[j];
            double ch = nonlin(c->update_nl, a + bh[j]);
            if (cal) {
                upd(&cal->a, a);
                upd(&cal->a, a + bh[j]);
            }
            if (c->cell == KML_CELL_FASTRNN) {
                b->hn[j] = s2 * b->h[j] + s1 * ch;
            } else {
                double z = nonlin(c->gate_nl, a + bg[j]);
                if (cal) upd(&cal->a, a + bg[j]);
                b->hn[j] = z * b->h[j] + (s1 * (1 - z) + s2) * ch;
            }
        }
        for (int j = 0; j < H; j++) {
            b->h[j] = b->hn[j];
            if (cal) upd(&cal->h, b->h[j]);
        }
    }
    vecmat(b->h, m->p[KML_P_V], H, C, logits);
    for (int k = 0; k < C; k++) logits[k] += m->p[KML_P_VB][k];
}

/* Runs every chosen series; pred (may be NULL) gets the argmax per series of raw. */
static int run(const kml_model *m, const kml_dataset *raw, int max_series, kml_calib *cal, int32_t *pred,
               kml_error *err)
{
    const kml_model_config *c = &m->cfg;
    if (c->cell != KML_CELL_FASTRNN && c->cell != KML_CELL_FASTGRNN)
        return kml_error_set(err, "float simulation: cell '%s' is not FastRNN/FastGRNN", kml_cell_name(c->cell));
    if (raw->F != c->D)
        return kml_error_set(err, "data has %d features per step but the model expects D = %d", raw->F, c->D);
    if (m->norm.mean && m->norm.mode == KML_NORM_PER_STEP && raw->T > m->norm.T)
        return kml_error_set(err, "data has %d steps but the model's per-step normalisation covers %d",
                             raw->T, m->norm.T);
    int H = c->H, D = c->D;
    size_t nbuf = (size_t)D + (size_t)c->rank_w + (size_t)c->rank_u + 4u * (size_t)H + (size_t)c->C;
    double *mem = calloc(nbuf, sizeof(double));
    if (!mem) return kml_error_set(err, "float simulation: out of memory");
    fwd_buf b;
    b.x = mem;
    b.mw = b.x + D;
    b.mu = b.mw + c->rank_w;
    b.aw = b.mu + c->rank_u;
    b.au = b.aw + H;
    b.h = b.au + H;
    b.hn = b.h + H;
    double *logits = b.hn + H;
    if (cal) memset(cal, 0, sizeof *cal);
    int n = raw->n, stride = 1;
    if (max_series > 0 && n > max_series) stride = (n + max_series - 1) / max_series;
    for (int i = 0; i < n; i += stride) {
        int T = raw->len ? raw->len[i] : raw->T;
        forward_one(m, raw->X + (size_t)i * raw->T * raw->F, T, &b, logits, cal);
        if (cal) cal->n++;
        if (pred) {
            int best = 0;
            for (int k = 1; k < c->C; k++)
                if (logits[k] > logits[best]) best = k;
            pred[i] = best;
        }
    }
    free(mem);
    return 0;
}

int kml_calib_run(const kml_model *m, const kml_dataset *raw, int max_series, kml_calib *cal, kml_error *err)
{
    return run(m, raw, max_series, cal, NULL, err);
}

int kml_float_predict(const kml_model *m, const kml_dataset *raw, int32_t *pred, kml_error *err)
{
    return run(m, raw, 0, NULL, pred, err);
}
