/* test_header.c: the header generator and `kiloml export`:
 *  - parity: the trainer's float forward (kml_cell_forward + kml_classifier_forward, on inputs it
 *    normalises itself) against the deploy float step loop on the exported descriptor, for FastGRNN
 *    and FastRNN, full / low rank, pruned (sparse) matrices, every nonlinearity;
 *  - refusals: bad prefix, cells without a runtime, per-step normalisation, NaN weights, models over
 *    the atmega328p flash or RAM budget; nothing (not even a temporary) is left behind;
 *  - the CLI: .kml in, header out, exit codes and messages. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "kiloml/cell.h"
#include "kiloml/header.h"
#include "kiloml/model_file.h"
#include "kiloml/rng.h"
#include "golden/deploy_q_models.h"
#include "../export/src/header_layout.h"
#if defined(__has_include)
#if __has_include("kiloml/qmodel_file.h")
#include "kiloml/qmodel.h"
#include "kiloml/qmodel_file.h"
#define HAVE_QMODEL 1
#endif
#endif

static char tmpdir[512];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "%s/kml_header_test_XXXXXX", KML_BINARY_DIR);
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    char p[1024];
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name), unlink(p);
    if (d) closedir(d);
    rmdir(tmpdir);
    return 0;
}

static int count_files(void)
{
    int n = 0;
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    if (d) closedir(d);
    return n;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = 0;
    fclose(f);
    return s;
}

static void make_model(kml_model *m, kml_cell_kind cell, int D, int H, int C, int rw, int ru, kml_nonlin g, kml_nonlin u,
                       uint64_t seed)
{
    kml_model_config cfg = {.cell = cell, .D = D, .H = H, .C = C, .rank_w = rw, .rank_u = ru, .gate_nl = g, .update_nl = u};
    kml_error err = {{0}};
    assert_int_equal(kml_model_alloc(m, &cfg, &err), 0);
    kml_model_init_params(m, seed);
    /* move biases and scalars away from their initial constants so every term matters */
    kml_rng r;
    kml_rng_seed(&r, seed + 100);
    for (int id = 0; id < KML_PARAM_COUNT; id++) {
        if (!m->p[id]) continue;
        kml_param_kind k = kml_param_kind_of((kml_param_id)id);
        int n = m->shape[id].rows * m->shape[id].cols;
        for (int i = 0; i < n; i++) {
            if (k == KML_PK_BIAS) m->p[id][i] = (float)(0.5 * kml_rng_normal(&r));
            if (k == KML_PK_SCALAR) m->p[id][i] += (float)(0.5 * kml_rng_normal(&r));
            if (k == KML_PK_W || k == KML_PK_U) m->p[id][i] *= 3.0f; /* pre-activations beyond the clip range */
        }
    }
}

static void prune(kml_model *m, kml_param_id id, int keep_every)
{
    int n = m->shape[id].rows * m->shape[id].cols;
    for (int i = 0; i < n; i++)
        if (i % keep_every) m->p[id][i] = 0.0f;
}

static void add_norm(kml_model *m)
{
    int D = m->cfg.D;
    m->norm.mode = KML_NORM_PER_FEATURE;
    m->norm.F = D;
    m->norm.T = 0;
    m->norm.mean = malloc(sizeof(float) * D);
    m->norm.std = malloc(sizeof(float) * D);
    for (int i = 0; i < D; i++) m->norm.mean[i] = 0.3f * (float)i - 1.0f, m->norm.std[i] = 0.5f + 0.2f * (float)i;
}

/* trainer forward on B sequences vs deploy, returns the largest |logit difference| */
static double parity(const kml_model *m, int T, int B, uint64_t seed)
{
    const int D = m->cfg.D, H = m->cfg.H, C = m->cfg.C;
    kml_rng r;
    kml_rng_seed(&r, seed);
    float *Xraw = malloc(sizeof(float) * T * B * D), *Xn = malloc(sizeof(float) * T * B * D);
    for (int k = 0; k < T * B * D; k++) Xraw[k] = (float)(2.0 * kml_rng_normal(&r));
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            for (int i = 0; i < D; i++) {
                float x = Xraw[(t * B + b) * D + i];
                Xn[(t * B + b) * D + i] = m->norm.mean ? (x - m->norm.mean[i]) / m->norm.std[i] : x;
            }
    float *cache = malloc(sizeof(float) * (kml_cell_cache_floats(&m->cfg, T, B) + 1));
    float *Hs = malloc(sizeof(float) * T * B * H), *ref = malloc(sizeof(float) * B * C);
    kml_cell_forward(m, Xn, T, B, cache, Hs);
    kml_classifier_forward(m, Hs + (size_t)(T - 1) * B * H, B, ref);

    kml_dev_f32 d;
    kml_error err = {{0}};
    assert_int_equal(kml_dev_f32_from_model(m, &d, &err), 0);
    float h[512], buf[2048], logits[64], x[4096];
    kml_rnn_state_f32 st = {h, 512};
    kml_rnn_scratch_f32 sc = {buf, 2048};
    assert_int_equal(kml_rnn_init_f32(&d.m, &st, &sc), KML_OK);
    double worst = 0;
    for (int b = 0; b < B; b++) {
        kml_rnn_reset_f32(&d.m, &st);
        for (int t = 0; t < T; t++) {
            memcpy(x, Xraw + (t * B + b) * D, sizeof(float) * D);
            kml_rnn_step_f32(&d.m, x, &st, &sc);
        }
        kml_rnn_logits_f32(&d.m, &st, logits);
        for (int k = 0; k < C; k++) worst = fmax(worst, fabs(logits[k] - ref[b * C + k]) / (1.0 + fabs(ref[b * C + k])));
    }
    kml_dev_f32_free(&d);
    free(Xraw), free(Xn), free(cache), free(Hs), free(ref);
    return worst;
}

#define PARITY_TOL 1e-5 /* relative to 1 + |logit|: float summation order differs (sgemm vs column dots) */

static void test_parity_fastgrnn(void **state)
{
    (void)state;
    kml_nonlin g[] = {KML_NL_SIGMOID, KML_NL_QUANTSIGM, KML_NL_TANH, KML_NL_QUANTTANH};
    kml_nonlin u[] = {KML_NL_TANH, KML_NL_QUANTTANH, KML_NL_RELU, KML_NL_SIGMOID};
    for (int k = 0; k < 4; k++) {
        kml_model m;
        make_model(&m, KML_CELL_FASTGRNN, 9, 32, 6, k % 2 ? 5 : 0, k >= 2 ? 8 : 0, g[k], u[k], 10 + k);
        if (k == 1) add_norm(&m);
        double w = parity(&m, 50, 3, 7 + k);
        printf("# fastgrnn %s/%s rank %d/%d: max relative logit difference %.2e\n", kml_nonlin_name(g[k]),
               kml_nonlin_name(u[k]), m.cfg.rank_w, m.cfg.rank_u, w);
        assert_true(w < PARITY_TOL);
        kml_model_free(&m);
    }
}

static void test_parity_fastrnn(void **state)
{
    (void)state;
    for (int k = 0; k < 3; k++) {
        kml_model m;
        make_model(&m, KML_CELL_FASTRNN, 7, 24, 4, k == 1 ? 3 : 0, k == 2 ? 6 : 0, KML_NL_SIGMOID,
                   k == 2 ? KML_NL_QUANTTANH : KML_NL_TANH, 20 + k);
        add_norm(&m);
        double w = parity(&m, 60, 2, 30 + k);
        printf("# fastrnn rank %d/%d: max relative logit difference %.2e\n", m.cfg.rank_w, m.cfg.rank_u, w);
        assert_true(w < PARITY_TOL);
        kml_model_free(&m);
    }
}

static void test_parity_pruned_matrices_export_sparse(void **state)
{
    (void)state;
    kml_model m;
    make_model(&m, KML_CELL_FASTGRNN, 9, 40, 2, 5, 10, KML_NL_QUANTSIGM, KML_NL_QUANTTANH, 44);
    prune(&m, KML_P_W1, 5), prune(&m, KML_P_W2, 5), prune(&m, KML_P_U1, 4), prune(&m, KML_P_U2, 3);
    add_norm(&m);
    kml_dev_f32 d;
    kml_error err = {{0}};
    assert_int_equal(kml_dev_f32_from_model(&m, &d, &err), 0);
    assert_int_equal(d.m.W.a.layout, KML_MAT_SPARSE);
    assert_int_equal(d.m.U.b.layout, KML_MAT_SPARSE);
    assert_int_equal(d.m.V.layout, KML_MAT_DENSE);
    /* sparse: W2 is 5 x 40 = 200 entries, one in 5 kept = 40 values * (4 + 1) bytes + 2 * 41 */
    assert_int_equal(kml_mat_flash_bytes_f32(&d.m.W.b), 40 * 5 + 2 * 41);
    kml_dev_f32_free(&d);
    double w = parity(&m, 40, 2, 99);
    printf("# pruned fastgrnn: max relative logit difference %.2e\n", w);
    assert_true(w < PARITY_TOL);
    kml_model_free(&m);
}

static int write_model(const kml_model *m, const char *name, const kml_header_opts *o, kml_error *err)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return kml_header_write_model(path, m, o, NULL, err);
}

static void test_refusals(void **state)
{
    (void)state;
    kml_model m;
    kml_error err = {{0}};
    kml_header_opts o;
    kml_header_opts_init(&o);
    make_model(&m, KML_CELL_FASTGRNN, 4, 8, 2, 0, 0, KML_NL_SIGMOID, KML_NL_TANH, 1);

    o.name = "9lives";
    assert_int_equal(write_model(&m, "a.h", &o, &err), -1);
    assert_non_null(strstr(err.msg, "not a C identifier"));
    o.name = "has-dash";
    assert_int_equal(write_model(&m, "a.h", &o, &err), -1);
    o.name = "OK";
    m.p[KML_P_U][3] = NAN;
    assert_int_equal(write_model(&m, "a.h", &o, &err), -1);
    assert_non_null(strstr(err.msg, "non-finite"));
    m.p[KML_P_U][3] = 0.5f;
    m.norm.mode = KML_NORM_PER_STEP;
    m.norm.T = 3, m.norm.F = 4;
    m.norm.mean = calloc(12, sizeof(float)), m.norm.std = calloc(12, sizeof(float));
    assert_int_equal(write_model(&m, "a.h", &o, &err), -1);
    assert_non_null(strstr(err.msg, "per-feature"));
    assert_int_equal(count_files(), 0); /* no header, no temporary */
    kml_model_free(&m);

    make_model(&m, KML_CELL_LSTM, 4, 8, 2, 0, 0, KML_NL_SIGMOID, KML_NL_TANH, 1);
    assert_int_equal(write_model(&m, "a.h", &o, &err), -1);
    assert_non_null(strstr(err.msg, "lstm"));
    kml_model_free(&m);

    /* flash: a float H = 100 model holds U = 40 KB */
    make_model(&m, KML_CELL_FASTRNN, 8, 100, 2, 0, 0, KML_NL_SIGMOID, KML_NL_TANH, 1);
    o.target = KML_TARGET_ATMEGA328P;
    assert_int_equal(write_model(&m, "a.h", &o, &err), -1);
    assert_non_null(strstr(err.msg, "flash"));
    o.target = KML_TARGET_HOST;
    assert_int_equal(write_model(&m, "big.h", &o, &err), 0);
    kml_model_free(&m);
    /* RAM: rank-2 factors keep flash small but H = 300 needs 4 * (300 + 8 + 2 + 2 + 300) B of RAM */
    make_model(&m, KML_CELL_FASTRNN, 8, 300, 2, 2, 2, KML_NL_SIGMOID, KML_NL_TANH, 1);
    o.target = KML_TARGET_CORTEX_M0PLUS;
    assert_int_equal(write_model(&m, "a.h", &o, &err), -1);
    assert_non_null(strstr(err.msg, "RAM"));
    kml_model_free(&m);
    assert_int_equal(count_files(), 1); /* big.h only */
}

static void test_integer_header_contents(void **state)
{
    (void)state;
    kml_rnn_q q = model_ga();
    kml_header_opts o;
    kml_header_opts_init(&o);
    o.name = "HAR2";
    o.target = KML_TARGET_ATMEGA328P;
    o.test_T = 3;
    kml_header_figures fig;
    kml_error err = {{0}};
    char path[1024];
    snprintf(path, sizeof path, "%s/har2.h", tmpdir);
    assert_int_equal(kml_header_write_q(path, &q, &o, &fig, &err), 0);
    assert_int_equal(fig.desc_bytes, 144); /* kml_rnn_q as avr-gcc lays it out */
    assert_int_equal(fig.flash_bytes, kml_rnn_flash_bytes_q(&q) + 144);
    assert_int_equal(fig.ram_bytes, 2 * (10 + 19) + 144);
    char *s = slurp(path);
    assert_non_null(s);
    const char *want[] = {"#define HAR2_FORMAT_VERSION 1", "#define HAR2_RAM_BYTES", "#define HAR2_FLASH_BYTES",
                          "#define HAR2_TEST_T 3", "#define HAR2_TEST_X HAR2_test_x", "static const kml_rnn_q HAR2_model", "HAR2_norm_s",
                          "static const int16_t HAR2_U_a_val[38] KML_FLASH", "static const uint8_t HAR2_U_a_idx[38] KML_FLASH",
                          ".q_in = 0, .q_x = 11, .q_h = 13, .q_a = 12, .q_g = 14", "#define HAR2_TARGET \"atmega328p\""};
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
        if (!strstr(s, want[k])) fail_msg("header lacks: %s", want[k]);
    /* every symbol outside the includes starts with the prefix */
    for (char *p = strstr(s, "static const "); p; p = strstr(p + 1, "static const ")) {
        char *sp = strchr(p + 13, ' ');
        assert_non_null(sp);
        assert_int_equal(strncmp(sp + 1, "HAR2_", 5), 0);
    }
    /* clip forms only: the firmware build may leave the tanh / sigmoid tables out */
    assert_non_null(strstr(s, "#define HAR2_SMOOTH_ACT 0"));
    assert_null(strstr(s, "#if defined(KML_SMOOTH_ACT)"));
    free(s);
    /* tanh by table: the header says so and refuses a runtime built without the tables */
    q.update_nl = KML_ACT_TANH;
    assert_int_equal(kml_header_write_q(path, &q, &o, &fig, &err), 0);
    s = slurp(path);
    assert_non_null(s);
    assert_non_null(strstr(s, "#define HAR2_SMOOTH_ACT 1"));
    assert_non_null(strstr(s, "#if defined(KML_SMOOTH_ACT) && !KML_SMOOTH_ACT\n#error"));
    free(s);
    q.update_nl = KML_ACT_QUANTTANH;
    /* an invalid integer model is refused with the runtime's reason */
    q.q_g = 15;
    assert_int_equal(kml_header_write_q(path, &q, &o, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "KML_E_QFORMAT"));
}

/* A bitmap matrix in the header: the pattern array (PROGMEM-marked like the others), the
 * descriptor fields, and the array bytes equal to kml_rnn_flash_bytes_q (FLASH_BYTES stays true). */
static void test_integer_header_bitmap(void **state)
{
    (void)state;
    kml_rnn_q q = model_ga();
    /* U (10×10, int16, CSC in the golden model) re-stored as a bitmap: the same values in the same order */
    static uint8_t bm[10 * 2];
    memset(bm, 0, sizeof bm);
    for (int j = 0; j < 10; j++)
        for (int k = q.U.a.colptr[j]; k < q.U.a.colptr[j + 1]; k++) bm[j * 2 + q.U.a.idx8[k] / 8] |= (uint8_t)(1u << (q.U.a.idx8[k] % 8));
    kml_rnn_q b = q;
    b.U.a.layout = KML_MAT_BITMAP;
    b.U.a.bitmap = bm;
    b.U.a.colptr = NULL;
    b.U.a.idx8 = NULL;
    assert_int_equal(kml_rnn_validate_q(&b), KML_OK);
    assert_int_equal(kml_rnn_flash_bytes_q(&q) - kml_rnn_flash_bytes_q(&b), (q.U.a.nnz + 22) - 20);
    kml_header_opts o;
    kml_header_opts_init(&o);
    o.name = "BM";
    o.target = KML_TARGET_ATMEGA328P;
    o.test_T = 3;
    kml_header_figures fig;
    kml_error err = {{0}};
    char path[1024], want_bytes[64];
    snprintf(path, sizeof path, "%s/bm.h", tmpdir);
    assert_int_equal(kml_header_write_q(path, &b, &o, &fig, &err), 0);
    assert_int_equal(fig.flash_bytes, kml_rnn_flash_bytes_q(&b) + 144);
    char *s = slurp(path);
    assert_non_null(s);
    snprintf(want_bytes, sizeof want_bytes, "#define BM_ARRAY_BYTES %uu", (unsigned)kml_rnn_flash_bytes_q(&b));
    const char *want[] = {want_bytes, "static const uint8_t BM_U_a_bm[20] KML_FLASH", ".layout = KML_MAT_BITMAP",
                          ".bitmap = BM_U_a_bm"};
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
        if (!strstr(s, want[k])) fail_msg("header lacks: %s", want[k]);
    assert_null(strstr(s, "BM_U_a_idx")); /* no CSC arrays for the bitmap matrix */
    assert_null(strstr(s, "BM_U_a_ptr"));
    free(s);
    /* a damaged pattern is refused with the runtime's reason */
    bm[19] |= 0x80; /* row 15 of a 10-row column */
    assert_int_equal(kml_header_write_q(path, &b, &o, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "KML_E_INDEX"));
}

/* Descriptor sizes per target. Host: must equal sizeof (catches a field added to kml_rnn.h / kml_mat.h
 * and not to header_layout.c). AVR and Cortex-M0+: measured with avr-gcc 5.4 -mmcu=atmega328p and
 * arm-none-eabi-gcc 12 -mcpu=cortex-m0plus (nm -S of objects holding char[sizeof(struct)]). */
static void test_descriptor_layout(void **state)
{
    (void)state;
    assert_int_equal(kml_layout_size(KML_LAYOUT_MAT_F32, KML_TARGET_HOST), sizeof(kml_mat_f32));
    assert_int_equal(kml_layout_size(KML_LAYOUT_MAT_Q, KML_TARGET_HOST), sizeof(kml_mat_q));
    assert_int_equal(kml_layout_size(KML_LAYOUT_LIN_F32, KML_TARGET_HOST), sizeof(kml_lin_f32));
    assert_int_equal(kml_layout_size(KML_LAYOUT_LIN_Q, KML_TARGET_HOST), sizeof(kml_lin_q));
    assert_int_equal(kml_layout_size(KML_LAYOUT_RNN_F32, KML_TARGET_HOST), sizeof(kml_rnn_f32));
    assert_int_equal(kml_layout_size(KML_LAYOUT_RNN_Q, KML_TARGET_HOST), sizeof(kml_rnn_q));
    static const size_t avr[] = {17, 21, 35, 44, 124, 144}, arm[] = {28, 36, 60, 76, 196, 240};
    for (int k = 0; k < 6; k++) {
        assert_int_equal(kml_layout_size((kml_layout_struct)k, KML_TARGET_ATMEGA328P), avr[k]);
        assert_int_equal(kml_layout_size((kml_layout_struct)k, KML_TARGET_CORTEX_M0PLUS), arm[k]);
    }
}

static int run(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_cli_export(void **state)
{
    (void)state;
    char kiloml[600], kml[600], out[600], cmd[4096], errf[600];
    snprintf(kiloml, sizeof kiloml, "%s/cli/kiloml", KML_BINARY_DIR);
    if (access(kiloml, X_OK) != 0) skip();
    kml_model m;
    kml_error err = {{0}};
    make_model(&m, KML_CELL_FASTGRNN, 9, 16, 2, 3, 0, KML_NL_QUANTSIGM, KML_NL_QUANTTANH, 5);
    add_norm(&m);
    snprintf(kml, sizeof kml, "%s/m.kml", tmpdir);
    snprintf(out, sizeof out, "%s/m.h", tmpdir);
    snprintf(errf, sizeof errf, "%s/stderr.txt", tmpdir);
    assert_int_equal(kml_model_file_write(kml, &m, NULL, NULL, NULL, &err), 0);
    kml_model_free(&m);
    snprintf(cmd, sizeof cmd, "%s export %s -o %s --target atmega328p --name HAR >/dev/null 2>%s", kiloml, kml, out, errf);
    assert_int_equal(run(cmd), 0);
    char *s = slurp(out);
    assert_non_null(s);
    assert_non_null(strstr(s, "static const kml_rnn_f32 HAR_model"));
    assert_non_null(strstr(s, "HAR_mean"));
    free(s);
    snprintf(cmd, sizeof cmd, "%s export %s -o %s --target pdp11 2>%s", kiloml, kml, out, errf);
    assert_int_equal(run(cmd), 2);
    s = slurp(errf);
    assert_non_null(strstr(s, "kiloml: export: unknown --target 'pdp11'"));
    free(s);
    snprintf(cmd, sizeof cmd, "%s export %s/missing.kml -o %s/x.h 2>%s", kiloml, tmpdir, tmpdir, errf);
    assert_int_equal(run(cmd), 1);
    s = slurp(errf);
    assert_non_null(strstr(s, "kiloml: "));
    assert_non_null(strstr(s, "missing.kml"));
    free(s);
    snprintf(cmd, sizeof cmd, "%s/x.h", tmpdir);
    assert_int_not_equal(access(cmd, F_OK), 0);
    snprintf(cmd, sizeof cmd, "%s export %s 2>%s", kiloml, kml, errf);
    assert_int_equal(run(cmd), 2);
}

/* `kiloml export` on a file holding the quantizer's /quant group takes the integer path (needs
 * quantize/'s reader; skipped in a tree without it). */
static void test_cli_export_integer(void **state)
{
    (void)state;
#ifdef HAVE_QMODEL
    char kiloml[600], kml[600], out[600], cmd[4096];
    snprintf(kiloml, sizeof kiloml, "%s/cli/kiloml", KML_BINARY_DIR);
    if (access(kiloml, X_OK) != 0) skip();
    kml_model m;
    kml_error err = {{0}};
    make_model(&m, KML_CELL_FASTGRNN, 9, 16, 3, 4, 0, KML_NL_QUANTSIGM, KML_NL_QUANTTANH, 8);
    add_norm(&m);
    kml_calib cal = {.raw = 6, .x = 6, .h = 1.5, .a = 8, .mid_w = 4, .mid_u = 4, .n = 1};
    int bits[KML_QS_COUNT] = {8, 8, 8, 8, 8};
    kml_qformat f;
    kml_qformat_from_ranges(&m, &cal, bits, &f);
    kml_qmodel qm;
    assert_int_equal(kml_qmodel_build(&m, &f, &qm, &err), 0);
    snprintf(kml, sizeof kml, "%s/q.kml", tmpdir);
    snprintf(out, sizeof out, "%s/q.h", tmpdir);
    assert_int_equal(kml_model_file_write(kml, &m, NULL, kml_qmodel_file_extra, &qm, &err), 0);
    snprintf(cmd, sizeof cmd, "%s export %s -o %s --name QQ >/dev/null", kiloml, kml, out);
    assert_int_equal(run(cmd), 0);
    char *s = slurp(out);
    assert_non_null(s);
    assert_non_null(strstr(s, "static const kml_rnn_q QQ_model"));
    assert_non_null(strstr(s, "QQ_norm_m"));
    free(s);
    snprintf(cmd, sizeof cmd, "%s export %s -o %s --name QF --float >/dev/null", kiloml, kml, out);
    assert_int_equal(run(cmd), 0);
    s = slurp(out);
    assert_non_null(strstr(s, "static const kml_rnn_f32 QF_model"));
    free(s);
    kml_qmodel_free(&qm);
    kml_model_free(&m);
#else
    skip();
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parity_fastgrnn),
        cmocka_unit_test(test_parity_fastrnn),
        cmocka_unit_test(test_parity_pruned_matrices_export_sparse),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_integer_header_contents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_integer_header_bitmap, setup, teardown),
        cmocka_unit_test(test_descriptor_layout),
        cmocka_unit_test_setup_teardown(test_cli_export, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_export_integer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
