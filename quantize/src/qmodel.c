/* qmodel.c: float FastRNN / FastGRNN -> integer model (layouts and formats of deploy/'s kml_rnn_q),
 * starting formats from calibration ranges, integer prediction through deploy's kernels, sizes.
 * Dimension letters: R rows, K columns of a matrix; D inputs, H hidden, C classes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kiloml/qmodel.h"

int kml_qslot_param(const kml_model_config *cfg, kml_qslot s)
{
    switch (s) {
    case KML_QS_WA: return cfg->rank_w ? KML_P_W1 : KML_P_W;
    case KML_QS_WB: return cfg->rank_w ? KML_P_W2 : -1;
    case KML_QS_UA: return cfg->rank_u ? KML_P_U1 : KML_P_U;
    case KML_QS_UB: return cfg->rank_u ? KML_P_U2 : -1;
    case KML_QS_V: return KML_P_V;
    default: return -1;
    }
}

const char *kml_qslot_name(const kml_model_config *cfg, kml_qslot s)
{
    int p = kml_qslot_param(cfg, s);
    return p < 0 ? NULL : kml_param_name((kml_param_id)p);
}

int kml_qmodel_supported(const kml_model *m, kml_error *err)
{
    const kml_model_config *c = &m->cfg;
    if (c->cell != KML_CELL_FASTRNN && c->cell != KML_CELL_FASTGRNN)
        return kml_error_set(err, "cell '%s' has no integer path: only fastrnn and fastgrnn can be quantized",
                             kml_cell_name(c->cell));
    if (c->update_nl == KML_NL_RELU || (c->cell == KML_CELL_FASTGRNN && c->gate_nl == KML_NL_RELU))
        return kml_error_set(err, "relu has no integer form: train with --gate-nonlin quantsigm "
                                  "--update-nonlin quanttanh (or tanh/sigmoid)");
    if (m->norm.mean && m->norm.mode != KML_NORM_PER_FEATURE)
        return kml_error_set(err, "the integer path normalises per feature; this model was trained with "
                                  "per-step normalisation");
    if (c->H > 65535 || c->D > 65535 || c->C > 65535 || c->rank_w > 255 || c->rank_u > 255)
        return kml_error_set(err, "dimensions D = %d, H = %d, C = %d, ranks %d / %d are beyond the integer runtime "
                                  "(16-bit dimensions, ranks up to 255)",
                             c->D, c->H, c->C, c->rank_w, c->rank_u);
    return 0;
}

uint8_t kml_qact_for(kml_nonlin nl)
{
    switch (nl) {
    case KML_NL_QUANTSIGM: return KML_ACT_QUANTSIGM;
    case KML_NL_SIGMOID: return KML_ACT_SIGMOID;
    case KML_NL_HARDSIGM: return KML_ACT_HARDSIGM;
    case KML_NL_TANH: return KML_ACT_TANH;
    default: return KML_ACT_QUANTTANH;
    }
}

int kml_q_for_range(double range, double limit, int qmax)
{
    int q = qmax;
    if (!(range > 0)) return qmax;
    while (q > 0 && range * ldexp(1.0, q) > limit) q--;
    return q;
}

static double maxabs(const float *v, size_t n)
{
    double mx = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(v[i]) > mx) mx = fabs(v[i]);
    return mx;
}

static int wlimit(int bits) { return bits == 8 ? 127 : 32767; }

static long qround(double v) { return (long)floor(v + 0.5); }

/* Largest column sum of |round(M·2^q)| (clipped to the width), as the accumulator bound sees it. */
static long colsum_max(const float *M, int R, int K, int q, int bits)
{
    long best = 0, lim = wlimit(bits);
    double sc = ldexp(1.0, q);
    for (int j = 0; j < K; j++) {
        long s = 0;
        for (int i = 0; i < R; i++) {
            long w = qround(M[(size_t)i * K + j] * sc);
            if (w > lim) w = lim;
            if (w < -lim) w = -lim;
            s += labs(w);
        }
        if (s > best) best = s;
    }
    return best;
}

/* Weight q of a slot: the range gives the start, the accumulator bound may lower it. */
static int mat_q(const kml_model *m, int p, int q, int bits)
{
    const kml_param_shape *sh = &m->shape[p];
    while (q > 0 && colsum_max(m->p[p], sh->rows, sh->cols, q, bits) > 32768) q--;
    return q;
}

int kml_qweight_q(const kml_model *m, int param, int bits)
{
    size_t n = (size_t)m->shape[param].rows * m->shape[param].cols;
    return mat_q(m, param, kml_q_for_range(maxabs(m->p[param], n), wlimit(bits), 30), bits);
}

float kml_qweight_round(float w, int q, int bits)
{
    long lim = wlimit(bits), v = qround(w * ldexp(1.0, q));
    if (v > lim) v = lim;
    if (v < -lim) v = -lim;
    return (float)ldexp((double)v, -q);
}

static int imin(int a, int b) { return a < b ? a : b; }

void kml_qformat_from_ranges(const kml_model *m, const kml_calib *cal, const int bits[KML_QS_COUNT],
                             kml_qformat *f)
{
    const kml_model_config *c = &m->cfg;
    memset(f, 0, sizeof *f);
    for (int s = 0; s < KML_QS_COUNT; s++) {
        int p = kml_qslot_param(c, (kml_qslot)s);
        f->bits[s] = p >= 0 && bits[s] == 16 ? 16 : 8; /* absent slots: 8, q 0 */
        if (p < 0) continue;
        size_t n = (size_t)m->shape[p].rows * m->shape[p].cols;
        f->q_mat[s] = mat_q(m, p, kml_q_for_range(maxabs(m->p[p], n), wlimit(f->bits[s]), 30), f->bits[s]);
    }
    f->q_x = kml_q_for_range(cal->x, 32767, 15);
    f->q_in = m->norm.mean ? kml_q_for_range(cal->raw, 32767, 15) : f->q_x;
    f->q_h = kml_q_for_range(cal->h, 32767, 15);
    f->q_g = 14;
    f->q_mid_w = c->rank_w ? imin(kml_q_for_range(cal->mid_w, 32767, 15), f->q_x + f->q_mat[KML_QS_WA]) : 0;
    f->q_mid_u = c->rank_u ? imin(kml_q_for_range(cal->mid_u, 32767, 15), f->q_h + f->q_mat[KML_QS_UA]) : 0;
    /* q_a: biases are int16 in Q q_a; every projected term is clamped at 2^28; derived shifts >= 0 */
    double bmax = 0;
    if (c->cell == KML_CELL_FASTRNN) {
        bmax = maxabs(m->p[KML_P_B], (size_t)c->H);
    } else {
        bmax = maxabs(m->p[KML_P_BH], (size_t)c->H);
        double g = maxabs(m->p[KML_P_BG], (size_t)c->H);
        if (g > bmax) bmax = g;
    }
    int qa = imin(kml_q_for_range(bmax, 32767, 26), kml_q_for_range(cal->a, 268435456.0, 26));
    qa = imin(qa, c->rank_w ? f->q_mid_w + f->q_mat[KML_QS_WB] : f->q_x + f->q_mat[KML_QS_WA]);
    qa = imin(qa, c->rank_u ? f->q_mid_u + f->q_mat[KML_QS_UB] : f->q_h + f->q_mat[KML_QS_UA]);
    f->q_a = qa < 0 ? 0 : qa;
    /* classifier: logits in Q (q_h + V.q) <= 30, v must stay within ±2^30 there */
    double vmax = maxabs(m->p[KML_P_VB], (size_t)c->C);
    int qv = imin(f->q_mat[KML_QS_V], 30 - f->q_h);
    while (qv > 0 && vmax * ldexp(1.0, f->q_h + qv) > 1073741824.0) qv--;
    f->q_mat[KML_QS_V] = qv;
    /* normalisation: s = 2^(shift + q_x - q_in) / std must fit int16 */
    f->norm_shift = 0;
    if (m->norm.mean) {
        double smax = 0;
        for (int k = 0; k < c->D; k++)
            if (1.0 / m->norm.std[k] > smax) smax = 1.0 / m->norm.std[k];
        int sh = 30;
        while (sh > 0 && smax * ldexp(1.0, sh + f->q_x - f->q_in) > 32767) sh--;
        f->norm_shift = sh;
    }
}

int kml_sparse_fmt_parse(const char *s, kml_sparse_fmt *out)
{
    if (!strcmp(s, "auto")) *out = KML_SPFMT_AUTO;
    else if (!strcmp(s, "csc")) *out = KML_SPFMT_CSC;
    else if (!strcmp(s, "bitmap")) *out = KML_SPFMT_BITMAP;
    else return -1;
    return 0;
}

const char *kml_mat_layout_name(uint8_t layout)
{
    switch (layout) {
    case KML_MAT_DENSE: return "dense";
    case KML_MAT_SPARSE: return "sparse";
    case KML_MAT_BITMAP: return "bitmap";
    default: return "?";
    }
}

/* ---- build ---- */
static int build_mat(const kml_model *m, kml_qslot s, kml_qformat *f, kml_qmat_buf *buf, kml_mat_q *mq,
                     kml_error *err)
{
    int p = kml_qslot_param(&m->cfg, s);
    const char *name = kml_param_name((kml_param_id)p);
    int R = m->shape[p].rows, K = m->shape[p].cols, bits = f->bits[s];
    const float *M = m->p[p];
    if (bits != 8 && bits != 16) return kml_error_set(err, "matrix %s: %d-bit weights (8 or 16)", name, bits);
    if (f->q_mat[s] < 0 || f->q_mat[s] > 30)
        return kml_error_set(err, "matrix %s: weight q %d outside [0, 30]", name, f->q_mat[s]);
    f->q_mat[s] = mat_q(m, p, f->q_mat[s], bits); /* keep the accumulator bound */
    int q = f->q_mat[s];
    long lim = wlimit(bits);
    double sc = ldexp(1.0, q);
    size_t n = (size_t)R * K, nnz = 0;
    long *w = malloc(n * sizeof *w); /* quantized, output-major: w[j*R + i] */
    if (!w) return kml_error_set(err, "out of memory");
    for (int i = 0; i < R; i++)
        for (int j = 0; j < K; j++) {
            long v = qround(M[(size_t)i * K + j] * sc);
            if (v > lim) v = lim;
            if (v < -lim) v = -lim;
            w[(size_t)j * R + i] = v;
            nnz += v != 0;
        }
    size_t wb = bits / 8, ib = R <= 256 ? 1 : 2, RB = ((size_t)R + 7) / 8;
    size_t dense_bytes = n * wb, csc_bytes = nnz * (wb + ib) + 2 * ((size_t)K + 1), bm_bytes = nnz * wb + K * RB;
    /* a bitmap holds at most KML_BITMAP_MAX_ROWS rows: a taller matrix stays CSC whatever the option */
    int use_bm = R <= KML_BITMAP_MAX_ROWS &&
                 (f->sparse_fmt == KML_SPFMT_BITMAP || (f->sparse_fmt == KML_SPFMT_AUTO && bm_bytes < csc_bytes));
    size_t sparse_bytes = use_bm ? bm_bytes : csc_bytes;
    int sparse = s != KML_QS_V && nnz <= 65535 && (sparse_bytes < dense_bytes || n > 65535);
    int csc = sparse && !use_bm, bm = sparse && use_bm;
    if (!sparse && n > 65535) {
        free(w);
        return kml_error_set(err, "matrix %s: %d x %d is too large for the runtime's dense layout", name, R, K);
    }
    size_t nv = sparse ? (nnz ? nnz : 1) : n;
    memset(mq, 0, sizeof *mq);
    mq->rows = (uint16_t)R;
    mq->cols = (uint16_t)K;
    mq->wbits = (uint8_t)bits;
    mq->q = (uint8_t)q;
    mq->layout = bm ? KML_MAT_BITMAP : csc ? KML_MAT_SPARSE : KML_MAT_DENSE;
    mq->nnz = (uint16_t)(sparse ? nnz : 0);
    if (bits == 8)
        buf->w8 = calloc(nv, 1);
    else
        buf->w16 = calloc(nv, 2);
    if (csc) {
        buf->colptr = calloc((size_t)K + 1, sizeof(uint16_t));
        if (ib == 1)
            buf->idx8 = calloc(nv, 1);
        else
            buf->idx16 = calloc(nv, 2);
    }
    if (bm) buf->bitmap = calloc((size_t)K * RB, 1);
    if ((!buf->w8 && !buf->w16) || (csc && (!buf->colptr || (!buf->idx8 && !buf->idx16))) || (bm && !buf->bitmap)) {
        free(w);
        return kml_error_set(err, "out of memory");
    }
    size_t k = 0;
    for (int j = 0; j < K; j++) {
        if (csc) buf->colptr[j] = (uint16_t)k;
        for (int i = 0; i < R; i++) {
            long v = w[(size_t)j * R + i];
            if (sparse && v == 0) continue;
            size_t at = sparse ? k : (size_t)j * R + i;
            if (bits == 8)
                buf->w8[at] = (int8_t)v;
            else
                buf->w16[at] = (int16_t)v;
            if (csc) {
                if (ib == 1)
                    buf->idx8[k] = (uint8_t)i;
                else
                    buf->idx16[k] = (uint16_t)i;
            }
            if (bm) buf->bitmap[(size_t)j * RB + (size_t)i / 8] |= (uint8_t)(1u << (i % 8));
            if (sparse) k++;
        }
    }
    if (csc) buf->colptr[K] = (uint16_t)k;
    free(w);
    mq->w8 = buf->w8;
    mq->w16 = buf->w16;
    mq->colptr = buf->colptr;
    mq->idx8 = buf->idx8;
    mq->idx16 = buf->idx16;
    mq->bitmap = buf->bitmap;
    return 0;
}

static int q16_array(const float *src, int n, int q, const char *name, int16_t **out, kml_error *err)
{
    *out = malloc((size_t)n * sizeof(int16_t));
    if (!*out) return kml_error_set(err, "out of memory");
    for (int i = 0; i < n; i++) {
        long v = qround(src[i] * ldexp(1.0, q));
        if (v > 32767 || v < -32768)
            return kml_error_set(err, "%s[%d] = %g does not fit int16 in Q%d", name, i, src[i], q);
        (*out)[i] = (int16_t)v;
    }
    return 0;
}

static int16_t qconst(double v, int q) { return (int16_t)qround(v * ldexp(1.0, q)); }

static double sigm(double x) { return 1.0 / (1.0 + exp(-x)); }

static int in_range(int v, int lo, int hi) { return v >= lo && v <= hi; }

int kml_qmodel_build(const kml_model *m, const kml_qformat *fin, kml_qmodel *out, kml_error *err)
{
    const kml_model_config *c = &m->cfg;
    memset(out, 0, sizeof *out);
    if (kml_qmodel_supported(m, err)) return -1;
    kml_qformat *f = &out->fmt;
    *f = *fin;
    if (!in_range(f->q_in, 0, 15) || !in_range(f->q_x, 0, 15) || !in_range(f->q_h, 0, 15) ||
        !in_range(f->q_a, 0, 26) || !in_range(f->q_g, 1, 14) || !in_range(f->q_mid_w, 0, 15) ||
        !in_range(f->q_mid_u, 0, 15) || !in_range(f->norm_shift, 0, 30))
        return kml_error_set(err, "a number format is outside its range (q_in/q_x/q_h 0..15, q_a 0..26, "
                                  "q_g 1..14, q_mid 0..15, norm shift 0..30)");
    if (f->sparse_fmt != KML_SPFMT_AUTO && f->sparse_fmt != KML_SPFMT_CSC && f->sparse_fmt != KML_SPFMT_BITMAP)
        return kml_error_set(err, "sparse format %d (auto, csc or bitmap)", (int)f->sparse_fmt);
    kml_rnn_q *q = &out->q;
    q->version = KML_DEPLOY_FORMAT_VERSION;
    q->cell = c->cell == KML_CELL_FASTGRNN ? KML_RNN_FASTGRNN : KML_RNN_FASTRNN;
    q->gate_nl = kml_qact_for(c->gate_nl);
    q->update_nl = kml_qact_for(c->update_nl);
    q->D = (uint16_t)c->D;
    q->H = (uint16_t)c->H;
    q->C = (uint16_t)c->C;
    q->q_in = (uint8_t)f->q_in;
    q->q_x = (uint8_t)f->q_x;
    q->q_h = (uint8_t)f->q_h;
    q->q_a = (uint8_t)f->q_a;
    q->q_g = (uint8_t)f->q_g;
    q->W.rank = (uint8_t)c->rank_w;
    q->U.rank = (uint8_t)c->rank_u;
    q->W.q_mid = (uint8_t)(c->rank_w ? f->q_mid_w : 0);
    q->U.q_mid = (uint8_t)(c->rank_u ? f->q_mid_u : 0);
    kml_mat_q *dst[KML_QS_COUNT] = {&q->W.a, &q->W.b, &q->U.a, &q->U.b, &q->V};
    for (int s = 0; s < KML_QS_COUNT; s++) {
        if (kml_qslot_param(c, (kml_qslot)s) < 0) continue;
        if (build_mat(m, (kml_qslot)s, f, &out->mat[s], dst[s], err)) goto fail;
    }
    const float *bh = c->cell == KML_CELL_FASTRNN ? m->p[KML_P_B] : m->p[KML_P_BH];
    if (q16_array(bh, c->H, f->q_a, c->cell == KML_CELL_FASTRNN ? "b" : "b_h", &out->b_h, err)) goto fail;
    q->b_h = out->b_h;
    if (c->cell == KML_CELL_FASTGRNN) {
        if (q16_array(m->p[KML_P_BG], c->H, f->q_a, "b_g", &out->b_g, err)) goto fail;
        q->b_g = out->b_g;
        q->s_zeta = qconst(sigm(m->p[KML_P_ZETA][0]), f->q_g);
        q->s_nu = qconst(sigm(m->p[KML_P_NU][0]), f->q_g);
    } else {
        q->s_alpha = qconst(sigm(m->p[KML_P_ALPHA][0]), f->q_g);
        q->s_beta = qconst(sigm(m->p[KML_P_BETA][0]), f->q_g);
    }
    out->v = malloc((size_t)c->C * sizeof(int32_t));
    if (!out->v) {
        kml_error_set(err, "out of memory");
        goto fail;
    }
    for (int k = 0; k < c->C; k++) {
        double v = m->p[KML_P_VB][k] * ldexp(1.0, f->q_h + f->q_mat[KML_QS_V]);
        if (fabs(v) > 1073741824.0) {
            kml_error_set(err, "classifier bias v[%d] = %g does not fit Q%d", k, m->p[KML_P_VB][k],
                          f->q_h + f->q_mat[KML_QS_V]);
            goto fail;
        }
        out->v[k] = (int32_t)qround(v);
    }
    q->v = out->v;
    if (m->norm.mean) {
        out->norm_m = malloc((size_t)c->D * sizeof(int16_t));
        out->norm_s = malloc((size_t)c->D * sizeof(int16_t));
        if (!out->norm_m || !out->norm_s) {
            kml_error_set(err, "out of memory");
            goto fail;
        }
        for (int k = 0; k < c->D; k++) {
            long mu = qround(m->norm.mean[k] * ldexp(1.0, f->q_in));
            long sc = qround(ldexp(1.0, f->norm_shift + f->q_x - f->q_in) / m->norm.std[k]);
            if (mu > 32767 || mu < -32768 || sc > 32767 || sc < 1) {
                kml_error_set(err, "normalisation of feature %d (mean %g, std %g) does not fit int16 with "
                                   "q_in %d, q_x %d, shift %d",
                              k, m->norm.mean[k], m->norm.std[k], f->q_in, f->q_x, f->norm_shift);
                goto fail;
            }
            out->norm_m[k] = (int16_t)mu;
            out->norm_s[k] = (int16_t)sc;
        }
        q->norm_m = out->norm_m;
        q->norm_s = out->norm_s;
        q->norm_shift = (uint8_t)f->norm_shift;
    } else if (f->q_in != f->q_x) {
        kml_error_set(err, "a model without normalisation needs q_in == q_x (got %d, %d)", f->q_in, f->q_x);
        goto fail;
    }
    kml_status st = kml_rnn_validate_q(q);
    if (st != KML_OK) {
        kml_error_set(err, "the integer model does not validate: %s (q_in %d q_x %d q_h %d q_a %d q_g %d)",
                      kml_status_name(st), f->q_in, f->q_x, f->q_h, f->q_a, f->q_g);
        goto fail;
    }
    return 0;
fail:
    kml_qmodel_free(out);
    return -1;
}

void kml_qmodel_free(kml_qmodel *qm)
{
    if (!qm) return;
    for (int s = 0; s < KML_QS_COUNT; s++) {
        free(qm->mat[s].w8);
        free(qm->mat[s].w16);
        free(qm->mat[s].colptr);
        free(qm->mat[s].idx8);
        free(qm->mat[s].idx16);
        free(qm->mat[s].bitmap);
    }
    free(qm->b_h);
    free(qm->b_g);
    free(qm->norm_m);
    free(qm->norm_s);
    free(qm->v);
    memset(qm, 0, sizeof *qm);
}

int16_t kml_q_input(float x, int q_in)
{
    double v = floor((double)x * ldexp(1.0, q_in) + 0.5);
    if (v > 32767) return 32767;
    if (v < -32768) return -32768;
    return (int16_t)v;
}

int kml_qmodel_predict(const kml_qmodel *qm, const kml_dataset *raw, int32_t *pred, kml_error *err)
{
    const kml_rnn_q *q = &qm->q;
    if (raw->F != q->D)
        return kml_error_set(err, "data has %d features per step but the model expects D = %d", raw->F, q->D);
    if (raw->T > 65535) return kml_error_set(err, "series of %d steps are too long", raw->T);
    size_t nx = (size_t)raw->T * raw->F;
    uint16_t nsc = kml_rnn_scratch_elems_q(q);
    int16_t *xq = malloc(nx * sizeof(int16_t));
    int16_t *h = malloc((size_t)q->H * sizeof(int16_t));
    int16_t *buf = malloc((size_t)nsc * sizeof(int16_t));
    int32_t *logits = malloc((size_t)q->C * sizeof(int32_t));
    int rc = 0;
    if (!xq || !h || !buf || !logits) {
        rc = kml_error_set(err, "out of memory");
        goto done;
    }
    kml_rnn_state_q st = {h, q->H};
    kml_rnn_scratch_q sc = {buf, nsc};
    kml_status s = kml_rnn_init_q(q, &st, &sc);
    if (s != KML_OK) {
        rc = kml_error_set(err, "integer model: %s", kml_status_name(s));
        goto done;
    }
    for (int i = 0; i < raw->n; i++) {
        const float *X = raw->X + (size_t)i * nx;
        int T = raw->len ? raw->len[i] : raw->T;
        for (size_t k = 0; k < (size_t)T * raw->F; k++) xq[k] = kml_q_input(X[k], q->q_in);
        pred[i] = kml_rnn_predict_q(q, xq, (uint16_t)T, &st, &sc, logits);
    }
done:
    free(xq);
    free(h);
    free(buf);
    free(logits);
    return rc;
}

static uint32_t nonzeros(const kml_mat_q *mq)
{
    if (mq->layout == KML_MAT_SPARSE || mq->layout == KML_MAT_BITMAP) return mq->nnz;
    uint32_t n = 0, tot = (uint32_t)mq->rows * mq->cols;
    for (uint32_t k = 0; k < tot; k++) n += mq->wbits == 8 ? mq->w8[k] != 0 : mq->w16[k] != 0;
    return n;
}

void kml_qmodel_size(const kml_qmodel *qm, kml_qsize *s)
{
    const kml_rnn_q *q = &qm->q;
    const kml_mat_q *mats[KML_QS_COUNT] = {&q->W.a, q->W.rank ? &q->W.b : NULL, &q->U.a,
                                           q->U.rank ? &q->U.b : NULL, &q->V};
    memset(s, 0, sizeof *s);
    s->flash_bytes = kml_rnn_flash_bytes_q(q);
    for (int k = 0; k < KML_QS_COUNT; k++) {
        const kml_mat_q *mq = mats[k];
        if (!mq) continue;
        uint32_t nz = nonzeros(mq), tot = (uint32_t)mq->rows * mq->cols, wb = mq->wbits / 8u;
        s->matrix_bytes += kml_mat_flash_bytes_q(mq);
        s->nnz += nz;
        if ((double)nz / tot < 0.5)
            s->paper_bytes += nz * (wb + (mq->rows <= 256 ? 1u : 2u));
        else
            s->paper_bytes += tot * wb;
    }
    /* biases (int16), classifier bias (int32), the two cell constants (int16) */
    s->paper_bytes += 2u * q->H * (q->cell == KML_RNN_FASTGRNN ? 2u : 1u) + 4u * q->C + 4u;
}
