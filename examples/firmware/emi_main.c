/* examples/firmware/emi_main.c: streaming EMI-RNN on the device (deploy/ kiloml/emi.h, integer
 * path). The test windows of a vectors header are the bags: their samples are pushed one at a
 * time; instances run as they complete and stop early at the model's confidence threshold; each
 * bag is decided from the instance classes. Every setting comes from the model header: the
 * <NAME>_EMI_* defines `kiloml export` writes for an EMI-RNN model (window, stride, k, negative
 * class, bag length T, threshold in Q15; kml_devgen --emi writes the same for the device-test
 * models). Every line but info_* must equal the host build's (same deploy/ code).
 *
 * Build-time inputs as model_main.c (KML_MODEL_HEADER, KML_MODEL_NAME, KML_VECTORS_HEADER; without
 * vectors, the header's own test input is the one bag, so export it with --test-steps <EMI_T>).
 * Region 5 = one whole bag (every push, the instances, the decision).
 * Output: "init=<status>", "b<i>=<label>|<instance classes>|<steps run>", "steps=<run>/<full>", DONE.
 */
#include <stdint.h>

#include "board.h"
#include "kiloml/deploy.h"
#include "kiloml/emi.h"
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

#ifndef KML_VECTORS_HEADER /* one bag: the header's own test input */
#define KML_VEC_FIRST 0
#define KML_VEC_N 1
#define KML_VEC_T KML_CAT(KML_MODEL_NAME, _TEST_T)
#define KML_VEC_D KML_CAT(KML_MODEL_NAME, _D)
#define kml_vec_x KML_CAT(KML_MODEL_NAME, _TEST_X)
#endif

#define EMI_T KML_CAT(KML_MODEL_NAME, _EMI_T)
#define EMI_WINDOW KML_CAT(KML_MODEL_NAME, _EMI_WINDOW)
#define EMI_STRIDE KML_CAT(KML_MODEL_NAME, _EMI_STRIDE)
#define EMI_K KML_CAT(KML_MODEL_NAME, _EMI_K)
#define EMI_NEGATIVE KML_CAT(KML_MODEL_NAME, _EMI_NEGATIVE)
#define EMI_P_Q15 KML_CAT(KML_MODEL_NAME, _EMI_P_Q15)
#define N_INST KML_CAT(KML_MODEL_NAME, _EMI_N_INST)
#if EMI_WINDOW == 0
#error "the model header has no EMI-RNN settings: export an EMI model (kiloml emi train, then kiloml export)"
#endif
#if EMI_T != KML_VEC_T
#error "the bags (vectors or the header's test input) must be <NAME>_EMI_T samples long"
#endif

static int16_t ring[KML_EMI_RING_ELEMS(EMI_WINDOW, KML_VEC_D)];
static int16_t h[STATE_ELEMS];
static int16_t scratch[SCRATCH_ELEMS];
static int32_t cbuf[KML_EMI_CBUF_ELEMS(N_CLASSES)];
static uint8_t pred[N_INST];
static uint16_t inst_steps[N_INST];
static int16_t x[KML_VEC_D];

int main(void)
{
    static const kml_emi_cfg cfg = {EMI_T, EMI_WINDOW, EMI_STRIDE, N_INST, EMI_K, EMI_NEGATIVE};
    kml_emi_stream_q s;
    kml_board_init();
    kml_status st = kml_emi_stream_init_q(&s, &MODEL, &cfg, EMI_P_Q15, ring, h, STATE_ELEMS, scratch,
                                          SCRATCH_ELEMS, cbuf, pred);
    KML_PUTS("init=");
    kml_out_u32((uint32_t)st);
    kml_out_nl();
    if (st != KML_OK) kml_board_exit(1);
    kml_mark(1); /* empty region: the marker overhead */
    kml_mark(2);
    for (uint16_t b = 0; b < KML_VEC_N; b++) {
        int16_t label = -1;
        uint8_t n = 0;
        kml_mark(5);
        for (uint16_t t = 0; t < KML_VEC_T; t++) {
            const int16_t *src = kml_vec_x + ((uint32_t)b * KML_VEC_T + t) * KML_VEC_D;
            int rc;
            for (uint16_t i = 0; i < KML_VEC_D; i++) x[i] = KML_READ_I16(src + i);
            rc = kml_emi_push_q(&s, x, &label);
            /* (the instance whose window ends with the T-th sample runs in the push that decides
             * the bag; with window + k·stride = T, as here, there is no short window) */
            if (rc != KML_EMI_PENDING && n < N_INST) inst_steps[n++] = s.last_steps;
        }
        kml_mark(6);
        KML_PUTS("b");
        kml_out_u32((uint32_t)KML_VEC_FIRST + b);
        KML_PUTS("=");
        kml_out_i32(label);
        for (uint8_t j = 0; j < N_INST; j++) {
            kml_board_putc(j ? ',' : '|');
            kml_out_u32(pred[j]);
        }
        for (uint8_t j = 0; j < n; j++) {
            kml_board_putc(j ? ',' : '|');
            kml_out_u32(inst_steps[j]);
        }
        kml_out_nl();
    }
    KML_PUTS("steps=");
    kml_out_u32(s.steps_run);
    KML_PUTS("/");
    kml_out_u32(s.steps_full);
    KML_PUTS("\ninfo_stack_painted=");
    kml_out_u32(kml_board_painted_stack_peak());
    KML_PUTS("\nDONE\n");
    kml_board_exit(0);
    return 0;
}
