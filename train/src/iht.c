/* iht.c: hard thresholding of the W and U matrices by phase (SPEC §2). */
#include "kiloml/iht.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The kind of each tensor straight from the table, so this file needs nothing else from model.c. */
#define KML_KIND_ROW(id, name, kind) kind,
static const kml_param_kind param_kind[KML_PARAM_COUNT] = {KML_PARAMS(KML_KIND_ROW)};
#undef KML_KIND_ROW

static size_t tensor_size(const kml_model *m, int id)
{
    return m->p[id] ? (size_t)m->shape[id].rows * (size_t)m->shape[id].cols : 0;
}

double kml_iht_density_of(kml_param_id id, double sW, double sU)
{
    if (param_kind[id] == KML_PK_W) return sW < 1.0 ? sW : 1.0;
    if (param_kind[id] == KML_PK_U) return sU < 1.0 ? sU : 1.0;
    return 1.0;
}

size_t kml_iht_mask_bytes(const kml_model *m)
{
    size_t s = 0;
    for (int id = 0; id < KML_PARAM_COUNT; id++)
        if (param_kind[id] == KML_PK_W || param_kind[id] == KML_PK_U) s += tensor_size(m, id);
    return s;
}

size_t kml_iht_scratch_floats(const kml_model *m)
{
    size_t s = 0;
    for (int id = 0; id < KML_PARAM_COUNT; id++)
        if ((param_kind[id] == KML_PK_W || param_kind[id] == KML_PK_U) && tensor_size(m, id) > s)
            s = tensor_size(m, id);
    return s;
}

void kml_iht_init(kml_iht *h, const kml_model *m, double sW, double sU, long total_steps,
                  uint8_t *mask, float *scratch)
{
    memset(h, 0, sizeof *h);
    h->sW = sW;
    h->sU = sU;
    h->total = total_steps;
    h->p1 = total_steps / 3;
    h->p2 = (2 * total_steps) / 3;
    h->scratch = scratch;
    h->enabled = (sW < 1.0 || sU < 1.0) && total_steps > 0;
    size_t off = 0;
    for (int id = 0; id < KML_PARAM_COUNT; id++) {
        if (param_kind[id] != KML_PK_W && param_kind[id] != KML_PK_U) continue;
        size_t n = tensor_size(m, id);
        if (!n) continue;
        h->mask[id] = mask + off;
        memset(h->mask[id], 1, n);
        off += n;
    }
}

int kml_iht_phase(const kml_iht *h, long step)
{
    if (!h->enabled || step < h->p1) return 0;
    return step < h->p2 ? 1 : 2;
}

static int cmp_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

size_t kml_iht_threshold(float *w, size_t n, double density, uint8_t *mask, float *scratch)
{
    if (n == 0) return 0;
    size_t k = (size_t)ceil(density * (double)n - 1e-9);
    if (k < 1) k = 1;
    if (k > n) k = n;
    for (size_t i = 0; i < n; i++) scratch[i] = fabsf(w[i]);
    qsort(scratch, n, sizeof *scratch, cmp_desc);
    float thr = scratch[k - 1];
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        mask[i] = fabsf(w[i]) >= thr;
        if (mask[i]) kept++;
        else w[i] = 0.0f;
    }
    return kept;
}

static void apply_mask(const kml_iht *h, kml_model *m)
{
    for (int id = 0; id < KML_PARAM_COUNT; id++) {
        if (!h->mask[id]) continue;
        float *w = m->p[id];
        const uint8_t *k = h->mask[id];
        size_t n = tensor_size(m, id);
        for (size_t i = 0; i < n; i++)
            if (!k[i]) w[i] = 0.0f;
    }
}

static void threshold_all(kml_iht *h, kml_model *m)
{
    for (int id = 0; id < KML_PARAM_COUNT; id++) {
        if (!h->mask[id]) continue;
        double s = kml_iht_density_of((kml_param_id)id, h->sW, h->sU);
        size_t n = tensor_size(m, id);
        if (s >= 1.0) memset(h->mask[id], 1, n);
        else kml_iht_threshold(m->p[id], n, s, h->mask[id], h->scratch);
    }
    h->have_support = 1;
    h->thresholds++;
}

void kml_iht_after_step(kml_iht *h, kml_model *m, long step)
{
    int ph = kml_iht_phase(h, step);
    if (ph == 0) return;
    if (ph == 1 && (step - h->p1) % KML_IHT_INTERVAL == 0) threshold_all(h, m);
    else if (!h->have_support) threshold_all(h, m);   /* phase II empty (tiny runs) */
    else apply_mask(h, m);
}

size_t kml_model_nnz(const kml_model *m)
{
    size_t nz = 0;
    for (int id = 0; id < KML_PARAM_COUNT; id++) {
        size_t n = tensor_size(m, id);
        for (size_t i = 0; i < n; i++) nz += m->p[id][i] != 0.0f;
    }
    return nz;
}
