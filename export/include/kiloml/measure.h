/* kiloml/measure.h: put an exported model header into firmware, run it on the simulated chip
 * and measure it (`kiloml export ... --measure`).
 *
 *   kml_measure_opts o; kml_measure_opts_init(&o);
 *   o.target = KML_TARGET_ATMEGA328P; o.header = "har2.h"; o.name = "HAR2";
 *   kml_measure_result r;
 *   if (kml_measure(&o, &r, &err)) { fprintf(stderr, "kiloml: %s\n", err.msg); ... }
 *   kml_measure_print(stdout, &r);
 *
 * What it does, in a fresh temporary folder (removed afterwards unless o.keep):
 *   1. writes test windows (a seeded random walk per feature, int16 raw inputs in the header's
 *      input format) next to the header's own test input;
 *   2. builds examples/firmware/model_main.c around the header with the cross toolchain
 *      (cmake/avr-gcc.cmake or cmake/arm-none-eabi.cmake), and the same main for the host;
 *   3. runs the image in simavr (tools/simavr_run.c, ATmega328P at 16 MHz: exact cycles) or QEMU
 *      (micro:bit machine with the tools/qemu_insn_plugin.c plugin: exact instruction counts,
 *      Cortex-M0+ cycles estimated from the TRM timings, quoted at 48 MHz);
 *   4. compares every window's result with the host build (cmake/run_sim.cmake) and reads the
 *      sizes (avr-size / arm-none-eabi-size).
 * When the image would not fit the target's flash, it is rebuilt with fewer extra windows, then
 * without the header's own test window (selfcheck = -1), before giving up.
 * The paths of the source tree, the harness, the plugin and the tools are fixed when kiloml is
 * built (cmake/firmware.cmake); kml_measure_available says whether they were found.
 */
#ifndef KILOML_MEASURE_H
#define KILOML_MEASURE_H

#include <stdint.h>
#include <stdio.h>

#include "kiloml/error.h"
#include "kiloml/header.h"
#include "kiloml/rng.h"

typedef struct kml_measure_opts {
    kml_target target;     /* KML_TARGET_ATMEGA328P or KML_TARGET_CORTEX_M0PLUS */
    const char *header;    /* the header `kiloml export` wrote */
    const char *name;      /* the --name PREFIX it was written with */
    int windows;           /* extra test windows (default 24; fewer if they would not fit in flash) */
    int T;                 /* steps per extra window (default: the header's <PREFIX>_TEST_T) */
    uint64_t seed;         /* of the test windows (default 1) */
    int keep;              /* keep the work folder (its path is in the result) */
    int timeout_s;         /* simulator time limit (default 120 s) */
    /* Real windows, streamed (integer headers only): when input_x is set, the firmware is built
     * with KML_STREAM and reads input_n windows through its UART (format in
     * examples/firmware/model_main.c) instead of the random ones: raw float inputs, window i at
     * input_x + i*input_T*D, time-major, input_len[i] steps (NULL: all input_T), converted to
     * int16 in the header's Q_IN by kml_q_input (as the host integer evaluation does). Each
     * window's class goes to dev_pred[i] (device) and host_pred[i] (host build of the same
     * firmware), -1 when missing, and same[i] = 1 when the device's whole result line (class,
     * logits, final hidden state) equals the host build's; arrays of input_n, or NULL. */
    const float *input_x;
    const int32_t *input_len;
    int input_T, input_n;
    int32_t *dev_pred, *host_pred;
    uint8_t *same;
} kml_measure_opts;

typedef struct kml_measure_result {
    char target[16];
    uint32_t flash_bytes;       /* text + data of the image, without the test data (the extra
                                   windows and the header's own test input and output) */
    uint32_t ram_static_bytes;  /* data + bss (model state, scratch, descriptor on AVR, I/O) */
    uint32_t stack_bytes;       /* stack peak seen by the simulator */
    uint32_t ram_bytes;         /* ram_static_bytes + stack_bytes */
    uint64_t cycles_per_step;   /* mean over the steps of the first window */
    uint64_t cycles_per_window; /* mean over the later windows (0 if there were none) */
    uint64_t insns_per_step;    /* Cortex-M0+ only (instruction count, exact) */
    double clock_mhz;           /* 16 (ATmega328P) or 48 (Cortex-M0+, as an Arduino MKR board) */
    double ms_per_window;       /* cycles_per_window at clock_mhz */
    int cycles_exact;           /* 1: simulated cycles (AVR); 0: estimate from instruction timings */
    int agree;                  /* windows whose device result equals the host build's */
    int n;                      /* windows compared (the header's test input + the extra ones) */
    int selfcheck;              /* 1: the device reproduced the header's expected test output,
                                   0: it did not, -1: not run (the test data did not fit) */
    int extra_windows;          /* extra test windows that fitted beside the firmware */
    int fits;                   /* flash <= 32768 and RAM <= 2048 */
    int input_agree;            /* streamed windows whose device line (class, logits, final h)
                                   equals the host build's */
    char work_dir[256];         /* where it was built (removed unless opts.keep) */
} kml_measure_result;

void kml_measure_opts_init(kml_measure_opts *o);

/* 0 when this build of kiloml can measure on target t; else -1 with the reason in err. */
int kml_measure_available(kml_target t, kml_error *err);

/* Build, run, compare, measure. -1 with err set when the measurement could not be made (no
 * toolchain, build failure, simulator crash or timeout); a disagreement or a budget overrun is
 * a result (agree < n, fits = 0), not an error. */
int kml_measure(const kml_measure_opts *o, kml_measure_result *r, kml_error *err);

/* key=value lines: target, flash_bytes, ram_bytes, ram_static_bytes, stack_bytes,
 * cycles_per_step, cycles_per_window, ms_per_window, clock_mhz, cycles (exact|estimate),
 * agree, n, selfcheck, fits. */
void kml_measure_print(FILE *f, const kml_measure_result *r);

/* Test windows as a C header for examples/firmware/model_main.c: n windows of T steps × D
 * features, int16 raw inputs with q fractional bits (|x| <= 6.0), windows numbered from first,
 * drawn from rng (advanced). Written to a temporary and renamed. */
int kml_measure_write_vectors(const char *path, int first, int n, int T, int D, int q, kml_rng *rng,
                              kml_error *err);

/* The stream for opts.input: n windows of raw float inputs x (window i at x + i*T_max*D, its
 * length T[i] steps, time-major [t][d]), each value converted to int16 Q q_in by kml_q_input
 * (the host integer evaluation's converter). Written to a temporary and renamed. */
int kml_measure_write_stream(const char *path, const float *x, const int32_t *T, int T_max, int n, int D,
                             int q_in, kml_error *err);

#endif
