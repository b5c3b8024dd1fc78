/* gen_headers.c: build-time tool of the header test (tests/header.cmake). Writes three headers into
 * the folder given: GA.h (a float FastGRNN from a kml_model: low-rank sparse W, normalisation),
 * QB.h and QR.h (the golden integer FastGRNN / FastRNN of tests/golden). two_models.c compiles
 * all three into one program and runs each on its own test vector. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiloml/header.h"
#include "golden/deploy_q_models.h"

static int float_model(const char *dir)
{
    kml_model_config cfg = {.cell = KML_CELL_FASTGRNN, .D = 6, .H = 12, .C = 3, .rank_w = 3, .rank_u = 0,
                            .gate_nl = KML_NL_SIGMOID, .update_nl = KML_NL_TANH};
    kml_model m;
    kml_error err = {{0}};
    if (kml_model_alloc(&m, &cfg, &err)) return fprintf(stderr, "gen_headers: %s\n", err.msg), -1;
    kml_model_init_params(&m, 42);
    /* prune W1 and U as IHT would, so both column-list paths are exported */
    for (int k = 0; k < m.shape[KML_P_W1].rows * m.shape[KML_P_W1].cols; k++)
        if (k % 3) m.p[KML_P_W1][k] = 0.0f;
    for (int k = 0; k < m.shape[KML_P_U].rows * m.shape[KML_P_U].cols; k++)
        if (k % 5) m.p[KML_P_U][k] = 0.0f;
    m.norm.mode = KML_NORM_PER_FEATURE;
    m.norm.F = cfg.D;
    m.norm.mean = malloc(sizeof(float) * cfg.D);
    m.norm.std = malloc(sizeof(float) * cfg.D);
    for (int i = 0; i < cfg.D; i++) m.norm.mean[i] = 0.5f * (float)i, m.norm.std[i] = 1.0f + 0.25f * (float)i;
    char path[4096];
    snprintf(path, sizeof path, "%s/GA.h", dir);
    kml_header_opts o;
    kml_header_opts_init(&o);
    o.name = "GA";
    o.target = KML_TARGET_ATMEGA328P;
    o.test_T = 12;
    int rc = kml_header_write_model(path, &m, &o, NULL, &err);
    kml_model_free(&m);
    if (rc) fprintf(stderr, "gen_headers: %s\n", err.msg);
    return rc;
}

static int int_model(const char *dir, const char *name, const kml_rnn_q *m, const int16_t *X)
{
    char path[4096];
    kml_error err = {{0}};
    snprintf(path, sizeof path, "%s/%s.h", dir, name);
    kml_header_opts o;
    kml_header_opts_init(&o);
    o.name = name;
    o.target = KML_TARGET_CORTEX_M0PLUS;
    o.test_T = 4;
    o.test_x_q = X;
    if (kml_header_write_q(path, m, &o, NULL, &err)) return fprintf(stderr, "gen_headers: %s\n", err.msg), -1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) return fprintf(stderr, "usage: gen_headers DIR\n"), 2;
    kml_rnn_q qb = model_ga(), qr = model_ra();
    if (float_model(argv[1]) || int_model(argv[1], "QB", &qb, ga_X) || int_model(argv[1], "QR", &qr, NULL)) return 1;
    return 0;
}
