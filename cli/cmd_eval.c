/* cli/cmd_eval.c: `kiloml eval MODEL.kml --data FILE`: test accuracy, confusion matrix, per-class
 * recall (or one JSON object with --json). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "commands.h"
#include "data_args.h"
#include "kiloml/model_file.h"
#include "kiloml/trainer.h"
#include "model_report.h"
#include "kiloml/qmodel_file.h"
#include "quant_report.h"

static const char usage[] =
    "usage: kiloml eval MODEL.kml --data FILE [data options] [--json]\n\n"
    "Accuracy of the model on the test split of the data, the confusion matrix (rows: true class,\n"
    "columns: predicted) and the recall of each class.\n"
    "  --json     one JSON object on stdout: accuracy, n, params, model_bytes, nnz, recall, confusion\n"
    "A quantized model (written by kiloml quantize or train --qat) is run with the integer kernels:\n"
    "float and integer accuracy side by side, the disagreements, the exported bytes and the paper's\n"
    "count (--json: accuracy (integer), float_accuracy, disagreements, model_bytes, paper_bytes, nnz, n).\n\n" KML_DATA_HELP;

enum { O_JSON = 1, O_HELP };

static void class_label(const kml_model *m, int c, char *buf, size_t n)
{
    if (m->class_names && m->class_names[c]) snprintf(buf, n, "%s", m->class_names[c]);
    else snprintf(buf, n, "%d", c);
}

int kml_cmd_eval(int argc, char **argv)
{
    static const struct option longopts[] = {
        KML_DATA_LONG_OPTIONS
        {"json", no_argument, NULL, O_JSON},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0}};
    kml_data_opts dopt;
    kml_data_opts_init(&dopt);
    kml_error err = {{0}};
    int json = 0, c;
    const char *model_path = NULL;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        int r = kml_data_arg(c, optarg, &dopt, &err);
        if (r < 0) goto bad;
        if (r > 0) continue;
        switch (c) {
        case O_JSON: json = 1; break;
        case O_HELP: fputs(usage, stdout); return 0;
        case ':': kml_error_set(&err, "%s: missing value", argv[optind - 1]); goto bad;
        default: kml_error_set(&err, "unknown option '%s' (kiloml eval --help)", argv[optind - 1]); goto bad;
        }
    }
    if (optind < argc) model_path = argv[optind++];
    if (optind < argc) { kml_error_set(&err, "unexpected argument '%s'", argv[optind]); goto bad; }
    if (!model_path) { kml_error_set(&err, "MODEL.kml is required (kiloml eval --help)"); goto bad; }
    if (!dopt.path) { kml_error_set(&err, "--data FILE is required"); goto bad; }

    kml_model m;
    if (kml_model_file_read(model_path, &m, NULL, &err)) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        return 1;
    }
    kml_data data;
    if (kml_data_load(&dopt, &data, &err)) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        kml_model_free(&m);
        return 1;
    }
    kml_data_report_split(&dopt, &data);
    if (kml_qmodel_file_has(model_path) == 1) { /* integer model: float and integer side by side */
        int qrc = kml_eval_quantized(model_path, &m, &data, json);
        kml_data_free(&data);
        kml_model_free(&m);
        return qrc;
    }
    const kml_dataset *t = &data.test;
    int C = m.cfg.C, rc = 1;
    int32_t *pred = malloc((size_t)(t->n ? t->n : 1) * sizeof *pred);
    long *conf = calloc((size_t)C * C, sizeof *conf);
    double acc = 0;
    if (!pred || !conf) {
        fprintf(stderr, "kiloml: out of memory\n");
        goto out;
    }
    if (t->n == 0) {
        fprintf(stderr, "kiloml: %s: the test split is empty\n", dopt.path);
        goto out;
    }
    if (kml_evaluate(&m, t, &acc, pred, &err)) {
        fprintf(stderr, "kiloml: %s vs %s: %s\n", model_path, dopt.path, err.msg);
        goto out;
    }
    for (int i = 0; i < t->n; i++) conf[(size_t)t->y[i] * C + pred[i]]++;
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "accuracy", acc);
        cJSON_AddNumberToObject(o, "n", t->n);
        kml_report_model_json(o, &m);
        cJSON *rec = cJSON_AddArrayToObject(o, "recall");
        cJSON *cm = cJSON_AddArrayToObject(o, "confusion");
        for (int a = 0; a < C; a++) {
            long row = 0;
            cJSON *r = cJSON_CreateArray();
            for (int b = 0; b < C; b++) {
                row += conf[(size_t)a * C + b];
                cJSON_AddItemToArray(r, cJSON_CreateNumber((double)conf[(size_t)a * C + b]));
            }
            cJSON_AddItemToArray(cm, r);
            cJSON_AddItemToArray(rec, row ? cJSON_CreateNumber((double)conf[(size_t)a * C + a] / row) : cJSON_CreateNull());
        }
        kml_cli_json_print(o);
    } else {
        kml_report_model(stdout, &m);
        printf("test accuracy: %.4f (%d series of %s%s)\n", acc, t->n, dopt.path,
               data.test_held_out ? ", held-out split" : "");
        printf("confusion matrix (rows true, columns predicted):\n%10s", "");
        char lab[64];
        for (int b = 0; b < C; b++) { class_label(&m, b, lab, sizeof lab); printf(" %8.8s", lab); }
        printf("   recall\n");
        for (int a = 0; a < C; a++) {
            long row = 0;
            class_label(&m, a, lab, sizeof lab);
            printf("%10.10s", lab);
            for (int b = 0; b < C; b++) { printf(" %8ld", conf[(size_t)a * C + b]); row += conf[(size_t)a * C + b]; }
            if (row) printf("   %.4f\n", (double)conf[(size_t)a * C + a] / row);
            else printf("   -\n");
        }
    }
    rc = 0;
out:
    free(pred);
    free(conf);
    kml_data_free(&data);
    kml_model_free(&m);
    return rc;
bad:
    fprintf(stderr, "kiloml: %s\n", err.msg);
    return 2;
}
