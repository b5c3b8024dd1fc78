/* fakequant.c: rounded weights for quantization-aware training (see kiloml/fakequant.h). */
#include <stdlib.h>
#include <string.h>

#include "kiloml/fakequant.h"
#include "kiloml/qmodel.h"

void kml_fakequant_init(kml_fakequant *fq, int bits)
{
    memset(fq, 0, sizeof *fq);
    fq->bits = bits == 16 ? 16 : 8;
}

void kml_fakequant_apply(kml_model *m, void *ctx)
{
    kml_fakequant *fq = ctx;
    if (fq->cap < m->n_params) {
        float *p = realloc(fq->shadow, m->n_params * sizeof(float));
        if (!p) {
            fq->failed = 1;
            return;
        }
        fq->shadow = p;
        fq->cap = m->n_params;
    }
    memcpy(fq->shadow, m->block, m->n_params * sizeof(float));
    for (int s = 0; s < KML_QS_COUNT; s++) {
        int p = kml_qslot_param(&m->cfg, (kml_qslot)s);
        if (p < 0) continue;
        int q = kml_qweight_q(m, p, fq->bits);
        size_t n = (size_t)m->shape[p].rows * m->shape[p].cols;
        float *w = m->p[p];
        for (size_t i = 0; i < n; i++) w[i] = kml_qweight_round(w[i], q, fq->bits);
    }
    fq->applied++;
}

void kml_fakequant_restore(kml_model *m, void *ctx)
{
    kml_fakequant *fq = ctx;
    if (fq->failed || !fq->shadow) return;
    memcpy(m->block, fq->shadow, m->n_params * sizeof(float));
}

void kml_fakequant_free(kml_fakequant *fq)
{
    free(fq->shadow);
    memset(fq, 0, sizeof *fq);
}
