/* cli/train_qat.h: `kiloml train --qat`: a quantization-aware last phase (fake-quantized weights with a
 * straight-through gradient, quantSigm / quantTanh throughout), then the integer model is made
 * (kml_quantize on the training split) and written into the same .kml as its /quant group. */
#ifndef KILOML_CLI_TRAIN_QAT_H
#define KILOML_CLI_TRAIN_QAT_H

#include <stdio.h>
#include <cjson/cJSON.h>

#include "kiloml/fakequant.h"
#include "kiloml/quantize.h"
#include "kiloml/trainer.h"
#include "quant_report.h"

#define KML_QAT_HELP                                                                                  \
    "  --qat                 quantization-aware training: the last --qat-epochs epochs run on weights\n" \
    "                        rounded to the integer grid (straight-through gradient) with quantsigm\n" \
    "                        (or --gate-nonlin hardsigm) / quanttanh (fastrnn / fastgrnn only); the\n" \
    "                        integer model is then written\n" \
    "                        into MODEL.kml (as kiloml quantize would)\n"                               \
    "  --qat-pwl all|phase|none  all (default): quantsigm / quanttanh in every epoch; phase: sigmoid /\n" \
    "                        tanh until the QAT phase, the PWL forms in it (steadier on long series);\n" \
    "                        none: keep --gate-nonlin sigmoid / --update-nonlin tanh throughout: the\n" \
    "                        integer model computes them by table (kml_tanh_q / kml_sigm_q)\n"       \
    "  --qat-epochs N        epochs of the QAT phase (default: the last third)\n"                      \
    "  --qat-bits 8|16       weight width for QAT and the integer model (default 8)\n"                 \
    "  --sparse-format auto|csc|bitmap   storage of the integer model's sparse matrices (default auto:\n" \
    "                        the smaller in flash per matrix, as kiloml quantize)\n"

enum { KML_QAT_PWL_ALL = 0, KML_QAT_PWL_PHASE, KML_QAT_PWL_NONE };

typedef struct kml_cli_qat {
    int on, epochs, bits;
    kml_sparse_fmt sparse_fmt;
    int pwl;              /* --qat-pwl: KML_QAT_PWL_ALL (default), _PHASE or _NONE */
    kml_fakequant fq;
    kml_qmodel qm;
    int have_q;
    kml_quant_report rep;
    kml_qcompare cmp;
} kml_cli_qat;

void kml_cli_qat_init(kml_cli_qat *q);
/* Check the model configuration, switch to the PWL nonlinearities, install the hook in tc. */
int kml_cli_qat_setup(kml_cli_qat *q, kml_train_config *tc, kml_error *err);
/* After training: the integer model and its comparison with the float one on the test split. */
int kml_cli_qat_finish(kml_cli_qat *q, const kml_model *m, const kml_data *data, int verbose, kml_error *err);
void kml_cli_qat_print(FILE *f, const kml_cli_qat *q, const kml_model *m);
void kml_cli_qat_json(cJSON *o, const kml_cli_qat *q, const kml_model *m);
void kml_cli_qat_free(kml_cli_qat *q);

#endif
