/* bench_cells.c: samples/s of one training step's forward + backward (cell, last-step classifier,
 * loss) on random data, at 1 and 2 OpenBLAS threads. Default: the HAR-2 configuration of the
 * FastGRNN paper, FastGRNN T=128 D=9 H=80 rW=5 rU=40, batch 100.
 *
 *   bench_cells [--cell fastgrnn] [--steps 128] [--inputs 9] [--hidden 80] [--rank-w 5] [--rank-u 40]
 *               [--batch 100] [--seconds 3] [--threads 1,2]
 */
#define _POSIX_C_SOURCE 199309L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kiloml/cell.h"
#include "kiloml/model.h"
#include "kiloml/rng.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
static double now(void) { return clock_s(CLOCK_MONOTONIC); }
/* CPU seconds of the whole process (all threads): on a shared machine, samples per CPU second
 * at 1 thread is what the step would do alone. */
static double cpu(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

static int arg_int(const char *name, const char *v)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (*end || x < 0 || x > 1000000) {
        fprintf(stderr, "bench_cells: %s: expected a non-negative integer, got '%s'\n", name, v);
        exit(2);
    }
    return (int)x;
}

int main(int argc, char **argv)
{
    kml_model_config cfg = {KML_CELL_FASTGRNN, 9, 80, 2, 5, 40, KML_NL_SIGMOID, KML_NL_TANH};
    int T = 128, B = 100;
    double seconds = 3;
    const char *threads = "1,2";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "bench_cells: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--cell")) {
            if (kml_cell_parse(v, &cfg.cell)) {
                fprintf(stderr, "bench_cells: --cell: unknown cell '%s'\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--gate-nonlin") || !strcmp(a, "--update-nonlin")) {
            if (kml_nonlin_parse(v, a[2] == 'g' ? &cfg.gate_nl : &cfg.update_nl)) {
                fprintf(stderr, "bench_cells: %s: unknown nonlinearity '%s'\n", a, v);
                return 2;
            }
        } else if (!strcmp(a, "--steps")) T = arg_int(a, v);
        else if (!strcmp(a, "--inputs")) cfg.D = arg_int(a, v);
        else if (!strcmp(a, "--hidden")) cfg.H = arg_int(a, v);
        else if (!strcmp(a, "--rank-w")) cfg.rank_w = arg_int(a, v);
        else if (!strcmp(a, "--rank-u")) cfg.rank_u = arg_int(a, v);
        else if (!strcmp(a, "--batch")) B = arg_int(a, v);
        else if (!strcmp(a, "--seconds")) seconds = atof(v);
        else if (!strcmp(a, "--threads")) threads = v;
        else {
            fprintf(stderr, "bench_cells: unknown option %s\n", a);
            return 2;
        }
    }
    if (T < 1 || B < 1) {
        fprintf(stderr, "bench_cells: --steps and --batch must be >= 1\n");
        return 2;
    }
    kml_model m, g;
    kml_error err;
    if (kml_model_alloc(&m, &cfg, &err) || kml_model_alloc(&g, &cfg, &err)) {
        fprintf(stderr, "bench_cells: %s\n", err.msg);
        return 1;
    }
    kml_model_init_params(&m, 1);
    const size_t TB = (size_t)T * B, H = (size_t)cfg.H, C = (size_t)cfg.C;
    float *X = malloc(TB * cfg.D * sizeof(float));
    float *cache = malloc(kml_cell_cache_floats(&cfg, T, B) * sizeof(float));
    float *scratch = malloc(kml_cell_scratch_floats(&cfg, B) * sizeof(float));
    float *Hs = malloc(TB * H * sizeof(float)), *dHs = calloc(TB * H, sizeof(float));
    float *logits = malloc(B * C * sizeof(float)), *dlogits = malloc(B * C * sizeof(float));
    int32_t *y = malloc(B * sizeof(int32_t));
    if (!X || !cache || !scratch || !Hs || !dHs || !logits || !dlogits || !y) {
        fprintf(stderr, "bench_cells: out of memory\n");
        return 1;
    }
    kml_rng r;
    kml_rng_seed(&r, 2);
    for (size_t i = 0; i < TB * cfg.D; i++) X[i] = (float)kml_rng_normal(&r);
    for (int b = 0; b < B; b++) y[b] = (int32_t)kml_rng_below(&r, (uint32_t)C);

    printf("bench_cells: %s T=%d D=%d H=%d rW=%d rU=%d gate=%s update=%s batch=%d (%ld MACs/step, %s)\n",
           kml_cell_name(cfg.cell), T, cfg.D, cfg.H, cfg.rank_w, cfg.rank_u, kml_nonlin_name(cfg.gate_nl),
           kml_nonlin_name(cfg.update_nl), B, kml_model_macs_per_step(&m), openblas_get_config());
    const char *p = threads;
    while (*p) {
        int nt = atoi(p);
        if (nt < 1) nt = 1;
        openblas_set_num_threads(nt);
        float *hlast = Hs + (size_t)(T - 1) * B * H, *dlast = dHs + (size_t)(T - 1) * B * H;
        double t0 = now(), c0 = cpu(), tf = 0, t;
        long iters = 0;
        do {
            double a = now();
            kml_cell_forward(&m, X, T, B, cache, Hs);
            kml_classifier_forward(&m, hlast, B, logits);
            tf += now() - a;
            kml_softmax_xent(logits, y, NULL, B, (int)C, dlogits);
            kml_classifier_backward(&m, hlast, dlogits, B, dlast, &g);
            kml_cell_backward(&m, X, T, B, cache, Hs, dHs, scratch, &g);
            iters++;
            t = now() - t0;
        } while (t < seconds || iters < 2);
        const double tc = cpu() - c0;
        printf("threads %d: %ld batches in %.2f s: %.0f samples/s forward+backward (forward alone %.0f samples/s, "
               "%.1f ms/batch); per CPU second: %.0f samples\n",
               nt, iters, t, (double)iters * B / t, (double)iters * B / tf, 1e3 * t / (double)iters,
               (double)iters * B / tc);
        while (*p && *p != ',') p++;
        if (*p == ',') p++;
    }
    free(X); free(cache); free(scratch); free(Hs); free(dHs); free(logits); free(dlogits); free(y);
    kml_model_free(&m);
    kml_model_free(&g);
    return 0;
}
