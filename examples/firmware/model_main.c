/* examples/firmware/model_main.c: run a model header written by `kiloml export` (integer or
 * float) on its own test input and on extra test windows, printing results that the device run
 * and the host build of the same deploy/ code must print identically.
 *
 * Build-time inputs (examples/firmware/CMakeLists.txt passes them):
 *   KML_MODEL_HEADER   "path/model.h", exported with --name KML_MODEL_NAME
 *   KML_VECTORS_HEADER "path/vectors.h" (optional): KML_VEC_FIRST, KML_VEC_N, KML_VEC_T,
 *                      KML_VEC_D, KML_VEC_Q and kml_vec_x[N*T*D], int16 raw inputs with KML_VEC_Q
 *                      fractional bits, in flash (an integer model reads them as they are, so
 *                      KML_VEC_Q must be the header's <NAME>_Q_IN; a float model divides by 2^Q)
 *
 * Output lines:
 *   init=<kml_status>
 *   test=<line>          the header's <NAME>_test_x window
 *   selfcheck=1|0        its logits equal <NAME>_test_logits (integer: bit for bit; float:
 *                        within <NAME>_TEST_TOL) and its class is <NAME>_TEST_CLASS
 *   w<i>=<line>          each vector window
 *   n=<windows run>, info_stack_painted=<bytes>, DONE
 * With KML_NO_SELFTEST the header's test window is not run (nor linked: its arrays are dropped
 * from flash), for models whose test data would not fit beside the firmware.
 * With KML_STREAM (integer models), the windows come in through the serial input instead of
 * flash, so any number of real test windows fits (kiloml export --measure --data): little-endian
 *   uint16 N, then N times: uint16 T, T*D int16 raw inputs in Q <NAME>_Q_IN (time-major)
 * and each is printed as w<i>=<line> (i from 0). Every step is timed (region 3); the input
 * bytes are read outside the region.
 * <line> is "<class>|<logits>|<final h>" for an integer model (all exact integers) and
 * "<class>" for a float model (its logits go to info_w<i> lines: AVR's float library need not
 * round like the host's).
 *
 * Regions (board.h): 3 = one step, timed in the first window run only; 5 = one whole window
 * (reset, T steps with the input reads, logits, argmax) for every later window (a single
 * window is run a second time, unprinted, to be timed whole).
 */
#include <stdint.h>

#include "board.h"
#include "kiloml/deploy.h"
#include "out.h"

#include KML_MODEL_HEADER
#ifdef KML_VECTORS_HEADER
#include KML_VECTORS_HEADER
#else
#define KML_VEC_FIRST 0
#define KML_VEC_N 0
#define KML_VEC_T 1
#endif

#define KML_CAT_(a, b) a##b
#define KML_CAT(a, b) KML_CAT_(a, b)
#define P_(x) KML_CAT(KML_MODEL_NAME, x)
#define MODEL P_(_model)
#define D P_(_D)
#define C P_(_C)

#if P_(_IS_INTEGER)
typedef int16_t elem_t;
typedef int32_t logit_t;
typedef kml_rnn_state_q state_t;
typedef kml_rnn_scratch_q scratch_t;
#define RNN(fn) kml_rnn_##fn##_q
#define ARGMAX kml_argmax_q32
#else
typedef float elem_t;
typedef float logit_t;
typedef kml_rnn_state_f32 state_t;
typedef kml_rnn_scratch_f32 scratch_t;
#define RNN(fn) kml_rnn_##fn##_f32
#define ARGMAX kml_argmax_f32
#endif

static elem_t h[P_(_STATE_ELEMS)];
static elem_t scratch[P_(_SCRATCH_ELEMS)];
static elem_t x[D];
static logit_t logits[C];

#if KML_VEC_N > 0
#if KML_VEC_D != P_(_D)
#error "test vectors and model disagree on D"
#endif
#if P_(_IS_INTEGER) && KML_VEC_Q != P_(_Q_IN)
#error "test vectors were written for another input format than the model's Q_IN"
#endif
static void load_vector(uint16_t w, uint16_t t)
{
    const int16_t *src = kml_vec_x + ((uint32_t)w * KML_VEC_T + t) * KML_VEC_D;
    for (uint16_t i = 0; i < D; i++) {
#if P_(_IS_INTEGER)
        x[i] = KML_READ_I16(src + i);
#else
        x[i] = (float)KML_READ_I16(src + i) * (1.0f / (float)(1L << KML_VEC_Q));
#endif
    }
}
#endif

#ifndef KML_NO_SELFTEST
static void load_test(uint16_t w, uint16_t t)
{
    (void)w;
    for (uint16_t i = 0; i < D; i++) {
#if P_(_IS_INTEGER)
        x[i] = KML_READ_I16(P_(_test_x) + (uint32_t)t * D + i);
#else
        x[i] = KML_READ_F32(P_(_test_x) + (uint32_t)t * D + i);
#endif
    }
}

#elif KML_VEC_N == 0 && !defined(KML_STREAM)
#error "KML_NO_SELFTEST needs test windows (KML_VECTORS_HEADER)"
#endif

static uint8_t windows_run;

#ifdef KML_STREAM
#if !P_(_IS_INTEGER)
#error "KML_STREAM streams int16 inputs: it needs an integer model header"
#endif
#if KML_VEC_N > 0
#error "KML_STREAM and KML_VECTORS_HEADER are exclusive"
#endif
static uint16_t stream_u16(void)
{
    int lo = kml_board_getc();
    int hi = kml_board_getc();
    if (lo < 0 || hi < 0) {
        KML_PUTS("stream_ended_early\n");
        kml_board_exit(3);
    }
    return (uint16_t)((uint16_t)lo | (uint16_t)hi << 8);
}

/* One streamed window of T steps: every step timed (region 3). */
static uint16_t run_stream_window(uint16_t T, state_t *st, scratch_t *sc)
{
    RNN(reset)(&MODEL, st);
    for (uint16_t t = 0; t < T; t++) {
        for (uint16_t i = 0; i < D; i++) x[i] = (int16_t)stream_u16();
        kml_mark(3);
        RNN(step)(&MODEL, x, st, sc);
        kml_mark(4);
    }
    RNN(logits)(&MODEL, st, logits);
    return ARGMAX(logits, C);
}
#endif

/* One window: reset, T steps, logits, class. The first window run is timed per step. */
static uint16_t run_window(void (*load)(uint16_t, uint16_t), uint16_t w, uint16_t T, state_t *st, scratch_t *sc)
{
    uint16_t cls;
    if (windows_run++ == 0) {
        RNN(reset)(&MODEL, st);
        for (uint16_t t = 0; t < T; t++) {
            load(w, t);
            kml_mark(3);
            RNN(step)(&MODEL, x, st, sc);
            kml_mark(4);
        }
        RNN(logits)(&MODEL, st, logits);
        cls = ARGMAX(logits, C);
    } else {
        kml_mark(5);
        RNN(reset)(&MODEL, st);
        for (uint16_t t = 0; t < T; t++) {
            load(w, t);
            RNN(step)(&MODEL, x, st, sc);
        }
        RNN(logits)(&MODEL, st, logits);
        cls = ARGMAX(logits, C);
        kml_mark(6);
    }
    return cls;
}

#if P_(_IS_INTEGER)
static void print_result(uint16_t cls)
{
    kml_out_u32(cls);
    for (uint16_t k = 0; k < C; k++) {
        kml_board_putc(k ? ',' : '|');
        kml_out_i32(logits[k]);
    }
    for (uint16_t j = 0; j < P_(_H); j++) {
        kml_board_putc(j ? ',' : '|');
        kml_out_i32(h[j]);
    }
    kml_out_nl();
}
#else
static void print_result(uint16_t cls)
{
    kml_out_u32(cls);
    kml_out_nl();
    KML_PUTS("info_logits_x1e4=");
    for (uint16_t k = 0; k < C; k++) {
        if (k) kml_board_putc(',');
        kml_out_i32((int32_t)(logits[k] * 1e4f));
    }
    kml_out_nl();
}
#endif

#ifndef KML_NO_SELFTEST
static uint8_t self_check(uint16_t cls)
{
    uint8_t ok = cls == P_(_TEST_CLASS);
    for (uint16_t k = 0; k < C; k++) {
#if P_(_IS_INTEGER)
        if (logits[k] != KML_READ_I32(P_(_test_logits) + k)) ok = 0;
#else
        float d = logits[k] - KML_READ_F32(P_(_test_logits) + k);
        if (d > P_(_TEST_TOL) || d < -P_(_TEST_TOL)) ok = 0;
#endif
    }
    return ok;
}
#endif

int main(void)
{
    state_t st = {h, P_(_STATE_ELEMS)};
    scratch_t sc = {scratch, P_(_SCRATCH_ELEMS)};
    kml_board_init();
    kml_status s = RNN(init)(&MODEL, &st, &sc);
    KML_PUTS("init=");
    kml_out_u32((uint32_t)s);
    kml_out_nl();
    if (s != KML_OK) kml_board_exit(1);

    kml_mark(1); /* empty region: the marker overhead */
    kml_mark(2);

    uint16_t cls;
#ifndef KML_NO_SELFTEST
    cls = run_window(load_test, 0, P_(_TEST_T), &st, &sc);
    KML_PUTS("test=");
    print_result(cls);
    KML_PUTS("selfcheck=");
    kml_out_u32(self_check(cls));
    kml_out_nl();
#endif

#if KML_VEC_N > 0
    for (uint16_t w = 0; w < KML_VEC_N; w++) {
        cls = run_window(load_vector, w, KML_VEC_T, &st, &sc);
        KML_PUTS("w");
        kml_out_u32((uint32_t)KML_VEC_FIRST + w);
        KML_PUTS("=");
        print_result(cls);
    }
#endif
#ifdef KML_STREAM
    uint16_t n_stream = stream_u16();
    for (uint16_t w = 0; w < n_stream; w++) {
        uint16_t T = stream_u16();
        cls = run_stream_window(T, &st, &sc);
        KML_PUTS("w");
        kml_out_u32(w);
        KML_PUTS("=");
        print_result(cls);
    }
#endif
#ifdef KML_NO_SELFTEST
#define KML_WINDOWS_SHOWN KML_VEC_N
#else
#define KML_WINDOWS_SHOWN (KML_VEC_N + 1)
#endif
#if KML_WINDOWS_SHOWN == 1 && !defined(KML_STREAM)
    /* one window only: run it once more, timed whole (region 5), results not printed again */
#if KML_VEC_N == 1
    (void)run_window(load_vector, 0, KML_VEC_T, &st, &sc);
#else
    (void)run_window(load_test, 0, P_(_TEST_T), &st, &sc);
#endif
#endif
    KML_PUTS("n=");
#ifdef KML_STREAM
    kml_out_u32((uint32_t)KML_WINDOWS_SHOWN + n_stream);
#else
    kml_out_u32(KML_WINDOWS_SHOWN);
#endif
    KML_PUTS("\ninfo_stack_painted=");
    kml_out_u32(kml_board_painted_stack_peak());
    KML_PUTS("\nDONE\n");
    kml_board_exit(0);
    return 0;
}
