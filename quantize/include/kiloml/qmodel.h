/* kiloml/qmodel.h: the integer model on the desktop, built from a float FastRNN / FastGRNN.
 *
 *   kml_qformat f;  kml_calib cal;  kml_qmodel qm;  kml_error err;
 *   kml_calib_run(&model, &train, 2000, &cal, &err);            // ranges from the float model
 *   kml_qformat_from_ranges(&model, &cal, bits, &f);            // the starting shifts
 *   kml_qmodel_build(&model, &f, &qm, &err);                    // int8/int16 arrays + deploy view
 *   ... kml_rnn_predict_q(&qm.q, ...) ...                       // deploy's kernels, bit-exact
 *   kml_qmodel_free(&qm);
 *
 * Only FastRNN and FastGRNN have an integer path (deploy/ implements no other cell): RNN, GRU and
 * LSTM models are rejected with a message saying so. Every nonlinearity but relu has an integer form
 * (kml_q.h, kml_qact_for): the clip forms quantTanh, quantSigm and hardSigm exactly, tanh and the
 * sigmoid by deploy's table (within 4e-4 before rounding); relu has none.
 *
 * Matrix slots (dimension letters: D inputs, H hidden, C classes, rW / rU ranks):
 *   WA  W (D×H) or W1 (D×rW)      WB  W2 (rW×H), low rank only
 *   UA  U (H×H) or U1 (H×rU)      UB  U2 (rU×H), low rank only
 *   V   the classifier (H×C), always dense
 * Each present slot is int8 or int16 (per matrix), dense or sparse (the smaller in flash); a sparse
 * matrix is stored as CSC or as a bitmap (kml_mat.h) per kml_qformat.sparse_fmt: by default the
 * smaller of the two in flash, CSC on a tie (its kernel is the faster one).
 * The number formats follow deploy/include/kiloml/kml_rnn.h; kml_qmodel_build checks them with
 * kml_rnn_validate_q (shifts in [0, 30], accumulator bound via kml_mat_colsum_max_q). */
#ifndef KILOML_QMODEL_H
#define KILOML_QMODEL_H

#include <stdint.h>

#include "kiloml/dataset.h"
#include "kiloml/deploy.h"
#include "kiloml/error.h"
#include "kiloml/model.h"

typedef enum { KML_QS_WA = 0, KML_QS_WB, KML_QS_UA, KML_QS_UB, KML_QS_V, KML_QS_COUNT } kml_qslot;

/* "W"/"W1", "W2", "U"/"U1", "U2", "V" for a model (rank decides), NULL when the slot is absent. */
const char *kml_qslot_name(const kml_model_config *cfg, kml_qslot s);
/* The float parameter behind a slot (KML_P_*), or -1 when absent. */
int kml_qslot_param(const kml_model_config *cfg, kml_qslot s);

/* How a sparse matrix is stored: AUTO = the smaller in flash of CSC and bitmap (ties: CSC). A forced
 * format applies to every matrix that is sparse at all (sparse bytes < dense bytes); V stays dense;
 * a matrix of more than KML_BITMAP_MAX_ROWS rows is never a bitmap. */
typedef enum { KML_SPFMT_AUTO = 0, KML_SPFMT_CSC = 1, KML_SPFMT_BITMAP = 2 } kml_sparse_fmt;

/* "auto" | "csc" | "bitmap" -> *out; -1 on anything else. */
int kml_sparse_fmt_parse(const char *s, kml_sparse_fmt *out);
/* The name of a deploy layout as reports and the .kml file spell it: "dense", "sparse" (CSC),
 * "bitmap"; "?" for an unknown value. */
const char *kml_mat_layout_name(uint8_t layout);

/* Every number format of an integer model (fractional bits, see kml_q.h) and the weight widths. */
typedef struct kml_qformat {
    int q_in, q_x, q_h, q_a, q_g;  /* raw input, normalised input, state, pre-activation, gates */
    int q_mid_w, q_mid_u;          /* low-rank intermediates x·W1, h·U1 */
    int norm_shift;                /* integer normalisation (kml_norm_q) */
    int q_mat[KML_QS_COUNT];       /* weight fractional bits per slot */
    int bits[KML_QS_COUNT];        /* 8 or 16 per slot */
    kml_sparse_fmt sparse_fmt;     /* storage of the sparse matrices (0 = auto) */
} kml_qformat;

/* Ranges seen by running the float model over calibration series (maxima of |·|). */
typedef struct kml_calib {
    double raw;          /* raw input (before normalisation) */
    double x;            /* normalised input */
    double h;            /* state */
    double a;            /* pre-activations a, a + b_h, a + b_g */
    double mid_w, mid_u; /* x·W1, h·U1 */
    int n;               /* series used */
} kml_calib;

/* Owned storage of one matrix slot. */
typedef struct kml_qmat_buf {
    int8_t *w8;
    int16_t *w16;
    uint16_t *colptr;
    uint8_t *idx8;
    uint16_t *idx16;
    uint8_t *bitmap;
} kml_qmat_buf;

typedef struct kml_qmodel {
    kml_rnn_q q;                 /* deploy's view: its pointers point into the buffers below */
    kml_qformat fmt;             /* the formats it was built with */
    kml_qmat_buf mat[KML_QS_COUNT];
    int16_t *b_h, *b_g, *norm_m, *norm_s;
    int32_t *v;
} kml_qmodel;

/* 0 when the float model has an integer path, else -1 with a message naming what is missing. */
int kml_qmodel_supported(const kml_model *m, kml_error *err);

/* Float forward of series[0..n) of `raw` (unnormalised, as loaded; the model's normalisation is
 * applied here), recording ranges. max_series caps the series used (0 = all; an even stride is
 * taken when capping). */
int kml_calib_run(const kml_model *m, const kml_dataset *raw, int max_series, kml_calib *cal, kml_error *err);

/* Float predictions of the model on raw series (normalisation applied inside), pred[raw->n]. */
int kml_float_predict(const kml_model *m, const kml_dataset *raw, int32_t *pred, kml_error *err);

/* Largest q in [0, qmax] with range·2^q <= limit (qmax when range is 0). */
int kml_q_for_range(double range, double limit, int qmax);

/* The weight q the quantizer starts from for float parameter `param` (KML_P_*) at `bits` (8 or 16):
 * from max |w| (the grid's largest code), lowered until the accumulator bound holds. */
int kml_qweight_q(const kml_model *m, int param, int bits);
/* w rounded to the grid 2^-q of a `bits`-wide code (round half up, clipped to ±(2^(bits-1) − 1)),
 * as a float: what kml_qmodel_build stores, divided by 2^q. */
float kml_qweight_round(float w, int q, int bits);

/* Starting formats from calibration ranges; bits[slot] 8 or 16 (absent slots ignored). */
void kml_qformat_from_ranges(const kml_model *m, const kml_calib *cal, const int bits[KML_QS_COUNT],
                             kml_qformat *f);

/* Quantize the float model with formats f (weight q's lowered where the accumulator bound needs
 * it, noted in out->fmt). Fails, naming the reason, when the formats do not validate. */
int kml_qmodel_build(const kml_model *m, const kml_qformat *f, kml_qmodel *out, kml_error *err);
void kml_qmodel_free(kml_qmodel *qm);

/* Raw float input to int16 in Q q_in (round half away from zero, saturating). */
int16_t kml_q_input(float x, int q_in);

/* Integer predictions of raw series through deploy's kml_rnn_predict_q, pred[raw->n]. */
int kml_qmodel_predict(const kml_qmodel *qm, const kml_dataset *raw, int32_t *pred, kml_error *err);

/* Bytes: real flash bytes of the exported integer model (kml_rnn_flash_bytes_q), weight bytes of
 * the W/U/V matrices only, their nonzeros, and the paper's count (SPEC §2: per matrix of density
 * < 0.5 nnz × (value + index) bytes, else dense; biases and scalars at their widths). */
typedef struct kml_qsize {
    uint32_t flash_bytes;
    uint32_t matrix_bytes;
    uint32_t paper_bytes;
    uint32_t nnz;
} kml_qsize;
void kml_qmodel_size(const kml_qmodel *qm, kml_qsize *s);

/* The integer nonlinearity (KML_ACT_*) that computes a float model's nl: the same one (the KML_ACT_*
 * and KML_NL_* numbers agree); relu has none (kml_qmodel_supported refuses it). */
uint8_t kml_qact_for(kml_nonlin nl);

#endif
