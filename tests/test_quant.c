/* test_quant.c: the integer model (quantize/): build, formats, layouts, the shift search, the
 * flash budget and the /quant file round trip, on small models with synthetic data whose labels are
 * the float model's own predictions (so the float model is right on every series by construction). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data_test_util.h"
#include "kiloml/fakequant.h"
#include "kiloml/model_file.h"
#include "kiloml/qmodel.h"
#include "kiloml/qmodel_file.h"
#include "kiloml/quantize.h"
#include "kiloml/rng.h"

static void set_str_attr(hid_t loc, const char *name, const char *v);

/* The nonlinearities of make_model's cells (test_hardsigm_gate and test_smooth_by_table change them, then
 * restore them). */
static kml_nonlin g_gate = KML_NL_QUANTSIGM, g_update = KML_NL_QUANTTANH;

/* A FastGRNN / FastRNN with quant nonlinearities, random weights scaled so that the classes mix,
 * per-feature normalisation; data X ~ 3·N(0,1) + 1 per feature, labels = float predictions. */
static void make_model(kml_model *m, kml_cell_kind cell, int D, int H, int C, int rW, int rU, uint64_t seed)
{
    kml_model_config cfg = {cell, D, H, C, rW, rU, g_gate, g_update};
    kml_error err;
    assert_int_equal(kml_model_alloc(m, &cfg, &err), 0);
    kml_model_init_params(m, seed);
    kml_rng r;
    kml_rng_seed(&r, seed + 7);
    for (int p = 0; p < KML_PARAM_COUNT; p++) {
        if (!m->p[p]) continue;
        size_t n = (size_t)m->shape[p].rows * m->shape[p].cols;
        kml_param_kind k = kml_param_kind_of((kml_param_id)p);
        for (size_t i = 0; i < n; i++) {
            if (k == KML_PK_BIAS) m->p[p][i] = (float)(0.3 * kml_rng_normal(&r));
            if (k == KML_PK_W) m->p[p][i] = (float)(1.0 * kml_rng_normal(&r));
            if (k == KML_PK_U) m->p[p][i] = (float)(0.4 * kml_rng_normal(&r));
            if (k == KML_PK_CLASSIFIER) m->p[p][i] = (float)(3.0 * kml_rng_normal(&r));
        }
    }
    if (cell == KML_CELL_FASTRNN) m->p[KML_P_ALPHA][0] = -1.0f; /* σ(α) ≈ 0.27: a livelier state */
    m->norm.mode = KML_NORM_PER_FEATURE;
    m->norm.T = 0;
    m->norm.F = D;
    m->norm.mean = malloc(D * sizeof(float));
    m->norm.std = malloc(D * sizeof(float));
    for (int f = 0; f < D; f++) {
        m->norm.mean[f] = 1.0f;
        m->norm.std[f] = 3.0f;
    }
}

static void make_data(const kml_model *m, int n, int T, uint64_t seed, kml_dataset *d)
{
    int D = m->cfg.D;
    kml_rng r;
    kml_rng_seed(&r, seed);
    alloc_dataset(d, n, T, D);
    for (size_t i = 0; i < (size_t)n * T * D; i++) d->X[i] = (float)(3.0 * kml_rng_normal(&r) + 1.0);
    kml_error err;
    assert_int_equal(kml_float_predict(m, d, d->y, &err), 0);
}

static void free_data(kml_dataset *d)
{
    free(d->X);
    free(d->y);
    memset(d, 0, sizeof *d);
}

/* the float labels must not be one class only, or agreement tests say nothing */
static void assert_classes_mix(const kml_dataset *d, int C)
{
    int cnt[16] = {0};
    for (int i = 0; i < d->n; i++) cnt[d->y[i]]++;
    int used = 0;
    for (int c = 0; c < C; c++) used += cnt[c] >= d->n / 10;
    assert_true(used >= 2);
}

static int agreement(const kml_qmodel *qm, const kml_dataset *d)
{
    int correct, dis;
    kml_error err;
    assert_int_equal(kml_qmodel_score(qm, d, d->y, &correct, &dis, &err), 0);
    return correct; /* labels are the float predictions */
}

/* Weights are rounded to Q q in output-major order; sparse CSC (forced here: auto would take the
 * bitmap, 10 bytes against 22) when it saves bytes. */
static void test_build_layout_and_values(void **state)
{
    (void)state;
    kml_model m;
    make_model(&m, KML_CELL_FASTGRNN, 6, 8, 2, 0, 0, 1);
    /* W: 6×8, prune all but 2 entries -> sparse (2·2 + 2·9 bytes) is smaller than dense (48) */
    float *W = m.p[KML_P_W];
    for (int i = 0; i < 48; i++) W[i] = 0;
    W[0 * 8 + 1] = 0.5f;   /* row 0, col 1 */
    W[2 * 8 + 3] = -0.25f; /* row 2, col 3 */
    kml_calib cal = {5, 2, 1, 2, 1, 1, 1};
    int bits[KML_QS_COUNT] = {8, 8, 16, 8, 8};
    kml_qformat f;
    kml_qformat_from_ranges(&m, &cal, bits, &f);
    f.sparse_fmt = KML_SPFMT_CSC;
    assert_int_equal(f.q_x, 13); /* 2·2^14 = 32768 > 32767 */
    assert_int_equal(f.q_h, 14);
    kml_qmodel qm;
    kml_error err;
    int rc = kml_qmodel_build(&m, &f, &qm, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    const kml_mat_q *w = &qm.q.W.a;
    assert_int_equal(w->layout, KML_MAT_SPARSE);
    assert_int_equal(w->nnz, 2);
    assert_int_equal(w->wbits, 8);
    /* q from max |W| = 0.5: 0.5·2^q <= 127 -> q = 7 */
    assert_int_equal(w->q, 7);
    assert_int_equal(w->colptr[0], 0);
    assert_int_equal(w->colptr[1], 0);
    assert_int_equal(w->colptr[2], 1);
    assert_int_equal(w->colptr[4], 2);
    assert_int_equal(w->idx8[0], 0);
    assert_int_equal(w->w8[0], 64);
    assert_int_equal(w->idx8[1], 2);
    assert_int_equal(w->w8[1], -32);
    /* U dense int16, output-major: val[j*rows + i] = round(U[i][j]·2^q) */
    const kml_mat_q *u = &qm.q.U.a;
    assert_int_equal(u->layout, KML_MAT_DENSE);
    assert_int_equal(u->wbits, 16);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++)
            assert_int_equal(u->w16[j * 8 + i], (int)floor(m.p[KML_P_U][i * 8 + j] * ldexp(1, u->q) + 0.5));
    assert_true(kml_mat_colsum_max_q(u) <= 32768);
    assert_int_equal(kml_rnn_validate_q(&qm.q), KML_OK);
    kml_qmodel_free(&qm);
    kml_model_free(&m);
}

/* Big int16 weights: the accumulator bound lowers q until the column sums fit. */
static void test_accumulator_bound(void **state)
{
    (void)state;
    kml_model m;
    make_model(&m, KML_CELL_FASTRNN, 4, 32, 2, 0, 0, 2);
    for (int i = 0; i < 32 * 32; i++) m.p[KML_P_U][i] = (i % 3 ? 1.0f : -1.0f) * 0.9f;
    kml_calib cal = {4, 2, 1, 4, 0, 0, 1};
    int bits[KML_QS_COUNT] = {16, 16, 16, 16, 16};
    kml_qformat f;
    kml_qformat_from_ranges(&m, &cal, bits, &f);
    /* 32 × 0.9·2^q <= 32768 -> q <= 10 (the range alone would give 15) */
    assert_int_equal(f.q_mat[KML_QS_UA], 10);
    f.q_mat[KML_QS_UA] = 15; /* the build lowers it again */
    kml_qmodel qm;
    kml_error err;
    assert_int_equal(kml_qmodel_build(&m, &f, &qm, &err), 0);
    assert_int_equal(qm.q.U.a.q, 10);
    assert_true(kml_mat_colsum_max_q(&qm.q.U.a) <= 32768);
    assert_int_equal(kml_rnn_validate_q(&qm.q), KML_OK);
    kml_qmodel_free(&qm);
    kml_model_free(&m);
}

static void test_unsupported_cells(void **state)
{
    (void)state;
    kml_model m;
    kml_model_config cfg = {KML_CELL_GRU, 3, 4, 2, 0, 0, KML_NL_SIGMOID, KML_NL_TANH};
    kml_error err;
    assert_int_equal(kml_model_alloc(&m, &cfg, &err), 0);
    assert_int_equal(kml_qmodel_supported(&m, &err), -1);
    assert_non_null(strstr(err.msg, "no integer path"));
    kml_model_free(&m);
    make_model(&m, KML_CELL_FASTGRNN, 3, 4, 2, 0, 0, 1);
    m.cfg.update_nl = KML_NL_RELU;
    assert_int_equal(kml_qmodel_supported(&m, &err), -1);
    assert_non_null(strstr(err.msg, "relu"));
    kml_model_free(&m);
}

/* Formats that break deploy's rules are refused with kml_rnn_validate_q's reason. */
static void test_invalid_formats_refused(void **state)
{
    (void)state;
    kml_model m;
    make_model(&m, KML_CELL_FASTGRNN, 3, 4, 2, 2, 0, 3);
    kml_calib cal = {5, 2, 1, 2, 1, 1, 1};
    int bits[KML_QS_COUNT] = {8, 8, 8, 8, 8};
    kml_qformat f;
    kml_qformat_from_ranges(&m, &cal, bits, &f);
    for (int k = 0; k < 2; k++) m.p[KML_P_VB][k] = 0;
    f.q_mat[KML_QS_V] = 31 - f.q_h; /* logits in Q31: beyond deploy's shifts */
    kml_qmodel qm;
    kml_error err;
    assert_int_equal(kml_qmodel_build(&m, &f, &qm, &err), -1);
    fprintf(stderr, "  refused: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "KML_E_QFORMAT"));
    kml_model_free(&m);
}

/* The whole procedure on low-rank FastGRNN: the result validates, agrees with the float model on
 * held-out series at >= 95 %, and the search never does worse than the range-based start. */
static void run_quantize_agreement(kml_cell_kind cell, int rW, int rU, int bits)
{
    kml_model m;
    make_model(&m, cell, 6, 16, 3, rW, rU, 11);
    kml_dataset train, test;
    make_data(&m, 400, 24, 100, &train);
    make_data(&m, 300, 24, 200, &test);
    assert_classes_mix(&test, 3);
    kml_quant_opts o;
    kml_quant_opts_init(&o);
    o.bits = bits;
    kml_qmodel qm;
    kml_quant_report rep;
    kml_error err;
    int rc = kml_quantize(&m, &train, &o, &qm, &rep, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(kml_rnn_validate_q(&qm.q), KML_OK);
    assert_true(rep.candidates > 1);
    /* the start, scored the same way, is not better than the searched result */
    kml_qmodel q0;
    assert_int_equal(kml_qmodel_build(&m, &rep.start, &q0, &err), 0);
    int c0 = 0, d0 = 0;
    kml_dataset val = train; /* the search's validation split is a subset; compare on all of train */
    int c1, d1;
    assert_int_equal(kml_qmodel_score(&q0, &val, val.y, &c0, &d0, &err), 0);
    assert_int_equal(kml_qmodel_score(&qm, &val, val.y, &c1, &d1, &err), 0);
    assert_true(d1 <= d0 + train.n / 50);
    int agree = agreement(&qm, &test);
    fprintf(stderr, "  cell %d rW %d rU %d bits %d: test agreement %d / %d (start %d / %d on train)\n", cell, rW,
            rU, bits, agree, test.n, train.n - d0, train.n);
    assert_true(agree >= test.n * 95 / 100);
    kml_qmodel_free(&q0);
    kml_qmodel_free(&qm);
    free_data(&train);
    free_data(&test);
    kml_model_free(&m);
}

static void test_quantize_fastgrnn_lowrank_8(void **state)
{
    (void)state;
    run_quantize_agreement(KML_CELL_FASTGRNN, 3, 4, 8);
}

static void test_quantize_fastgrnn_full_16(void **state)
{
    (void)state;
    run_quantize_agreement(KML_CELL_FASTGRNN, 0, 0, 16);
}

static void test_quantize_fastrnn_8(void **state)
{
    (void)state;
    run_quantize_agreement(KML_CELL_FASTRNN, 0, 5, 8);
}

/* A FastGRNN made with the nonlinearities (gate, update) is quantized with the integer forms (ag, au),
 * agrees with the float model (>= 95 %, run_quantize_agreement), and the .q.kml round trip keeps them
 * and the predictions; then a /quant gate_nl that is no integer nonlinearity (relu) is refused by name. */
static void quantize_keeps_nonlinearities(kml_nonlin gate, kml_nonlin update, uint8_t ag, uint8_t au)
{
    g_gate = gate;
    g_update = update;
    run_quantize_agreement(KML_CELL_FASTGRNN, 3, 4, 8);
    kml_model m;
    make_model(&m, KML_CELL_FASTGRNN, 6, 16, 3, 3, 0, 5);
    g_gate = KML_NL_QUANTSIGM;
    g_update = KML_NL_QUANTTANH;
    kml_dataset train;
    make_data(&m, 150, 12, 400, &train);
    kml_quant_opts o;
    kml_quant_opts_init(&o);
    o.search = 0;
    kml_qmodel qm, back;
    kml_quant_report rep;
    kml_error err;
    assert_int_equal(kml_quantize(&m, &train, &o, &qm, &rep, &err), 0);
    assert_int_equal(qm.q.gate_nl, ag);
    assert_int_equal(qm.q.update_nl, au);
    char path[] = "test_quant_nl.kml";
    assert_int_equal(kml_model_file_write(path, &m, NULL, kml_qmodel_file_extra, &qm, &err), 0);
    assert_int_equal(kml_qmodel_read(path, &back, &err), 0);
    assert_int_equal(back.q.gate_nl, ag);
    assert_int_equal(back.q.update_nl, au);
    int32_t *p1 = malloc(train.n * sizeof(int32_t)), *p2 = malloc(train.n * sizeof(int32_t));
    assert_int_equal(kml_qmodel_predict(&qm, &train, p1, &err), 0);
    assert_int_equal(kml_qmodel_predict(&back, &train, p2, &err), 0);
    assert_memory_equal(p1, p2, train.n * sizeof(int32_t));
    kml_qmodel_free(&back);
    free(p1);
    free(p2);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t g = H5Gopen2(f, "quant", H5P_DEFAULT);
    set_str_attr(g, "gate_nl", "relu");
    H5Gclose(g);
    H5Fclose(f);
    assert_int_equal(kml_qmodel_read(path, &back, &err), -1);
    fprintf(stderr, "  refused: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "gate_nl"));
    unlink(path);
    kml_qmodel_free(&qm);
    free_data(&train);
    kml_model_free(&m);
}

/* Every float nonlinearity but relu maps to its own integer form (tanh and the sigmoid by table); a FastGRNN
 * trained with the hardSigm gate keeps it (quantize_keeps_nonlinearities). */
static void test_hardsigm_gate(void **state)
{
    (void)state;
    assert_int_equal(kml_qact_for(KML_NL_HARDSIGM), KML_ACT_HARDSIGM);
    assert_int_equal(kml_qact_for(KML_NL_QUANTSIGM), KML_ACT_QUANTSIGM);
    assert_int_equal(kml_qact_for(KML_NL_SIGMOID), KML_ACT_SIGMOID);
    assert_int_equal(kml_qact_for(KML_NL_TANH), KML_ACT_TANH);
    assert_int_equal(kml_qact_for(KML_NL_QUANTTANH), KML_ACT_QUANTTANH);
    quantize_keeps_nonlinearities(KML_NL_HARDSIGM, KML_NL_QUANTTANH, KML_ACT_HARDSIGM, KML_ACT_QUANTTANH);
}

/* FastGRNN and FastRNN models trained with the sigmoid gate and the tanh candidate keep them in integer form,
 * computed by deploy's table (kml_tanh_q / kml_sigm_q): >= 95 % agreement at 8 bits, names kept in the file. */
static void test_smooth_by_table(void **state)
{
    (void)state;
    quantize_keeps_nonlinearities(KML_NL_SIGMOID, KML_NL_TANH, KML_ACT_SIGMOID, KML_ACT_TANH);
    g_update = KML_NL_TANH;
    run_quantize_agreement(KML_CELL_FASTRNN, 0, 0, 8);
    g_update = KML_NL_QUANTTANH;
}

/* Budget between the all-8 and the all-16 sizes: the pick fits; an impossible budget is an error. */
static void test_flash_budget(void **state)
{
    (void)state;
    kml_model m;
    make_model(&m, KML_CELL_FASTGRNN, 6, 16, 3, 3, 4, 11);
    kml_dataset train;
    make_data(&m, 200, 16, 300, &train);
    kml_quant_opts o;
    kml_quant_opts_init(&o);
    o.search = 0;
    kml_qmodel q8, q16, qb;
    kml_quant_report rep;
    kml_error err;
    o.bits = 8;
    assert_int_equal(kml_quantize(&m, &train, &o, &q8, &rep, &err), 0);
    o.bits = 16;
    assert_int_equal(kml_quantize(&m, &train, &o, &q16, &rep, &err), 0);
    kml_qsize s8, s16, sb;
    kml_qmodel_size(&q8, &s8);
    kml_qmodel_size(&q16, &s16);
    assert_true(s8.flash_bytes < s16.flash_bytes);
    o.flash_budget = (s8.flash_bytes + s16.flash_bytes) / 2;
    o.search = 1;
    FILE *log = tmpfile();
    o.log = log;
    int rc = kml_quantize(&m, &train, &o, &qb, &rep, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    kml_qmodel_size(&qb, &sb);
    assert_true(sb.flash_bytes <= (uint32_t)o.flash_budget);
    assert_int_equal(rep.budget_fits, 1);
    /* the table lists all 2^5 assignments */
    rewind(log);
    char line[256];
    int rows = 0;
    while (fgets(line, sizeof line, log))
        if (strstr(line, " yes ") || strstr(line, " no")) rows++;
    assert_int_equal(rows, 32);
    fclose(log);
    o.log = NULL;
    o.flash_budget = s8.flash_bytes / 2;
    kml_qmodel qx;
    assert_int_equal(kml_quantize(&m, &train, &o, &qx, &rep, &err), -1);
    assert_non_null(strstr(err.msg, "flash budget"));
    kml_qmodel_free(&q8);
    kml_qmodel_free(&q16);
    kml_qmodel_free(&qb);
    free_data(&train);
    kml_model_free(&m);
}

/* Write the float model + /quant, read both back: identical arrays, identical predictions. */
static void test_file_round_trip(void **state)
{
    (void)state;
    kml_model m;
    make_model(&m, KML_CELL_FASTGRNN, 6, 16, 3, 3, 0, 5);
    /* prune U so it goes sparse */
    for (int i = 0; i < 16 * 16; i++)
        if (i % 5) m.p[KML_P_U][i] = 0;
    kml_dataset train;
    make_data(&m, 150, 12, 400, &train);
    kml_quant_opts o;
    kml_quant_opts_init(&o);
    o.bits = 16;
    o.search = 0;
    o.sparse_fmt = KML_SPFMT_CSC; /* the CSC arrays are compared below (test_bitmap_round_trip: bitmap) */
    kml_qmodel qm, back;
    kml_quant_report rep;
    kml_error err;
    assert_int_equal(kml_quantize(&m, &train, &o, &qm, &rep, &err), 0);
    assert_int_equal(qm.q.U.a.layout, KML_MAT_SPARSE);
    char path[] = "test_quant_rt.kml";
    int rc = kml_model_file_write(path, &m, NULL, kml_qmodel_file_extra, &qm, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(kml_qmodel_file_has(path), 1);
    rc = kml_qmodel_read(path, &back, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_memory_equal(&back.fmt, &qm.fmt, sizeof qm.fmt);
    assert_int_equal(back.q.q_a, qm.q.q_a);
    assert_int_equal(back.q.s_zeta, qm.q.s_zeta);
    assert_int_equal(back.q.U.a.nnz, qm.q.U.a.nnz);
    assert_memory_equal(back.q.U.a.w16, qm.q.U.a.w16, qm.q.U.a.nnz * 2);
    assert_memory_equal(back.q.U.a.idx8, qm.q.U.a.idx8, qm.q.U.a.nnz);
    assert_memory_equal(back.q.U.a.colptr, qm.q.U.a.colptr, 17 * 2);
    assert_memory_equal(back.q.W.b.w16, qm.q.W.b.w16, 3 * 16 * 2);
    assert_memory_equal(back.q.norm_s, qm.q.norm_s, 6 * 2);
    assert_memory_equal(back.q.v, qm.q.v, 3 * 4);
    kml_qsize a, b;
    kml_qmodel_size(&qm, &a);
    kml_qmodel_size(&back, &b);
    assert_memory_equal(&a, &b, sizeof a);
    int32_t *p1 = malloc(train.n * sizeof(int32_t)), *p2 = malloc(train.n * sizeof(int32_t));
    assert_int_equal(kml_qmodel_predict(&qm, &train, p1, &err), 0);
    assert_int_equal(kml_qmodel_predict(&back, &train, p2, &err), 0);
    assert_memory_equal(p1, p2, train.n * sizeof(int32_t));
    free(p1);
    free(p2);
    kml_qmodel_free(&back);
    /* damaged /quant groups are refused with the place named: a format out of range, a row index
     * beyond the matrix (caught by deploy's validation) */
    {
        hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
        hid_t g = H5Gopen2(f, "quant", H5P_DEFAULT);
        long long bad = 20;
        hid_t a = H5Aopen(g, "q_g", H5P_DEFAULT);
        H5Awrite(a, H5T_NATIVE_LLONG, &bad);
        H5Aclose(a);
        H5Gclose(g);
        H5Fclose(f);
        assert_int_equal(kml_qmodel_read(path, &back, &err), -1);
        assert_non_null(strstr(err.msg, "q_g"));
        assert_int_equal(kml_model_file_write(path, &m, NULL, kml_qmodel_file_extra, &qm, &err), 0);
        f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
        hid_t d = H5Dopen2(f, "quant/U/idx", H5P_DEFAULT);
        uint8_t *idx = malloc(qm.q.U.a.nnz);
        memcpy(idx, qm.q.U.a.idx8, qm.q.U.a.nnz);
        idx[0] = 200; /* U has 16 rows */
        H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, idx);
        free(idx);
        H5Dclose(d);
        H5Fclose(f);
        assert_int_equal(kml_qmodel_read(path, &back, &err), -1);
        assert_non_null(strstr(err.msg, "KML_E_INDEX"));
    }
    /* a float-only file: a clear refusal */
    assert_int_equal(kml_model_file_write(path, &m, NULL, NULL, NULL, &err), 0);
    assert_int_equal(kml_qmodel_file_has(path), 0);
    assert_int_equal(kml_qmodel_read(path, &back, &err), -1);
    assert_non_null(strstr(err.msg, "no /quant group"));
    unlink(path);
    kml_qmodel_free(&qm);
    free_data(&train);
    kml_model_free(&m);
}

/* Keep `keep` entries of a rows×cols float matrix (a seeded random choice), each ±[0.5, 1): every
 * kept entry survives int8 rounding (q >= 6), so the integer nonzeros are exactly `keep`. */
static void prune_exact(float *M, int rows, int cols, int keep, uint64_t seed)
{
    int n = rows * cols;
    int *order = malloc((size_t)n * sizeof(int));
    kml_rng r;
    kml_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) order[i] = i, M[i] = 0.0f;
    kml_rng_shuffle(&r, order, n);
    for (int k = 0; k < keep; k++) {
        float v = (float)(0.5 + 0.5 * kml_rng_uniform(&r));
        M[order[k]] = kml_rng_below(&r, 2) ? v : -v;
    }
    free(order);
}

static void build_fmt(const kml_model *m, kml_sparse_fmt spf, kml_qmodel *qm)
{
    kml_calib cal = {5, 2, 1, 2, 1, 1, 1};
    int bits[KML_QS_COUNT] = {8, 8, 8, 8, 8};
    kml_qformat f;
    kml_qformat_from_ranges(m, &cal, bits, &f);
    f.sparse_fmt = spf;
    kml_error err;
    int rc = kml_qmodel_build(m, &f, qm, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
}

/* CSC or bitmap per sparse matrix: auto takes the smaller (ties CSC), csc / bitmap force it; all
 * three integer models predict the same classes and logits (the kernels' bit-exactness seen from
 * the model), and the bytes are the arrays' real sizes. The paper's HAR-2 shape: H 80, U1 80×40 and
 * U2 40×80 at density 0.3 (960 nonzeros each: bitmap 400 + 960 = 1360 B each, CSC 1920 + 82 = 2002 B
 * for U1 and 1920 + 162 = 2082 B for U2). */
static void test_sparse_format_choice(void **state)
{
    (void)state;
    kml_model m;
    make_model(&m, KML_CELL_FASTGRNN, 9, 80, 2, 5, 40, 21);
    prune_exact(m.p[KML_P_U1], 80, 40, 960, 1);
    prune_exact(m.p[KML_P_U2], 40, 80, 960, 2);
    kml_qmodel a, c, b;
    build_fmt(&m, KML_SPFMT_AUTO, &a);
    build_fmt(&m, KML_SPFMT_CSC, &c);
    build_fmt(&m, KML_SPFMT_BITMAP, &b);
    assert_int_equal(a.q.U.a.layout, KML_MAT_BITMAP);
    assert_int_equal(a.q.U.b.layout, KML_MAT_BITMAP);
    assert_int_equal(a.q.U.a.nnz, 960);
    assert_int_equal(kml_mat_flash_bytes_q(&a.q.U.a), 960 + 40 * 10);
    assert_int_equal(kml_mat_flash_bytes_q(&a.q.U.b), 960 + 80 * 5);
    assert_int_equal(c.q.U.a.layout, KML_MAT_SPARSE);
    assert_int_equal(c.q.U.b.layout, KML_MAT_SPARSE);
    assert_int_equal(kml_mat_flash_bytes_q(&c.q.U.a), 2 * 960 + 2 * 41);
    assert_int_equal(b.q.U.a.layout, KML_MAT_BITMAP);
    assert_int_equal(b.q.V.layout, KML_MAT_DENSE); /* the classifier stays dense */
    kml_qsize sa, sc;
    kml_qmodel_size(&a, &sa);
    kml_qmodel_size(&c, &sc);
    assert_int_equal(kml_mat_flash_bytes_q(&c.q.U.b), 2 * 960 + 2 * 81);
    assert_int_equal(a.q.W.a.layout, KML_MAT_DENSE); /* W1, W2 unpruned: dense whatever the option */
    assert_int_equal(c.q.W.b.layout, KML_MAT_DENSE);
    assert_int_equal(sc.flash_bytes - sa.flash_bytes, (2002 - 1360) + (2082 - 1360));
    assert_int_equal(sa.nnz, sc.nnz);
    assert_int_equal(sa.paper_bytes, sc.paper_bytes); /* the paper's count does not depend on the layout */
    kml_dataset d;
    make_data(&m, 60, 10, 3, &d);
    int32_t *pa = malloc(d.n * sizeof(int32_t)), *pc = malloc(d.n * sizeof(int32_t)), *pb = malloc(d.n * sizeof(int32_t));
    kml_error err;
    assert_int_equal(kml_qmodel_predict(&a, &d, pa, &err), 0);
    assert_int_equal(kml_qmodel_predict(&c, &d, pc, &err), 0);
    assert_int_equal(kml_qmodel_predict(&b, &d, pb, &err), 0);
    assert_memory_equal(pa, pc, d.n * sizeof(int32_t));
    assert_memory_equal(pb, pc, d.n * sizeof(int32_t));
    /* and the logits and state of a window, bit for bit */
    {
        int16_t x[10 * 9], hc[80], hb[80], buf[200];
        int32_t lc[2], lb[2];
        for (int k = 0; k < 90; k++) x[k] = kml_q_input(d.X[k], c.q.q_in);
        kml_rnn_state_q st = {hc, 80};
        kml_rnn_scratch_q sc2 = {buf, 200};
        assert_true(kml_rnn_scratch_elems_q(&c.q) <= 200);
        kml_rnn_predict_q(&c.q, x, 10, &st, &sc2, lc);
        st.h = hb;
        kml_rnn_predict_q(&b.q, x, 10, &st, &sc2, lb);
        assert_memory_equal(hc, hb, sizeof hc);
        assert_memory_equal(lc, lb, sizeof lc);
    }
    free(pa), free(pc), free(pb);
    free_data(&d);
    kml_qmodel_free(&a), kml_qmodel_free(&c), kml_qmodel_free(&b);
    /* very low density: 80 of 3200 (2.5 %): CSC 242 B beats the bitmap's 480 B */
    prune_exact(m.p[KML_P_U1], 80, 40, 80, 3);
    build_fmt(&m, KML_SPFMT_AUTO, &a);
    assert_int_equal(a.q.U.a.layout, KML_MAT_SPARSE);
    assert_int_equal(a.q.U.b.layout, KML_MAT_BITMAP);
    kml_qmodel_free(&a);
    build_fmt(&m, KML_SPFMT_BITMAP, &b); /* forced: a bitmap even where CSC is smaller */
    assert_int_equal(b.q.U.a.layout, KML_MAT_BITMAP);
    kml_qmodel_free(&b);
    /* a tie: 318 nonzeros cost 2·318 + 82 = 718 B in CSC and 318 + 400 = 718 B as a bitmap -> CSC;
     * one more nonzero and the bitmap is smaller */
    prune_exact(m.p[KML_P_U1], 80, 40, 318, 4);
    build_fmt(&m, KML_SPFMT_AUTO, &a);
    assert_int_equal(a.q.U.a.nnz, 318);
    assert_int_equal(a.q.U.a.layout, KML_MAT_SPARSE);
    kml_qmodel_free(&a);
    prune_exact(m.p[KML_P_U1], 80, 40, 319, 4);
    build_fmt(&m, KML_SPFMT_AUTO, &a);
    assert_int_equal(a.q.U.a.layout, KML_MAT_BITMAP);
    kml_qmodel_free(&a);
    /* names */
    kml_sparse_fmt spf;
    assert_int_equal(kml_sparse_fmt_parse("bitmap", &spf), 0);
    assert_int_equal(spf, KML_SPFMT_BITMAP);
    assert_int_equal(kml_sparse_fmt_parse("csc", &spf), 0);
    assert_int_equal(spf, KML_SPFMT_CSC);
    assert_int_equal(kml_sparse_fmt_parse("auto", &spf), 0);
    assert_int_equal(spf, KML_SPFMT_AUTO);
    assert_int_equal(kml_sparse_fmt_parse("blocked", &spf), -1);
    assert_string_equal(kml_mat_layout_name(KML_MAT_BITMAP), "bitmap");
    kml_model_free(&m);
}

static void set_str_attr(hid_t loc, const char *name, const char *v)
{
    if (H5Aexists(loc, name) > 0) H5Adelete(loc, name);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(v));
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(a >= 0);
    assert_true(H5Awrite(a, t, v) >= 0);
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
}

/* A .q.kml with bitmap matrices: written, read back with the same layouts, arrays and predictions;
 * an unknown layout name, a damaged bitmap and a missing bitmap dataset are refused by name; a file
 * without the sparse_format attribute (as written before bitmaps) reads as auto. */
static void test_bitmap_round_trip(void **state)
{
    (void)state;
    kml_model m;
    make_model(&m, KML_CELL_FASTGRNN, 6, 16, 3, 3, 0, 5);
    for (int i = 0; i < 16 * 16; i++)
        if (i % 4) m.p[KML_P_U][i] = 0;
    kml_dataset train;
    make_data(&m, 150, 12, 400, &train);
    kml_quant_opts o;
    kml_quant_opts_init(&o);
    o.search = 0;
    o.sparse_fmt = KML_SPFMT_BITMAP;
    kml_qmodel qm, back;
    kml_quant_report rep;
    kml_error err;
    assert_int_equal(kml_quantize(&m, &train, &o, &qm, &rep, &err), 0);
    assert_int_equal(qm.q.U.a.layout, KML_MAT_BITMAP);
    assert_int_equal(qm.fmt.sparse_fmt, KML_SPFMT_BITMAP);
    char path[] = "test_quant_bitmap.kml";
    assert_int_equal(kml_model_file_write(path, &m, NULL, kml_qmodel_file_extra, &qm, &err), 0);
    int rc = kml_qmodel_read(path, &back, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_memory_equal(&back.fmt, &qm.fmt, sizeof qm.fmt);
    assert_int_equal(back.q.U.a.layout, KML_MAT_BITMAP);
    assert_int_equal(back.q.U.a.nnz, qm.q.U.a.nnz);
    assert_null(back.q.U.a.colptr);
    assert_memory_equal(back.q.U.a.bitmap, qm.q.U.a.bitmap, 16 * 2);
    assert_memory_equal(back.q.U.a.w8, qm.q.U.a.w8, qm.q.U.a.nnz);
    kml_qsize a, b;
    kml_qmodel_size(&qm, &a);
    kml_qmodel_size(&back, &b);
    assert_memory_equal(&a, &b, sizeof a);
    int32_t *p1 = malloc(train.n * sizeof(int32_t)), *p2 = malloc(train.n * sizeof(int32_t));
    assert_int_equal(kml_qmodel_predict(&qm, &train, p1, &err), 0);
    assert_int_equal(kml_qmodel_predict(&back, &train, p2, &err), 0);
    assert_memory_equal(p1, p2, train.n * sizeof(int32_t));
    free(p1);
    free(p2);
    kml_qmodel_free(&back);
    /* without the sparse_format attribute: auto, the arrays as they are */
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t g = H5Gopen2(f, "quant", H5P_DEFAULT);
    assert_true(H5Adelete(g, "sparse_format") >= 0);
    H5Gclose(g);
    H5Fclose(f);
    assert_int_equal(kml_qmodel_read(path, &back, &err), 0);
    assert_int_equal(back.fmt.sparse_fmt, KML_SPFMT_AUTO);
    assert_int_equal(back.q.U.a.layout, KML_MAT_BITMAP);
    kml_qmodel_free(&back);
    /* an unknown layout name */
    f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    g = H5Gopen2(f, "quant/U", H5P_DEFAULT);
    set_str_attr(g, "layout", "blocked");
    H5Gclose(g);
    H5Fclose(f);
    assert_int_equal(kml_qmodel_read(path, &back, &err), -1);
    assert_non_null(strstr(err.msg, "/quant/U"));
    assert_non_null(strstr(err.msg, "unknown layout 'blocked'"));
    /* a bit beyond the 16 rows cannot be: a set bit no value stands for (deploy's validation) */
    assert_int_equal(kml_model_file_write(path, &m, NULL, kml_qmodel_file_extra, &qm, &err), 0);
    f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "quant/U/bitmap", H5P_DEFAULT);
    uint8_t bm[32];
    memcpy(bm, qm.q.U.a.bitmap, 32);
    bm[0] ^= 0x02; /* one bit more or fewer than nnz */
    H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, bm);
    H5Dclose(d);
    H5Fclose(f);
    assert_int_equal(kml_qmodel_read(path, &back, &err), -1);
    assert_non_null(strstr(err.msg, "KML_E_INDEX"));
    /* no bitmap dataset */
    assert_int_equal(kml_model_file_write(path, &m, NULL, kml_qmodel_file_extra, &qm, &err), 0);
    f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(H5Ldelete(f, "quant/U/bitmap", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    assert_int_equal(kml_qmodel_read(path, &back, &err), -1);
    assert_non_null(strstr(err.msg, "bitmap"));
    unlink(path);
    kml_qmodel_free(&qm);
    free_data(&train);
    kml_model_free(&m);
}

/* Fake quantization: every stored matrix lands on its grid (the quantizer's own q), biases and
 * scalars are untouched, restore gives back the exact float parameters. */
static void test_fakequant(void **state)
{
    (void)state;
    kml_model m;
    make_model(&m, KML_CELL_FASTGRNN, 6, 16, 3, 3, 0, 9);
    float *orig = malloc(m.n_params * sizeof(float));
    memcpy(orig, m.block, m.n_params * sizeof(float));
    int q[KML_QS_COUNT];
    for (int s = 0; s < KML_QS_COUNT; s++) {
        int p = kml_qslot_param(&m.cfg, (kml_qslot)s);
        q[s] = p < 0 ? 0 : kml_qweight_q(&m, p, 8);
    }
    kml_fakequant fq;
    kml_fakequant_init(&fq, 8);
    kml_fakequant_apply(&m, &fq);
    int changed = 0;
    for (int s = 0; s < KML_QS_COUNT; s++) {
        int p = kml_qslot_param(&m.cfg, (kml_qslot)s);
        if (p < 0) continue;
        size_t n = (size_t)m.shape[p].rows * m.shape[p].cols;
        for (size_t i = 0; i < n; i++) {
            double code = ldexp(m.p[p][i], q[s]);
            assert_true(code == floor(code) && fabs(code) <= 127);
            changed += m.p[p][i] != orig[m.p[p] - m.block + i];
        }
    }
    assert_true(changed > 0);
    assert_memory_equal(m.p[KML_P_BG], orig + (m.p[KML_P_BG] - m.block), 16 * sizeof(float));
    assert_true(m.p[KML_P_ZETA][0] == orig[m.p[KML_P_ZETA] - m.block]);
    kml_fakequant_restore(&m, &fq);
    assert_memory_equal(m.block, orig, m.n_params * sizeof(float));
    assert_int_equal(fq.applied, 1);
    kml_fakequant_free(&fq);
    free(orig);
    kml_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_layout_and_values),
        cmocka_unit_test(test_accumulator_bound),
        cmocka_unit_test(test_unsupported_cells),
        cmocka_unit_test(test_invalid_formats_refused),
        cmocka_unit_test(test_quantize_fastgrnn_lowrank_8),
        cmocka_unit_test(test_quantize_fastgrnn_full_16),
        cmocka_unit_test(test_quantize_fastrnn_8),
        cmocka_unit_test(test_hardsigm_gate),
        cmocka_unit_test(test_smooth_by_table),
        cmocka_unit_test(test_flash_budget),
        cmocka_unit_test(test_file_round_trip),
        cmocka_unit_test(test_sparse_format_choice),
        cmocka_unit_test(test_bitmap_round_trip),
        cmocka_unit_test(test_fakequant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
