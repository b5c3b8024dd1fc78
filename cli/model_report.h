/* cli/model_report.h: what `train` and `eval` print about a model (shapes, sizes, MACs). */
#ifndef KILOML_CLI_MODEL_REPORT_H
#define KILOML_CLI_MODEL_REPORT_H

#include <stdio.h>
#include <cjson/cJSON.h>

#include "kiloml/model.h"

/* Bytes as the paper counts them: a matrix of density < 0.5 costs nnz × (4-byte value + 2-byte
 * index), else rows × cols × 4. */
size_t kml_report_paper_bytes(const kml_model *m);
/* Human summary: cell, parameter count, bytes, per-matrix shape and density, MACs per step. */
void kml_report_model(FILE *f, const kml_model *m);
/* params, model_bytes, paper_bytes, nnz, macs_per_step into a JSON object. */
void kml_report_model_json(cJSON *o, const kml_model *m);
/* o as one line on stdout (a command's --json answer); o is deleted */
void kml_cli_json_print(cJSON *o);

#endif
