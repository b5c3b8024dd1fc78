/* header_model.c: a trained float kml_model (row-major tensors, model.h) -> the deploy runtime's
 * kml_rnn_f32 (output-major dense or column-list sparse, sigmoids of the scalars applied), and
 * kml_header_write_model on top of it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kiloml/header.h"

static void *own(kml_dev_f32 *d, size_t bytes)
{
    if (d->n_allocs >= (int)(sizeof d->allocs / sizeof d->allocs[0])) return NULL;
    void *p = calloc(1, bytes ? bytes : 1);
    if (p) d->allocs[d->n_allocs++] = p;
    return p;
}

void kml_dev_f32_free(kml_dev_f32 *d)
{
    for (int k = 0; k < d->n_allocs; k++) free(d->allocs[k]);
    memset(d, 0, sizeof *d);
}

/* W[rows][cols] row-major -> output-major dense, or column lists when they take fewer bytes. */
static int build_mat(kml_dev_f32 *d, const float *W, int rows, int cols, int allow_sparse, kml_mat_f32 *out)
{
    size_t nnz = 0, n = (size_t)rows * cols;
    for (size_t k = 0; k < n; k++) nnz += W[k] != 0.0f;
    size_t dense_bytes = 4 * n, sparse_bytes = nnz * (4 + (rows <= 256 ? 1 : 2)) + 2 * ((size_t)cols + 1);
    memset(out, 0, sizeof *out);
    out->rows = (uint16_t)rows, out->cols = (uint16_t)cols;
    float *val = own(d, sizeof(float) * n);
    if (!val) return -1;
    out->val = val;
    if (!allow_sparse || sparse_bytes >= dense_bytes || nnz > 65535) {
        out->layout = KML_MAT_DENSE;
        for (int j = 0; j < cols; j++)
            for (int i = 0; i < rows; i++) val[(size_t)j * rows + i] = W[(size_t)i * cols + j];
        return 0;
    }
    uint16_t *ptr = own(d, sizeof(uint16_t) * ((size_t)cols + 1));
    uint8_t *i8 = rows <= 256 ? own(d, nnz) : NULL;
    uint16_t *i16 = rows > 256 ? own(d, sizeof(uint16_t) * nnz) : NULL;
    if (!ptr || (!i8 && !i16)) return -1;
    size_t k = 0;
    for (int j = 0; j < cols; j++) {
        for (int i = 0; i < rows; i++) {
            float w = W[(size_t)i * cols + j];
            if (w == 0.0f) continue;
            val[k] = w;
            if (i8) i8[k] = (uint8_t)i;
            else i16[k] = (uint16_t)i;
            k++;
        }
        ptr[j + 1] = (uint16_t)k;
    }
    out->layout = KML_MAT_SPARSE;
    out->nnz = (uint16_t)nnz;
    out->colptr = ptr, out->idx8 = i8, out->idx16 = i16;
    return 0;
}

static int build_lin(kml_dev_f32 *d, const kml_model *s, kml_param_id full, kml_param_id f1, kml_param_id f2, int rank,
                     kml_lin_f32 *l)
{
    memset(l, 0, sizeof *l);
    l->rank = (uint8_t)rank;
    if (rank == 0) return build_mat(d, s->p[full], s->shape[full].rows, s->shape[full].cols, 1, &l->a);
    if (build_mat(d, s->p[f1], s->shape[f1].rows, s->shape[f1].cols, 1, &l->a)) return -1;
    return build_mat(d, s->p[f2], s->shape[f2].rows, s->shape[f2].cols, 1, &l->b);
}

static float sigm(float v) { return (float)(1.0 / (1.0 + exp(-(double)v))); }

static const float *copy_vec(kml_dev_f32 *d, const float *src, int n)
{
    float *p = own(d, sizeof(float) * (size_t)n);
    if (p) memcpy(p, src, sizeof(float) * (size_t)n);
    return p;
}

int kml_dev_f32_from_model(const kml_model *s, kml_dev_f32 *d, kml_error *err)
{
    memset(d, 0, sizeof *d);
    const kml_model_config *c = &s->cfg;
    if (c->cell != KML_CELL_FASTRNN && c->cell != KML_CELL_FASTGRNN)
        return kml_error_set(err, "export: cell '%s' has no device runtime (deploy/ runs fastrnn and fastgrnn)",
                             kml_cell_name(c->cell));
    if (c->D < 1 || c->H < 1 || c->C < 1 || c->D > 4096 || c->H > 4096 || c->C > 4096)
        return kml_error_set(err, "export: dimensions D=%d H=%d C=%d outside 1..4096", c->D, c->H, c->C);
    if (c->rank_w > 255 || c->rank_u > 255)
        return kml_error_set(err, "export: ranks %d / %d above 255 are not supported by the runtime", c->rank_w, c->rank_u);
    if (s->norm.mean) {
        if (s->norm.mode != KML_NORM_PER_FEATURE)
            return kml_error_set(err, "export: the model uses per-step normalisation; the streaming runtime supports "
                                      "per-feature normalisation only (train with per-feature normalisation)");
        if (s->norm.F != c->D)
            return kml_error_set(err, "export: normalisation has %d features, the model %d", s->norm.F, c->D);
    }
    kml_rnn_f32 *m = &d->m;
    m->version = KML_DEPLOY_FORMAT_VERSION;
    m->cell = c->cell == KML_CELL_FASTGRNN ? KML_RNN_FASTGRNN : KML_RNN_FASTRNN;
    m->gate_nl = (uint8_t)c->gate_nl, m->update_nl = (uint8_t)c->update_nl;
    m->D = (uint16_t)c->D, m->H = (uint16_t)c->H, m->C = (uint16_t)c->C;
    int fail = build_lin(d, s, KML_P_W, KML_P_W1, KML_P_W2, c->rank_w, &m->W) ||
               build_lin(d, s, KML_P_U, KML_P_U1, KML_P_U2, c->rank_u, &m->U) ||
               build_mat(d, s->p[KML_P_V], c->H, c->C, 0, &m->V);
    if (!fail) {
        m->v = copy_vec(d, s->p[KML_P_VB], c->C);
        if (m->cell == KML_RNN_FASTGRNN) {
            m->b_h = copy_vec(d, s->p[KML_P_BH], c->H);
            m->b_g = copy_vec(d, s->p[KML_P_BG], c->H);
            m->s_zeta = sigm(s->p[KML_P_ZETA][0]);
            m->s_nu = sigm(s->p[KML_P_NU][0]);
            fail = !m->b_g;
        } else {
            m->b_h = copy_vec(d, s->p[KML_P_B], c->H);
            m->s_alpha = sigm(s->p[KML_P_ALPHA][0]);
            m->s_beta = sigm(s->p[KML_P_BETA][0]);
        }
        fail = fail || !m->v || !m->b_h;
        if (!fail && s->norm.mean) {
            m->mean = copy_vec(d, s->norm.mean, c->D);
            m->std = copy_vec(d, s->norm.std, c->D);
            fail = !m->mean || !m->std;
        }
    }
    if (fail) {
        kml_dev_f32_free(d);
        return kml_error_set(err, "export: out of memory converting the model");
    }
    kml_status st = kml_rnn_validate_f32(m);
    if (st != KML_OK) {
        kml_dev_f32_free(d);
        return kml_error_set(err, "export: converted model rejected by the runtime: %s", kml_status_name(st));
    }
    return 0;
}

int kml_header_write_model(const char *path, const kml_model *src, const kml_header_opts *o, kml_header_figures *fig,
                           kml_error *err)
{
    kml_dev_f32 d;
    if (kml_dev_f32_from_model(src, &d, err)) return -1;
    kml_header_opts opt;
    if (o) opt = *o;
    else kml_header_opts_init(&opt);
    if (!opt.class_names && src->class_names) opt.class_names = (const char *const *)src->class_names;
    int rc = kml_header_write_f32(path, &d.m, &opt, fig, err);
    kml_dev_f32_free(&d);
    return rc;
}
