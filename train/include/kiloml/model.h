/* kiloml/model.h: a recurrent classifier's configuration and parameters, as the trainer,
 * the quantizer and the model file all see them.
 *
 * Every parameter is one named tensor in a fixed table (KML_PARAMS below, an X-macro);
 * tensors that the configuration does not use have 0 rows and a NULL pointer. All present
 * tensors live in one float block owned by the model. Row-vector convention: x_t is 1×D,
 * h_t is 1×H, products are x·W. Matrices are row-major [rows][cols].
 *
 * G, the number of stacked gate blocks in W and U: fastrnn 1, fastgrnn 1 (shared by gate and
 * candidate), rnn 1, gru 3 (order r, z, n as PyTorch), lstm 4 (order i, f, g, o as PyTorch).
 *
 *   name   present when             shape          pruned (IHT)
 *   W      rank_w == 0              D × G·H        density_w
 *   W1,W2  rank_w  > 0              D × rW, rW × G·H   density_w (each)
 *   U      rank_u == 0              H × G·H        density_u
 *   U1,U2  rank_u  > 0              H × rU, rU × G·H   density_u (each)
 *   b      fastrnn, rnn, gru, lstm  1 × G·H        never
 *   b_g,b_h fastgrnn                1 × H          never
 *   b_u    gru (hidden-side bias of PyTorch's b_hh, needed because r multiplies U·h + b_u) 1 × 3H
 *   alpha,beta  fastrnn             1 × 1 (stored before the sigmoid)
 *   zeta,nu     fastgrnn            1 × 1 (stored before the sigmoid)
 *   V      always                   H × C          never
 *   v      always                   1 × C          never
 */
#ifndef KILOML_MODEL_H
#define KILOML_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "kiloml/dataset.h"
#include "kiloml/error.h"

typedef enum {
    KML_CELL_FASTRNN = 0,
    KML_CELL_FASTGRNN,
    KML_CELL_RNN,
    KML_CELL_GRU,
    KML_CELL_LSTM,
    KML_CELL_COUNT
} kml_cell_kind;

typedef enum {
    KML_NL_TANH = 0,
    KML_NL_SIGMOID,
    KML_NL_RELU,
    KML_NL_QUANTTANH,  /* clip(x, -1, 1) */
    KML_NL_QUANTSIGM,  /* clip((x + 1) / 2, 0, 1) */
    KML_NL_HARDSIGM,   /* clip(x / 4 + 1 / 2, 0, 1): the logistic's slope at 0 */
    KML_NL_COUNT
} kml_nonlin;

typedef struct kml_model_config {
    kml_cell_kind cell;
    int D, H, C;            /* input features, hidden units, classes */
    int rank_w, rank_u;     /* 0 = full rank */
    kml_nonlin gate_nl;     /* FastGRNN z, GRU r/z, LSTM i/f/o (default sigmoid) */
    kml_nonlin update_nl;   /* candidate / cell nonlinearity (default tanh) */
} kml_model_config;

/* What IHT does to a tensor. */
typedef enum { KML_PK_W, KML_PK_U, KML_PK_BIAS, KML_PK_SCALAR, KML_PK_CLASSIFIER } kml_param_kind;

/*        id        name     kind */
#define KML_PARAMS(X)                   \
    X(KML_P_W,     "W",     KML_PK_W)  \
    X(KML_P_W1,    "W1",    KML_PK_W)  \
    X(KML_P_W2,    "W2",    KML_PK_W)  \
    X(KML_P_U,     "U",     KML_PK_U)  \
    X(KML_P_U1,    "U1",    KML_PK_U)  \
    X(KML_P_U2,    "U2",    KML_PK_U)  \
    X(KML_P_B,     "b",     KML_PK_BIAS) \
    X(KML_P_BG,    "b_g",   KML_PK_BIAS) \
    X(KML_P_BH,    "b_h",   KML_PK_BIAS) \
    X(KML_P_BU,    "b_u",   KML_PK_BIAS) \
    X(KML_P_ALPHA, "alpha", KML_PK_SCALAR) \
    X(KML_P_BETA,  "beta",  KML_PK_SCALAR) \
    X(KML_P_ZETA,  "zeta",  KML_PK_SCALAR) \
    X(KML_P_NU,    "nu",    KML_PK_SCALAR) \
    X(KML_P_V,     "V",     KML_PK_CLASSIFIER) \
    X(KML_P_VB,    "v",     KML_PK_CLASSIFIER)

#define KML_ENUM_ID(id, name, kind) id,
typedef enum { KML_PARAMS(KML_ENUM_ID) KML_PARAM_COUNT } kml_param_id;
#undef KML_ENUM_ID

typedef struct kml_param_shape {
    int rows, cols;  /* 0 × 0 when absent */
} kml_param_shape;

typedef struct kml_model {
    kml_model_config cfg;
    kml_param_shape shape[KML_PARAM_COUNT];
    float *p[KML_PARAM_COUNT];   /* into block; NULL when absent */
    float *block;
    size_t n_params;             /* floats in block */
    kml_norm norm;               /* input normalisation (owned); mean/std NULL = none */
    char **class_names;          /* cfg.C names or NULL (owned) */
    /* Training only, not saved: > 0 bounds the L2 norm of each series' dLoss/dh_{t-1} as BPTT carries it
     * back through time (the gradient through the recurrence is scaled down where it would explode;
     * Graves 2013 clipped the LSTM's backward derivatives alike). 0 (the default) = the exact gradient. */
    double bptt_clip;
} kml_model;

/* Names for the command line and the model file. */
const char *kml_cell_name(kml_cell_kind c);
int kml_cell_parse(const char *s, kml_cell_kind *out);
const char *kml_nonlin_name(kml_nonlin n);
int kml_nonlin_parse(const char *s, kml_nonlin *out);
const char *kml_param_name(kml_param_id id);
kml_param_kind kml_param_kind_of(kml_param_id id);
int kml_cell_gates(kml_cell_kind c);

/* Shapes of every tensor for a configuration (absent ones 0×0). */
int kml_model_shapes(const kml_model_config *cfg, kml_param_shape shape[KML_PARAM_COUNT], kml_error *err);

/* Allocate (zeroed) for cfg; validates the configuration. */
int kml_model_alloc(kml_model *m, const kml_model_config *cfg, kml_error *err);
/* SPEC §1 initialisation from a seed: N(0, 0.1^2) matrices, biases 1, the cell scalars, classifier. */
void kml_model_init_params(kml_model *m, uint64_t seed);
void kml_model_free(kml_model *m);
/* Deep copy (block, norm, names). */
int kml_model_copy(kml_model *dst, const kml_model *src, kml_error *err);

/* Multiply-accumulates per time step (dense count) and the stored float bytes. */
long kml_model_macs_per_step(const kml_model *m);
size_t kml_model_float_bytes(const kml_model *m);

#endif
