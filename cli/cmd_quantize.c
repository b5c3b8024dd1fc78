/* cli/cmd_quantize.c: `kiloml quantize MODEL.kml --calib DATA -o MODEL.q.kml`: calibrate on the
 * training split, search the shifts, write the float model with its /quant group, report the
 * integer model beside the float one on the test split. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "commands.h"
#include "data_args.h"
#include "kiloml/emi_file.h"
#include "num_args.h"
#include "kiloml/model_file.h"
#include "kiloml/qmodel_file.h"
#include "kiloml/quantize.h"
#include "model_report.h"
#include "quant_report.h"

static const char usage[] =
    "usage: kiloml quantize MODEL.kml --calib DATA [data options] -o MODEL.q.kml [options]\n\n"
    "Integer model (int8/int16 weights, int16 state, power-of-two shifts) of a FastRNN / FastGRNN:\n"
    "ranges from the float model on the training split of DATA, then a search over the shifts that\n"
    "minimises disagreement with the float model on a validation carve of the training split.\n"
    "RNN, GRU and LSTM have no integer path.\n"
    "  --calib FILE          calibration data (same as --data; its training split is used)\n"
    "  -o, --output FILE     the quantized model file (float model + /quant group)\n"
    "  --bits 8|16           weight width of every matrix (default 8)\n"
    "  --flash-budget BYTES  choose 8 or 16 bits per matrix to fit BYTES (kml_rnn_flash_bytes_q) with\n"
    "                        the least disagreement; prints the table of assignments tried\n"
    "  --sparse-format auto|csc|bitmap   storage of the sparse matrices: column lists (CSC) or a\n"
    "                        bitmap of the pattern; auto (default) takes the smaller in flash per\n"
    "                        matrix (CSC on a tie: its kernel is faster)\n"
    "  --objective agree|accuracy   search criterion (default agree: fewest disagreements first)\n"
    "  --no-search           keep the formats the ranges give\n"
    "  --max-val N           validation series used by the search (default 1000)\n"
    "  --seed S              seed of the validation carve (default 0)\n"
    "  --json                one JSON object on stdout: accuracy, float_accuracy, disagreements,\n"
    "                        model_bytes, paper_bytes, nnz, n, formats, matrices\n"
    "  --quiet               no progress on stderr\n\n" KML_DATA_HELP;

enum { O_CALIB = 1, O_OUT, O_BITS, O_BUDGET, O_OBJ, O_NOSEARCH, O_MAXVAL, O_SEED, O_JSON, O_QUIET, O_HELP, O_SPFMT };

/* What the quantized file carries beside the float model: /quant, and /emi when the input was an
 * EMI-RNN model (its window, stride, k, negative class, ... are kept, so `kiloml emi eval` and
 * `kiloml export` of the .q.kml know them). */
typedef struct qfile_extra {
    const kml_qmodel *qm;
    const kml_emi_file_attrs *emi; /* NULL: not an EMI model */
} qfile_extra;

static int write_qfile_extra(hid_t file, void *ctx, kml_error *err)
{
    const qfile_extra *x = ctx;
    if (kml_qmodel_file_extra(file, (void *)x->qm, err) != 0) return -1;
    return x->emi ? kml_emi_file_write_extra(file, (void *)x->emi, err) : 0;
}

int kml_cmd_quantize(int argc, char **argv)
{
    static const struct option longopts[] = {
        KML_DATA_LONG_OPTIONS
        {"calib", required_argument, NULL, O_CALIB},
        {"output", required_argument, NULL, O_OUT},
        {"bits", required_argument, NULL, O_BITS},
        {"flash-budget", required_argument, NULL, O_BUDGET},
        {"objective", required_argument, NULL, O_OBJ},
        {"sparse-format", required_argument, NULL, O_SPFMT},
        {"no-search", no_argument, NULL, O_NOSEARCH},
        {"max-val", required_argument, NULL, O_MAXVAL},
        {"seed", required_argument, NULL, O_SEED},
        {"json", no_argument, NULL, O_JSON},
        {"quiet", no_argument, NULL, O_QUIET},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0}};
    kml_data_opts dopt;
    kml_data_opts_init(&dopt);
    kml_quant_opts qo;
    kml_quant_opts_init(&qo);
    kml_error err = {{0}};
    int json = 0, quiet = 0, c;
    long v = 0;
    const char *model_path = NULL, *out_path = NULL;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
        int r = kml_data_arg(c, optarg, &dopt, &err);
        if (r < 0) goto bad;
        if (r > 0) continue;
        switch (c) {
        case O_CALIB: dopt.path = optarg; break;
        case 'o':
        case O_OUT: out_path = optarg; break;
        case O_BITS:
            if (kml_arg_long("bits", optarg, 8, 16, &v, &err)) goto bad;
            if (v != 8 && v != 16) {
                kml_error_set(&err, "--bits: 8 or 16, got %ld", v);
                goto bad;
            }
            qo.bits = (int)v;
            break;
        case O_BUDGET:
            if (kml_arg_long("flash-budget", optarg, 1, 100000000L, &v, &err)) goto bad;
            qo.flash_budget = v;
            break;
        case O_OBJ:
            if (strcmp(optarg, "agree") == 0) qo.objective = KML_QOBJ_AGREE;
            else if (strcmp(optarg, "accuracy") == 0) qo.objective = KML_QOBJ_ACCURACY;
            else {
                kml_error_set(&err, "--objective: agree or accuracy, got '%s'", optarg);
                goto bad;
            }
            break;
        case O_SPFMT:
            if (kml_sparse_fmt_parse(optarg, &qo.sparse_fmt)) {
                kml_error_set(&err, "--sparse-format: auto, csc or bitmap, got '%s'", optarg);
                goto bad;
            }
            break;
        case O_NOSEARCH: qo.search = 0; break;
        case O_MAXVAL:
            if (kml_arg_long("max-val", optarg, 1, 10000000L, &v, &err)) goto bad;
            qo.max_val = (int)v;
            break;
        case O_SEED:
            if (kml_arg_long("seed", optarg, 0, 0x7fffffffL, &v, &err)) goto bad;
            qo.seed = (uint64_t)v;
            break;
        case O_JSON: json = 1; break;
        case O_QUIET: quiet = 1; break;
        case O_HELP: fputs(usage, stdout); return 0;
        case ':': kml_error_set(&err, "%s: missing value", argv[optind - 1]); goto bad;
        default: kml_error_set(&err, "unknown option '%s' (kiloml quantize --help)", argv[optind - 1]); goto bad;
        }
    }
    if (optind < argc) model_path = argv[optind++];
    if (optind < argc) {
        kml_error_set(&err, "unexpected argument '%s'", argv[optind]);
        goto bad;
    }
    if (!model_path) {
        kml_error_set(&err, "MODEL.kml is required (kiloml quantize --help)");
        goto bad;
    }
    if (!dopt.path) {
        kml_error_set(&err, "--calib DATA is required");
        goto bad;
    }
    if (!out_path) {
        kml_error_set(&err, "-o MODEL.q.kml is required");
        goto bad;
    }
    qo.log = quiet ? NULL : stderr;

    kml_model m;
    kml_train_summary sum;
    if (kml_model_file_read(model_path, &m, &sum, &err)) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        return 1;
    }
    if (kml_qmodel_supported(&m, &err)) {
        fprintf(stderr, "kiloml: %s: %s\n", model_path, err.msg);
        kml_model_free(&m);
        return 1;
    }
    kml_emi_file_attrs emi;
    const int is_emi = kml_emi_file_has(model_path) == 1;
    if (is_emi && kml_emi_file_read(model_path, &emi, &err)) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        kml_model_free(&m);
        return 1;
    }
    kml_data data;
    if (kml_data_load(&dopt, &data, &err)) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        kml_model_free(&m);
        return 1;
    }
    int rc = 1;
    kml_qmodel qm;
    kml_quant_report rep;
    kml_qcompare cmp = {0, 0, 0, 0};
    if (kml_quantize(&m, &data.train, &qo, &qm, &rep, &err)) {
        fprintf(stderr, "kiloml: %s: %s\n", model_path, err.msg);
        goto out;
    }
    if (data.test.n > 0 && kml_qcompare_run(&m, &qm, &data.test, &cmp, &err)) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        goto out_q;
    }
    qfile_extra extra = {&qm, is_emi ? &emi : NULL};
    if (kml_model_file_write(out_path, &m, &sum, write_qfile_extra, &extra, &err)) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        goto out_q;
    }
    if (json) {
        cJSON *o = cJSON_CreateObject();
        kml_qcompare_json(o, &cmp);
        kml_qreport_json(o, &m, &qm);
        cJSON_AddNumberToObject(o, "val_n", rep.n_val);
        cJSON_AddNumberToObject(o, "val_float_correct", rep.val_correct_float);
        cJSON_AddNumberToObject(o, "val_int_correct", rep.val_correct_int);
        cJSON_AddNumberToObject(o, "val_disagreements", rep.val_disagree);
        cJSON_AddNumberToObject(o, "candidates", rep.candidates);
        cJSON_AddStringToObject(o, "output", out_path);
        kml_cli_json_print(o);
    } else {
        kml_qreport_text(stdout, &m, &qm);
        printf("validation carve (%d training series): float %d correct, integer %d correct, %d disagreements "
               "(%d integer models scored)\n",
               rep.n_val, rep.val_correct_float, rep.val_correct_int, rep.val_disagree, rep.candidates);
        if (cmp.n)
            printf("test (%d series%s): float accuracy %.4f, integer accuracy %.4f, %d disagreements\n", cmp.n,
                   data.test_held_out ? ", held-out split" : "", (double)cmp.correct_float / cmp.n,
                   (double)cmp.correct_int / cmp.n, cmp.disagreements);
        printf("wrote %s\n", out_path);
    }
    rc = 0;
out_q:
    kml_qmodel_free(&qm);
out:
    kml_data_free(&data);
    kml_model_free(&m);
    return rc;
bad:
    fprintf(stderr, "kiloml: %s\n", err.msg);
    return 2;
}
