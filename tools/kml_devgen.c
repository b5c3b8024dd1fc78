/* tools/kml_devgen.c: a seeded random integer model and test windows for the device tests.
 *
 *   kml_devgen model   --cell fastgrnn|fastrnn --D 9 --H 32 --C 6 [--rank-w 4] [--rank-u 8]
 *                      [--density-w PCT] [--density-u PCT] [--sparse-w (= --density-w 50)]
 *                      [--w16-u] [--bitmap] [--q-a 12] [--gate-nl quantsigm|hardsigm|quanttanh|sigmoid|tanh]
 *                      [--update-nl quanttanh|quantsigm|hardsigm|tanh|sigmoid] [--seed 1] [--T steps of the header's test input]
 *                      --name DEV -o model.h
 *   kml_devgen vectors --D 9 --T 32 --windows 100 --per-file 25 [--seed 2] [--q-in 8]
 *                      -o vectors_%d.h
 *
 * The model is built through the runtime's own structs (deploy/include/kiloml/kml_rnn.h),
 * must pass kml_rnn_validate_q, and is written by the project's header generator
 * (kml_header_write_q, the code behind `kiloml export`). Weights are random; the Q formats are
 * the ones a quantizer would pick for inputs of a few units (--q-a moves the pre-activations' format:
 * above 13 the last factors' shifts fall below 2, where the column terms' clamps count, and the
 * gates are shifted right instead of left). The windows (kml_measure_write_vectors,
 * the same writer `kiloml export --measure` uses) are int16 raw inputs in Q q_in, a random walk
 * per feature, in flash (PROGMEM on AVR), split over several files so that each firmware image
 * stays inside 32 KB of flash.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiloml/deploy.h"
#include "kiloml/header.h"
#include "kiloml/measure.h"
#include "kiloml/rng.h"

static kml_rng rng;
static int32_t rng_int(int32_t lo, int32_t hi) /* inclusive */
{
    return lo + (int32_t)kml_rng_below(&rng, (uint32_t)(hi - lo + 1));
}

/* every allocation, freed at exit */
static void *allocs[64];
static int n_allocs;

/* ---- random matrices -------------------------------------------------------------------- */
static void free_all(void)
{
    while (n_allocs) free(allocs[--n_allocs]);
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p || n_allocs == (int)(sizeof allocs / sizeof allocs[0])) {
        fprintf(stderr, "kml_devgen: out of memory\n");
        free(p);
        free_all();
        exit(1);
    }
    allocs[n_allocs++] = p;
    return p;
}

/* rows×cols, int8 (|w| <= amp) or int16 (|w| <= amp * 256); density_pct < 100: sparse, each
 * entry kept with that probability (at least one per column). */
static kml_mat_q random_mat(uint16_t rows, uint16_t cols, int density_pct, int w16, int32_t amp)
{
    int sparse = density_pct < 100;
    kml_mat_q m;
    memset(&m, 0, sizeof m);
    m.rows = rows;
    m.cols = cols;
    m.wbits = w16 ? 16 : 8;
    m.q = w16 ? 15 : 7;
    m.layout = sparse ? KML_MAT_SPARSE : KML_MAT_DENSE;
    uint32_t cap = (uint32_t)rows * cols;
    int8_t *v8 = w16 ? NULL : xcalloc(cap, 1);
    int16_t *v16 = w16 ? xcalloc(cap, 2) : NULL;
    uint16_t *colptr = sparse ? xcalloc(cols + 1u, 2) : NULL;
    uint8_t *idx = sparse ? xcalloc(cap, 1) : NULL;
    /* int16: |w| <= amp * 256, and Σ_i |w_ij| <= 32768 (the runtime's accumulator bound) */
    int32_t w16_cap = amp * 256 < 32767 / rows ? amp * 256 : 32767 / rows;
    uint32_t n = 0;
    for (uint16_t j = 0; j < cols; j++) {
        uint16_t keep_row = (uint16_t)kml_rng_below(&rng, rows); /* never an empty column */
        for (uint16_t i = 0; i < rows; i++) {
            if (sparse && i != keep_row && (int)kml_rng_below(&rng, 100) >= density_pct) continue;
            int32_t w = rng_int(-amp, amp);
            if (w16) v16[n] = (int16_t)rng_int(-w16_cap, w16_cap);
            else v8[n] = (int8_t)w;
            if (sparse) idx[n] = (uint8_t)i;
            n++;
        }
        if (sparse) colptr[j + 1] = (uint16_t)n;
    }
    m.nnz = (uint16_t)n;
    m.w8 = v8;
    m.w16 = v16;
    m.colptr = colptr;
    m.idx8 = idx;
    return m;
}

/* --bitmap: a sparse matrix re-stored as KML_MAT_BITMAP (kml_mat.h): the same values in the same
 * order, the row indices and column pointers replaced by one bit per entry. */
static void to_bitmap(kml_mat_q *m)
{
    if (m->layout != KML_MAT_SPARSE) return;
    uint16_t rb = (uint16_t)((m->rows + 7u) / 8u);
    uint8_t *bm = xcalloc((size_t)m->cols * rb, 1);
    for (uint16_t j = 0; j < m->cols; j++)
        for (uint16_t k = m->colptr[j]; k < m->colptr[j + 1]; k++)
            bm[(size_t)j * rb + m->idx8[k] / 8u] |= (uint8_t)(1u << (m->idx8[k] % 8u));
    m->layout = KML_MAT_BITMAP;
    m->bitmap = bm;
    m->colptr = NULL;
    m->idx8 = NULL;
}

/* ---- commands ---------------------------------------------------------------------------- */
typedef struct {
    int cell, D, H, C, rank_w, rank_u, density_w, density_u, w16_u, T, windows, per_file, q_in, q_a;
    unsigned long seed;
    const char *name, *out;
    int bitmap;
    int gate_nl, update_nl; /* KML_ACT_* */
    const char *emi; /* "WINDOW,STRIDE,K,P": EMI-RNN defines in the header (bags of T samples), or NULL */
} options;

static int cmd_model(const options *o)
{
    kml_rnn_q m;
    memset(&m, 0, sizeof m);
    m.version = KML_DEPLOY_FORMAT_VERSION;
    m.cell = (uint8_t)o->cell;
    m.gate_nl = (uint8_t)o->gate_nl;
    m.update_nl = (uint8_t)o->update_nl;
    m.D = (uint16_t)o->D;
    m.H = (uint16_t)o->H;
    m.C = (uint16_t)o->C;
    /* formats: raw input Q8, normalised x Q12, h Q12, pre-activations Q12, gates Q14 */
    m.q_in = (uint8_t)o->q_in;
    m.q_x = 12;
    m.q_h = 12;
    m.q_a = (uint8_t)o->q_a;
    m.q_g = 14;
    m.W.rank = (uint8_t)o->rank_w;
    m.U.rank = (uint8_t)o->rank_u;
    m.W.q_mid = 12;
    m.U.q_mid = 12;
    if (m.W.rank) {
        m.W.a = random_mat(m.D, m.W.rank, o->density_w, 0, 48);
        m.W.b = random_mat(m.W.rank, m.H, o->density_w, 0, 48);
    } else {
        m.W.a = random_mat(m.D, m.H, o->density_w, 0, 48);
    }
    if (m.U.rank) {
        m.U.a = random_mat(m.H, m.U.rank, o->density_u, 0, 24);
        m.U.b = random_mat(m.U.rank, m.H, o->density_u, o->w16_u, 24);
    } else {
        m.U.a = random_mat(m.H, m.H, o->density_u, o->w16_u, 16);
    }
    if (o->bitmap) {
        to_bitmap(&m.W.a), to_bitmap(&m.W.b), to_bitmap(&m.U.a), to_bitmap(&m.U.b);
    }
    /* int16 weights carry q = 15: keep the shifts of kml_rnn.h in [0, 30] */
    m.V = random_mat(m.H, m.C, 100, 0, 100);
    int16_t *b_h = xcalloc(m.H, 2), *b_g = xcalloc(m.H, 2), *nm = xcalloc(m.D, 2), *ns = xcalloc(m.D, 2);
    int32_t *v = xcalloc(m.C, 4);
    for (int j = 0; j < m.H; j++) {
        b_h[j] = (int16_t)rng_int(-1024, 1024);
        b_g[j] = (int16_t)rng_int(-2048, 4096);
    }
    for (int k = 0; k < m.C; k++) v[k] = rng_int(-100000, 100000);
    /* raw input x_raw (Q q_in) -> x (Q 12): x = (x_raw - mean) * s >> 8, s = 2^(8 + 12 - q_in) / std */
    m.norm_shift = 8;
    for (int i = 0; i < m.D; i++) {
        nm[i] = (int16_t)rng_int(-256, 256);
        ns[i] = (int16_t)(((int32_t)1 << (8 + 12 - m.q_in)) * 4 / rng_int(2, 8)); /* std 0.5 .. 2 */
    }
    m.b_h = b_h;
    m.b_g = m.cell == KML_RNN_FASTGRNN ? b_g : NULL;
    m.v = v;
    m.norm_m = nm;
    m.norm_s = ns;
    m.s_alpha = (int16_t)(0.065 * 16384);
    m.s_beta = (int16_t)(0.95 * 16384);
    m.s_zeta = (int16_t)(0.73 * 16384);
    m.s_nu = (int16_t)(0.018 * 16384);
    kml_status s = kml_rnn_validate_q(&m);
    if (s != KML_OK) {
        fprintf(stderr, "kml_devgen: generated model does not validate: %s\n", kml_status_name(s));
        return 1;
    }
    kml_header_opts ho;
    kml_header_opts_init(&ho);
    ho.name = o->name;
    ho.test_T = o->T;
    ho.seed = o->seed;
    ho.source = "tools/kml_devgen.c (random weights)";
    kml_header_emi emi;
    if (o->emi) {
        char *end;
        emi.T = o->T;
        emi.window = (int)strtol(o->emi, &end, 10);
        emi.stride = *end == ',' ? (int)strtol(end + 1, &end, 10) : 0;
        emi.k = *end == ',' ? (int)strtol(end + 1, &end, 10) : 0;
        emi.p_hat = *end == ',' ? strtod(end + 1, &end) : 0.0;
        emi.negative = -1;
        if (*end || emi.stride < 1 || emi.k < 1) {
            fprintf(stderr, "kml_devgen: --emi expects WINDOW,STRIDE,K,P (e.g. 12,4,2,0.6), got '%s'\n", o->emi);
            return 2;
        }
        ho.emi = &emi;
    }
    kml_error err = {{0}};
    if (kml_header_write_q(o->out, &m, &ho, NULL, &err)) {
        fprintf(stderr, "kml_devgen: %s\n", err.msg);
        return 1;
    }
    return 0;
}

static int cmd_vectors(const options *o)
{
    int files = (o->windows + o->per_file - 1) / o->per_file;
    for (int fi = 0; fi < files; fi++) {
        char path[1024];
        snprintf(path, sizeof path, o->out, fi);
        int first = fi * o->per_file;
        int n = o->windows - first < o->per_file ? o->windows - first : o->per_file;
        kml_error err = {{0}};
        if (kml_measure_write_vectors(path, first, n, o->T, o->D, o->q_in, &rng, &err)) {
            fprintf(stderr, "kml_devgen: %s\n", err.msg);
            return 1;
        }
    }
    return 0;
}

/* the integer nonlinearities by name (KML_ACT_*), -1 for any other */
static int act_parse(const char *s)
{
    if (!strcmp(s, "quanttanh")) return KML_ACT_QUANTTANH;
    if (!strcmp(s, "quantsigm")) return KML_ACT_QUANTSIGM;
    if (!strcmp(s, "hardsigm")) return KML_ACT_HARDSIGM;
    if (!strcmp(s, "tanh")) return KML_ACT_TANH;
    if (!strcmp(s, "sigmoid")) return KML_ACT_SIGMOID;
    return -1;
}

static void usage(void)
{
    fprintf(stderr, "usage: kml_devgen model --cell fastgrnn|fastrnn --D n --H n --C n [--rank-w r] [--rank-u r]\n"
                    "                  [--density-w pct] [--density-u pct] [--sparse-w] [--w16-u] [--bitmap] [--q-a q]\n"
                    "                  [--gate-nl quantsigm|hardsigm|quanttanh|sigmoid|tanh] [--update-nl quanttanh|quantsigm|hardsigm|tanh|sigmoid]\n"
                    "                  [--seed s] [--T test_steps] [--emi WINDOW,STRIDE,K,P (bags of T samples, no negative)]\n"
                    "                  --name PREFIX -o model.h\n"
                    "       kml_devgen vectors --D n --T n --windows n --per-file n [--q-in q] [--seed s] -o v_%%d.h\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage();
        return 2;
    }
    options o = {KML_RNN_FASTGRNN, 9, 32, 6, 0, 0, 100, 100, 0, 32, 100, 25, 8, 12, 1, "DEV", NULL, 0,
                 KML_ACT_QUANTSIGM, KML_ACT_QUANTTANH, NULL};
    static const struct option longopts[] = {
        {"cell", required_argument, 0, 'c'},  {"D", required_argument, 0, 'D'},
        {"H", required_argument, 0, 'H'},     {"C", required_argument, 0, 'C'},
        {"rank-w", required_argument, 0, 'w'}, {"rank-u", required_argument, 0, 'u'},
        {"sparse-w", no_argument, 0, 's'},    {"w16-u", no_argument, 0, 'x'},
        {"bitmap", no_argument, 0, 'b'},
        {"density-w", required_argument, 0, 'W'}, {"density-u", required_argument, 0, 'U'},
        {"T", required_argument, 0, 'T'},     {"windows", required_argument, 0, 'n'},
        {"per-file", required_argument, 0, 'p'}, {"q-in", required_argument, 0, 'q'},
        {"q-a", required_argument, 0, 'A'},
        {"seed", required_argument, 0, 'S'},  {"name", required_argument, 0, 'N'},
        {"output", required_argument, 0, 'o'}, {"emi", required_argument, 0, 'E'},
        {"gate-nl", required_argument, 0, 'g'}, {"update-nl", required_argument, 0, 'h'}, {0, 0, 0, 0}};
    int opt;
    optind = 2;
    while ((opt = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': o.cell = !strcmp(optarg, "fastrnn") ? KML_RNN_FASTRNN : KML_RNN_FASTGRNN; break;
        case 'D': o.D = atoi(optarg); break;
        case 'H': o.H = atoi(optarg); break;
        case 'C': o.C = atoi(optarg); break;
        case 'w': o.rank_w = atoi(optarg); break;
        case 'u': o.rank_u = atoi(optarg); break;
        case 's': o.density_w = 50; break;
        case 'W': o.density_w = atoi(optarg); break;
        case 'U': o.density_u = atoi(optarg); break;
        case 'x': o.w16_u = 1; break;
        case 'b': o.bitmap = 1; break;
        case 'T': o.T = atoi(optarg); break;
        case 'n': o.windows = atoi(optarg); break;
        case 'p': o.per_file = atoi(optarg); break;
        case 'q': o.q_in = atoi(optarg); break;
        case 'A': o.q_a = atoi(optarg); break;
        case 'S': o.seed = strtoul(optarg, NULL, 0); break;
        case 'N': o.name = optarg; break;
        case 'o': o.out = optarg; break;
        case 'E': o.emi = optarg; break;
        case 'g':
        case 'h':
            if ((opt == 'g' ? (o.gate_nl = act_parse(optarg)) : (o.update_nl = act_parse(optarg))) < 0) {
                usage();
                return 2;
            }
            break;
        default: usage(); return 2;
        }
    }
    if (!o.out || o.D < 1 || o.D > 255 || o.H < 1 || o.H > 255 || o.C < 1 || o.T < 1 || o.windows < 1 ||
        o.per_file < 1 || o.q_in < 0 || o.q_in > 12 || o.q_a < 8 || o.q_a > 19 || o.density_w < 1 || o.density_w > 100 ||
        o.density_u < 1 || o.density_u > 100) {
        usage();
        return 2;
    }
    kml_rng_seed(&rng, o.seed);
    int rc = 2;
    if (!strcmp(argv[1], "model")) rc = cmd_model(&o);
    else if (!strcmp(argv[1], "vectors")) rc = cmd_vectors(&o);
    else usage();
    free_all();
    return rc;
}
