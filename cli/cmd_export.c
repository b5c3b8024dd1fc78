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
               "  --measure             build the header into firmware for --target (atmega328p or cortex-m0plus),\n"
               "                        run it in the simulator (simavr at 16 MHz / QEMU micro:bit) on the header's\n"
               "                        test input and up to 24 more windows of --test-steps steps (give the model's\n"
               "                        real window length), and print flash_bytes (firmware without the test data),\n"
               "                        ram_bytes (static + stack peak), stack_bytes, cycles_per_step, ms_per_window\n"
               "                        (16 MHz AVR, exact cycles; 48 MHz M0+, estimated from instruction timings),\n"
               "                        agree and n (windows whose device result equals the host build's),\n"
               "                        selfcheck (the header's own test output reproduced; -1/null when the test\n"
               "                        data had to be left out to fit the flash). Exit 1 if agree < n.\n"
               "  --json                print the results as one JSON object on stdout\n");
}

/* --measure: run the header just written on the simulated target and print the figures. */
static int kml_export_measure(const char *header, const kml_header_opts *hopt, int json)
{
    kml_measure_opts mo;
    kml_measure_opts_init(&mo);
    mo.target = hopt->target;
    mo.header = header;
    mo.name = hopt->name;
    kml_measure_result r;
    kml_error err = {{0}};
    if (!json) fprintf(stderr, "kiloml: measuring %s on simulated %s ...\n", header, kml_target_name(hopt->target));
    if (kml_measure(&mo, &r, &err)) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        return 1;
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
        char *text = cJSON_Print(o);
        if (text) printf("%s\n", text);
        cJSON_free(text);
        cJSON_Delete(o);
    } else {
        kml_measure_print(stdout, &r);
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
    enum { OPT_TARGET = 256, OPT_NAME, OPT_STEPS, OPT_SEED, OPT_FLOAT, OPT_HELP, OPT_MEASURE, OPT_JSON };
    static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                             {"target", required_argument, NULL, OPT_TARGET},
                                             {"name", required_argument, NULL, OPT_NAME},
                                             {"test-steps", required_argument, NULL, OPT_STEPS},
                                             {"seed", required_argument, NULL, OPT_SEED},
                                             {"float", no_argument, NULL, OPT_FLOAT},
                                             {"help", no_argument, NULL, OPT_HELP},
                                             {"measure", no_argument, NULL, OPT_MEASURE},
                                             {"json", no_argument, NULL, OPT_JSON},
                                             {NULL, 0, NULL, 0}};
    kml_header_opts opt;
    kml_header_opts_init(&opt);
    const char *out = NULL;
    int c, force_float = 0, measure = 0, json = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
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
    kml_error err = {{0}};
    if (measure && kml_measure_available(opt.target, &err)) {
        fprintf(stderr, "kiloml: export: %s\n", err.msg);
        return 2;
    }
    kml_model m;
    if (kml_model_file_read(in, &m, NULL, &err)) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        return 1;
    }
    opt.source = in;
    if (!opt.class_names && m.class_names) opt.class_names = (const char *const *)m.class_names;
    kml_header_figures fig;
    int rc, integer = 0;
#ifdef KML_EXPORT_INTEGER
    if (!force_float && kml_qmodel_file_has(in) == 1) {
        kml_qmodel qm;
        integer = 1;
        rc = kml_qmodel_read(in, &qm, &err);
        if (rc == 0) {
            rc = kml_header_write_q(out, &qm.q, &opt, &fig, &err);
            kml_qmodel_free(&qm);
        }
    } else
#endif
        rc = kml_header_write_model(out, &m, &opt, &fig, &err);
    (void)force_float;
    kml_model_free(&m);
    if (rc) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        return 1;
    }
    fprintf(json ? stderr : stdout,
            "wrote %s: %s %s model for %s, %u bytes of flash (model arrays + descriptor), %u bytes of RAM\n", out,
            opt.name, integer ? "integer" : "float", kml_target_name(opt.target), fig.flash_bytes, fig.ram_bytes);
    if (measure) return kml_export_measure(out, &opt, json);
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "header", out);
        cJSON_AddStringToObject(o, "target", kml_target_name(opt.target));
        cJSON_AddBoolToObject(o, "integer", integer);
        cJSON_AddNumberToObject(o, "model_flash_bytes", fig.flash_bytes);
        cJSON_AddNumberToObject(o, "model_ram_bytes", fig.ram_bytes);
        char *text = cJSON_Print(o);
        if (text) printf("%s\n", text);
        cJSON_free(text);
        cJSON_Delete(o);
    }
    return 0;
}
