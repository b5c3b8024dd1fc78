/* cli/cmd_export.c: `kiloml export MODEL.kml -o model.h [--target T] [--name PREFIX] [--test-steps N]`:
 * write the C header that runs the model with deploy/ (see kiloml/header.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "kiloml/header.h"
#include "kiloml/model_file.h"

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
               "  --seed N              seed of the generated self-check input (default 1)\n");
}

int kml_cmd_export(int argc, char **argv)
{
    enum { OPT_TARGET = 256, OPT_NAME, OPT_STEPS, OPT_SEED, OPT_HELP };
    static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                             {"target", required_argument, NULL, OPT_TARGET},
                                             {"name", required_argument, NULL, OPT_NAME},
                                             {"test-steps", required_argument, NULL, OPT_STEPS},
                                             {"seed", required_argument, NULL, OPT_SEED},
                                             {"help", no_argument, NULL, OPT_HELP},
                                             {NULL, 0, NULL, 0}};
    kml_header_opts opt;
    kml_header_opts_init(&opt);
    const char *out = NULL;
    int c;
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
    kml_model m;
    if (kml_model_file_read(in, &m, NULL, &err)) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        return 1;
    }
    opt.source = in;
    kml_header_figures fig;
    int rc = kml_header_write_model(out, &m, &opt, &fig, &err);
    kml_model_free(&m);
    if (rc) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        return 1;
    }
    printf("wrote %s: %s float model for %s, %u bytes of flash (model arrays + descriptor), %u bytes of RAM\n", out,
           opt.name, kml_target_name(opt.target), fig.flash_bytes, fig.ram_bytes);
    return 0;
}
