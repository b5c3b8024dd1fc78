/* cli/quant_report.h: what `quantize` and `eval` print about an integer model: the formats, one line
 * per matrix, the sizes (real flash bytes and the paper's count), and the float / integer comparison
 * on a dataset (accuracy of each, disagreements). */
#ifndef KILOML_CLI_QUANT_REPORT_H
#define KILOML_CLI_QUANT_REPORT_H

#include <stdio.h>
#include <cjson/cJSON.h>

#include "kiloml/qmodel.h"

typedef struct kml_qcompare {
    int n, correct_float, correct_int, disagreements;
} kml_qcompare;

/* Float (kml_evaluate: the trainer's forward) and integer (deploy's kernels) predictions on raw d. */
int kml_qcompare_run(const kml_model *m, const kml_qmodel *qm, const kml_dataset *d, kml_qcompare *out,
                     kml_error *err);

void kml_qreport_text(FILE *f, const kml_model *m, const kml_qmodel *qm);
/* formats, matrices, model_bytes, paper_bytes, nnz, weight_bytes into o */
void kml_qreport_json(cJSON *o, const kml_model *m, const kml_qmodel *qm);
/* accuracy (integer), float_accuracy, disagreements, n into o */
void kml_qcompare_json(cJSON *o, const kml_qcompare *c);

/* `kiloml eval` on a file with a /quant group: reads it, compares on data->test, prints (or one JSON
 * object: accuracy, float_accuracy, disagreements, model_bytes, paper_bytes, nnz, n, ...).
 * Returns the exit status. */
int kml_eval_quantized(const char *model_path, const kml_model *m, const kml_data *data, int json);

#endif
