/* kiloml/header.h: the C header generator (`kiloml export`).
 *
 * One header carries everything a firmware needs to run a model with deploy/:
 *   - weights, indices, biases, normalisation as const arrays in flash (KML_FLASH: PROGMEM on AVR)
 *   - the model descriptor  <PREFIX>_model  (kml_rnn_f32 or kml_rnn_q, see kiloml/kml_rnn.h)
 *   - dims <PREFIX>_D/_H/_C/_RANK_W/_RANK_U, <PREFIX>_STATE_ELEMS, <PREFIX>_SCRATCH_ELEMS,
 *     the element type <PREFIX>_elem_t and logit type <PREFIX>_logit_t
 *   - <PREFIX>_RAM_BYTES (state + scratch + the descriptor where it lives in RAM) and
 *     <PREFIX>_FLASH_BYTES (arrays + descriptor), both sizeof expressions, so exact per target
 *   - a format stamp <PREFIX>_FORMAT_VERSION checked against KML_DEPLOY_FORMAT_VERSION
 *   - one test input <PREFIX>_test_x[<PREFIX>_TEST_T * D] with its expected <PREFIX>_test_logits
 *     (also named <PREFIX>_TEST_X / <PREFIX>_TEST_LOGITS) and <PREFIX>_TEST_CLASS, computed here
 *     with the same deploy/ code compiled for the host (integer logits are bit-exact on every
 *     target, float logits within <PREFIX>_TEST_TOL)
 * Every symbol starts with PREFIX_ so two exported models can live in one program. All objects
 * are `static const`: include the header in ONE .c file.
 *
 *   kml_header_opts o; kml_header_opts_init(&o); o.name = "HAR2"; o.target = KML_TARGET_ATMEGA328P;
 *   if (kml_header_write_model("har2.h", &model, &o, &err)) ...      (float kml_model)
 *   if (kml_header_write_q("har2.h", &qmodel, &o, &err)) ...         (integer kml_rnn_q)
 * Files are written to a temporary in the same folder and renamed: never half written.
 */
#ifndef KILOML_HEADER_H
#define KILOML_HEADER_H

#include <stdint.h>

#include "kiloml/deploy.h"
#include "kiloml/error.h"
#include "kiloml/model.h"

typedef enum { KML_TARGET_HOST = 0, KML_TARGET_ATMEGA328P, KML_TARGET_CORTEX_M0PLUS, KML_TARGET_COUNT } kml_target;

const char *kml_target_name(kml_target t);
int kml_target_parse(const char *s, kml_target *out); /* "host", "atmega328p", "cortex-m0plus" */

/* EMI-RNN settings (kiloml/emi.h on the device) written as defines beside the model:
 * <PREFIX>_EMI_T, _EMI_WINDOW, _EMI_STRIDE, _EMI_N_INST, _EMI_K, _EMI_NEGATIVE (a class id or
 * (-1) = KML_EMI_NO_NEGATIVE), _EMI_P (float p-hat) and _EMI_P_Q15 (round(p-hat * 32768), what
 * kml_emi_stream_init_q takes), so a firmware fills its kml_emi_cfg from the header. */
typedef struct kml_header_emi {
    int T, window, stride, k, negative;
    double p_hat;              /* early-exit confidence in (0, 1] */
} kml_header_emi;

/* round(p * 32768) clamped to 1..32768: the device's Q15 threshold (as kml_emi_qevaluate uses). */
uint16_t kml_header_emi_p_q15(double p);

typedef struct kml_header_opts {
    const char *name;          /* PREFIX: a C identifier (default "KML_MODEL") */
    kml_target target;         /* budgets checked: atmega328p / cortex-m0plus 32 KB flash, 2 KB RAM */
    int test_T;                /* time steps of the test input (default 16) */
    const float *test_x_f32;   /* test_T × D raw input for a float model, or NULL: generated */
    const int16_t *test_x_q;   /* test_T × D raw input (Q q_in) for an integer model, or NULL */
    uint64_t seed;             /* for the generated test input */
    const char *source;        /* shown in the header comment (e.g. the .kml path), may be NULL */
    const char *const *class_names; /* C names for the comment, may be NULL */
    const kml_header_emi *emi; /* EMI-RNN settings to write as defines, or NULL (not an EMI model) */
} kml_header_opts;

void kml_header_opts_init(kml_header_opts *o);

/* Figures the generator computes for the chosen target, with the descriptor laid out as that
 * target's compiler does (the header's sizeof expressions give the same numbers when compiled
 * for it). Runtime code is not included (`kiloml export --measure` links and measures it). */
typedef struct kml_header_figures {
    uint32_t flash_bytes;      /* weights, indices, biases, norm tables + descriptor */
    uint32_t ram_bytes;        /* state + scratch (+ descriptor on AVR) */
    uint32_t desc_bytes;       /* the descriptor struct on that target */
} kml_header_figures;

int kml_header_write_f32(const char *path, const kml_rnn_f32 *m, const kml_header_opts *o,
                         kml_header_figures *fig, kml_error *err);
int kml_header_write_q(const char *path, const kml_rnn_q *m, const kml_header_opts *o,
                       kml_header_figures *fig, kml_error *err);
/* A trained float model (FastRNN / FastGRNN only; per-feature normalisation or none). */
int kml_header_write_model(const char *path, const kml_model *m, const kml_header_opts *o,
                           kml_header_figures *fig, kml_error *err);

/* ---- float kml_model -> deploy descriptor, host-owned arrays ----
 * Each W/U factor is stored sparse (column lists) when that takes fewer bytes than dense. */
typedef struct kml_dev_f32 {
    kml_rnn_f32 m;
    void *allocs[24];
    int n_allocs;
} kml_dev_f32;

int kml_dev_f32_from_model(const kml_model *src, kml_dev_f32 *out, kml_error *err);
void kml_dev_f32_free(kml_dev_f32 *d);

#endif
