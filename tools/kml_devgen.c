/* tools/kml_devgen.c: test vectors for the device tests, and (until the header generator of
 * export/ can be driven from a trained model in the build) a seeded random integer model.
 *
 *   kml_devgen model   --cell fastgrnn|fastrnn --D 9 --H 32 --C 6 [--rank-w 4] [--rank-u 8]
 *                      [--sparse-w] [--w16-u] [--seed 1] --name DEV -o model.h
 *   kml_devgen vectors --D 9 --T 32 --windows 100 --per-file 25 [--seed 2] [--q-in 8]
 *                      -o vectors_%d.h
 *
 * The model is built through the runtime's own structs (deploy/include/kiloml/kml_rnn.h) and
 * must pass kml_rnn_validate_q before it is written. Weights are random but the Q formats are
 * the ones a quantizer would pick for inputs of a few units (see pick_formats). The vectors are
 * int16 raw inputs (Q q_in), a smooth random walk per feature, in flash (KML_FLASH = PROGMEM on
 * AVR), several files so each firmware image stays inside 32 KB of flash.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiloml/deploy.h"

/* ---- seeded generator (splitmix64): same seed, same files ------------------------------- */
static uint64_t rng_state;
static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static int32_t rng_int(int32_t lo, int32_t hi) /* inclusive */
{
    return lo + (int32_t)(rng_next() % (uint64_t)(hi - lo + 1));
}

/* ---- random matrices -------------------------------------------------------------------- */
typedef struct {
    const char *name;
    kml_mat_q m;
} named_mat;

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        fprintf(stderr, "kml_devgen: out of memory\n");
        exit(1);
    }
    return p;
}

/* rows×cols, int8 (|w| <= amp) or int16 (|w| <= amp * 256), dense or sparse (density 1/2). */
static kml_mat_q random_mat(uint16_t rows, uint16_t cols, int sparse, int w16, int32_t amp)
{
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
        for (uint16_t i = 0; i < rows; i++) {
            if (sparse && (rng_next() & 1)) continue;
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

/* ---- header writing --------------------------------------------------------------------- */
static void emit_array(FILE *f, const char *ctype, const char *name, const void *data, uint32_t n, int bytes,
                       int is_signed)
{
    fprintf(f, "static const %s %s[%lu] KML_FLASH = {", ctype, name, (unsigned long)(n ? n : 1));
    for (uint32_t i = 0; i < (n ? n : 1); i++) {
        long v = 0;
        if (n) {
            if (bytes == 1) v = is_signed ? ((const int8_t *)data)[i] : ((const uint8_t *)data)[i];
            else if (bytes == 2) v = is_signed ? ((const int16_t *)data)[i] : ((const uint16_t *)data)[i];
            else v = ((const int32_t *)data)[i];
        }
        fprintf(f, "%s%s%ld%s", i ? "," : "", i % 16 ? "" : "\n    ", v, bytes == 4 ? "L" : "");
    }
    fprintf(f, "\n};\n");
}

static void emit_mat_data(FILE *f, const char *prefix, const char *tag, const kml_mat_q *m)
{
    char name[128];
    uint32_t n = m->layout == KML_MAT_DENSE ? (uint32_t)m->rows * m->cols : m->nnz;
    snprintf(name, sizeof name, "%s_%s_w", prefix, tag);
    if (m->wbits == 8) emit_array(f, "int8_t", name, m->w8, n, 1, 1);
    else emit_array(f, "int16_t", name, m->w16, n, 2, 1);
    if (m->layout == KML_MAT_SPARSE) {
        snprintf(name, sizeof name, "%s_%s_colptr", prefix, tag);
        emit_array(f, "uint16_t", name, m->colptr, m->cols + 1u, 2, 0);
        snprintf(name, sizeof name, "%s_%s_idx", prefix, tag);
        emit_array(f, "uint8_t", name, m->idx8, m->nnz, 1, 0);
    }
}

static void emit_mat_init(FILE *f, const char *prefix, const char *tag, const kml_mat_q *m)
{
    fprintf(f, "{%u, %u, %s, %u, %u, %u, ", m->rows, m->cols,
            m->layout == KML_MAT_DENSE ? "KML_MAT_DENSE" : "KML_MAT_SPARSE", m->wbits, m->q, m->nnz);
    if (m->wbits == 8) fprintf(f, "%s_%s_w, NULL, ", prefix, tag);
    else fprintf(f, "NULL, %s_%s_w, ", prefix, tag);
    if (m->layout == KML_MAT_SPARSE) fprintf(f, "%s_%s_colptr, %s_%s_idx, NULL}", prefix, tag, prefix, tag);
    else fprintf(f, "NULL, NULL, NULL}");
}

static void emit_lin_init(FILE *f, const char *prefix, const char *tag, const kml_lin_q *l)
{
    char a[32], b[32];
    snprintf(a, sizeof a, "%s_a", tag);
    snprintf(b, sizeof b, "%s_b", tag);
    fprintf(f, "    {%u, %u, ", l->rank, l->q_mid);
    emit_mat_init(f, prefix, a, &l->a);
    fprintf(f, ",\n     ");
    if (l->rank) emit_mat_init(f, prefix, b, &l->b);
    else fprintf(f, "{0, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL}");
    fprintf(f, "},\n");
}

static int write_model(const char *path, const char *prefix, const kml_rnn_q *m)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        perror(tmp);
        return -1;
    }
    fprintf(f, "/* %s: random integer %s model for the device tests (tools/kml_devgen.c).\n"
               " * D=%u H=%u C=%u rank W=%u U=%u. Generated: do not edit. */\n",
            path, m->cell == KML_RNN_FASTGRNN ? "FastGRNN" : "FastRNN", m->D, m->H, m->C, m->W.rank, m->U.rank);
    fprintf(f, "#ifndef %s_MODEL_H\n#define %s_MODEL_H\n#include \"kiloml/deploy.h\"\n\n", prefix, prefix);
    fprintf(f, "#define %s_D %u\n#define %s_H %u\n#define %s_C %u\n", prefix, m->D, prefix, m->H, prefix, m->C);
    fprintf(f, "#define %s_STATE_ELEMS KML_RNN_STATE_ELEMS(%u)\n", prefix, m->H);
    fprintf(f, "#define %s_SCRATCH_ELEMS KML_RNN_SCRATCH_ELEMS(%u, %u, %u, %u)\n\n", prefix, m->D, m->H, m->W.rank,
            m->U.rank);
    emit_mat_data(f, prefix, "W_a", &m->W.a);
    if (m->W.rank) emit_mat_data(f, prefix, "W_b", &m->W.b);
    emit_mat_data(f, prefix, "U_a", &m->U.a);
    if (m->U.rank) emit_mat_data(f, prefix, "U_b", &m->U.b);
    emit_mat_data(f, prefix, "V", &m->V);
    char name[128];
    snprintf(name, sizeof name, "%s_b_h", prefix);
    emit_array(f, "int16_t", name, m->b_h, m->H, 2, 1);
    if (m->b_g) {
        snprintf(name, sizeof name, "%s_b_g", prefix);
        emit_array(f, "int16_t", name, m->b_g, m->H, 2, 1);
    }
    snprintf(name, sizeof name, "%s_v", prefix);
    emit_array(f, "int32_t", name, m->v, m->C, 4, 1);
    snprintf(name, sizeof name, "%s_norm_m", prefix);
    emit_array(f, "int16_t", name, m->norm_m, m->D, 2, 1);
    snprintf(name, sizeof name, "%s_norm_s", prefix);
    emit_array(f, "int16_t", name, m->norm_s, m->D, 2, 1);

    fprintf(f, "\nstatic const kml_rnn_q %s_model = {\n", prefix);
    fprintf(f, "    KML_DEPLOY_FORMAT_VERSION, %u, %u, %u, %u, %u, %u,\n", m->cell, m->gate_nl, m->update_nl, m->D,
            m->H, m->C);
    fprintf(f, "    %u, %u, %u, %u, %u,\n", m->q_in, m->q_x, m->q_h, m->q_a, m->q_g);
    emit_lin_init(f, prefix, "W", &m->W);
    emit_lin_init(f, prefix, "U", &m->U);
    fprintf(f, "    %s_b_h, ", prefix);
    if (m->b_g) fprintf(f, "%s_b_g, ", prefix);
    else fprintf(f, "NULL, ");
    fprintf(f, "%d, %d, %d, %d,\n    ", m->s_alpha, m->s_beta, m->s_zeta, m->s_nu);
    emit_mat_init(f, prefix, "V", &m->V);
    fprintf(f, ",\n    %s_v, %s_norm_m, %s_norm_s, %u};\n\n#endif\n", prefix, prefix, prefix, m->norm_shift);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}

/* ---- commands ---------------------------------------------------------------------------- */
typedef struct {
    int cell, D, H, C, rank_w, rank_u, sparse_w, w16_u, T, windows, per_file, q_in;
    unsigned long seed;
    const char *name, *out;
} options;

static int cmd_model(const options *o)
{
    kml_rnn_q m;
    memset(&m, 0, sizeof m);
    m.version = KML_DEPLOY_FORMAT_VERSION;
    m.cell = (uint8_t)o->cell;
    m.gate_nl = KML_ACT_QUANTSIGM;
    m.update_nl = KML_ACT_QUANTTANH;
    m.D = (uint16_t)o->D;
    m.H = (uint16_t)o->H;
    m.C = (uint16_t)o->C;
    /* formats: raw input Q8, normalised x Q12, h Q12, pre-activations Q12, gates Q14 */
    m.q_in = (uint8_t)o->q_in;
    m.q_x = 12;
    m.q_h = 12;
    m.q_a = 12;
    m.q_g = 14;
    m.W.rank = (uint8_t)o->rank_w;
    m.U.rank = (uint8_t)o->rank_u;
    m.W.q_mid = 12;
    m.U.q_mid = 12;
    if (m.W.rank) {
        m.W.a = random_mat(m.D, m.W.rank, o->sparse_w, 0, 48);
        m.W.b = random_mat(m.W.rank, m.H, o->sparse_w, 0, 48);
    } else {
        m.W.a = random_mat(m.D, m.H, o->sparse_w, 0, 48);
    }
    if (m.U.rank) {
        m.U.a = random_mat(m.H, m.U.rank, 0, 0, 24);
        m.U.b = random_mat(m.U.rank, m.H, 0, o->w16_u, 24);
    } else {
        m.U.a = random_mat(m.H, m.H, 0, o->w16_u, 16);
    }
    /* int16 weights carry q = 15: keep the shifts of kml_rnn.h in [0, 30] */
    m.V = random_mat(m.H, m.C, 0, 0, 100);
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
    return write_model(o->out, o->name, &m) ? 1 : 0;
}

static int cmd_vectors(const options *o)
{
    int files = (o->windows + o->per_file - 1) / o->per_file;
    int16_t *x = xcalloc((size_t)o->T * o->D, 2);
    int32_t *level = xcalloc((size_t)o->D, 4);
    for (int fi = 0; fi < files; fi++) {
        char path[1024], tmp[1100];
        snprintf(path, sizeof path, o->out, fi);
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        int first = fi * o->per_file;
        int n = o->windows - first < o->per_file ? o->windows - first : o->per_file;
        FILE *f = fopen(tmp, "w");
        if (!f) {
            perror(tmp);
            return 1;
        }
        fprintf(f, "/* %s: device-test input windows %d..%d (tools/kml_devgen.c, seed %lu). */\n", path, first,
                first + n - 1, o->seed);
        fprintf(f, "#ifndef KML_VECTORS_H\n#define KML_VECTORS_H\n#include \"kiloml/kml_port.h\"\n");
        fprintf(f, "#define KML_VEC_FIRST %d\n#define KML_VEC_N %d\n#define KML_VEC_T %d\n#define KML_VEC_D %d\n",
                first, n, o->T, o->D);
        fprintf(f, "static const int16_t kml_vec_x[%d] KML_FLASH = {", n * o->T * o->D);
        long k = 0;
        for (int w = 0; w < n; w++) {
            /* a smooth random walk around a random level per feature, |x| < 6 in real units */
            for (int i = 0; i < o->D; i++) level[i] = rng_int(-2, 2) << o->q_in;
            for (int t = 0; t < o->T; t++)
                for (int i = 0; i < o->D; i++) {
                    int32_t lim = 6 << o->q_in;
                    level[i] += rng_int(-(1 << o->q_in) / 2, (1 << o->q_in) / 2);
                    if (level[i] > lim) level[i] = lim;
                    if (level[i] < -lim) level[i] = -lim;
                    fprintf(f, "%s%s%d", k ? "," : "", k % 16 ? "" : "\n    ", (int)level[i]);
                    k++;
                }
        }
        fprintf(f, "\n};\n#endif\n");
        if (fclose(f) != 0 || rename(tmp, path) != 0) {
            perror(path);
            return 1;
        }
    }
    free(x);
    free(level);
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: kml_devgen model --cell fastgrnn|fastrnn --D n --H n --C n [--rank-w r] [--rank-u r]\n"
                    "                  [--sparse-w] [--w16-u] [--seed s] --name PREFIX -o model.h\n"
                    "       kml_devgen vectors --D n --T n --windows n --per-file n [--q-in q] [--seed s] -o v_%%d.h\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage();
        return 2;
    }
    options o = {KML_RNN_FASTGRNN, 9, 32, 6, 0, 0, 0, 0, 32, 100, 25, 8, 1, "DEV", NULL};
    static const struct option longopts[] = {
        {"cell", required_argument, 0, 'c'},  {"D", required_argument, 0, 'D'},
        {"H", required_argument, 0, 'H'},     {"C", required_argument, 0, 'C'},
        {"rank-w", required_argument, 0, 'w'}, {"rank-u", required_argument, 0, 'u'},
        {"sparse-w", no_argument, 0, 's'},    {"w16-u", no_argument, 0, 'x'},
        {"T", required_argument, 0, 'T'},     {"windows", required_argument, 0, 'n'},
        {"per-file", required_argument, 0, 'p'}, {"q-in", required_argument, 0, 'q'},
        {"seed", required_argument, 0, 'S'},  {"name", required_argument, 0, 'N'},
        {"output", required_argument, 0, 'o'}, {0, 0, 0, 0}};
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
        case 's': o.sparse_w = 1; break;
        case 'x': o.w16_u = 1; break;
        case 'T': o.T = atoi(optarg); break;
        case 'n': o.windows = atoi(optarg); break;
        case 'p': o.per_file = atoi(optarg); break;
        case 'q': o.q_in = atoi(optarg); break;
        case 'S': o.seed = strtoul(optarg, NULL, 0); break;
        case 'N': o.name = optarg; break;
        case 'o': o.out = optarg; break;
        default: usage(); return 2;
        }
    }
    if (!o.out || o.D < 1 || o.D > 255 || o.H < 1 || o.H > 255 || o.C < 1 || o.T < 1 || o.windows < 1 ||
        o.per_file < 1 || o.q_in < 0 || o.q_in > 12) {
        usage();
        return 2;
    }
    rng_state = o.seed;
    if (!strcmp(argv[1], "model")) return cmd_model(&o);
    if (!strcmp(argv[1], "vectors")) return cmd_vectors(&o);
    usage();
    return 2;
}
