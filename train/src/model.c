/* model.c: configuration names, tensor shapes, the one-block allocation, SPEC §1 initialisation,
 * deep copy and size figures of a recurrent classifier (see kiloml/model.h for the shape table).
 *
 * Initialisation (kml_model_init_params), one kml_rng seeded once, tensors visited in table order:
 *   W, W1, W2, U, U1, U2    N(0, 0.1²)
 *   b, b_g, b_h             1.0
 *   b_u (GRU)               0.0: PyTorch adds b_ih + b_hh, so b = 1, b_u = 0 keeps the SPEC's
 *                           effective bias of 1.0 instead of counting it twice.
 *   alpha, beta             -3, 3    (FastRNN, before the sigmoid)
 *   zeta, nu                 1, -4   (FastGRNN, before the sigmoid)
 *   V                       N(0, 1/H): with |h_j| <= 1 the initial logits then have a standard
 *                           deviation of at most 1, so the softmax starts unsaturated and V trains
 *                           from the first step; SPEC's N(0, 1) gives logits of order sqrt(H)
 *                           (about 9 at H = 80) and a saturated start.
 *   v                       0.0 (a constant bias on every class is invisible to the softmax).
 */
#include "kiloml/model.h"
#include "kiloml/rng.h"
#include "param_layout.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KML_MAX_DIM (1 << 20)

static const char *const cell_names[KML_CELL_COUNT] = {"fastrnn", "fastgrnn", "rnn", "gru", "lstm"};
static const char *const nonlin_names[KML_NL_COUNT] = {"tanh", "sigmoid", "relu", "quanttanh", "quantsigm", "hardsigm"};

#define KML_NAME_ROW(id, name, kind) name,
static const char *const param_names[KML_PARAM_COUNT] = {KML_PARAMS(KML_NAME_ROW)};
#undef KML_NAME_ROW
#define KML_KIND_ROW(id, name, kind) kind,
static const kml_param_kind param_kinds[KML_PARAM_COUNT] = {KML_PARAMS(KML_KIND_ROW)};
#undef KML_KIND_ROW

const char *kml_cell_name(kml_cell_kind c)
{
    return (c >= 0 && c < KML_CELL_COUNT) ? cell_names[c] : "?";
}

int kml_cell_parse(const char *s, kml_cell_kind *out)
{
    for (int i = 0; s && i < KML_CELL_COUNT; i++)
        if (strcmp(s, cell_names[i]) == 0) {
            *out = (kml_cell_kind)i;
            return 0;
        }
    return -1;
}

const char *kml_nonlin_name(kml_nonlin n)
{
    return (n >= 0 && n < KML_NL_COUNT) ? nonlin_names[n] : "?";
}

int kml_nonlin_parse(const char *s, kml_nonlin *out)
{
    for (int i = 0; s && i < KML_NL_COUNT; i++)
        if (strcmp(s, nonlin_names[i]) == 0) {
            *out = (kml_nonlin)i;
            return 0;
        }
    return -1;
}

const char *kml_param_name(kml_param_id id)
{
    return (id >= 0 && id < KML_PARAM_COUNT) ? param_names[id] : "?";
}

kml_param_kind kml_param_kind_of(kml_param_id id)
{
    return (id >= 0 && id < KML_PARAM_COUNT) ? param_kinds[id] : KML_PK_BIAS;
}

int kml_cell_gates(kml_cell_kind c)
{
    switch (c) {
    case KML_CELL_GRU: return 3;
    case KML_CELL_LSTM: return 4;
    case KML_CELL_FASTRNN:
    case KML_CELL_FASTGRNN:
    case KML_CELL_RNN: return 1;
    default: return 0;
    }
}

static int check_dim(const char *field, int v, int lo, kml_error *err)
{
    if (v < lo || v > KML_MAX_DIM)
        return kml_error_set(err, "model configuration: %s = %d, expected %d..%d", field, v, lo, KML_MAX_DIM);
    return 0;
}

int kml_model_shapes(const kml_model_config *cfg, kml_param_shape shape[KML_PARAM_COUNT], kml_error *err)
{
    memset(shape, 0, sizeof(kml_param_shape) * KML_PARAM_COUNT);
    if (cfg->cell < 0 || cfg->cell >= KML_CELL_COUNT)
        return kml_error_set(err, "model configuration: cell = %d, expected 0..%d", (int)cfg->cell,
                             KML_CELL_COUNT - 1);
    if (cfg->gate_nl < 0 || cfg->gate_nl >= KML_NL_COUNT)
        return kml_error_set(err, "model configuration: gate_nonlin = %d, expected 0..%d", (int)cfg->gate_nl,
                             KML_NL_COUNT - 1);
    if (cfg->update_nl < 0 || cfg->update_nl >= KML_NL_COUNT)
        return kml_error_set(err, "model configuration: update_nonlin = %d, expected 0..%d",
                             (int)cfg->update_nl, KML_NL_COUNT - 1);
    if (check_dim("D (input features)", cfg->D, 1, err) || check_dim("H (hidden units)", cfg->H, 1, err) ||
        check_dim("C (classes)", cfg->C, 2, err) || check_dim("rank_w", cfg->rank_w, 0, err) ||
        check_dim("rank_u", cfg->rank_u, 0, err))
        return -1;
    const int D = cfg->D, H = cfg->H, C = cfg->C, GH = kml_cell_gates(cfg->cell) * cfg->H;
    if (cfg->rank_w == 0) {
        shape[KML_P_W] = (kml_param_shape){D, GH};
    } else {
        shape[KML_P_W1] = (kml_param_shape){D, cfg->rank_w};
        shape[KML_P_W2] = (kml_param_shape){cfg->rank_w, GH};
    }
    if (cfg->rank_u == 0) {
        shape[KML_P_U] = (kml_param_shape){H, GH};
    } else {
        shape[KML_P_U1] = (kml_param_shape){H, cfg->rank_u};
        shape[KML_P_U2] = (kml_param_shape){cfg->rank_u, GH};
    }
    switch (cfg->cell) {
    case KML_CELL_FASTRNN:
        shape[KML_P_B] = (kml_param_shape){1, GH};
        shape[KML_P_ALPHA] = (kml_param_shape){1, 1};
        shape[KML_P_BETA] = (kml_param_shape){1, 1};
        break;
    case KML_CELL_FASTGRNN:
        shape[KML_P_BG] = (kml_param_shape){1, H};
        shape[KML_P_BH] = (kml_param_shape){1, H};
        shape[KML_P_ZETA] = (kml_param_shape){1, 1};
        shape[KML_P_NU] = (kml_param_shape){1, 1};
        break;
    case KML_CELL_GRU:
        shape[KML_P_B] = (kml_param_shape){1, GH};
        shape[KML_P_BU] = (kml_param_shape){1, GH};
        break;
    default:
        shape[KML_P_B] = (kml_param_shape){1, GH};
        break;
    }
    shape[KML_P_V] = (kml_param_shape){H, C};
    shape[KML_P_VB] = (kml_param_shape){1, C};
    return 0;
}

size_t kml_param_layout(const kml_param_shape shape[KML_PARAM_COUNT], size_t off[KML_PARAM_COUNT + 1])
{
    off[0] = 0;
    for (int i = 0; i < KML_PARAM_COUNT; i++) off[i + 1] = off[i] + (size_t)shape[i].rows * (size_t)shape[i].cols;
    return off[KML_PARAM_COUNT];
}

int kml_model_alloc(kml_model *m, const kml_model_config *cfg, kml_error *err)
{
    memset(m, 0, sizeof *m);
    if (kml_model_shapes(cfg, m->shape, err) != 0) return -1;
    m->cfg = *cfg;
    size_t off[KML_PARAM_COUNT + 1];
    size_t n = kml_param_layout(m->shape, off);
    m->block = calloc(n, sizeof(float));
    if (!m->block) {
        memset(m, 0, sizeof *m);
        return kml_error_set(err, "model: out of memory for %zu parameters", n);
    }
    m->n_params = n;
    for (int i = 0; i < KML_PARAM_COUNT; i++) m->p[i] = off[i + 1] > off[i] ? m->block + off[i] : NULL;
    return 0;
}

static void fill(float *p, size_t n, float v)
{
    for (size_t i = 0; i < n; i++) p[i] = v;
}

void kml_model_init_params(kml_model *m, uint64_t seed)
{
    kml_rng rng;
    kml_rng_seed(&rng, seed);
    for (int i = 0; i < KML_PARAM_COUNT; i++) {
        float *p = m->p[i];
        size_t n = (size_t)m->shape[i].rows * (size_t)m->shape[i].cols;
        if (!p) continue;
        switch ((kml_param_id)i) {
        case KML_P_W: case KML_P_W1: case KML_P_W2:
        case KML_P_U: case KML_P_U1: case KML_P_U2:
            for (size_t k = 0; k < n; k++) p[k] = (float)(0.1 * kml_rng_normal(&rng));
            break;
        case KML_P_V: {
            double sd = 1.0 / sqrt((double)m->cfg.H);
            for (size_t k = 0; k < n; k++) p[k] = (float)(sd * kml_rng_normal(&rng));
            break;
        }
        case KML_P_B: case KML_P_BG: case KML_P_BH: fill(p, n, 1.0f); break;
        case KML_P_BU: case KML_P_VB: fill(p, n, 0.0f); break;
        case KML_P_ALPHA: p[0] = -3.0f; break;
        case KML_P_BETA: p[0] = 3.0f; break;
        case KML_P_ZETA: p[0] = 1.0f; break;
        case KML_P_NU: p[0] = -4.0f; break;
        default: break;
        }
    }
}

void kml_model_free(kml_model *m)
{
    if (!m) return;
    free(m->block);
    free(m->norm.mean);
    free(m->norm.std);
    if (m->class_names) {
        for (int c = 0; c < m->cfg.C; c++) free(m->class_names[c]);
        free(m->class_names);
    }
    memset(m, 0, sizeof *m);
}

static float *dup_floats(const float *src, size_t n)
{
    float *d = malloc(n ? n * sizeof(float) : 1);
    if (d && n) memcpy(d, src, n * sizeof(float));
    return d;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

int kml_model_copy(kml_model *dst, const kml_model *src, kml_error *err)
{
    if (kml_model_alloc(dst, &src->cfg, err) != 0) return -1;
    memcpy(dst->block, src->block, src->n_params * sizeof(float));
    dst->norm = src->norm;
    dst->norm.mean = dst->norm.std = NULL;
    if (src->norm.mean && src->norm.std) {
        size_t n = (size_t)src->norm.F * (src->norm.mode == KML_NORM_PER_STEP ? (size_t)src->norm.T : 1);
        dst->norm.mean = dup_floats(src->norm.mean, n);
        dst->norm.std = dup_floats(src->norm.std, n);
        if (!dst->norm.mean || !dst->norm.std) goto oom;
    }
    if (src->class_names) {
        dst->class_names = calloc((size_t)src->cfg.C, sizeof(char *));
        if (!dst->class_names) goto oom;
        for (int c = 0; c < src->cfg.C; c++) {
            dst->class_names[c] = dup_str(src->class_names[c] ? src->class_names[c] : "");
            if (!dst->class_names[c]) goto oom;
        }
    }
    return 0;
oom:
    kml_model_free(dst);
    return kml_error_set(err, "model copy: out of memory");
}

long kml_model_macs_per_step(const kml_model *m)
{
    /* The cell's matrix products for one time step of one series (x·W and h·U, low rank as two
     * products); elementwise work and the once-per-window classifier are not counted. */
    static const kml_param_id mats[] = {KML_P_W, KML_P_W1, KML_P_W2, KML_P_U, KML_P_U1, KML_P_U2};
    long macs = 0;
    for (size_t i = 0; i < sizeof mats / sizeof mats[0]; i++)
        macs += (long)m->shape[mats[i]].rows * (long)m->shape[mats[i]].cols;
    return macs;
}

size_t kml_model_float_bytes(const kml_model *m) { return m->n_params * sizeof(float); }
