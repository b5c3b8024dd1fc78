/* cli/quant_report.c: see quant_report.h. */
#include <stdlib.h>

#include "kiloml/qmodel_file.h"
#include "kiloml/trainer.h"
#include "model_report.h"
#include "quant_report.h"

int kml_qcompare_run(const kml_model *m, const kml_qmodel *qm, const kml_dataset *d, kml_qcompare *out,
                     kml_error *err)
{
    int n = d->n;
    int32_t *pf = malloc((size_t)(n ? n : 1) * sizeof(int32_t));
    int32_t *pq = malloc((size_t)(n ? n : 1) * sizeof(int32_t));
    double acc;
    int rc = -1;
    out->n = n;
    out->correct_float = out->correct_int = out->disagreements = 0;
    if (!pf || !pq) {
        kml_error_set(err, "out of memory");
        goto done;
    }
    if (kml_evaluate(m, d, &acc, pf, err) || kml_qmodel_predict(qm, d, pq, err)) goto done;
    for (int i = 0; i < n; i++) {
        out->correct_float += pf[i] == d->y[i];
        out->correct_int += pq[i] == d->y[i];
        out->disagreements += pf[i] != pq[i];
    }
    rc = 0;
done:
    free(pf);
    free(pq);
    return rc;
}

static const kml_mat_q *slot_mat(const kml_rnn_q *q, int s)
{
    const kml_mat_q *t[KML_QS_COUNT] = {&q->W.a, q->W.rank ? &q->W.b : NULL, &q->U.a, q->U.rank ? &q->U.b : NULL,
                                        &q->V};
    return t[s];
}

void kml_qreport_text(FILE *f, const kml_model *m, const kml_qmodel *qm)
{
    const kml_rnn_q *q = &qm->q;
    kml_qsize sz;
    kml_qmodel_size(qm, &sz);
    fprintf(f, "integer %s D=%u H=%u C=%u (quantSigm gate, quantTanh update)\n", kml_cell_name(m->cfg.cell), q->D,
            q->H, q->C);
    fprintf(f, "formats: q_in %u  q_x %u  q_h %u  q_a %u  q_g %u", q->q_in, q->q_x, q->q_h, q->q_a, q->q_g);
    if (q->W.rank) fprintf(f, "  q_mid_w %u", q->W.q_mid);
    if (q->U.rank) fprintf(f, "  q_mid_u %u", q->U.q_mid);
    if (q->norm_m) fprintf(f, "  norm_shift %u", q->norm_shift);
    fprintf(f, "\n  matrix   rows x cols  bits   q  layout       nnz  flash_bytes\n");
    for (int s = 0; s < KML_QS_COUNT; s++) {
        const kml_mat_q *mq = slot_mat(q, s);
        if (!mq) continue;
        uint32_t nnz = mq->layout != KML_MAT_DENSE ? mq->nnz : (uint32_t)mq->rows * mq->cols;
        fprintf(f, "  %-6s %6u x %-4u  %4u  %2u  %-6s  %8u  %11u\n", kml_qslot_name(&m->cfg, (kml_qslot)s), mq->rows,
                mq->cols, mq->wbits, mq->q, kml_mat_layout_name(mq->layout), nnz,
                kml_mat_flash_bytes_q(mq));
    }
    fprintf(f, "size: %u bytes exported (values + indices + biases + constants%s; kml_rnn_flash_bytes_q), "
               "%u as the paper counts, %u nonzero weights\n",
            sz.flash_bytes, q->norm_m ? " + normalisation" : "", sz.paper_bytes, sz.nnz);
}

void kml_qreport_json(cJSON *o, const kml_model *m, const kml_qmodel *qm)
{
    const kml_rnn_q *q = &qm->q;
    kml_qsize sz;
    kml_qmodel_size(qm, &sz);
    cJSON_AddNumberToObject(o, "model_bytes", sz.flash_bytes);
    cJSON_AddNumberToObject(o, "paper_bytes", sz.paper_bytes);
    cJSON_AddNumberToObject(o, "weight_bytes", sz.matrix_bytes);
    cJSON_AddNumberToObject(o, "nnz", sz.nnz);
    cJSON *fm = cJSON_AddObjectToObject(o, "formats");
    cJSON_AddNumberToObject(fm, "q_in", q->q_in);
    cJSON_AddNumberToObject(fm, "q_x", q->q_x);
    cJSON_AddNumberToObject(fm, "q_h", q->q_h);
    cJSON_AddNumberToObject(fm, "q_a", q->q_a);
    cJSON_AddNumberToObject(fm, "q_g", q->q_g);
    cJSON_AddNumberToObject(fm, "q_mid_w", q->W.q_mid);
    cJSON_AddNumberToObject(fm, "q_mid_u", q->U.q_mid);
    cJSON_AddNumberToObject(fm, "norm_shift", q->norm_shift);
    cJSON *ms = cJSON_AddArrayToObject(o, "matrices");
    for (int s = 0; s < KML_QS_COUNT; s++) {
        const kml_mat_q *mq = slot_mat(q, s);
        if (!mq) continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", kml_qslot_name(&m->cfg, (kml_qslot)s));
        cJSON_AddNumberToObject(e, "rows", mq->rows);
        cJSON_AddNumberToObject(e, "cols", mq->cols);
        cJSON_AddNumberToObject(e, "bits", mq->wbits);
        cJSON_AddNumberToObject(e, "q", mq->q);
        cJSON_AddStringToObject(e, "layout", kml_mat_layout_name(mq->layout));
        cJSON_AddNumberToObject(e, "bytes", kml_mat_flash_bytes_q(mq));
        cJSON_AddItemToArray(ms, e);
    }
}

void kml_qcompare_json(cJSON *o, const kml_qcompare *c)
{
    double n = c->n ? c->n : 1;
    cJSON_AddNumberToObject(o, "accuracy", c->correct_int / n);
    cJSON_AddNumberToObject(o, "float_accuracy", c->correct_float / n);
    cJSON_AddNumberToObject(o, "disagreements", c->disagreements);
    cJSON_AddNumberToObject(o, "n", c->n);
}

int kml_eval_quantized(const char *model_path, const kml_model *m, const kml_data *data, int json)
{
    kml_qmodel qm;
    kml_qcompare c;
    kml_error err = {{0}};
    if (kml_qmodel_read(model_path, &qm, &err)) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        return 1;
    }
    if (data->test.n == 0 || kml_qcompare_run(m, &qm, &data->test, &c, &err)) {
        fprintf(stderr, "kiloml: %s: %s\n", model_path, data->test.n ? err.msg : "the test split is empty");
        kml_qmodel_free(&qm);
        return 1;
    }
    if (json) {
        cJSON *o = cJSON_CreateObject();
        kml_qcompare_json(o, &c);
        kml_qreport_json(o, m, &qm);
        cJSON_AddBoolToObject(o, "quantized", 1);
        kml_cli_json_print(o);
    } else {
        kml_qreport_text(stdout, m, &qm);
        printf("test (%d series%s):   float accuracy %.4f   integer accuracy %.4f   disagreements %d\n", c.n,
               data->test_held_out ? ", held-out split" : "", (double)c.correct_float / c.n,
               (double)c.correct_int / c.n, c.disagreements);
    }
    kml_qmodel_free(&qm);
    return 0;
}
