/* cli/cmd_export.c: `kiloml export MODEL.kml -o model.h [--target T] [--name PREFIX] [--test-steps N]`:
 * write the C header that runs the model with deploy/ (see kiloml/header.h). A model file holding
 * the quantizer's integer model (/quant) is exported on the integer path unless --float is given;
 * that path needs quantize/'s reader (kiloml/qmodel_file.h) and is compiled in when it exists.
 * With --measure [--json], the header is also built into firmware and run on the simulated chip
 * (kiloml/measure.h, export/src/measure.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "commands.h"
#include "data_args.h"
#include "kiloml/emi_file.h"
#include "kiloml/header.h"
#include "kiloml/measure.h"
#include "kiloml/model_file.h"
#if defined(__has_include)
#if __has_include("kiloml/qmodel_file.h")
#include "kiloml/qmodel_file.h"
#define KML_EXPORT_INTEGER 1
#endif
#endif

static void usage(FILE *f)
{
    fprintf(f, "usage: kiloml export MODEL.kml -o HEADER.h [--target host|atmega328p|cortex-m0plus] [--name PREFIX]\n"
               "  Write one C header with the model's weights (in flash; PROGMEM on AVR), dims, shifts, normalisation,\n"
               "  <PREFIX>_RAM_BYTES / <PREFIX>_FLASH_BYTES and a test input with its expected output.\n"
               "  -o, --output FILE     header to write (written to a temporary, then renamed)\n"
               "  --target T            host (default), atmega328p or cortex-m0plus: the model must fit the\n"
               "                        chip's 32 KB flash / 2 KB RAM or nothing is written\n"
               "  --name PREFIX         prefix of every symbol (a C identifier; default KML_MODEL)\n"
               "  --test-steps N        length of the self-check input (default 16)\n"
               "  --seed N              seed of the generated self-check input (default 1)\n"
               "  --float               export the float model even when the file holds an integer one\n"
               "  --emi-threshold P     an EMI-RNN model (`kiloml emi train`, or its .q.kml): its window, stride,\n"
               "                        k, negative class and series length are written as <PREFIX>_EMI_* defines,\n"
               "                        with the early-exit confidence P (default 0.99) as <PREFIX>_EMI_P and\n"
               "                        <PREFIX>_EMI_P_Q15 (round(P * 32768), kml_emi_stream_init_q's argument)\n"
               "  --measure             build the header into firmware for --target (atmega328p or cortex-m0plus),\n"
               "                        run it in the simulator (simavr at 16 MHz / QEMU micro:bit) on the header's\n"
               "                        test input and up to 24 more random windows of --test-steps steps (give the\n"
               "                        model's real window length; --data: real test windows), and print flash_bytes (firmware without the test data),\n"
               "                        ram_bytes (static + stack peak), stack_bytes, cycles_per_step, ms_per_window\n"
               "                        (16 MHz AVR, exact cycles; 48 MHz M0+, estimated from instruction timings),\n"
               "                        agree and n (windows whose device result equals the host build's),\n"
               "                        selfcheck (the header's own test output reproduced; -1/null when the test\n"
               "                        data had to be left out to fit the flash). Exit 1 if agree < n.\n"
               "  --data FILE [data options]\n"
               "                        with --measure and an integer model: run the first --windows windows of the\n"
               "                        data's TEST split (the split `kiloml eval` uses; raw inputs converted to\n"
               "                        int16 exactly as the host integer evaluation does) through the firmware,\n"
               "                        streamed in through the chip's UART, instead of random windows; also print\n"
               "                        device_accuracy, host_accuracy (host integer evaluation, `kiloml eval`'s,\n"
               "                        on the same windows) and agree = windows whose device class, logits and final\n"
               "                        hidden state equal the host build's (and whose class equals the host\n"
               "                        evaluation's), of n. Exit 1 if agree < n.\n"
               "  --windows N           test windows to run with --data (default 100; 0 = the whole test split)\n"
               "  --json                print the results as one JSON object on stdout\n\n" KML_DATA_HELP);
}

/* Real test windows for --measure --data: the first n of the test split, and the host integer
 * evaluation's classes on them (kml_qmodel_predict, as `kiloml eval`). */
typedef struct {
    const kml_dataset *test;
    const char *path;
    int n;
    int32_t *ref_pred, *dev_pred, *host_pred;
    uint8_t *same;
    int dev_correct, host_correct, agree;
} export_windows;

static void free_windows(kml_data *data, export_windows *ew)
{
    free(ew->ref_pred);
    free(ew->dev_pred);
    free(ew->host_pred);
    free(ew->same);
    kml_data_free(data);
}

#ifdef KML_EXPORT_INTEGER
/* Load the data, take the first n windows of its test split (n = 0: all) and run the host
 * integer evaluation on them. */
static int prepare_windows(const kml_qmodel *qm, const kml_data_opts *dopt, int n, kml_data *data, export_windows *ew,
                           kml_error *err)
{
    if (kml_data_load(dopt, data, err)) return -1;
    kml_data_report_split(dopt, data);
    const kml_dataset *t = &data->test;
    if (t->n == 0) {
        kml_data_free(data);
        return kml_error_set(err, "export: %s: the test split is empty", dopt->path);
    }
    if (t->T > 65535) {
        kml_data_free(data);
        return kml_error_set(err, "export: %s: series of %d steps are too long to stream", dopt->path, t->T);
    }
    ew->test = t;
    ew->path = dopt->path;
    ew->n = n == 0 || n > t->n ? t->n : n;
    if (n > t->n)
        fprintf(stderr, "kiloml: export: --windows %d, but the test split of %s has %d: running all %d\n", n, dopt->path,
                t->n, t->n);
    ew->ref_pred = malloc((size_t)ew->n * sizeof *ew->ref_pred);
    ew->dev_pred = malloc((size_t)ew->n * sizeof *ew->dev_pred);
    ew->host_pred = malloc((size_t)ew->n * sizeof *ew->host_pred);
    ew->same = calloc((size_t)ew->n, 1);
    if (!ew->ref_pred || !ew->dev_pred || !ew->host_pred || !ew->same) {
        free_windows(data, ew);
        return kml_error_set(err, "export: out of memory");
    }
    kml_dataset first = *t; /* a view of the first n windows */
    first.n = ew->n;
    if (kml_qmodel_predict(qm, &first, ew->ref_pred, err)) {
        kml_error_prefix(err, "export: %s", dopt->path);
        free_windows(data, ew);
        return -1;
    }
    return 0;
}
#endif

/* --measure: run the header just written on the simulated target and print the figures. */
static int kml_export_measure(const char *header, const kml_header_opts *hopt, int json, export_windows *ew)
{
    kml_measure_opts mo;
    kml_measure_opts_init(&mo);
    mo.target = hopt->target;
    mo.header = header;
    mo.name = hopt->name;
    if (ew) {
        mo.input_x = ew->test->X;
        mo.input_len = ew->test->len;
        mo.input_T = ew->test->T;
        mo.input_n = ew->n;
        mo.T = ew->test->T;
        mo.dev_pred = ew->dev_pred;
        mo.host_pred = ew->host_pred;
        mo.same = ew->same;
    }
    kml_measure_result r;
    kml_error err = {{0}};
    if (!json)
        fprintf(stderr, "kiloml: measuring %s on simulated %s (%s) ...\n", header, kml_target_name(hopt->target),
                ew ? "test windows streamed through the UART" : "random windows");
    if (kml_measure(&mo, &r, &err)) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        return 1;
    }
    if (ew) {
        /* agree: the device's line (class, logits, final h) equals the host build's, and its
         * class equals the host integer evaluation's */
        ew->dev_correct = ew->host_correct = ew->agree = 0;
        for (int i = 0; i < ew->n; i++) {
            int32_t y = ew->test->y[i];
            ew->dev_correct += ew->dev_pred[i] == y;
            ew->host_correct += ew->ref_pred[i] == y;
        }
        for (int i = 0; i < ew->n; i++) ew->agree += ew->same[i] && ew->dev_pred[i] == ew->ref_pred[i];
        /* n, agree: the data windows only (the header's own test window is the selfcheck) */
        r.n = ew->n;
        r.agree = ew->agree;
    }
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "target", r.target);
        cJSON_AddStringToObject(o, "header", header);
        cJSON_AddNumberToObject(o, "flash_bytes", r.flash_bytes);
        cJSON_AddNumberToObject(o, "ram_bytes", r.ram_bytes);
        cJSON_AddNumberToObject(o, "ram_static_bytes", r.ram_static_bytes);
        cJSON_AddNumberToObject(o, "stack_bytes", r.stack_bytes);
        cJSON_AddNumberToObject(o, "cycles_per_step", (double)r.cycles_per_step);
        cJSON_AddNumberToObject(o, "cycles_per_window", (double)r.cycles_per_window);
        if (!r.cycles_exact) cJSON_AddNumberToObject(o, "insns_per_step", (double)r.insns_per_step);
        cJSON_AddBoolToObject(o, "cycles_exact", r.cycles_exact);
        cJSON_AddNumberToObject(o, "clock_mhz", r.clock_mhz);
        cJSON_AddNumberToObject(o, "ms_per_window", r.ms_per_window);
        cJSON_AddNumberToObject(o, "agree", r.agree);
        cJSON_AddNumberToObject(o, "n", r.n);
        if (r.selfcheck >= 0) cJSON_AddBoolToObject(o, "selfcheck", r.selfcheck);
        else cJSON_AddNullToObject(o, "selfcheck");
        cJSON_AddNumberToObject(o, "extra_windows", r.extra_windows);
        cJSON_AddBoolToObject(o, "fits", r.fits);
        if (ew) {
            cJSON_AddStringToObject(o, "data", ew->path);
            cJSON_AddNumberToObject(o, "device_accuracy", (double)ew->dev_correct / ew->n);
            cJSON_AddNumberToObject(o, "host_accuracy", (double)ew->host_correct / ew->n);
            cJSON_AddNumberToObject(o, "device_correct", ew->dev_correct);
            cJSON_AddNumberToObject(o, "host_correct", ew->host_correct);
        }
        char *text = cJSON_Print(o);
        if (text) printf("%s\n", text);
        cJSON_free(text);
        cJSON_Delete(o);
    } else {
        kml_measure_print(stdout, &r);
        if (ew) {
            printf("data=%s (first %d windows of the test split)\n", ew->path, ew->n);
            printf("device_accuracy=%.4f\n", (double)ew->dev_correct / ew->n);
            printf("host_accuracy=%.4f\n", (double)ew->host_correct / ew->n);
            printf("accuracy on the desktop (host integer build) %.4f (%d/%d), on the simulated %s %.4f (%d/%d); "
                   "%d of %d windows bit-identical (class, logits, final hidden state)\n",
                   (double)ew->host_correct / ew->n, ew->host_correct, ew->n, r.target,
                   (double)ew->dev_correct / ew->n, ew->dev_correct, ew->n, ew->agree, ew->n);
        }
    }
    if (r.agree < r.n) {
        fprintf(stderr, "kiloml: export: the device disagrees with the host build on %d of %d windows\n", r.n - r.agree,
                r.n);
        return 1;
    }
    return 0;
}

int kml_cmd_export(int argc, char **argv)
{
    enum {
        OPT_TARGET = 256, OPT_NAME, OPT_STEPS, OPT_SEED, OPT_FLOAT, OPT_HELP, OPT_MEASURE, OPT_JSON, OPT_WINDOWS,
        OPT_EMI_P
    };
    static const struct option longopts[] = {KML_DATA_LONG_OPTIONS
                                             {"output", required_argument, NULL, 'o'},
                                             {"windows", required_argument, NULL, OPT_WINDOWS},
                                             {"target", required_argument, NULL, OPT_TARGET},
                                             {"name", required_argument, NULL, OPT_NAME},
                                             {"test-steps", required_argument, NULL, OPT_STEPS},
                                             {"seed", required_argument, NULL, OPT_SEED},
                                             {"float", no_argument, NULL, OPT_FLOAT},
                                             {"help", no_argument, NULL, OPT_HELP},
                                             {"measure", no_argument, NULL, OPT_MEASURE},
                                             {"json", no_argument, NULL, OPT_JSON},
                                             {"emi-threshold", required_argument, NULL, OPT_EMI_P},
                                             {NULL, 0, NULL, 0}};
    kml_header_opts opt;
    kml_header_opts_init(&opt);
    const char *out = NULL;
    int c, force_float = 0, measure = 0, json = 0, n_windows = 100, windows_given = 0, emi_p_given = 0;
    double emi_p = 0.99;
    kml_data_opts dopt;
    kml_data_opts_init(&dopt);
    kml_error err = {{0}};
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        char *end;
        int dr = kml_data_arg(c, optarg, &dopt, &err);
        if (dr < 0) {
            fprintf(stderr, "kiloml: export: %s\n", err.msg);
            return 2;
        }
        if (dr > 0) continue;
        switch (c) {
        case OPT_WINDOWS:
            windows_given = 1;
            n_windows = (int)strtol(optarg, &end, 10);
            if (*end || end == optarg || n_windows < 0 || n_windows > 65535) {
                fprintf(stderr, "kiloml: export: --windows expects an integer in 0..65535 (0 = all), got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'o': out = optarg; break;
        case OPT_TARGET:
            if (kml_target_parse(optarg, &opt.target)) {
                fprintf(stderr, "kiloml: export: unknown --target '%s' (host, atmega328p, cortex-m0plus)\n", optarg);
                return 2;
            }
            break;
        case OPT_NAME: opt.name = optarg; break;
        case OPT_STEPS:
            opt.test_T = (int)strtol(optarg, &end, 10);
            if (*end || end == optarg || opt.test_T < 1 || opt.test_T > 4096) {
                fprintf(stderr, "kiloml: export: --test-steps expects an integer in 1..4096, got '%s'\n", optarg);
                return 2;
            }
            break;
        case OPT_SEED:
            opt.seed = strtoull(optarg, &end, 10);
            if (*end || end == optarg) {
                fprintf(stderr, "kiloml: export: --seed expects a non-negative integer, got '%s'\n", optarg);
                return 2;
            }
            break;
        case OPT_FLOAT: force_float = 1; break;
        case OPT_EMI_P:
            emi_p_given = 1;
            emi_p = strtod(optarg, &end);
            if (*end || end == optarg || !(emi_p > 0.0 && emi_p <= 1.0)) {
                fprintf(stderr, "kiloml: export: --emi-threshold expects a confidence in (0, 1], got '%s'\n", optarg);
                return 2;
            }
            break;
        case OPT_MEASURE: measure = 1; break;
        case OPT_JSON: json = 1; break;
        case 'h':
        case OPT_HELP: usage(stdout); return 0;
        default:
            fprintf(stderr, "kiloml: export: unknown or incomplete option '%s'\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1 || !out) {
        fprintf(stderr, "kiloml: export: expected one MODEL.kml and -o HEADER.h\n");
        usage(stderr);
        return 2;
    }
    const char *in = argv[optind];
    if (windows_given && !dopt.path) {
        fprintf(stderr, "kiloml: export: --windows counts test windows of --data FILE; give --data too\n");
        return 2;
    }
    if (dopt.path && !measure) {
        fprintf(stderr, "kiloml: export: --data is for --measure (test windows to run on the simulated chip)\n");
        return 2;
    }
    if (measure && kml_measure_available(opt.target, &err)) {
        fprintf(stderr, "kiloml: export: %s\n", err.msg);
        return 2;
    }
    kml_model m;
    if (kml_model_file_read(in, &m, NULL, &err)) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        return 1;
    }
    kml_header_emi emi;
    if (kml_emi_file_has(in) == 1) {
        kml_emi_file_attrs ea;
        if (kml_emi_file_read(in, &ea, &err)) {
            fprintf(stderr, "kiloml: %s\n", err.msg);
            kml_model_free(&m);
            return 1;
        }
        emi = (kml_header_emi){ea.T, ea.window, ea.stride, ea.k, ea.negative, emi_p};
        opt.emi = &emi;
    } else if (emi_p_given) {
        fprintf(stderr, "kiloml: export: --emi-threshold is for EMI-RNN models; %s has no /emi group\n", in);
        kml_model_free(&m);
        return 2;
    }
    opt.source = in;
    if (!opt.class_names && m.class_names) opt.class_names = (const char *const *)m.class_names;
    kml_header_figures fig;
    int rc, integer = 0;
    if (dopt.path && (force_float
#ifdef KML_EXPORT_INTEGER
                      || kml_qmodel_file_has(in) != 1
#endif
                      )) {
        fprintf(stderr, "kiloml: export: --data runs the integer model on real windows, but %s\n",
                force_float ? "--float was given" : "the file holds no integer model (/quant: kiloml quantize or train --qat writes one)");
        kml_model_free(&m);
        return 1;
    }
    kml_data data;
    int have_data = 0;
    export_windows ew;
    memset(&ew, 0, sizeof ew);
#ifdef KML_EXPORT_INTEGER
    if (!force_float && kml_qmodel_file_has(in) == 1) {
        kml_qmodel qm;
        integer = 1;
        rc = kml_qmodel_read(in, &qm, &err);
        if (rc == 0) {
            if (dopt.path) { /* the data first: no header is written when it does not fit the model */
                rc = prepare_windows(&qm, &dopt, n_windows, &data, &ew, &err);
                have_data = rc == 0;
            }
            if (rc == 0) rc = kml_header_write_q(out, &qm.q, &opt, &fig, &err);
            kml_qmodel_free(&qm);
        }
    } else
#endif
        rc = kml_header_write_model(out, &m, &opt, &fig, &err);
    (void)force_float;
    kml_model_free(&m);
    if (rc) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        if (have_data) free_windows(&data, &ew);
        return 1;
    }
    fprintf(json ? stderr : stdout,
            "wrote %s: %s %s model for %s, %u bytes of flash (model arrays + descriptor), %u bytes of RAM\n", out,
            opt.name, integer ? "integer" : "float", kml_target_name(opt.target), fig.flash_bytes, fig.ram_bytes);
    if (measure) {
        rc = kml_export_measure(out, &opt, json, have_data ? &ew : NULL);
        if (have_data) free_windows(&data, &ew);
        return rc;
    }
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "header", out);
        cJSON_AddStringToObject(o, "target", kml_target_name(opt.target));
        cJSON_AddBoolToObject(o, "integer", integer);
        cJSON_AddNumberToObject(o, "model_flash_bytes", fig.flash_bytes);
        cJSON_AddNumberToObject(o, "model_ram_bytes", fig.ram_bytes);
        if (opt.emi) {
            cJSON *e = cJSON_AddObjectToObject(o, "emi");
            cJSON_AddNumberToObject(e, "T", opt.emi->T);
            cJSON_AddNumberToObject(e, "window", opt.emi->window);
            cJSON_AddNumberToObject(e, "stride", opt.emi->stride);
            cJSON_AddNumberToObject(e, "k", opt.emi->k);
            cJSON_AddNumberToObject(e, "negative_class", opt.emi->negative);
            cJSON_AddNumberToObject(e, "threshold", opt.emi->p_hat);
            cJSON_AddNumberToObject(e, "threshold_q15", kml_header_emi_p_q15(opt.emi->p_hat));
        }
        char *text = cJSON_Print(o);
        if (text) printf("%s\n", text);
        cJSON_free(text);
        cJSON_Delete(o);
    }
    return 0;
}
