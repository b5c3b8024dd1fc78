/* cli/train_qat.c: see train_qat.h. */
#include <string.h>

#include "train_qat.h"

void kml_cli_qat_init(kml_cli_qat *q)
{
    memset(q, 0, sizeof *q);
    q->epochs = -1;
    q->bits = 8;
}

int kml_cli_qat_setup(kml_cli_qat *q, kml_train_config *tc, kml_error *err)
{
    kml_model_config *c = &tc->model;
    if (c->cell != KML_CELL_FASTRNN && c->cell != KML_CELL_FASTGRNN)
        return kml_error_set(err, "--qat: cell '%s' has no integer path (fastrnn or fastgrnn)", kml_cell_name(c->cell));
    /* --qat-pwl all: the PWL forms, sigmoid -> quantsigm and tanh -> quanttanh (the defaults); others are
     * refused. phase: the smooth forms in the model until the QAT phase, where the trainer switches to
     * the PWL ones (tc->qat.switch_nl). none: sigmoid / tanh throughout (by table in the integer model). */
    kml_nonlin g = c->gate_nl, u = c->update_nl;
    if (q->pwl == KML_QAT_PWL_NONE) {
        if ((c->cell == KML_CELL_FASTGRNN && g != KML_NL_SIGMOID) || u != KML_NL_TANH)
            return kml_error_set(err, "--qat-pwl none trains with --gate-nonlin sigmoid and --update-nonlin tanh "
                                      "(got %s, %s)",
                                 kml_nonlin_name(c->gate_nl), kml_nonlin_name(c->update_nl));
    } else {
        if (g == KML_NL_SIGMOID) g = KML_NL_QUANTSIGM;
        if (u == KML_NL_TANH) u = KML_NL_QUANTTANH;
        if ((c->cell == KML_CELL_FASTGRNN && g != KML_NL_QUANTSIGM && g != KML_NL_HARDSIGM) || u != KML_NL_QUANTTANH)
            return kml_error_set(err, "--qat trains with --gate-nonlin quantsigm or hardsigm and --update-nonlin "
                                      "quanttanh (got %s, %s)",
                                 kml_nonlin_name(c->gate_nl), kml_nonlin_name(c->update_nl));
    }
    if (q->pwl == KML_QAT_PWL_PHASE) {
        if (c->cell == KML_CELL_FASTGRNN && c->gate_nl != KML_NL_SIGMOID)
            return kml_error_set(err, "--qat-pwl phase trains with --gate-nonlin sigmoid until the QAT phase (got %s)",
                                 kml_nonlin_name(c->gate_nl));
        if (c->update_nl != KML_NL_TANH)
            return kml_error_set(err, "--qat-pwl phase trains with --update-nonlin tanh until the QAT phase (got %s)",
                                 kml_nonlin_name(c->update_nl));
        tc->qat.switch_nl = 1;
        tc->qat.gate_nl = g;
        tc->qat.update_nl = u;
    } else if (q->pwl == KML_QAT_PWL_ALL) {
        c->gate_nl = g;
        c->update_nl = u;
    }
    int n = q->epochs >= 0 ? q->epochs : (tc->epochs + 2) / 3;
    if (n < 1) n = 1;
    if (n > tc->epochs) n = tc->epochs;
    q->epochs = n;
    kml_fakequant_init(&q->fq, q->bits);
    tc->qat.start_epoch = tc->epochs - n;
    tc->qat.fake = kml_fakequant_apply;
    tc->qat.restore = kml_fakequant_restore;
    tc->qat.ctx = &q->fq;
    return 0;
}

int kml_cli_qat_finish(kml_cli_qat *q, const kml_model *m, const kml_data *data, int verbose, kml_error *err)
{
    if (q->fq.failed) return kml_error_set(err, "--qat: out of memory for the fake-quantized weights");
    kml_quant_opts o;
    kml_quant_opts_init(&o);
    o.bits = q->bits;
    o.sparse_fmt = q->sparse_fmt;
    o.log = verbose ? stderr : NULL;
    if (kml_quantize(m, &data->train, &o, &q->qm, &q->rep, err)) return kml_error_prefix(err, "--qat");
    q->have_q = 1;
    if (data->test.n > 0 && kml_qcompare_run(m, &q->qm, &data->test, &q->cmp, err)) return -1;
    return 0;
}

void kml_cli_qat_print(FILE *f, const kml_cli_qat *q, const kml_model *m)
{
    if (!q->have_q) return;
    fprintf(f, "quantization-aware training: last %d epochs on %d-bit weights\n", q->epochs, q->bits);
    kml_qreport_text(f, m, &q->qm);
    if (q->cmp.n)
        fprintf(f, "test (%d series): float accuracy %.4f, integer accuracy %.4f, %d disagreements\n", q->cmp.n,
                (double)q->cmp.correct_float / q->cmp.n, (double)q->cmp.correct_int / q->cmp.n, q->cmp.disagreements);
}

void kml_cli_qat_json(cJSON *o, const kml_cli_qat *q, const kml_model *m)
{
    if (!q->have_q) return;
    cJSON *j = cJSON_AddObjectToObject(o, "quantized");
    cJSON_AddNumberToObject(j, "qat_epochs", q->epochs);
    cJSON_AddNumberToObject(j, "bits", q->bits);
    kml_qcompare_json(j, &q->cmp);
    kml_qreport_json(j, m, &q->qm);
}

void kml_cli_qat_free(kml_cli_qat *q)
{
    kml_fakequant_free(&q->fq);
    kml_qmodel_free(&q->qm);
}
