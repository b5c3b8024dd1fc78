/* header.c: write one C header holding a deploy/ model (see kiloml/header.h for its contents). */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kiloml/emi.h"
#include "kiloml/header.h"
#include "kiloml/rng.h"
#include "header_layout.h"

static const char *const target_names[KML_TARGET_COUNT] = {"host", "atmega328p", "cortex-m0plus"};
/* Budgets of the product card: both chips get 32 KB of flash and 2 KB of RAM. */
static const uint32_t target_flash[KML_TARGET_COUNT] = {0, 32768, 32768};
static const uint32_t target_ram[KML_TARGET_COUNT] = {0, 2048, 2048};

const char *kml_target_name(kml_target t) { return t >= 0 && t < KML_TARGET_COUNT ? target_names[t] : "?"; }

int kml_target_parse(const char *s, kml_target *out)
{
    for (int t = 0; t < KML_TARGET_COUNT; t++)
        if (!strcmp(s, target_names[t])) return *out = (kml_target)t, 0;
    return -1;
}

void kml_header_opts_init(kml_header_opts *o)
{
    memset(o, 0, sizeof *o);
    o->name = "KML_MODEL";
    o->target = KML_TARGET_HOST;
    o->test_T = 16;
    o->seed = 1;
}

static int valid_identifier(const char *s)
{
    if (!s || !*s || !(isalpha((unsigned char)*s) || *s == '_')) return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_')) return 0;
    return 1;
}

static int check_opts(const kml_header_opts *o, kml_error *err)
{
    if (!valid_identifier(o->name))
        return kml_error_set(err, "export: --name '%s' is not a C identifier (letters, digits, _; not starting with a digit)",
                             o->name ? o->name : "");
    if (strlen(o->name) > 64) return kml_error_set(err, "export: --name '%s' is longer than 64 characters", o->name);
    if (o->target < 0 || o->target >= KML_TARGET_COUNT) return kml_error_set(err, "export: unknown target %d", (int)o->target);
    if (o->test_T < 1 || o->test_T > 4096) return kml_error_set(err, "export: test input length %d outside 1..4096", o->test_T);
    return 0;
}

/* ---- array emitters ---- */
typedef struct {
    FILE *f;
    const char *P;
    uint32_t flash;   /* bytes of model arrays written so far */
    int bad_float;
} out_t;

#define PER_LINE 12

static void open_array(out_t *o, const char *ctype, const char *name, size_t n)
{
    fprintf(o->f, "static const %s %s_%s[%zu] KML_FLASH = {", ctype, o->P, name, n);
}

static void close_array(out_t *o) { fprintf(o->f, "\n};\n"); }

static void sep(out_t *o, size_t k) { fputs(k % PER_LINE ? ", " : (k ? ",\n    " : "\n    "), o->f); }

static void arr_i64(out_t *o, const char *ctype, size_t esize, const char *name, size_t n, long long (*get)(const void *, size_t),
                    const void *p, int counts)
{
    open_array(o, ctype, name, n);
    for (size_t k = 0; k < n; k++) {
        sep(o, k);
        long long v = get(p, k);
        if (esize == 4 && v == -2147483648LL) fprintf(o->f, "(-2147483647 - 1)");
        else fprintf(o->f, "%lld", v);
    }
    close_array(o);
    if (counts) o->flash += (uint32_t)(n * esize);
}

static long long g_i8(const void *p, size_t k) { return ((const int8_t *)p)[k]; }
static long long g_u8(const void *p, size_t k) { return ((const uint8_t *)p)[k]; }
static long long g_i16(const void *p, size_t k) { return ((const int16_t *)p)[k]; }
static long long g_u16(const void *p, size_t k) { return ((const uint16_t *)p)[k]; }
static long long g_i32(const void *p, size_t k) { return ((const int32_t *)p)[k]; }

/* A float literal that C reads back to the same float: 9 significant digits, always with a '.' or
 * an exponent before the f suffix. */
static void put_float(FILE *f, float v)
{
    char b[48];
    snprintf(b, sizeof b, "%.9g", (double)v);
    fputs(b, f);
    if (!strpbrk(b, ".e")) fputs(".0", f);
    fputc('f', f);
}

static void arr_f32(out_t *o, const char *name, size_t n, const float *p, int counts)
{
    open_array(o, "float", name, n);
    for (size_t k = 0; k < n; k++) {
        sep(o, k);
        if (!isfinite(p[k])) o->bad_float = 1;
        put_float(o->f, p[k]);
    }
    close_array(o);
    if (counts) o->flash += (uint32_t)(n * 4);
}

static void fl(out_t *o, const char *s, float v)
{
    if (!isfinite(v)) o->bad_float = 1;
    fputs(s, o->f);
    put_float(o->f, v);
}

static const char *layout_macro(uint8_t layout)
{
    return layout == KML_MAT_DENSE ? "KML_MAT_DENSE" : layout == KML_MAT_BITMAP ? "KML_MAT_BITMAP" : "KML_MAT_SPARSE";
}

/* name of a matrix's arrays: PREFIX_<tag>_val / _ptr / _idx (CSC) / _bm (bitmap) */
static size_t mat_values(uint8_t layout, uint16_t rows, uint16_t cols, uint16_t nnz)
{
    size_t n = layout == KML_MAT_DENSE ? (size_t)rows * cols : nnz;
    return n ? n : 1; /* C has no empty arrays */
}

/* the pattern of a sparse matrix (float or integer: the same arrays): CSC column pointers and row
 * indices, or the bitmap, cols × ceil(rows / 8) bytes (kml_mat.h) */
static void emit_index_arrays(out_t *o, const char *tag, uint8_t layout, uint16_t rows, uint16_t cols, size_t n,
                              const uint16_t *colptr, const uint8_t *idx8, const uint16_t *idx16, const uint8_t *bm)
{
    char nm[96];
    if (layout == KML_MAT_BITMAP) {
        snprintf(nm, sizeof nm, "%s_bm", tag);
        arr_i64(o, "uint8_t", 1, nm, (size_t)cols * ((rows + 7u) / 8u), g_u8, bm, 1);
    }
    if (layout != KML_MAT_SPARSE) return;
    snprintf(nm, sizeof nm, "%s_ptr", tag);
    arr_i64(o, "uint16_t", 2, nm, (size_t)cols + 1, g_u16, colptr, 1);
    snprintf(nm, sizeof nm, "%s_idx", tag);
    if (rows <= 256) arr_i64(o, "uint8_t", 1, nm, n, g_u8, idx8, 1);
    else arr_i64(o, "uint16_t", 2, nm, n, g_u16, idx16, 1);
}

static void emit_mat_f32_arrays(out_t *o, const char *tag, const kml_mat_f32 *m)
{
    char nm[96];
    size_t n = mat_values(m->layout, m->rows, m->cols, m->nnz);
    snprintf(nm, sizeof nm, "%s_val", tag);
    arr_f32(o, nm, n, m->val, 1);
    emit_index_arrays(o, tag, m->layout, m->rows, m->cols, n, m->colptr, m->idx8, m->idx16, m->bitmap);
}

static void emit_mat_q_arrays(out_t *o, const char *tag, const kml_mat_q *m)
{
    char nm[96];
    size_t n = mat_values(m->layout, m->rows, m->cols, m->nnz);
    snprintf(nm, sizeof nm, "%s_val", tag);
    if (m->wbits == 8) arr_i64(o, "int8_t", 1, nm, n, g_i8, m->w8, 1);
    else arr_i64(o, "int16_t", 2, nm, n, g_i16, m->w16, 1);
    emit_index_arrays(o, tag, m->layout, m->rows, m->cols, n, m->colptr, m->idx8, m->idx16, m->bitmap);
}

static void emit_index_init(out_t *o, const char *tag, uint8_t layout, uint16_t rows)
{
    const char *P = o->P;
    if (layout == KML_MAT_SPARSE) {
        fprintf(o->f, ", .colptr = %s_%s_ptr", P, tag);
        if (rows <= 256) fprintf(o->f, ", .idx8 = %s_%s_idx", P, tag);
        else fprintf(o->f, ", .idx16 = %s_%s_idx", P, tag);
    }
    if (layout == KML_MAT_BITMAP) fprintf(o->f, ", .bitmap = %s_%s_bm", P, tag);
}

static void emit_mat_f32_init(out_t *o, const char *field, const char *tag, const kml_mat_f32 *m)
{
    fprintf(o->f, "    %s = {.rows = %u, .cols = %u, .layout = %s, .nnz = %u, .val = %s_%s_val", field, m->rows, m->cols,
            layout_macro(m->layout), m->nnz, o->P, tag);
    emit_index_init(o, tag, m->layout, m->rows);
    fprintf(o->f, "},\n");
}

static void emit_mat_q_init(out_t *o, const char *field, const char *tag, const kml_mat_q *m)
{
    fprintf(o->f, "    %s = {.rows = %u, .cols = %u, .layout = %s, .wbits = %u, .q = %u, .nnz = %u, .%s = %s_%s_val", field,
            m->rows, m->cols, layout_macro(m->layout), m->wbits, m->q, m->nnz,
            m->wbits == 8 ? "w8" : "w16", o->P, tag);
    emit_index_init(o, tag, m->layout, m->rows);
    fprintf(o->f, "},\n");
}

/* ---- the file: temporary + rename ---- */
typedef struct {
    char tmp[4096];
    FILE *f;
} tmpfile_t;

static int tmp_open(tmpfile_t *t, const char *path, kml_error *err)
{
    if (snprintf(t->tmp, sizeof t->tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof t->tmp)
        return kml_error_set(err, "export: path too long: %s", path);
    int fd = mkstemp(t->tmp);
    if (fd < 0) return kml_error_set(err, "export: cannot create %s: %s", t->tmp, strerror(errno));
    t->f = fdopen(fd, "w");
    if (!t->f) {
        close(fd);
        unlink(t->tmp);
        return kml_error_set(err, "export: cannot write %s: %s", t->tmp, strerror(errno));
    }
    return 0;
}

static int tmp_close(tmpfile_t *t, const char *path, int ok, kml_error *err)
{
    int werr = ferror(t->f);
    if (fclose(t->f) != 0) werr = 1;
    if (!ok || werr) {
        unlink(t->tmp);
        if (ok) return kml_error_set(err, "export: write error on %s: %s", path, strerror(errno));
        return -1;
    }
    if (rename(t->tmp, path) != 0) {
        int e = errno;
        unlink(t->tmp);
        return kml_error_set(err, "export: cannot rename %s to %s: %s", t->tmp, path, strerror(e));
    }
    return 0;
}

static void emit_preamble(out_t *o, const kml_header_opts *opt, const char *kind, int is_q)
{
    FILE *f = o->f;
    const char *P = o->P;
    fprintf(f, "/* %s.h: a %s model for the kiloml device runtime (deploy/), written by `kiloml export`.\n", P, kind);
    if (opt->source) fprintf(f, " * Source: %s\n", opt->source);
    fprintf(f, " * Target: %s. Include this header in ONE .c file; compile with deploy/include on the path.\n",
            kml_target_name(opt->target));
    fprintf(f, " * Use: see kiloml/kml_rnn.h (kml_rnn_init%s, kml_rnn_step%s, kml_rnn_logits%s). */\n", is_q ? "_q" : "_f32",
            is_q ? "_q" : "_f32", is_q ? "_q" : "_f32");
    fprintf(f, "#ifndef %s_KILOML_MODEL_H\n#define %s_KILOML_MODEL_H\n\n#include <stdint.h>\n#include \"kiloml/deploy.h\"\n\n", P, P);
    fprintf(f, "#define %s_FORMAT_VERSION %d\n", P, KML_DEPLOY_FORMAT_VERSION);
    fprintf(f, "#if KML_DEPLOY_FORMAT_VERSION != %s_FORMAT_VERSION\n#error \"%s.h was exported for deploy format %d\"\n#endif\n",
            P, P, KML_DEPLOY_FORMAT_VERSION);
    fprintf(f, "#define %s_TARGET \"%s\"\n", P, kml_target_name(opt->target));
}

static void emit_dims(out_t *o, uint8_t cell, uint16_t D, uint16_t H, uint16_t C, uint8_t rw, uint8_t ru, int is_q,
                      const kml_header_opts *opt)
{
    FILE *f = o->f;
    const char *P = o->P;
    fprintf(f, "#define %s_IS_INTEGER %d\n", P, is_q);
    fprintf(f, "#define %s_CELL %s\n", P, cell == KML_RNN_FASTGRNN ? "KML_RNN_FASTGRNN" : "KML_RNN_FASTRNN");
    fprintf(f, "#define %s_D %u\n#define %s_H %u\n#define %s_C %u\n#define %s_RANK_W %u\n#define %s_RANK_U %u\n", P, D, P, H, P,
            C, P, rw, P, ru);
    fprintf(f, "#define %s_STATE_ELEMS KML_RNN_STATE_ELEMS(%u)\n", P, H);
    fprintf(f, "#define %s_SCRATCH_ELEMS KML_RNN_SCRATCH_ELEMS(%u, %u, %u, %u)\n", P, D, H, rw, ru);
    fprintf(f, "typedef %s %s_elem_t;\ntypedef %s %s_logit_t;\n", is_q ? "int16_t" : "float", P, is_q ? "int32_t" : "float", P);
    if (opt->class_names) {
        fprintf(f, "/* classes:");
        for (int k = 0; k < C; k++) {
            fputc(' ', f);
            for (const char *s = opt->class_names[k] ? opt->class_names[k] : "?"; *s; s++)
                fputc(isprint((unsigned char)*s) && *s != '*' && *s != '/' ? *s : '_', f);
            fputc(k + 1 < C ? ',' : ' ', f);
        }
        fprintf(f, "*/\n");
    }
    fputc('\n', f);
}

uint16_t kml_header_emi_p_q15(double p)
{
    long v = lrint(p * 32768.0);
    return (uint16_t)(v < 1 ? 1 : (v > 32768 ? 32768 : v));
}

/* 0, or -1 naming the bad EMI setting (nothing is written then). */
static int check_emi(const kml_header_emi *e, int C, kml_error *err)
{
    if (!e) return 0;
    if (e->window < 1 || e->stride < 1 || e->T < 1 || e->T > 65535 || e->window > 65535 || e->stride > 65535)
        return kml_error_set(err, "export: EMI settings out of range (T %d, window %d, stride %d)", e->T, e->window,
                             e->stride);
    int n = kml_emi_count((uint16_t)e->T, (uint16_t)e->window, (uint16_t)e->stride);
    if (n < 1 || n > 255)
        return kml_error_set(err, "export: EMI T %d, window %d, stride %d give %d instances (1..255 expected)", e->T,
                             e->window, e->stride, n);
    if (e->k < 1 || e->k > 255) return kml_error_set(err, "export: EMI k must be in 1..255 (got %d)", e->k);
    if (e->negative < -1 || e->negative >= C)
        return kml_error_set(err, "export: EMI negative class %d is not -1 (none) or a class 0..%d", e->negative, C - 1);
    if (!(e->p_hat > 0.0 && e->p_hat <= 1.0))
        return kml_error_set(err, "export: the EMI threshold must be in (0, 1] (got %g)", e->p_hat);
    return 0;
}

static void emit_emi(out_t *o, const kml_header_emi *e)
{
    if (!e) return;
    FILE *f = o->f;
    const char *P = o->P;
    int n = kml_emi_count((uint16_t)e->T, (uint16_t)e->window, (uint16_t)e->stride);
    fprintf(f, "/* EMI-RNN (kiloml/emi.h): bags of %s_EMI_T samples, instances of %s_EMI_WINDOW at stride\n", P, P);
    fprintf(f, " * %s_EMI_STRIDE, a run of %s_EMI_K decides a bag, early exit at confidence %s_EMI_P\n", P, P, P);
    fprintf(f, " * (%s_EMI_P_Q15 in Q15 for kml_emi_stream_init_q). NEGATIVE (-1) = KML_EMI_NO_NEGATIVE. */\n", P);
    fprintf(f, "#define %s_EMI_T %d\n#define %s_EMI_WINDOW %d\n#define %s_EMI_STRIDE %d\n", P, e->T, P, e->window, P,
            e->stride);
    fprintf(f, "#define %s_EMI_N_INST %d\n#define %s_EMI_K %d\n#define %s_EMI_NEGATIVE (%d)\n", P, n, P, e->k, P,
            e->negative);
    fprintf(f, "#define %s_EMI_P %.9gf\n#define %s_EMI_P_Q15 %uu\n\n", P, e->p_hat, P,
            (unsigned)kml_header_emi_p_q15(e->p_hat));
}

static void emit_sizes(out_t *o, const char *desc_type, uint32_t test_flash)
{
    FILE *f = o->f;
    const char *P = o->P;
    fprintf(f, "\n/* Bytes of flash the model arrays take (weights, indices, biases, normalisation): %u.\n", o->flash);
    fprintf(f, " * FLASH_BYTES adds the descriptor; RAM_BYTES is state + scratch, plus the descriptor on AVR\n");
    fprintf(f, " * (KML_DESC_IN_RAM). Neither counts the runtime's code or the test vectors (%u bytes). */\n", test_flash);
    fprintf(f, "#define %s_ARRAY_BYTES %uu\n", P, o->flash);
    fprintf(f, "#define %s_FLASH_BYTES (%s_ARRAY_BYTES + sizeof(%s))\n", P, P, desc_type);
    fprintf(f, "#define %s_RAM_BYTES ((%s_STATE_ELEMS + %s_SCRATCH_ELEMS) * sizeof(%s_elem_t) + (KML_DESC_IN_RAM ? sizeof(%s) : 0))\n",
            P, P, P, P, desc_type);
}

static int budget(const kml_header_opts *opt, uint32_t flash, uint32_t ram, kml_header_figures *fig, uint32_t desc,
                  kml_error *err)
{
    if (fig) fig->flash_bytes = flash, fig->ram_bytes = ram, fig->desc_bytes = desc;
    uint32_t fmax = target_flash[opt->target], rmax = target_ram[opt->target];
    if (fmax && flash > fmax)
        return kml_error_set(err, "export: the model needs %u bytes of flash, %s has %u", flash, kml_target_name(opt->target), fmax);
    if (rmax && ram > rmax)
        return kml_error_set(err, "export: the model needs %u bytes of RAM (state + scratch%s), %s has %u", ram,
                             opt->target == KML_TARGET_ATMEGA328P ? " + descriptor" : "", kml_target_name(opt->target), rmax);
    return 0;
}

/* ---- what both writers share ---- */
/* The names of a linear map's factors: arrays PREFIX_<name>_a / _b, fields .<name>.a / .b */
typedef struct {
    char ta[64], tb[64], fa[80], fb[80];
} lin_names;

static void lin_names_of(lin_names *n, const char *name)
{
    snprintf(n->ta, sizeof n->ta, "%s_a", name);
    snprintf(n->tb, sizeof n->tb, "%s_b", name);
    snprintf(n->fa, sizeof n->fa, ".%s.a", name);
    snprintf(n->fb, sizeof n->fb, ".%s.b", name);
}

/* The first lines of the model descriptor (type kml_rnn_f32 or kml_rnn_q). */
static void emit_model_open(out_t *o, const char *type, uint8_t gate_nl, uint8_t update_nl, int D, int H, int C)
{
    const char *P = o->P;
    fprintf(o->f, "\nstatic const %s %s_model = {\n", type, P);
    fprintf(o->f, "    .version = KML_DEPLOY_FORMAT_VERSION, .cell = %s_CELL, .gate_nl = %u, .update_nl = %u,\n", P, gate_nl,
            update_nl);
    fprintf(o->f, "    .D = %u, .H = %u, .C = %u,\n", D, H, C);
}

static void emit_bias_fields(out_t *o, uint8_t cell)
{
    const char *P = o->P;
    int grnn = cell == KML_RNN_FASTGRNN;
    fprintf(o->f, "    .b_h = %s_b_h,%s%s%s\n", P, grnn ? " .b_g = " : "", grnn ? P : "", grnn ? "_b_g," : "");
}

/* The self-check macros; tol: the float tolerance literal, NULL for the bit-exact integer model. */
static void emit_test_defs(out_t *o, int T, unsigned cls, const char *tol)
{
    const char *P = o->P;
    fprintf(o->f, "#define %s_TEST_T %d\n#define %s_TEST_CLASS %u\n", P, T, P, cls);
    if (tol) fprintf(o->f, "#define %s_TEST_TOL %s\n", P, tol);
    fprintf(o->f, "#define %s_TEST_X %s_test_x\n#define %s_TEST_LOGITS %s_test_logits\n", P, P, P, P);
}

/* The self-check's buffers: input x[T*D], state h[H], scratch buf[nscr], logits[C]. */
typedef struct {
    void *x, *h, *buf, *logits;
} test_bufs;

static void test_bufs_free(test_bufs *b)
{
    free(b->x), free(b->h), free(b->buf), free(b->logits);
}

static int test_bufs_alloc(test_bufs *b, size_t elem, size_t logit, size_t TD, size_t H, size_t nscr, size_t C,
                           kml_error *err)
{
    b->x = malloc(elem * TD), b->h = malloc(elem * H), b->buf = malloc(elem * nscr), b->logits = malloc(logit * C);
    if (b->x && b->h && b->buf && b->logits) return 0;
    test_bufs_free(b);
    return kml_error_set(err, "export: out of memory");
}

/* ================================================================ float */
static void emit_lin_f32_arrays(out_t *o, const char *name, const kml_lin_f32 *l)
{
    lin_names n;
    lin_names_of(&n, name);
    emit_mat_f32_arrays(o, n.ta, &l->a);
    if (l->rank) emit_mat_f32_arrays(o, n.tb, &l->b);
}

static void emit_lin_f32(out_t *o, const char *name, const kml_lin_f32 *l)
{
    lin_names n;
    lin_names_of(&n, name);
    fprintf(o->f, "    .%s.rank = %u,\n", name, l->rank);
    emit_mat_f32_init(o, n.fa, n.ta, &l->a);
    if (l->rank) emit_mat_f32_init(o, n.fb, n.tb, &l->b);
}

int kml_header_write_f32(const char *path, const kml_rnn_f32 *m, const kml_header_opts *opt, kml_header_figures *fig,
                         kml_error *err)
{
    kml_header_opts def;
    if (!opt) kml_header_opts_init(&def), opt = &def;
    if (check_opts(opt, err) || check_emi(opt->emi, m->C, err)) return -1;
    kml_status st = kml_rnn_validate_f32(m);
    if (st != KML_OK) return kml_error_set(err, "export: the float model is not valid for the runtime: %s", kml_status_name(st));
    const int T = opt->test_T, D = m->D, H = m->H, C = m->C;
    uint16_t nscr = kml_rnn_scratch_elems_f32(m);

    /* figures and budget first: nothing is written for a model that does not fit */
    uint32_t desc = (uint32_t)kml_layout_size(KML_LAYOUT_RNN_F32, opt->target);
    uint32_t flash = kml_rnn_flash_bytes_f32(m) + desc;
    uint32_t ram = 4u * (H + nscr) + (opt->target == KML_TARGET_ATMEGA328P ? desc : 0u);
    if (budget(opt, flash, ram, fig, desc, err)) return -1;

    /* the test vector and its expected output, with this very runtime */
    test_bufs tb;
    if (test_bufs_alloc(&tb, sizeof(float), sizeof(float), (size_t)T * D, H, nscr, C, err)) return -1;
    float *x = tb.x, *h = tb.h, *buf = tb.buf, *logits = tb.logits;
    if (opt->test_x_f32) memcpy(x, opt->test_x_f32, sizeof(float) * (size_t)T * D);
    else {
        kml_rng r;
        kml_rng_seed(&r, opt->seed);
        for (int t = 0; t < T; t++)
            for (int i = 0; i < D; i++) {
                double z = kml_rng_normal(&r);
                x[t * D + i] = m->mean ? (float)(m->mean[i] + m->std[i] * z) : (float)z;
            }
    }
    kml_rnn_state_f32 s = {h, (uint16_t)H};
    kml_rnn_scratch_f32 sc = {buf, nscr};
    kml_rnn_init_f32(m, &s, &sc);
    uint16_t cls = kml_rnn_predict_f32(m, x, (uint16_t)T, &s, &sc, logits);

    tmpfile_t tf;
    if (tmp_open(&tf, path, err)) {
        test_bufs_free(&tb);
        return -1;
    }
    out_t o = {tf.f, opt->name, 0, 0};
    emit_preamble(&o, opt, m->cell == KML_RNN_FASTGRNN ? "FastGRNN float" : "FastRNN float", 0);
    emit_dims(&o, m->cell, m->D, m->H, m->C, m->W.rank, m->U.rank, 0, opt);
    emit_emi(&o, opt->emi);
    emit_lin_f32_arrays(&o, "W", &m->W);
    emit_lin_f32_arrays(&o, "U", &m->U);
    arr_f32(&o, "b_h", H, m->b_h, 1);
    if (m->cell == KML_RNN_FASTGRNN) arr_f32(&o, "b_g", H, m->b_g, 1);
    emit_mat_f32_arrays(&o, "V", &m->V);
    arr_f32(&o, "v", C, m->v, 1);
    if (m->mean) arr_f32(&o, "mean", D, m->mean, 1), arr_f32(&o, "std", D, m->std, 1);

    const char *P = opt->name;
    emit_model_open(&o, "kml_rnn_f32", m->gate_nl, m->update_nl, D, H, C);
    emit_lin_f32(&o, "W", &m->W);
    emit_lin_f32(&o, "U", &m->U);
    emit_bias_fields(&o, m->cell);
    fl(&o, "    .s_alpha = ", m->s_alpha), fl(&o, ", .s_beta = ", m->s_beta);
    fl(&o, ", .s_zeta = ", m->s_zeta), fl(&o, ", .s_nu = ", m->s_nu);
    fprintf(o.f, ",\n");
    emit_mat_f32_init(&o, ".V", "V", &m->V);
    fprintf(o.f, "    .v = %s_v,\n", P);
    if (m->mean) fprintf(o.f, "    .mean = %s_mean, .std = %s_std,\n", P, P);
    fprintf(o.f, "};\n");
    emit_sizes(&o, "kml_rnn_f32", (uint32_t)(4 * ((size_t)T * D + C)));

    fprintf(o.f, "\n/* Self-check: run %s_test_x (%d steps) and compare the logits (float: within %s_TEST_TOL). */\n", P, T, P);
    emit_test_defs(&o, T, cls, "1e-3f");
    arr_f32(&o, "test_x", (size_t)T * D, x, 0);
    arr_f32(&o, "test_logits", C, logits, 0);
    fprintf(o.f, "\n#endif\n");
    test_bufs_free(&tb);
    if (o.bad_float) {
        tmp_close(&tf, path, 0, err);
        return kml_error_set(err, "export: the model holds a non-finite value (NaN or Inf); not written");
    }
    return tmp_close(&tf, path, 1, err);
}

/* ================================================================ integer */
static void emit_lin_q_arrays(out_t *o, const char *name, const kml_lin_q *l)
{
    lin_names n;
    lin_names_of(&n, name);
    emit_mat_q_arrays(o, n.ta, &l->a);
    if (l->rank) emit_mat_q_arrays(o, n.tb, &l->b);
}

static void emit_lin_q(out_t *o, const char *name, const kml_lin_q *l)
{
    lin_names n;
    lin_names_of(&n, name);
    fprintf(o->f, "    .%s.rank = %u, .%s.q_mid = %u,\n", name, l->rank, name, l->q_mid);
    emit_mat_q_init(o, n.fa, n.ta, &l->a);
    if (l->rank) emit_mat_q_init(o, n.fb, n.tb, &l->b);
}

int kml_header_write_q(const char *path, const kml_rnn_q *m, const kml_header_opts *opt, kml_header_figures *fig,
                       kml_error *err)
{
    kml_header_opts def;
    if (!opt) kml_header_opts_init(&def), opt = &def;
    if (check_opts(opt, err) || check_emi(opt->emi, m->C, err)) return -1;
    kml_status st = kml_rnn_validate_q(m);
    if (st != KML_OK) return kml_error_set(err, "export: the integer model is not valid for the runtime: %s", kml_status_name(st));
    const int T = opt->test_T, D = m->D, H = m->H, C = m->C;
    uint16_t nscr = kml_rnn_scratch_elems_q(m);
    uint32_t desc = (uint32_t)kml_layout_size(KML_LAYOUT_RNN_Q, opt->target);
    uint32_t flash = kml_rnn_flash_bytes_q(m) + desc;
    uint32_t ram = 2u * (H + nscr) + (opt->target == KML_TARGET_ATMEGA328P ? desc : 0u);
    if (budget(opt, flash, ram, fig, desc, err)) return -1;

    test_bufs tb;
    if (test_bufs_alloc(&tb, sizeof(int16_t), sizeof(int32_t), (size_t)T * D, H, nscr, C, err)) return -1;
    int16_t *x = tb.x, *h = tb.h, *buf = tb.buf;
    int32_t *logits = tb.logits;
    if (opt->test_x_q) memcpy(x, opt->test_x_q, sizeof(int16_t) * (size_t)T * D);
    else {
        kml_rng r;
        kml_rng_seed(&r, opt->seed);
        for (int t = 0; t < T; t++)
            for (int i = 0; i < D; i++) {
                double z = kml_rng_normal(&r), v;
                if (m->norm_m) /* one standard deviation in raw units = 2^(shift + q_x) / s */
                    v = m->norm_m[i] + z * ldexp(1.0, m->norm_shift + m->q_x) / (m->norm_s[i] ? abs(m->norm_s[i]) : 1);
                else
                    v = z * ldexp(1.0, m->q_x);
                x[t * D + i] = (int16_t)fmax(-32768, fmin(32767, lround(v)));
            }
    }
    kml_rnn_state_q s = {h, (uint16_t)H};
    kml_rnn_scratch_q sc = {buf, nscr};
    kml_rnn_init_q(m, &s, &sc);
    uint16_t cls = kml_rnn_predict_q(m, x, (uint16_t)T, &s, &sc, logits);

    tmpfile_t tf;
    if (tmp_open(&tf, path, err)) {
        test_bufs_free(&tb);
        return -1;
    }
    out_t o = {tf.f, opt->name, 0, 0};
    const char *P = opt->name;
    emit_preamble(&o, opt, m->cell == KML_RNN_FASTGRNN ? "FastGRNN integer" : "FastRNN integer", 1);
    emit_dims(&o, m->cell, m->D, m->H, m->C, m->W.rank, m->U.rank, 1, opt);
    emit_emi(&o, opt->emi);
    { /* tanh / sigmoid by table (kml_q.h): a runtime built with KML_SMOOTH_ACT=0 leaves that code out */
        int smooth = m->update_nl == KML_ACT_TANH || m->update_nl == KML_ACT_SIGMOID ||
                     (m->cell == KML_RNN_FASTGRNN && (m->gate_nl == KML_ACT_TANH || m->gate_nl == KML_ACT_SIGMOID));
        fprintf(o.f, "#define %s_SMOOTH_ACT %d  /* %s */\n", P, smooth,
                smooth ? "uses tanh / sigmoid by table: the runtime needs KML_SMOOTH_ACT (the default)"
                       : "clip forms only: the runtime may be compiled with -DKML_SMOOTH_ACT=0 (smaller, faster)");
        if (smooth)
            fprintf(o.f, "#if defined(KML_SMOOTH_ACT) && !KML_SMOOTH_ACT\n#error \"%s.h needs the runtime's tanh / sigmoid "
                         "tables: compile it without -DKML_SMOOTH_ACT=0\"\n#endif\n", P);
    }
    fprintf(o.f, "#define %s_Q_IN %u   /* the raw input x_raw is int16 with %u fractional bits */\n", P, m->q_in, m->q_in);
    fprintf(o.f, "#define %s_LOGIT_Q %u  /* logits are int32 with %u fractional bits */\n\n", P, kml_rnn_logit_q(m),
            kml_rnn_logit_q(m));
    emit_lin_q_arrays(&o, "W", &m->W);
    emit_lin_q_arrays(&o, "U", &m->U);
    arr_i64(&o, "int16_t", 2, "b_h", H, g_i16, m->b_h, 1);
    if (m->cell == KML_RNN_FASTGRNN) arr_i64(&o, "int16_t", 2, "b_g", H, g_i16, m->b_g, 1);
    emit_mat_q_arrays(&o, "V", &m->V);
    arr_i64(&o, "int32_t", 4, "v", C, g_i32, m->v, 1);
    if (m->norm_m) {
        arr_i64(&o, "int16_t", 2, "norm_m", D, g_i16, m->norm_m, 1);
        arr_i64(&o, "int16_t", 2, "norm_s", D, g_i16, m->norm_s, 1);
    }
    emit_model_open(&o, "kml_rnn_q", m->gate_nl, m->update_nl, D, H, C);
    fprintf(o.f, "    .q_in = %u, .q_x = %u, .q_h = %u, .q_a = %u, .q_g = %u,\n", m->q_in, m->q_x, m->q_h, m->q_a, m->q_g);
    emit_lin_q(&o, "W", &m->W);
    emit_lin_q(&o, "U", &m->U);
    emit_bias_fields(&o, m->cell);
    fprintf(o.f, "    .s_alpha = %d, .s_beta = %d, .s_zeta = %d, .s_nu = %d,\n", m->s_alpha, m->s_beta, m->s_zeta, m->s_nu);
    emit_mat_q_init(&o, ".V", "V", &m->V);
    fprintf(o.f, "    .v = %s_v,\n", P);
    if (m->norm_m) fprintf(o.f, "    .norm_m = %s_norm_m, .norm_s = %s_norm_s, .norm_shift = %u,\n", P, P, m->norm_shift);
    fprintf(o.f, "};\n");
    emit_sizes(&o, "kml_rnn_q", (uint32_t)(2 * (size_t)T * D + 4 * C));

    fprintf(o.f, "\n/* Self-check: run %s_test_x (%d steps); the logits must match bit for bit on every target. */\n", P, T);
    emit_test_defs(&o, T, cls, NULL);
    arr_i64(&o, "int16_t", 2, "test_x", (size_t)T * D, g_i16, x, 0);
    arr_i64(&o, "int32_t", 4, "test_logits", C, g_i32, logits, 0);
    fprintf(o.f, "\n#endif\n");
    test_bufs_free(&tb);
    return tmp_close(&tf, path, 1, err);
}
