/* examples/firmware/model_main.c: run an exported integer model over test windows and print,
 * per window, the predicted class, the logits and the final hidden state, so the device run can
 * be compared line by line with the host build of the same deploy/ code.
 *
 * Build-time inputs (examples/firmware/CMakeLists.txt passes them):
 *   KML_MODEL_HEADER   "path/model.h" exported with --name KML_MODEL_NAME (defines
 *                      <NAME>_model, <NAME>_STATE_ELEMS, <NAME>_SCRATCH_ELEMS, <NAME>_C)
 *   KML_VECTORS_HEADER "path/vectors.h" (KML_VEC_FIRST, KML_VEC_N, KML_VEC_T, KML_VEC_D and
 *                      kml_vec_x[N*T*D] int16 raw inputs in flash); without it, the window is
 *                      the header's own test input if it has one (<NAME>_TEST_X, _TEST_T).
 *
 * Regions (see board.h): 3 = one kml_rnn_step_q (measured in the first window only),
 * 5 = one whole window: reset, T steps with input reads, logits, argmax (the other windows).
 * Output lines: "init=<status>", "w<i>=<class>|<logits>|<h>", "n=<windows>", "DONE".
 */
#include <stdint.h>

#include "board.h"
#include "kiloml/deploy.h"
#include "out.h"

#include KML_MODEL_HEADER
#ifdef KML_VECTORS_HEADER
#include KML_VECTORS_HEADER
#endif

#define KML_CAT_(a, b) a##b
#define KML_CAT(a, b) KML_CAT_(a, b)
#define MODEL KML_CAT(KML_MODEL_NAME, _model)
#define STATE_ELEMS KML_CAT(KML_MODEL_NAME, _STATE_ELEMS)
#define SCRATCH_ELEMS KML_CAT(KML_MODEL_NAME, _SCRATCH_ELEMS)
#define N_CLASSES KML_CAT(KML_MODEL_NAME, _C)

#ifndef KML_VECTORS_HEADER
#define KML_VEC_FIRST 0
#define KML_VEC_N 1
#define KML_VEC_T KML_CAT(KML_MODEL_NAME, _TEST_T)
#define KML_VEC_D KML_CAT(KML_MODEL_NAME, _D)
#define kml_vec_x KML_CAT(KML_MODEL_NAME, _TEST_X)
#endif

static int16_t h[STATE_ELEMS];
static int16_t scratch[SCRATCH_ELEMS];
static int16_t x[KML_VEC_D];
static int32_t logits[N_CLASSES];

static void load_input(uint16_t w, uint16_t t)
{
    const int16_t *src = kml_vec_x + ((uint32_t)w * KML_VEC_T + t) * KML_VEC_D;
    for (uint16_t i = 0; i < KML_VEC_D; i++) x[i] = KML_READ_I16(src + i);
}

int main(void)
{
    kml_rnn_state_q st = {h, STATE_ELEMS};
    kml_rnn_scratch_q sc = {scratch, SCRATCH_ELEMS};
    kml_board_init();
    kml_status s = kml_rnn_init_q(&MODEL, &st, &sc);
    KML_PUTS("init=");
    kml_out_u32((uint32_t)s);
    kml_out_nl();
    if (s != KML_OK) kml_board_exit(1);

    kml_mark(1); /* empty region: the marker overhead */
    kml_mark(2);
    for (uint16_t w = 0; w < KML_VEC_N; w++) {
        uint16_t cls;
        if (w == 0) {
            kml_rnn_reset_q(&MODEL, &st);
            for (uint16_t t = 0; t < KML_VEC_T; t++) {
                load_input(w, t);
                kml_mark(3);
                kml_rnn_step_q(&MODEL, x, &st, &sc);
                kml_mark(4);
            }
            kml_rnn_logits_q(&MODEL, &st, logits);
            cls = kml_argmax_q32(logits, N_CLASSES);
        } else {
            kml_mark(5);
            kml_rnn_reset_q(&MODEL, &st);
            for (uint16_t t = 0; t < KML_VEC_T; t++) {
                load_input(w, t);
                kml_rnn_step_q(&MODEL, x, &st, &sc);
            }
            kml_rnn_logits_q(&MODEL, &st, logits);
            cls = kml_argmax_q32(logits, N_CLASSES);
            kml_mark(6);
        }
        KML_PUTS("w");
        kml_out_u32((uint32_t)KML_VEC_FIRST + w);
        KML_PUTS("=");
        kml_out_u32(cls);
        for (uint16_t k = 0; k < N_CLASSES; k++) {
            kml_board_putc(k ? ',' : '|');
            kml_out_i32(logits[k]);
        }
        for (uint16_t j = 0; j < STATE_ELEMS; j++) {
            kml_board_putc(j ? ',' : '|');
            kml_out_i32(h[j]);
        }
        kml_out_nl();
    }
    KML_PUTS("n=");
    kml_out_u32(KML_VEC_N);
    KML_PUTS("\ninfo_stack_painted=");
    kml_out_u32(kml_board_painted_stack_peak());
    KML_PUTS("\nDONE\n");
    kml_board_exit(0);
    return 0;
}
